"""Opening the cache: WAL, pragmas, ensure-schema. One function, used by every layer."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from o2d_inbox.store.schema import ensure_schema


def open_db(path: str | Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open (creating if needed) the cache at ``path`` with the schema ensured.

    ``":memory:"`` works for tests. Rows come back as sqlite3.Row.
    """
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30.0, check_same_thread=False, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA cache_size=-16000")
    if not readonly:
        ensure_schema(conn)
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction on an autocommit connection; joins the caller's when one is open.

    BEGIN IMMEDIATE takes the write lock up front, so a read-then-write inside cannot be
    overtaken by another process; any exception rolls the whole transaction back.
    """
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
