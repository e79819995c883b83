"""Checking the cache file and rebuilding it without losing what the user wrote. Headless.

    check(conn) -> Health            quick_check, the schema (a missing index or trigger is
                                     restored) and the search index (rebuilt when broken)
    rebuild(path, *, stamp=None) -> Rebuilt
        a fresh cache at ``path``: the outbox's unsent items and the threads with a local
        state (done, snoozed, note) carried over; the old file kept as <name>.broken-<stamp>;
        when the old file is damaged, what can be read of the outbox is first exported to
        <name>.outbox-<stamp>.json beside it. The next sync fetches everything else again
        (its cursor is not carried over: a full walk).

Everything but the outbox and the local states is a copy of the server's data, so a fresh
cache loses nothing the server does not have. Carried outbox rows keep their ids and
Idempotency-Keys: an item that was sending or accepted is re-sent or polled under the same
key, never sent twice. Sent and cancelled items are history and stay in the old file.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from o2d_inbox.cache.db import (
    PRIVATE_FILE,
    SIDE_FILES,
    cache_error,
    connect_readonly,
    open_db,
    transaction,
)
from o2d_inbox.cache.lock import WriterLock
from o2d_inbox.cache.schema import (
    COUNT_TRIGGERS,
    LOCAL_TRIGGERS,
    RECOUNT_SQL,
    SCHEMA,
    STATS_RECOUNT_SQL,
    STATS_TRIGGERS,
    create_schema,
)
from o2d_inbox.cache.search import rebuild_search_index, search_index_ok

if TYPE_CHECKING:
    from sqlite_utils import Database

#: sync_state key of what a first sync's bulk load set aside (sync/engine.py K_BULK): the
#: walk's end restores it, so it is not missing meanwhile.
_SET_ASIDE_KEY = "bulk_triggers"

#: Outbox states not carried over: done with (the user's text is in the old file regardless).
DROPPED_STATES = ("sent", "cancelled")
_LOCAL_SQL = "local_done = 1 OR local_snoozed_until IS NOT NULL OR local_note IS NOT NULL"
# Columns of a carried thread reset so the next sync treats it as never seen: its messages
# are fetched again and its walk generation is that of the new cache.
_THREAD_RESET = {"messages_fetched_count": None, "walk_gen": 0, "synced_at": None}


@dataclass
class Health:
    problems: list[str] = field(default_factory=list)  # quick_check's findings: damaged when any
    search_rebuilt: bool = False
    missing: list[str] = field(default_factory=list)  # of the schema, e.g. "trigger trg_…"
    restored: list[str] = field(default_factory=list)  # of those, what check() made again

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def summary(self) -> str:
        return summarize(self.problems)

    @property
    def unrepaired(self) -> list[str]:
        """What is still missing of the schema after the check."""
        return [m for m in self.missing if m not in self.restored]


def restorable(missing: list[str]) -> bool:
    """Whether a check can make all of ``missing`` again (indexes and triggers only)."""
    return all(m.split(" ", 1)[0] in ("index", "trigger") for m in missing)


def listed(names: list[str], most: int = 3) -> str:
    """``names`` for a one-line message: the first few, and how many more."""
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def summarize(problems: list[str]) -> str:
    """The first finding, short (quick_check's can run to pages), and how many more."""
    lines = [line.strip() for p in problems for line in p.splitlines() if line.strip()]
    if not lines:
        return "ok"
    first = lines[0] if len(lines[0]) <= 100 else lines[0][:99] + "…"
    return first + (f" and {len(lines) - 1} more" if len(lines) > 1 else "")


def check(conn: sqlite3.Connection, *, search: bool = True) -> Health:
    """``PRAGMA quick_check`` (reads every page: seconds for a large cache) and the schema's
    objects; then (``search``, the repairing check) a missing index or trigger is made again
    and the search index's own check runs: a broken index is rebuilt (it is a copy of the
    tables). A read-only cache repairs nothing: FTS5's check is a write statement."""
    health = Health()
    try:
        found = [row[0] for row in conn.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as exc:
        health.problems.append(str(exc))
        return health
    if found != ["ok"]:
        health.problems += found
        return health
    health.missing = missing_objects(conn)
    if not search:
        return health
    try:
        health.restored = restore_missing(conn, health.missing)
        if not search_index_ok(conn):
            rebuild_search_index(conn)
            health.search_rebuilt = True
    except sqlite3.DatabaseError as exc:
        fault = cache_error(exc)
        if fault is None or fault.kind != "read-only":
            health.problems.append(f"search index: {exc}")
    return health


def _objects(db: Database) -> set[str]:
    """The schema's objects as "kind name" (a table's columns as "column table.name")."""
    found = {f"table {t.name}" for t in db.tables}
    found |= {f"column {t.name}.{c.name}" for t in db.tables for c in t.columns}
    found |= {f"index {i.name}" for t in db.tables for i in t.indexes if i.origin == "c"}
    found |= {f"view {v.name}" for v in db.views}
    found |= {f"trigger {t.name}" for t in db.triggers}
    return found


def missing_objects(conn: sqlite3.Connection) -> list[str]:
    """What the cache lacks of the current schema ("index ix_…", "trigger trg_…", "column
    outbox.accepted_at"), compared with a new cache by sqlite-utils' introspection. What a
    first sync's bulk load set aside is not missing (the walk's end restores it)."""
    from sqlite_utils import Database  # ~145 ms to import: only when a cache is checked

    fresh = sqlite3.connect(":memory:")
    try:
        create_schema(fresh)
        expected = _objects(Database(fresh))
    finally:
        fresh.close()
    found = _objects(Database(conn))
    aside: set[str] = set()
    if "table sync_state" in found:
        row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (_SET_ASIDE_KEY,)).fetchone()
        aside = {name for name, _ in json.loads(row[0])} if row and row[0] else set()
    return sorted(m for m in expected - found if m.split(" ", 1)[1] not in aside)


def restore_missing(conn: sqlite3.Connection, missing: list[str]) -> list[str]:
    """The missing indexes and triggers made again from the schema (view_counts or stats_days
    recounted and the search index rebuilt when theirs were gone); returns what was restored.
    A missing table, view or column is left to ``rebuild``."""
    wanted = {m.split(" ", 1)[1] for m in missing if m.split(" ", 1)[0] in ("index", "trigger")}
    if not wanted:
        return []
    statements = {name: sql for sql in SCHEMA if (name := _created_name(sql)) in wanted}
    with transaction(conn):
        for sql in statements.values():
            conn.execute(sql)
        counted = {_created_name(sql) for sql in (*COUNT_TRIGGERS, *LOCAL_TRIGGERS)}
        if counted & statements.keys():
            conn.execute("DELETE FROM view_counts")
            conn.execute(RECOUNT_SQL)
        if {_created_name(sql) for sql in STATS_TRIGGERS} & statements.keys():
            conn.execute("DELETE FROM stats_days")
            conn.execute(STATS_RECOUNT_SQL)
        if any(name.startswith("trg_search_") for name in statements):
            rebuild_search_index(conn)
    return sorted(m for m in missing if m.split(" ", 1)[1] in statements)


def _created_name(sql: str) -> str:
    """The object a CREATE statement makes (``CREATE [VIRTUAL] TABLE|INDEX|VIEW|TRIGGER
    [IF NOT EXISTS] name …``)."""
    words = sql.split()
    at = 3 if words[1].upper() == "VIRTUAL" else 2
    if [w.upper() for w in words[at : at + 3]] == ["IF", "NOT", "EXISTS"]:
        at += 3
    return words[at]


@dataclass
class Salvage:
    outbox: list[dict] = field(default_factory=list)
    threads: list[dict] = field(default_factory=list)  # whole rows of threads with a local state
    problems: list[str] = field(default_factory=list)  # what could not be read
    outbox_seq: int = 0  # the highest outbox id ever given: new items never reuse an old id


def salvage(conn: sqlite3.Connection) -> Salvage:
    """What can be read of the outbox's unsent items and the local states, row by row when the
    table cannot be read in one go."""
    found = Salvage()
    dropped = ", ".join(f"'{s}'" for s in DROPPED_STATES)
    found.outbox = _readable(conn, "outbox", f"state NOT IN ({dropped})", found.problems)
    found.threads = _readable(conn, "threads", _LOCAL_SQL, found.problems)
    try:
        found.outbox_seq = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()[0]
    except (sqlite3.DatabaseError, TypeError):
        pass  # none yet, or unreadable: the carried ids are the floor
    return found


def _readable(conn: sqlite3.Connection, table: str, where: str, problems: list[str]) -> list[dict]:
    sql = f"SELECT * FROM {table} WHERE ({where})"
    try:
        return [dict(row) for row in conn.execute(sql + " ORDER BY rowid")]
    except sqlite3.DatabaseError as exc:
        problems.append(f"{table}: {exc}")
    top = 0
    for probe in (f"SELECT max(rowid) FROM {table}", f"SELECT seq FROM sqlite_sequence WHERE name = '{table}'"):
        try:
            top = max(top, conn.execute(probe).fetchone()[0] or 0)
        except (sqlite3.DatabaseError, TypeError):
            continue
    rows, lost = [], 0
    for rowid in range(1, top + 1):
        try:
            rows += [dict(row) for row in conn.execute(sql + " AND rowid = ?", (rowid,))]
        except sqlite3.DatabaseError:
            lost += 1
    if lost:
        problems.append(f"{table}: {lost} row(s) unreadable")
    return rows


@dataclass
class Rebuilt:
    path: Path
    broken: Path | None  # where the old file is now (None: there was none)
    export: Path | None  # the outbox export, when the old file was damaged
    outbox: int  # items carried over
    threads: int  # threads with a local state carried over
    problems: list[str]


def rebuild(path: Path, *, stamp: str | None = None) -> Rebuilt:
    """A fresh cache at ``path`` (see the module's docstring). Holds both writer locks, so no
    sync or outbox flush of another o2d-inbox runs meanwhile (raises lock.SyncLocked; the
    inbox's dispatcher holds one while it runs). A local fault raises db.CacheError."""
    stamp = stamp or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    try:
        with WriterLock(path), WriterLock(f"{path}.outbox"):
            found, damaged = _read_old(path)
            export = _export(path, stamp, found) if damaged else None
            fresh = path.with_name(f"{path.name}.rebuilding-{stamp}")
            _write_fresh(fresh, found)
            broken = _swap(path, fresh, stamp)
    except OSError as exc:  # a read-only folder, a full disk: about this cache, named
        raise cache_error(exc, path) or exc from None
    return Rebuilt(path, broken, export, len(found.outbox), len(found.threads), found.problems)


def _read_old(path: Path) -> tuple[Salvage, bool]:
    if not path.exists():
        return Salvage(), False
    try:
        conn = connect_readonly(path)
    except sqlite3.DatabaseError as exc:
        return Salvage(problems=[str(exc)]), True
    try:
        health = check(conn, search=False)
        found = salvage(conn)
        found.problems = health.problems + found.problems
        return found, not health.ok or bool(found.problems)
    finally:
        conn.close()


def _export(path: Path, stamp: str, found: Salvage) -> Path:
    """The readable outbox and local states as JSON beside the cache (0600, written whole)."""
    target = path.with_name(f"{path.name}.outbox-{stamp}.json")
    data = {
        "cache": str(path),
        "outbox": found.outbox,
        "local_states": [
            {k: t.get(k) for k in ("id", "subject", "local_done", "local_snoozed_until", "local_note")}
            for t in found.threads
        ],
        "unreadable": found.problems,
    }
    partial = target.with_name(target.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, PRIVATE_FILE)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out, ensure_ascii=False, indent=1, default=str)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, target)
    return target


