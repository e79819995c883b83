"""The durable outbox: every mutation is a row here before it is a request.

A row is written, with its Idempotency-Key (uuid4) chosen at that moment and its request
body stored verbatim as JSON, in one committed transaction. Only then does the dispatcher
(outbox/dispatcher.py) send it, always with that key and that body, however many times it
has to try. A crash, a timeout or a restart therefore re-sends the same request and the
server replays its first answer instead of acting twice.

States::

    draft ──schedule──▶ scheduled ──(send_after passed, or flush)──▶ sending ──▶ accepted ──▶ sent
      ▲                   │  │                                       │   (has operation_id)  │
      └──────undo─────────┘  └─cancel─▶ cancelled                    └──────────┴──────────▶ failed
                                                                                 retry ─▶ scheduled

- ``scheduled`` rows wait for ``send_after`` (the undo window; headless commands use 0).
- ``sending`` is committed *before* the network call; a row found in ``sending`` after a
  crash is re-sent with the same key.
- ``accepted``: the server answered with an operation_id; the dispatcher polls it until final.
- ``undo`` works while a row is ``scheduled`` (nothing has left the machine): a message goes
  back to ``draft``, an intent override is cancelled and the thread's intent reverted.

The sender (``fromMailboxAddress``): a reply or forward goes out from its thread's own
mailbox, or from the one the user named (``--from``, compose's From); the configured
``from_mailbox`` is the default of *new* messages only (the command line passes it in), and a
new message with no sender is refused here. When the thread's mailbox is not known yet the row
is queued without one; the dispatcher learns it before the first request and writes it into the
stored body in the transaction that marks the row ``sending``, so no request ever leaves
without a sender, and every re-send of that key carries the same body. Until it is learned the
row waits in ``scheduled`` with ``last_error`` starting ``WAITING_FOR_MAILBOX``.

Intent overrides are optimistic: ``threads.reply_intent`` changes at once and the value
before is kept in ``prev_value``. A revert (undo, cancel, or a rejection by the server) puts
``prev_value`` back only if the thread still shows our value, so it never clobbers a newer
change. The sync engine leaves ``reply_intent`` alone while a thread has an intent row in
``scheduled``/``sending``/``accepted`` (``INTENT_IN_FLIGHT``), and view_counts follow
``threads`` through triggers (schema.py COUNT_TRIGGERS), so nothing else needs refreshing.

Every function here is synchronous, takes an autocommit sqlite3.Connection (cache.db.open_db)
and runs its writes in one ``BEGIN IMMEDIATE`` transaction, so several processes (the TUI
and a CLI ``outbox flush``) can share the cache.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from o2d_inbox.cache.db import transaction  # re-exported for the dispatcher
from o2d_inbox.cache.writes import known_mailboxes
from o2d_inbox.render.compose import clean_body, text_to_html

__all__ = [
    "OutboxItem",
    "OutboxRefused",
    "STATES",
    "FINAL_STATES",
    "ACTIVE_STATES",
    "INTENT_IN_FLIGHT",
    "KINDS",
    "queue_reply",
    "queue_forward",
    "queue_new",
    "queue_intent",
    "queue_suppress",
    "save_draft",
    "schedule_draft",
    "undo",
    "cancel",
    "retry",
    "edit",
    "reopen",
    "get",
    "list_items",
    "pending_for_thread",
    "counts",
    "reply_refusal",
    "revert_intent",
    "transaction",
    "new_key",
    "thread_sender",
    "no_sender_refusal",
    "encode_payload",
    "WAITING_FOR_MAILBOX",
    "SENDER_KINDS",
]

STATES = ("draft", "scheduled", "sending", "accepted", "sent", "failed", "cancelled")
FINAL_STATES = frozenset({"sent", "failed", "cancelled"})
# Rows the dispatcher still has to act on (drafts are the user's, not the dispatcher's).
ACTIVE_STATES = ("scheduled", "sending", "accepted")
INTENT_IN_FLIGHT = ACTIVE_STATES
KINDS = ("reply", "forward", "new", "intent", "suppress")
MESSAGE_KINDS = frozenset({"reply", "forward", "new"})
#: kinds whose sender is their thread's own mailbox unless the user named one
SENDER_KINDS = frozenset({"reply", "forward"})
#: last_error of a scheduled reply/forward whose thread's mailbox is not known yet
WAITING_FOR_MAILBOX = "waiting for the thread's mailbox"

# last_error of a row the dispatcher gave up on after transient errors (max_attempts). The
# server may have performed such a request, so retry() keeps its key (see retry()).
GAVE_UP_PREFIX = "gave up after"


class OutboxRefused(ValueError):
    """The mutation is not queued; the message is one line for the user."""


@dataclass
class OutboxItem:
    id: int
    kind: str
    thread_id: str | None
    state: str
    idempotency_key: str
    payload: dict[str, Any]
    prev_value: str | None
    created_at: float
    updated_at: float
    send_after: float | None
    next_attempt_at: float | None
    attempts: int
    last_error: str | None
    operation_id: str | None
    operation_status: str | None
    server_message_id: str | None
    server_thread_id: str | None
    accepted_at: float | None = None  # when the server accepted it (migration 10)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> OutboxItem:
        data = dict(row)
        data["payload"] = json.loads(data["payload"]) if data["payload"] else {}
        return cls(**data)

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def waiting(self) -> str | None:
        """Why a queued item is held back before its first request (e.g. its thread's
        mailbox is not known yet), or None."""
        if self.state == "scheduled" and (self.last_error or "").startswith(WAITING_FOR_MAILBOX):
            return self.last_error
        return None

    @property
    def sender(self) -> str | None:
        return self.payload.get("fromMailboxAddress")

    @property
    def recipient(self) -> str | None:
        """The address a forward / new message goes to (None for replies and intents)."""
        return self.payload.get("toAddress")

    @property
    def summary(self) -> str:
        """A short plain-text description, e.g. for a notice or the CLI listing."""
        p = self.payload
        if self.kind == "intent":
            return f"intent → {p.get('replyIntent') or 'unclassified'}"
        if self.kind == "new":
            return f"new to {p.get('toAddress')}: {p.get('subject') or ''}"
        if self.kind == "forward":
            return f"forward to {p.get('toAddress')}"
        if self.kind == "suppress":
            return "suppress " + ", ".join(p.get("emails") or [])
        first = (p.get("bodyText") or "").strip().split("\n", 1)[0]
        return f"reply: {first[:60]}"


def new_key() -> str:
    return str(uuid.uuid4())


def _now(now: float | None) -> float:
    return time.time() if now is None else float(now)


def encode_payload(payload: dict[str, Any]) -> str:
    """A payload as stored in the outbox row."""
    # Stored verbatim and re-sent verbatim; sorted keys make equal payloads equal text.
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _get(conn: sqlite3.Connection, item_id: int) -> OutboxItem | None:
    row = conn.execute("SELECT * FROM outbox WHERE id = ?", (item_id,)).fetchone()
    return OutboxItem.from_row(row) if row else None


def get(conn: sqlite3.Connection, item_id: int) -> OutboxItem | None:
    return _get(conn, item_id)


def _insert(
    conn: sqlite3.Connection,
    *,
    kind: str,
    thread_id: str | None,
    state: str,
    payload: dict[str, Any],
    now: float,
    send_after: float | None,
    prev_value: str | None = None,
) -> int:
    cur = conn.execute(
        "INSERT INTO outbox (kind, thread_id, state, idempotency_key, payload, prev_value,"
        " created_at, updated_at, send_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (kind, thread_id, state, new_key(), encode_payload(payload), prev_value, now, now, send_after),
    )
    assert cur.lastrowid is not None  # set by every INSERT
    return cur.lastrowid


def _thread(conn: sqlite3.Connection, thread_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT id, mailbox, reply_intent FROM threads WHERE id = ?", (thread_id,)).fetchone()


def _message_payload(body_text: str | None, from_mailbox: str | None, **extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = dict(extra)
    text = clean_body(body_text)
    if body_text is not None:
        payload["bodyText"] = text
        html = text_to_html(text)
        if html:
            payload["bodyHtml"] = html
    if from_mailbox:
        payload["fromMailboxAddress"] = from_mailbox
    return payload


def thread_sender(conn: sqlite3.Connection, thread_id: str | None) -> str | None:
    """The thread's own mailbox as the cache knows it (None while unknown)."""
    row = _thread(conn, thread_id) if thread_id is not None else None
    return row["mailbox"] if row is not None and row["mailbox"] else None


