"""Opening the cache: private files, WAL, pragmas, ensure-schema; and naming what goes wrong.

    open_db(path, *, readonly=False) -> sqlite3.Connection     used by every layer
    transaction(conn)                                           one write transaction
    CacheError                  a local cache fault as one line naming the file (exit code 6)
    cache_error(exc) -> CacheError | None       sqlite3 / OS errors about the cache, explained
    connect_readonly(path) -> sqlite3.Connection    the file as it is: no schema, no writes

The cache holds prospects' mail: the file and its -wal / -shm are 0600 (SQLite gives the
side files the main file's mode) and the folders it creates are 0700. Every commit is
``synchronous=FULL``: with WAL, NORMAL syncs the log only at checkpoints, so a power cut could
take back an outbox item the user was told is queued; FULL measured at a few percent of a
sync and well under a millisecond per queued item (benchmarks/bench_durability.py).

A cache that cannot be written (file or folder read-only) is opened read-only, so reading
commands still work; a write then fails as CacheError 'read-only'. A read-only cache that
needs a migration cannot be read by this version and says so.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from o2d_inbox.cache.migrations import ensure_schema
from o2d_inbox.cache.schema import SCHEMA_VERSION

EXIT_CACHE = 6  # cli.py's EXIT_CACHE: a local cache fault (not the server's)
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
SIDE_FILES = ("-wal", "-shm")

# The cache file this process opened last: errors raised later, far from open_db (a full disk
# in the middle of a sync), still name the file.
_opened: Path | None = None


class CacheError(Exception):
    """A local cache fault: one line naming the file and what to do.

    kind: 'full' | 'read-only' | 'damaged' | 'cannot-open' | 'io' | 'busy' | 'version'
    """

    exit_code = EXIT_CACHE

    def __init__(self, message: str, *, kind: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.path = path


def open_db(path: str | Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open (creating if needed) the cache at ``path`` with the schema ensured.

    ``":memory:"`` works for tests. Rows come back as sqlite3.Row. ``readonly``: the caller
    only reads (the TUI's second connection), so no migration runs. A file or folder that
    cannot be written is opened read-only (SQLite ``mode=ro``), without migrations. Raises
    CacheError for a local fault.
    """
    if str(path) == ":memory:":
        memory = _connect(":memory:")
        _pragmas(memory, writable=True)
        ensure_schema(memory)
        return memory
    global _opened
    path = Path(path)
    _opened = path
    conn: sqlite3.Connection | None = None
    try:
        if _may_write(path):
            _make_private(path)
            conn = _connect(str(path))
            _pragmas(conn, writable=True)
            _check_version(conn, path, writable=True)
            if not readonly:
                ensure_schema(conn)
        else:
            conn = connect_readonly(path)
            _pragmas(conn, writable=False)
            conn.execute("PRAGMA query_only=ON")  # also what is_read_only() reads
            _check_version(conn, path, writable=False)
        return conn
    except (OSError, sqlite3.Error) as exc:
        if conn is not None:
            conn.close()
        raise cache_error(exc, path) or exc from None


def is_read_only(conn: sqlite3.Connection) -> bool:
    """The cache was opened read-only (its file or folder cannot be written)."""
    return bool(conn.execute("PRAGMA query_only").fetchone()[0])


def write_stamp(conn: sqlite3.Connection) -> tuple[int, int]:
    """A value that changes whenever the cache is written: by this connection (its
    total_changes) or by another one (SQLite's data_version: a sync's writer, a second app).
    Equal stamps: nothing read from the cache in between can have changed."""
    return conn.total_changes, conn.execute("PRAGMA data_version").fetchone()[0]


def connect_readonly(path: Path) -> sqlite3.Connection:
    """``path`` opened read-only. In a folder where the -shm cannot be created, and with no
    -wal left to read, as immutable: the main file then holds every committed change."""
    uri = path.absolute().as_uri() + "?mode=ro"
    try:
        conn = _connect(uri, uri=True)
        conn.execute("PRAGMA user_version").fetchone()
        return conn
    except sqlite3.OperationalError as exc:
        if (
            getattr(exc, "sqlite_errorname", "") != "SQLITE_CANTOPEN"
            or not path.is_file()
            or Path(f"{path}-wal").exists()
        ):
            raise
    return _connect(uri + "&immutable=1", uri=True)


def _connect(target: str, *, uri: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(target, timeout=30.0, check_same_thread=False, isolation_level=None, uri=uri)
    conn.row_factory = sqlite3.Row
    return conn


#: Page size of a new cache (an existing one keeps the size it was made with). 16 KiB
#: rather than SQLite's 4 KiB: a first sync of 100,000 threads took 15 % less time and CPU
#: (a quarter of the pages to log, checkpoint and walk while building the indexes), with
#: no measurable cost to the inbox's reads (benchmarks/bench_sync.py, bench_terminal.py).
PAGE_SIZE = 16384


def _pragmas(conn: sqlite3.Connection, *, writable: bool) -> None:
    if writable:
        conn.execute(f"PRAGMA page_size={PAGE_SIZE}")  # before WAL; ignored once the file has tables
        conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA cache_size=-16000")


def _check_version(conn: sqlite3.Connection, path: Path, *, writable: bool) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise CacheError(
            f"{path} was written by a newer o2d-inbox (cache format {version}, this one "
            f"knows {SCHEMA_VERSION}): upgrade o2d-inbox",
            kind="version",
            path=path,
        )
    if not writable and version < SCHEMA_VERSION:
        raise CacheError(
            f"{path} is read-only and needs an update this o2d-inbox cannot write "
            f"(cache format {version} -> {SCHEMA_VERSION}): make the file and its folder "
            "writable and run any o2d-inbox command once",
            kind="read-only",
            path=path,
        )


def _may_write(path: Path) -> bool:
    """False when an existing cache cannot be written: its file, or the folder where SQLite
    keeps the -wal / -shm. (os.access honours chattr +i and read-only mounts, for root too.)"""
    if not path.exists():
        return True  # created below; a failure names the folder
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


def _make_private(path: Path) -> None:
    """Missing folders are made 0700, a new cache file 0600; an existing file (and its side
    files) loses any group / other bits (an older version made them 0644)."""
    missing = []
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, PRIVATE_FILE))
    for name in (str(path), *(f"{path}{s}" for s in SIDE_FILES)):
        restrict(Path(name), PRIVATE_FILE)