def _write_fresh(fresh: Path, found: Salvage) -> None:
    conn = open_db(fresh)
    try:
        with transaction(conn):
            _insert(conn, "threads", [{**row, **_THREAD_RESET} for row in found.threads])
            _insert(conn, "outbox", found.outbox)
            if found.outbox_seq:
                conn.execute(
                    "INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox', 0 WHERE NOT EXISTS "
                    "(SELECT 1 FROM sqlite_sequence WHERE name = 'outbox')"
                )
                conn.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'outbox'", (found.outbox_seq,))
    except BaseException:
        conn.close()
        _remove(fresh)
        raise
    conn.close()  # the last connection: SQLite checkpoints and removes the -wal


def _insert(conn: sqlite3.Connection, table: str, rows: list[dict]) -> None:
    """Rows of the old file, by the columns both files have (an older cache has fewer)."""
    if not rows:
        return
    columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
    names = [c for c in columns if c in rows[0]]
    conn.executemany(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        [[row[c] for c in names] for row in rows],
    )


def _swap(path: Path, fresh: Path, stamp: str) -> Path | None:
    """Old file (and its -wal / -shm, which belong to it alone) to <name>.broken-<stamp>, the
    fresh one into place; the old side files move first so none is ever read with the new file."""
    broken = path.with_name(f"{path.name}.broken-{stamp}")
    moved = None
    for suffix in SIDE_FILES:
        side = Path(f"{path}{suffix}")
        if side.exists():
            os.replace(side, f"{broken}{suffix}")
    if path.exists():
        os.replace(path, broken)
        moved = broken
    os.replace(fresh, path)
    _sync_folder(path.parent)
    return moved


def _sync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    for name in (str(path), *(f"{path}{s}" for s in SIDE_FILES)):
        try:
            os.remove(name)
        except FileNotFoundError:
            pass


__all__ = [
    "DROPPED_STATES",
    "Health",
    "Rebuilt",
    "Salvage",
    "check",
    "listed",
    "missing_objects",
    "rebuild",
    "restorable",
    "restore_missing",
    "salvage",
    "summarize",
]