def no_sender_refusal(conn: sqlite3.Connection) -> str:
    """One line: a new message has no sender; which mailboxes are known."""
    known = sorted(known_mailboxes(conn))
    listed = ", ".join(known[:10]) + (f", … ({len(known)} in all)" if len(known) > 10 else "")
    return "a new message needs a sender: pass --from M or set from_mailbox in config.toml" + (
        f" (known mailboxes: {listed})" if known else " (no mailbox is known yet; a sync learns them)"
    )


def reply_refusal(conn: sqlite3.Connection, thread_id: str) -> str | None:
    """Why a reply to this thread should not be sent without an explicit override, or None.

    A prospect who asked to be unsubscribed must not get another message by accident."""
    row = _thread(conn, thread_id)
    if row is not None and (row["reply_intent"] or "").lower() == "unsubscribe":
        return f"thread {thread_id}: the recipient asked to unsubscribe (reply intent 'unsubscribe')"
    return None


def _schedule_at(now: float, undo_seconds: float) -> float:
    return now + max(0.0, float(undo_seconds))


def queue_reply(
    conn: sqlite3.Connection,
    thread_id: str,
    body_text: str,
    *,
    from_mailbox: str | None = None,
    undo_seconds: float = 10,
    now: float | None = None,
    force: bool = False,
) -> OutboxItem:
    """Queue a reply. The sender is ``from_mailbox`` (the user's choice), else the thread's
    own mailbox; when neither is known yet the dispatcher learns it before sending.

    Raises OutboxRefused for an empty body, or (unless ``force``) when the recipient
    unsubscribed."""
    if not clean_body(body_text).strip():
        raise OutboxRefused("the reply body is empty")
    now = _now(now)
    with transaction(conn):
        if not force and (reason := reply_refusal(conn, thread_id)):
            raise OutboxRefused(reason)
        sender = from_mailbox or thread_sender(conn, thread_id)
        item_id = _insert(
            conn,
            kind="reply",
            thread_id=thread_id,
            state="scheduled",
            payload=_message_payload(body_text, sender),
            now=now,
            send_after=_schedule_at(now, undo_seconds),
        )
    return _get(conn, item_id)  # type: ignore[return-value]


