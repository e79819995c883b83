"""Suppression (do-not-contact) knowledge for compose and the unsubscribe flow. Headless.

Two sources, both in the cache so compose can warn offline:
- the outbox: an address in a ``suppress`` item that is queued, in flight or sent
  (``is_suppressed_locally``); a cancelled or failed one does not count;
- the server's answer to ``GET /campaigns/suppressions/status``, cached per address by
  ``refresh_suppression`` (table ``suppression_status``, schema.py).

Addresses compare case-insensitively (stored lower-case).
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

__all__ = [
    "SuppressionState",
    "is_suppressed_locally",
    "cached_suppression",
    "is_suppressed",
    "suppression_warning",
    "suppression_candidates",
    "refresh_suppression",
]

# outbox states in which a suppression counts as made (scheduled: the user asked for it)
_COUNTING_STATES = ("scheduled", "sending", "accepted", "sent")


@dataclass(frozen=True)
class SuppressionState:
    email: str
    suppressed: bool
    reason: str | None
    checked_at: float  # epoch seconds of the server's answer


def _norm(email: str | None) -> str:
    return (email or "").strip().lower()


def is_suppressed_locally(conn: sqlite3.Connection, email: str) -> bool:
    """An outbox suppress item for ``email`` is queued, in flight or sent."""
    address = _norm(email)
    if not address:
        return False
    marks = ",".join("?" * len(_COUNTING_STATES))
    for (payload,) in conn.execute(
        f"SELECT payload FROM outbox WHERE kind = 'suppress' AND state IN ({marks})", _COUNTING_STATES
    ):
        try:
            emails = json.loads(payload).get("emails") or []
        except (ValueError, AttributeError):
            continue
        if any(isinstance(e, str) and _norm(e) == address for e in emails):
            return True
    return False


def cached_suppression(conn: sqlite3.Connection, email: str) -> SuppressionState | None:
    row = conn.execute(
        "SELECT email, suppressed, reason, checked_at FROM suppression_status WHERE email = ?", (_norm(email),)
    ).fetchone()
    if row is None:
        return None
    return SuppressionState(row[0], bool(row[1]), row[2], row[3])


def is_suppressed(conn: sqlite3.Connection, email: str) -> bool:
    """Suppressed as far as the cache knows (our own request, or the server's last answer)."""
    if is_suppressed_locally(conn, email):
        return True
    cached = cached_suppression(conn, email)
    return bool(cached and cached.suppressed)


def suppression_warning(conn: sqlite3.Connection, email: str | None) -> str | None:
    """One line for compose when writing to ``email`` goes against a suppression, else None.
    (Plain text; the address is untrusted: the caller renders it as text, not markup.)"""
    if email is None or not _norm(email):
        return None
    if is_suppressed_locally(conn, email):
        return f"{_norm(email)} asked to be removed: a suppression is queued or sent"
    cached = cached_suppression(conn, email)
    if cached and cached.suppressed:
        why = f" ({cached.reason})" if cached.reason else ""
        return f"{cached.email} is on the suppression list{why}"
    return None


def suppression_candidates(conn: sqlite3.Connection, thread_id: str) -> list[str]:
    """The address(es) to offer for suppression from this thread (its prospect), leaving out
    our own mailboxes and addresses already suppressed by us. Empty when nothing is known."""
    row = conn.execute(
        "SELECT prospect, last_from, needs_reply, mailbox FROM threads WHERE id = ?", (thread_id,)
    ).fetchone()
    if row is None:
        return []
    prospect, last_from, needs, mailbox = tuple(row)
    found: list[str] = []
    if prospect:
        found.append(prospect)
    else:
        found += [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT from_email FROM messages WHERE thread_id = ? AND is_incoming = 1 "
                "AND from_email IS NOT NULL ORDER BY ts",
                (thread_id,),
            )
        ]
        if not found and needs and last_from:
            found.append(last_from)  # the last message is theirs
    ours = {r[0] for r in conn.execute("SELECT address FROM mailboxes")} | {_norm(mailbox)}
    out: list[str] = []
    for address in (_norm(a) for a in found):
        if (
            address
            and "@" in address
            and address not in ours
            and address not in out
            and not is_suppressed_locally(conn, address)
        ):
            out.append(address)
    return out


async def refresh_suppression(
    conn: sqlite3.Connection, client: Any, email: str, *, now: float | None = None
) -> SuppressionState:
    """Ask the server (``client.suppression_status``) and cache the answer. API errors
    propagate (the caller keeps using the cached answer, e.g. offline)."""
    address = _norm(email)
    status = await client.suppression_status(address)
    state = SuppressionState(address, bool(status.suppressed), status.reason, time.time() if now is None else now)
    conn.execute(
        "INSERT INTO suppression_status (email, suppressed, reason, checked_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (email) DO UPDATE SET suppressed = excluded.suppressed, reason = excluded.reason, "
        "checked_at = excluded.checked_at",
        (state.email, int(state.suppressed), state.reason, state.checked_at),
    )
    return state