def restrict(path: Path, mode: int) -> None:
    """Take away the bits of ``path`` that ``mode`` lacks (never adds any); a file that is not
    ours to change is left as it is."""
    try:
        current = stat.S_IMODE(path.stat().st_mode)
        if current & ~mode:
            path.chmod(current & mode)
    except OSError:
        pass


# --- errors -----------------------------------------------------------------------------------

_READONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}


def cache_error(exc: BaseException, path: str | Path | None = None) -> CacheError | None:
    """``exc`` as a CacheError when it is a fault of the cache file (disk full, read-only,
    damaged, …), else None. ``path`` defaults to the cache this process opened last; an
    OSError counts only when it names that file, a file beside it or a folder above it."""
    if isinstance(exc, CacheError):
        return exc
    target = Path(path) if path is not None else _opened
    where = str(target) if target is not None else "the cache"
    if isinstance(exc, sqlite3.Error):
        kind = fault_kind(exc)
        detail = str(exc) or type(exc).__name__
    elif isinstance(exc, OSError) and _about(exc, target):
        kind = "full" if exc.errno in _FULL_ERRNOS else "read-only" if exc.errno in _READONLY_ERRNOS else "io"
        detail = exc.strerror or str(exc)
        if exc.filename and str(exc.filename) != where:
            detail = f"{exc.filename}: {detail}"
    else:
        return None
    if kind is None:
        return None
    if getattr(exc, "sqlite_errorname", None) == "SQLITE_CORRUPT_VTAB":  # FTS5: a copy of the tables
        return CacheError(
            f"{where}: its search index is damaged ({detail}): run `o2d-inbox cache check`, "
            "which rebuilds it from the cached mail",
            kind="damaged",
            path=target,
        )
    message = {
        "full": f"{where}: the disk is full ({detail}); nothing was saved: free some space and try again",
        "read-only": f"{where} is read-only ({detail}); nothing was saved: make the file and its folder "
        "writable, or use the reading commands (threads, show, search, outbox)",
        "damaged": f"{where} is damaged ({detail}): run `o2d-inbox cache rebuild` (it keeps the outbox's "
        "unsent items; the next sync fetches the rest again)",
        "cannot-open": f"cannot open {where} ({detail}): check that its folder exists and is writable",
        "io": f"{where}: disk I/O error ({detail}): check the disk, then run `o2d-inbox cache check`",
        "busy": f"{where} is busy ({detail}): another program kept it locked; try again",
    }[kind]
    return CacheError(message, kind=kind, path=target)


def fault_kind(exc: sqlite3.Error) -> str | None:
    """Which local fault a SQLite error is (see CacheError.kind), or None for another error."""
    name = getattr(exc, "sqlite_errorname", None) or ""
    for prefix, kind in (
        ("SQLITE_FULL", "full"),
        ("SQLITE_READONLY", "read-only"),
        ("SQLITE_PERM", "read-only"),
        ("SQLITE_CORRUPT", "damaged"),
        ("SQLITE_NOTADB", "damaged"),
        ("SQLITE_CANTOPEN", "cannot-open"),
        ("SQLITE_IOERR", "io"),
        ("SQLITE_BUSY", "busy"),
        ("SQLITE_LOCKED", "busy"),
    ):
        if name.startswith(prefix):
            return kind
    # Raised without a code (by Python code, or an older sqlite3 module): the message says it.
    text = str(exc).lower()
    for words, kind in (
        ("disk is full", "full"),
        ("readonly database", "read-only"),
        ("malformed", "damaged"),
        ("not a database", "damaged"),
        ("unable to open database", "cannot-open"),
        ("disk i/o error", "io"),
        ("database is locked", "busy"),
    ):
        if words in text:
            return kind
    return None


def _about(exc: OSError, target: Path | None) -> bool:
    """Whether an OSError concerns the cache: its file, a file named after it (-wal, .lock, an
    export) or a folder on its way."""
    if target is None or not exc.filename:
        return False
    name = os.path.abspath(os.fsdecode(exc.filename))
    cache = os.path.abspath(target)
    return name.startswith(cache) or cache.startswith(name.rstrip(os.sep) + os.sep)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction on an autocommit connection; joins the caller's when one is open.

    BEGIN IMMEDIATE takes the write lock up front, so a read-then-write inside cannot be
    overtaken by another process; any exception, a failed COMMIT included, rolls the whole
    transaction back and is raised as it was.
    """
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")  # inside: a COMMIT that fails (disk full) is rolled back too
    except BaseException:
        if conn.in_transaction:  # SQLite may have rolled back already (e.g. SQLITE_FULL)
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the original error is the one to report
        raise