def queue_forward(
    conn: sqlite3.Connection,
    thread_id: str,
    to: str,
    body_text: str | None = None,
    *,
    from_mailbox: str | None = None,
    undo_seconds: float = 10,
    now: float | None = None,
) -> OutboxItem:
    """Queue a forward; the sender as for a reply (never the configured default)."""
    to = (to or "").strip()
    if not to:
        raise OutboxRefused("a forward needs a recipient (--to)")
    now = _now(now)
    with transaction(conn):
        sender = from_mailbox or thread_sender(conn, thread_id)
        body = body_text if body_text and clean_body(body_text).strip() else None
        item_id = _insert(
            conn,
            kind="forward",
            thread_id=thread_id,
            state="scheduled",
            payload=_message_payload(body, sender, toAddress=to),
            now=now,
            send_after=_schedule_at(now, undo_seconds),
        )
    return _get(conn, item_id)  # type: ignore[return-value]


def queue_new(
    conn: sqlite3.Connection,
    to: str,
    subject: str,
    body_text: str,
    *,
    from_mailbox: str | None = None,
    default_from: str | None = None,
    undo_seconds: float = 10,
    now: float | None = None,
) -> OutboxItem:
    """Queue a new message from ``from_mailbox``, else ``default_from`` (the config's
    from_mailbox); refused when neither is given (there is no thread to learn one from)."""
    to = (to or "").strip()
    if not to:
        raise OutboxRefused("a new message needs a recipient (--to)")
    if not clean_body(body_text).strip():
        raise OutboxRefused("the message body is empty")
    sender = (from_mailbox or default_from or "").strip()
    if not sender:
        raise OutboxRefused(no_sender_refusal(conn))
    now = _now(now)
    subject = " ".join(clean_body(subject).split())
    with transaction(conn):
        item_id = _insert(
            conn,
            kind="new",
            thread_id=None,
            state="scheduled",
            payload=_message_payload(body_text, sender, toAddress=to, subject=subject),
            now=now,
            send_after=_schedule_at(now, undo_seconds),
        )
    return _get(conn, item_id)  # type: ignore[return-value]


