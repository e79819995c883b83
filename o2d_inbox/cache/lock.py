"""One writer per cache: an advisory ``fcntl.flock`` on ``<cache>.lock``.

SQLite already serialises single transactions; this lock keeps two *sync walks* (two
o2d-inbox processes, or a TUI and a cron ``o2d-inbox sync``) from interleaving their
cursors and generations. flock locks belong to an open file description, so two engines in
one process exclude each other too, and the kernel drops the lock when a process dies
(SIGKILL included): there is never a stale lock to clean up.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from pathlib import Path


class SyncLocked(Exception):
    """Another o2d-inbox holds this cache's writer lock."""

    exit_code = 1

    def __init__(self, message: str = "another o2d-inbox is syncing this cache") -> None:
        super().__init__(message)


def db_path(conn: sqlite3.Connection) -> str:
    """The main database's file path ('' for :memory: or a temporary database)."""
    for row in conn.execute("PRAGMA database_list"):
        if row[1] == "main":
            return row[2] or ""
    return ""


class WriterLock:
    """Non-blocking exclusive lock for one cache path; a no-op for in-memory databases."""

    def __init__(self, cache_path: str | Path) -> None:
        self.path = f"{cache_path}.lock" if str(cache_path) else ""
        self._fd: int | None = None

    @classmethod
    def for_connection(cls, conn: sqlite3.Connection) -> WriterLock:
        return cls(db_path(conn))

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        if self._fd is not None or not self.path:
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SyncLocked() from None
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
