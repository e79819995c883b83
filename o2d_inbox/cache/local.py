"""Local states the API lacks: done, snoozed until a time, a private note, read. Headless.

They live in ``threads.local_done`` / ``local_snoozed_until`` (epoch seconds) / ``local_note``,
which sync never writes, so they survive every sync and reconcile (a thread the server no
longer has is deleted with them).

A thread marked done or snoozed is "put away": the 'needs' and 'intent' queues hide it (their
list queries add ``LOCAL_OPEN_SQL``; their counts leave it out, see schema.py, local states) and
the 'done' / 'snoozed' views show it. Done and snoozed exclude each other (setting one clears
the other). A put-away thread comes back by itself when the prospect writes again (a trigger:
the thread grew and needs a reply). A snooze is "current" until ``wake_due`` clears it: the
app calls ``wake_due`` at start, after each sync and when ``next_wake`` says so, so queries and
counts never depend on the clock.

Every write takes many ids and runs in one transaction (or inside the caller's), and returns
a ``LocalChange`` holding the values before, which ``undo_local`` puts back exactly (the
triage mode's undo); ``mark_read`` aside (one thread, opened: nothing to undo).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from o2d_inbox.cache.db import transaction as _transaction
from o2d_inbox.cache.schema import LOCAL_HIDING_KINDS, LOCAL_OPEN_SQL

__all__ = [
    "LOCAL_OPEN_SQL",
    "LOCAL_HIDING_KINDS",
    "LocalChange",
    "LocalState",
    "mark_done",
    "snooze",
    "unsnooze",
    "set_note",
    "get_local",
    "undo_local",
    "wake_due",
    "next_wake",
    "mark_read",
]

_CHUNK = 500  # ids per IN (...), well under SQLite's variable limit
_FIELDS = ("local_done", "local_snoozed_until", "local_note")


@dataclass(frozen=True)
class LocalState:
    done: bool
    snoozed_until: datetime | None  # aware UTC
    note: str | None


@dataclass(frozen=True)
class LocalChange:
    """What one action changed: ``before`` holds, per thread, the ``fields`` as they were."""

    action: str  # 'done' | 'undone' | 'snooze' | 'unsnooze' | 'note'
    fields: tuple[str, ...]
    before: tuple[tuple[str, tuple], ...]  # (thread id, values of ``fields``)

    @property
    def thread_ids(self) -> list[str]:
        return [tid for tid, _ in self.before]

    def __len__(self) -> int:
        return len(self.before)

    @property
    def summary(self) -> str:
        """A notice line, e.g. "3 threads marked done"."""
        n = len(self.before)
        what = "1 thread" if n == 1 else f"{n} threads"
        return f"{what} {_LABELS.get(self.action, self.action)}"


_LABELS = {
    "done": "marked done",
    "undone": "marked not done",
    "snooze": "snoozed",
    "unsnooze": "unsnoozed",
    "note": "note saved",
    "unread": "marked unread",
}


def _chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def _unique(ids: Iterable[str] | str) -> list[str]:
    if isinstance(ids, str):
        ids = [ids]
    return list(dict.fromkeys(ids))


def _epoch(when: datetime) -> int:
    if when.tzinfo is None:
        raise ValueError("an aware datetime is needed (local time is ambiguous)")
    return int(when.timestamp())


def _change(
    conn: sqlite3.Connection, action: str, ids: Iterable[str] | str, assignments: dict[str, object]
) -> LocalChange:
    """Set ``assignments`` on the threads ``ids`` that exist, remembering their values before."""
    wanted = _unique(ids)
    fields = tuple(assignments)
    before: list[tuple[str, tuple]] = []
    sets = ", ".join(f"{f} = ?" for f in fields)
    with _transaction(conn):
        for chunk in _chunks(wanted):
            marks = ",".join("?" * len(chunk))
            found = {
                r[0]: tuple(r[1:])
                for r in conn.execute(f"SELECT id, {', '.join(fields)} FROM threads WHERE id IN ({marks})", chunk)
            }
            before.extend((tid, found[tid]) for tid in chunk if tid in found)
            conn.execute(f"UPDATE threads SET {sets} WHERE id IN ({marks})", (*assignments.values(), *chunk))
    return LocalChange(action, fields, tuple(before))


def mark_done(
    conn: sqlite3.Connection, thread_ids: Iterable[str] | str, done: bool = True, *, now: datetime | None = None
) -> LocalChange:
    """Mark threads done (or not done); done clears a snooze. ``now`` is accepted for a
    uniform call shape and unused: done carries no time."""
    del now
    if done:
        return _change(conn, "done", thread_ids, {"local_done": 1, "local_snoozed_until": None})
    return _change(conn, "undone", thread_ids, {"local_done": 0})


def snooze(conn: sqlite3.Connection, thread_ids: Iterable[str] | str, until: datetime) -> LocalChange:
    """Put threads away until ``until`` (aware); clears done."""
    return _change(conn, "snooze", thread_ids, {"local_snoozed_until": _epoch(until), "local_done": 0})


def unsnooze(conn: sqlite3.Connection, thread_ids: Iterable[str] | str) -> LocalChange:
    return _change(conn, "unsnooze", thread_ids, {"local_snoozed_until": None})


def set_note(conn: sqlite3.Connection, thread_id: str, text: str | None) -> LocalChange:
    """The thread's private note; None or blank removes it (trailing blanks are dropped)."""
    note = text.rstrip() if text is not None else None
    return _change(conn, "note", [thread_id], {"local_note": note or None})