def _set_intent(conn: sqlite3.Connection, thread_id: str, value: str | None) -> None:
    conn.execute("UPDATE threads SET reply_intent = ? WHERE id = ?", (value, thread_id))


def revert_intent(conn: sqlite3.Connection, item: OutboxItem) -> None:
    """Put prev_value back, but only while the thread still shows this item's value (inside
    the caller's transaction)."""
    ours = item.payload.get("replyIntent")
    conn.execute(
        "UPDATE threads SET reply_intent = ? WHERE id = ? AND reply_intent IS ?",
        (item.prev_value, item.thread_id, ours),
    )


def queue_intent(
    conn: sqlite3.Connection, thread_id: str, intent: str, *, undo_seconds: float = 10, now: float | None = None
) -> OutboxItem:
    """Override a thread's reply intent, optimistically: the cache shows it at once.

    A still-scheduled override of the same thread is replaced (its prev_value carried over),
    so changing one's mind inside the undo window sends one PATCH, and undo goes back to
    what the server had."""
    intent = (intent or "").strip()
    if not intent:
        raise OutboxRefused("no intent given")
    # 'unclassified' clears the classification: NULL in the cache, {"replyIntent": null} on the wire
    value: str | None = None if intent.lower() == "unclassified" else intent
    now = _now(now)
    with transaction(conn):
        row = _thread(conn, thread_id)
        prev = row["reply_intent"] if row is not None else None
        earlier = conn.execute(
            "SELECT * FROM outbox WHERE kind = 'intent' AND thread_id = ? AND state = 'scheduled'"
            " ORDER BY id DESC LIMIT 1",
            (thread_id,),
        ).fetchone()
        if earlier is not None:
            prev = earlier["prev_value"]
            conn.execute(
                "UPDATE outbox SET state = 'cancelled', updated_at = ?,"
                " last_error = 'replaced by a newer override' WHERE id = ?",
                (now, earlier["id"]),
            )
        _set_intent(conn, thread_id, value)
        item_id = _insert(
            conn,
            kind="intent",
            thread_id=thread_id,
            state="scheduled",
            payload={"replyIntent": value},
            now=now,
            send_after=_schedule_at(now, undo_seconds),
            prev_value=prev,
        )
    return _get(conn, item_id)  # type: ignore[return-value]


def queue_suppress(
    conn: sqlite3.Connection,
    emails: Iterable[str],
    reason: str | None = None,
    *,
    thread_id: str | None = None,
    undo_seconds: float = 0,
    now: float | None = None,
) -> OutboxItem:
    """Queue POST /campaigns/suppressions (thread_id only orders it after that thread's items)."""
    emails = [e.strip() for e in emails if e and e.strip()]
    if not emails:
        raise OutboxRefused("no address to suppress")
    payload: dict[str, Any] = {"emails": emails}
    if reason:
        payload["reason"] = reason
    now = _now(now)
    with transaction(conn):
        item_id = _insert(
            conn,
            kind="suppress",
            thread_id=thread_id,
            state="scheduled",
            payload=payload,
            now=now,
            send_after=_schedule_at(now, undo_seconds),
        )
    return _get(conn, item_id)  # type: ignore[return-value]


def save_draft(
    conn: sqlite3.Connection,
    kind: str,
    thread_id: str | None,
    payload: dict[str, Any],
    *,
    draft_id: int | None = None,
    now: float | None = None,
) -> OutboxItem:
    """Create a draft, or replace the payload of draft ``draft_id``. ``payload`` is the
    request body (bodyText/bodyHtml/toAddress/subject/fromMailboxAddress as on the wire);
    when it has bodyText but no bodyHtml, the HTML is derived here.

    Editing a draft gives it a fresh Idempotency-Key: a key belongs to one body."""
    if kind not in MESSAGE_KINDS:
        raise OutboxRefused(f"cannot draft a {kind!r}")
    payload = dict(payload)
    if payload.get("bodyText") is not None:
        payload["bodyText"] = clean_body(payload["bodyText"])
        if not payload.get("bodyHtml"):
            html = text_to_html(payload["bodyText"])
            if html:
                payload["bodyHtml"] = html
            else:
                payload.pop("bodyHtml", None)
    now = _now(now)
    with transaction(conn):
        if draft_id is None:
            draft_id = _insert(
                conn, kind=kind, thread_id=thread_id, state="draft", payload=payload, now=now, send_after=None
            )
        else:
            cur = conn.execute(
                "UPDATE outbox SET payload = ?, idempotency_key = ?, updated_at = ?, kind = ?,"
                " thread_id = ? WHERE id = ? AND state = 'draft'",
                (encode_payload(payload), new_key(), now, kind, thread_id, draft_id),
            )
            if cur.rowcount == 0:
                raise OutboxRefused(f"outbox item {draft_id} is not a draft any more")
    return _get(conn, draft_id)  # type: ignore[return-value]


def schedule_draft(
    conn: sqlite3.Connection, item_id: int, undo_seconds: float = 10, now: float | None = None
) -> OutboxItem:
    """A draft becomes a scheduled message (sent when the undo window has passed)."""
    now = _now(now)
    with transaction(conn):
        item = _get(conn, item_id)
        if item is None or item.state != "draft":
            raise OutboxRefused(f"outbox item {item_id} is not a draft")
        p = item.payload
        if item.kind in ("reply", "new") and not (p.get("bodyText") or "").strip():
            raise OutboxRefused("the message body is empty")
        if item.kind in ("forward", "new") and not (p.get("toAddress") or "").strip():
            raise OutboxRefused("the message has no recipient")
        if item.kind == "new" and not (p.get("fromMailboxAddress") or "").strip():
            raise OutboxRefused(no_sender_refusal(conn))
        conn.execute(
            "UPDATE outbox SET state = 'scheduled', send_after = ?, updated_at = ?,"
            " next_attempt_at = NULL, last_error = NULL WHERE id = ?",
            (_schedule_at(now, undo_seconds), now, item_id),
        )
    return _get(conn, item_id)  # type: ignore[return-value]


def undo(conn: sqlite3.Connection, item_id: int, now: float | None = None) -> OutboxItem | None:
    """Take back a scheduled item. A message returns to 'draft' (to edit or discard); an
    intent override is cancelled and the thread's intent reverted. None when it is too late
    (the dispatcher has started sending) or the item is unknown."""
    now = _now(now)
    with transaction(conn):
        item = _get(conn, item_id)
        if item is None or item.state != "scheduled":
            return None
        if item.kind == "intent":
            conn.execute(
                "UPDATE outbox SET state = 'cancelled', updated_at = ?, last_error = 'undone' WHERE id = ?",
                (now, item_id),
            )
            revert_intent(conn, item)
        elif item.kind in MESSAGE_KINDS:
            conn.execute(
                "UPDATE outbox SET state = 'draft', send_after = NULL, updated_at = ? WHERE id = ?", (now, item_id)
            )
        else:
            conn.execute("UPDATE outbox SET state = 'cancelled', updated_at = ? WHERE id = ?", (now, item_id))
    return _get(conn, item_id)


def cancel(conn: sqlite3.Connection, item_id: int, now: float | None = None) -> OutboxItem | None:
    """Discard a draft, a scheduled item or a failed one. None when it cannot be cancelled
    any more (sending / accepted: it may already be at the server) or is unknown."""
    now = _now(now)
    with transaction(conn):
        item = _get(conn, item_id)
        if item is None or item.state not in ("draft", "scheduled", "failed"):
            return None
        conn.execute("UPDATE outbox SET state = 'cancelled', updated_at = ? WHERE id = ?", (now, item_id))
        if item.kind == "intent" and item.state == "scheduled":
            revert_intent(conn, item)
    return _get(conn, item_id)