def mark_unread(conn: sqlite3.Connection, thread_ids: Iterable[str] | str) -> LocalChange:
    """Threads show as unread again (to come back to them); undo_local restores read."""
    return _change(conn, "unread", thread_ids, {"unread": 1})


def get_local(conn: sqlite3.Connection, thread_id: str) -> LocalState | None:
    row = conn.execute(
        "SELECT local_done, local_snoozed_until, local_note FROM threads WHERE id = ?", (thread_id,)
    ).fetchone()
    if row is None:
        return None
    until = datetime.fromtimestamp(row[1], timezone.utc) if row[1] is not None else None
    return LocalState(done=bool(row[0]), snoozed_until=until, note=row[2])


def undo_local(conn: sqlite3.Connection, change: LocalChange) -> int:
    """Put back the values ``change`` replaced (only its fields; threads gone since are
    skipped). Returns the number of threads restored."""
    sets = ", ".join(f"{f} = ?" for f in change.fields)
    restored = 0
    with _transaction(conn):
        for tid, values in change.before:
            restored += conn.execute(f"UPDATE threads SET {sets} WHERE id = ?", (*values, tid)).rowcount
    return restored


def wake_due(conn: sqlite3.Connection, now: datetime) -> int:
    """Snoozes that have expired by ``now`` end: the thread is back in its queues, unread.
    Returns how many woke."""
    with _transaction(conn):
        return conn.execute(
            "UPDATE threads SET local_snoozed_until = NULL, unread = 1 "
            "WHERE local_snoozed_until IS NOT NULL AND local_snoozed_until <= ?",
            (_epoch(now),),
        ).rowcount


def next_wake(conn: sqlite3.Connection) -> datetime | None:
    """When the earliest snooze ends (for the app's timer), None when nothing is snoozed."""
    row = conn.execute("SELECT min(local_snoozed_until) FROM threads WHERE local_snoozed_until IS NOT NULL").fetchone()
    return datetime.fromtimestamp(row[0], timezone.utc) if row and row[0] is not None else None


def mark_read(conn: sqlite3.Connection, thread_id: str) -> None:
    """The user opened the thread (``unread`` is ours too: sync sets it again when the
    conversation moves on)."""
    conn.execute("UPDATE threads SET unread = 0 WHERE id = ? AND unread != 0", (thread_id,))