def retry(conn: sqlite3.Connection, item_id: int, now: float | None = None) -> OutboxItem | None:
    """Send a failed item again, now. None unless it is 'failed'.

    The key is kept when the dispatcher only gave up on transient errors (the server may
    have performed the request: the same key lets it replay instead of acting twice). When
    the server itself said no (a 4xx, a 409, or a failed operation), the old key is spent
    (the server would replay that answer), so the retry gets a new one."""
    now = _now(now)
    with transaction(conn):
        item = _get(conn, item_id)
        if item is None or item.state != "failed":
            return None
        gave_up = (item.last_error or "").startswith(GAVE_UP_PREFIX) and not item.operation_id
        key = item.idempotency_key if gave_up else new_key()
        prev = item.prev_value
        if item.kind == "intent" and item.thread_id is not None:
            # the failure reverted the optimistic value; show it again
            row = _thread(conn, item.thread_id)
            prev = row["reply_intent"] if row is not None else prev
            _set_intent(conn, item.thread_id, item.payload.get("replyIntent"))
        conn.execute(
            "UPDATE outbox SET state = 'scheduled', idempotency_key = ?, prev_value = ?,"
            " send_after = ?, next_attempt_at = NULL, attempts = 0, last_error = NULL,"
            " operation_id = NULL, operation_status = NULL, updated_at = ? WHERE id = ?",
            (key, prev, now, now, item_id),
        )
    return _get(conn, item_id)


def edit(
    conn: sqlite3.Connection,
    item_id: int,
    *,
    body_text: str | None = None,
    from_mailbox: str | None = None,
    now: float | None = None,
) -> OutboxItem:
    """Mend a message the server does not have: a new body (``body_text``) and/or sender
    (``from_mailbox``). A draft stays a draft; a queued or failed one is queued again (sent
    at once by a flush). The changed body gets a fresh Idempotency-Key (a key belongs to one
    body; a failed one's was spent on the server's "no"). Raises OutboxRefused (one line)."""
    now = _now(now)
    with transaction(conn):
        item = _get(conn, item_id)
        if item is None:
            raise OutboxRefused(f"no outbox item #{item_id}")
        if item.kind not in MESSAGE_KINDS:
            raise OutboxRefused(
                f"#{item_id} is an {item.kind} item: only a reply, forward or new message can be edited"
            )
        if item.state not in ("draft", "scheduled", "failed"):
            raise OutboxRefused(f"cannot edit #{item_id}: it is {item.state} (the server may have it already)")
        payload = dict(item.payload)
        if body_text is not None:
            text = clean_body(body_text)
            if not text.strip() and item.kind != "forward":
                raise OutboxRefused("the message body is empty")
            payload.pop("bodyText", None)
            payload.pop("bodyHtml", None)
            payload.update(_message_payload(text if text.strip() else None, None))
        if from_mailbox is not None:
            sender = from_mailbox.strip()
            if "@" not in sender or any(c.isspace() for c in sender):
                raise OutboxRefused(f"not a mailbox address: {from_mailbox!r}")
            payload["fromMailboxAddress"] = sender
        if payload == item.payload:
            return item
        state, send_after = ("draft", None) if item.state == "draft" else ("scheduled", now)
        if item.state == "scheduled" and item.send_after is not None:
            send_after = max(now, item.send_after)  # an undo window still running keeps going
        conn.execute(
            "UPDATE outbox SET payload = ?, idempotency_key = ?, state = ?, send_after = ?,"
            " next_attempt_at = NULL, attempts = 0, last_error = NULL, operation_id = NULL,"
            " operation_status = NULL, updated_at = ? WHERE id = ?",
            (encode_payload(payload), new_key(), state, send_after, now, item_id),
        )
    return _get(conn, item_id)  # type: ignore[return-value]


def reopen(conn: sqlite3.Connection, item_id: int, now: float | None = None) -> OutboxItem | None:
    """A failed message back to 'draft', to be mended in compose and sent again (its next
    key is fresh, as for any edited draft). None unless it is a failed message."""
    now = _now(now)
    with transaction(conn):
        item = _get(conn, item_id)
        if item is None or item.state != "failed" or item.kind not in MESSAGE_KINDS:
            return None
        conn.execute(
            "UPDATE outbox SET state = 'draft', idempotency_key = ?, send_after = NULL,"
            " next_attempt_at = NULL, attempts = 0, last_error = NULL, operation_id = NULL,"
            " operation_status = NULL, updated_at = ? WHERE id = ?",
            (new_key(), now, item_id),
        )
    return _get(conn, item_id)


def list_items(
    conn: sqlite3.Connection, states: Iterable[str] | None = None, *, limit: int | None = None
) -> list[OutboxItem]:
    """Outbox rows, oldest first, optionally only those in ``states``."""
    sql, params = "SELECT * FROM outbox", list[object]()
    if states is not None:
        states = list(states)
        sql += f" WHERE state IN ({','.join('?' * len(states))})"
        params.extend(states)
    sql += " ORDER BY id"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    return [OutboxItem.from_row(r) for r in conn.execute(sql, params)]


def pending_for_thread(conn: sqlite3.Connection, thread_id: str) -> list[OutboxItem]:
    """What the thread view shows under the conversation: every item of the thread that is
    neither sent nor cancelled (drafts, queued, in flight, failed), oldest first."""
    rows = conn.execute(
        "SELECT * FROM outbox WHERE thread_id = ? AND state NOT IN ('sent', 'cancelled') ORDER BY id", (thread_id,)
    )
    return [OutboxItem.from_row(r) for r in rows]


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    """state -> number of rows, every state present (0 when none)."""
    out = dict.fromkeys(STATES, 0)
    for state, n in conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state"):
        out[state] = n
    return out


def newest_id(conn: sqlite3.Connection) -> int:
    """The highest item id so far (0 for an empty outbox): items queued later have higher ids."""
    return conn.execute("SELECT max(id) FROM outbox").fetchone()[0] or 0


def latest_scheduled(conn: sqlite3.Connection) -> OutboxItem | None:
    """The newest item still waiting to be sent (inside or past its undo window): what undo
    takes back first."""
    row = conn.execute("SELECT * FROM outbox WHERE state = 'scheduled' ORDER BY id DESC LIMIT 1").fetchone()
    return OutboxItem.from_row(row) if row else None


def to_send_count(conn: sqlite3.Connection) -> int:
    """Items that will still be sent without the user doing anything (queued, sending, or
    accepted and not final yet): what "outbox N pending" counts. Drafts are the user's
    unfinished writing and failed items wait for a retry, so neither is counted."""
    marks = ",".join("?" * len(ACTIVE_STATES))
    return conn.execute(f"SELECT COUNT(*) FROM outbox WHERE state IN ({marks})", ACTIVE_STATES).fetchone()[0]


def in_undo_window(conn: sqlite3.Connection, now: float | None = None) -> list[OutboxItem]:
    """Queued items whose undo window is still running at ``now``, oldest first: what
    quitting would otherwise leave unsent until the next launch."""
    rows = conn.execute("SELECT * FROM outbox WHERE state = 'scheduled' AND send_after > ? ORDER BY id", (_now(now),))
    return [OutboxItem.from_row(r) for r in rows]


def send_now(conn: sqlite3.Connection, item_ids: Iterable[int], now: float | None = None) -> int:
    """End the undo window of these queued items: the dispatcher sends them on its next
    pass. Returns how many were still queued."""
    now = _now(now)
    ids = list(item_ids)
    if not ids:
        return 0
    with transaction(conn):
        return conn.execute(
            f"UPDATE outbox SET send_after = ?, updated_at = ? WHERE state = 'scheduled'"
            f" AND id IN ({','.join('?' * len(ids))})",
            (now, now, *ids),
        ).rowcount
