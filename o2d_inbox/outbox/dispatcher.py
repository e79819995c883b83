"""The outbox dispatcher: sends what outbox/queue.py queued, exactly once, crash-safe.

    d = Dispatcher(conn, client, clock=time.time, poll_backoff=(1, 2, 4, 8, 15, 30),
                   max_attempts=None, sleep=asyncio.sleep, concurrency=8)
    await d.run_once() -> int        one pass: send due items, poll accepted ones; rows changed
    await d.run(stop, on_change)     the TUI's loop (wake() makes it look at once)
    await d.flush(wait=False, timeout=None) -> list[OutboxItem]
                                     send everything now, ignoring the undo window; with
                                     wait, poll until every item is final
    d.drain_changes() -> list[OutboxItem]   items whose state changed since the last call
    d.close()                        release the dispatch lock

How "exactly once" holds:
- the row, its Idempotency-Key and its body are committed before anything is sent;
- ``sending`` is committed *before* the request; a row found in ``sending`` (after a crash,
  a timeout, a dropped connection) is re-sent with the same key and the same stored body,
  so the server replays its first answer instead of acting twice;
- only one dispatcher per cache sends at a time: an advisory flock on ``<cache>.outbox.lock``
  (released by the kernel when a process dies, SIGKILL included, so a restart recovers at
  once); a second one (a CLI ``outbox flush`` while the TUI runs) gets OutboxBusy.

The sender: a reply or forward queued before its thread's mailbox was known has no
``fromMailboxAddress``. Before its first request the dispatcher takes the mailbox from the
cache, else learns it (GET the thread's messages, stored as a sync would), and writes it into
the stored body in the transaction that marks the row ``sending``; the request is built from
that body, and so is every re-send under that key. When the mailbox cannot be learned (offline,
or the messages do not say) the row stays ``scheduled``, shown as "waiting for the thread's
mailbox", and is tried again with back-off; it is never sent without a sender, nor from a
guess. A new message without a sender (queued by an older version) fails with a hint to
``outbox edit ID --from M``. A row found in ``sending`` is re-sent verbatim whatever it holds.

Order: within a thread an item is sent only once every older item of that thread has left
``scheduled``/``sending`` (the server has it); so the server receives a thread's mutations in
the order they were made. Delivery itself is asynchronous at the server.

Errors: connection errors, 5xx, 429 (after the client's own retries; ``retry_after`` is
honoured) and malformed answers are retried with the same key, backing off along
``poll_backoff``; 401/403 too (the key, not the message, is at fault). A 409 on our key, and
any other 4xx, fails the item at once with the server's message (the text stays in the row).
An accepted item is polled (GET /threads/outbound-operations/{id}) until its operation is
final; a failed operation fails the item with the server's error. One still not final
``confirm_within`` after it was accepted (24 h) is settled as sent, unconfirmed, like one the
server forgot: it was accepted, so it is never re-sent, and polling stops. A failed intent override
reverts the thread's intent (only while the thread still shows ours).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sqlite3
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from o2d_inbox.api.errors import (
    ApiError,
    AuthError,
    ConflictError,
    NetworkError,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    ServerError,
    WorkspaceAccessError,
    WorkspaceChoiceError,
)
from o2d_inbox.api.models import (
    FAILED_OPERATION_STATUSES,
    ForwardRequest,
    NewMessageRequest,
    ReplyIntentResult,
    ReplyRequest,
    ReplyResponse,
    SendResponse,
    SuppressionUpsertResult,
)
from o2d_inbox.cache import writes
from o2d_inbox.cache.lock import SyncLocked, WriterLock, db_path
from o2d_inbox.outbox import queue as ob
from o2d_inbox.outbox.queue import OutboxItem, transaction

if TYPE_CHECKING:
    from o2d_inbox.api.client import UniboxClient

__all__ = ["CacheWriteFailed", "Dispatcher", "OutboxBusy", "learn_thread_mailbox"]

log = logging.getLogger(__name__)

# Errors after which the same request may succeed later. Auth/workspace errors are here too:
# the message is fine, the key or config is not, and the user will fix that.
_TRANSIENT = (
    NetworkError,
    ServerError,
    RateLimitError,
    ProtocolError,
    AuthError,
    WorkspaceAccessError,
    WorkspaceChoiceError,
)
_BLOCKING = (AuthError, WorkspaceAccessError, WorkspaceChoiceError)
# Error codes of a 4xx that rejects a message's fromMailboxAddress.
_SENDER_REFUSED = frozenset({"invalid_from_mailbox", "mailbox_not_found"})


class OutboxBusy(Exception):
    """Another o2d-inbox process is dispatching this cache's outbox."""

    exit_code = 1

    def __init__(self) -> None:
        super().__init__("another o2d-inbox process is sending this outbox; it will deliver the queued items")


async def learn_thread_mailbox(conn, client, thread_id: str) -> str | None:
    """Fetch a thread's messages and store them (the cache learns our mailboxes and the
    thread's, as a sync would); return the thread's own mailbox, None when they do not say.
    The client's errors propagate (NotFoundError: the server has no such thread)."""
    tm = await client.thread_messages(thread_id)
    with transaction(conn):
        writes.store_messages(conn, thread_id, tm)
    return ob.thread_sender(conn, thread_id) or writes.thread_mailbox(tm.messages)


class CacheWriteFailed(Exception):
    """The cache could not be written (e.g. the disk is full) during a flush. ``accepted``:
    (item, operation id) of the items the server accepted whose new state could not be
    recorded; they stay ``sending`` and the next flush re-sends them with the same key, which
    the server answers from its record instead of sending twice."""

    exit_code = 1

    def __init__(self, cause: BaseException, accepted: list[tuple[OutboxItem, str | None]]) -> None:
        super().__init__(f"the cache could not be written: {cause}")
        self.cause = cause
        self.accepted = accepted


#: What the server answers an outbox item with (by kind: reply/forward, new, intent, suppress).
Answer = ReplyResponse | SendResponse | ReplyIntentResult | SuppressionUpsertResult


def _send_answer(response: Answer) -> ReplyResponse | SendResponse | None:
    """The answer to a send; intents and suppressions are done when answered (no operation)."""
    return response if isinstance(response, (ReplyResponse, SendResponse)) else None


def _operation_of(response: Answer) -> str | None:
    send = _send_answer(response)
    return send.operation_id if send else None


#: How long an accepted send's operation may stay unfinished before polling stops (seconds).
CONFIRM_WITHIN = 24 * 3600


class Dispatcher:
    def __init__(
        self,
        conn: sqlite3.Connection,
        client: UniboxClient,
        *,
        clock: Callable[[], float] = time.time,
        poll_backoff: Sequence[float] = (1, 2, 4, 8, 15, 30),
        max_attempts: int | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        concurrency: int = 8,
        idle_interval: float = 1.0,
        confirm_within: float = CONFIRM_WITHIN,
    ) -> None:
        self.conn = conn
        self.client = client
        self.clock = clock
        self.confirm_within = confirm_within
        self.poll_backoff = tuple(poll_backoff) or (0,)
        self.max_attempts = max_attempts
        self.idle_interval = idle_interval
        self._sleep = sleep
        self._limit = asyncio.Semaphore(max(1, concurrency))
        self._lock = WriterLock(f"{db_path(conn)}.outbox" if db_path(conn) else "")
        self._polls: dict[int, int] = {}  # item id -> polls so far (backoff step)
        self._learns: dict[int, int] = {}  # item id -> attempts to learn its thread's mailbox
        self._inflight: set[int] = set()
        # state changes since the last drain_changes(); bounded for callers that never drain
        self._changes: deque[OutboxItem] = deque(maxlen=1000)
        self._wake = asyncio.Event()
        # what the last pass ran into, for flush()'s offline / auth verdicts
        self._pass_errors: list[BaseException] = []
        # cache writes that failed in the last pass, and the answers they would have recorded
        self._cache_errors: list[sqlite3.Error] = []
        self._unrecorded: list[tuple[OutboxItem, str | None]] = []
        #: True after a pass found another process dispatching this cache (the TUI says so)
        self.busy = False

    # --- public ---------------------------------------------------------------------------

    def close(self) -> None:
        self._lock.release()

    def drain_changes(self) -> list[OutboxItem]:
        """Items whose state changed since the last call, as they are now (oldest change
        first), e.g. for the TUI's notices: "reply sent", "intent override failed: …"."""
        out = list(self._changes)
        self._changes.clear()
        return out

    def wake(self) -> None:
        """Something was queued: look at the outbox now rather than at the next tick."""
        self._wake.set()

    async def run_once(self) -> int:
        """One pass over the due items; 0 without sending when another process dispatches."""
        self.busy = not self._try_lock()
        if self.busy:
            return 0
        return await self._pass(ignore_window=False, ignore_backoff=False)

    async def run(self, stop: asyncio.Event, on_change: Callable[[], None] | None = None) -> None:
        """Dispatch until ``stop`` is set; ``on_change`` is called after a pass that changed rows."""
        try:
            while not stop.is_set():
                try:
                    changed = await self.run_once()
                except asyncio.CancelledError:
                    raise
                except Exception:  # the loop outlives one bad pass (e.g. a locked db)
                    log.exception("outbox pass failed")
                    changed = 0
                if changed and on_change is not None:
                    on_change()
                delay = self._next_delay() if self._lock.held else self.idle_interval
                self._wake.clear()
                waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
                try:
                    await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for w in waiters:
                        w.cancel()
        finally:
            self.close()

    async def flush(self, *, wait: bool = False, timeout: float | None = None) -> list[OutboxItem]:
        """Send every queued item now (the undo window is skipped, so is a pending back-off on
        the first pass); with ``wait``, keep polling until every one of them is final.

        Returns those items as they are at the end. Raises OutboxBusy when another process
        dispatches, NetworkError (exit 4) when the server cannot be reached and nothing moved,
        AuthError/WorkspaceAccessError when the server refuses the key, CacheWriteFailed when
        the cache could not be written (naming the sends the server accepted meanwhile)."""
        if not self._try_lock():
            raise OutboxBusy()
        ids = [i.id for i in ob.list_items(self.conn, ob.ACTIVE_STATES)]
        deadline = None if timeout is None else self.clock() + timeout
        first = True
        while True:
            changed = await self._pass(ignore_window=True, ignore_backoff=first, only=set(ids))
            first = False
            if self._cache_errors:
                raise CacheWriteFailed(self._cache_errors[0], list(self._unrecorded))
            items = [item for item in (ob.get(self.conn, i) for i in ids) if item is not None]
            open_items = [i for i in items if not i.is_final]
            blocking = [e for e in self._pass_errors if isinstance(e, _BLOCKING)]
            if blocking:
                raise blocking[0]
            offline = [e for e in self._pass_errors if isinstance(e, NetworkError)]
            if offline and not changed:
                raise NetworkError(f"offline: {len(open_items)} item(s) stay in the outbox ({offline[0]})")
            if not open_items:
                return items
            if not wait:
                # one pass sends each thread's queue (see _pass); accepted items are the
                # server's now, items backing off after an error wait for the next flush
                return items
            now = self.clock()
            if deadline is not None and now >= deadline:
                return items
            delay = self._next_delay(ignore_window=True, only=set(ids))
            if deadline is not None:
                delay = min(delay, max(0.0, deadline - now))
            if delay > 0:
                await self._sleep(delay)

    # --- one pass ---------------------------------------------------------------------------

    def _try_lock(self) -> bool:
        try:
            self._lock.acquire()
        except SyncLocked:
            return False
        return True

    def _is_due(self, item: OutboxItem, now: float, ignore_window: bool, ignore_backoff: bool) -> bool:
        if not ignore_backoff and item.next_attempt_at is not None and item.next_attempt_at > now:
            return False
        if item.state == "scheduled" and not ignore_window:
            return item.send_after is None or item.send_after <= now
        return True

    def _candidates(self, only: set[int] | None = None) -> list[OutboxItem]:
        """Items a pass may act on: every accepted one (polls) and, per thread, the oldest
        item still to be sent; younger items of that thread wait for it to be accepted."""
        blocked: set[str] = set()
        out: list[OutboxItem] = []
        for item in ob.list_items(self.conn, ob.ACTIVE_STATES):
            if item.state != "accepted":
                group = item.thread_id if item.thread_id is not None else f"#{item.id}"
                if group in blocked:
                    continue
                blocked.add(group)
            if (only is None or item.id in only) and item.id not in self._inflight:
                out.append(item)
        return out

    def _next_delay(self, *, ignore_window: bool = False, only: set[int] | None = None) -> float:
        """Seconds until something may be due (capped by idle_interval so new rows are seen)."""
        now = self.clock()
        wake = now + self.idle_interval
        for item in self._candidates(only):
            at = item.next_attempt_at or now
            if item.state == "scheduled" and not ignore_window and item.send_after is not None:
                at = max(at, item.send_after)
            wake = min(wake, at)
        return max(0.0, wake - now)

    async def _pass(self, *, ignore_window: bool, ignore_backoff: bool, only: set[int] | None = None) -> int:
        self._pass_errors = []
        self._cache_errors, self._unrecorded = [], []
        total = 0
        # A pass repeats while it moves items out of scheduled/sending: that may unblock the
        # next item of the same thread, so one flush sends a whole thread's queue in order.
        # Each repeat moves at least one item for good, so the loop ends.
        while True:
            now = self.clock()
            due = [i for i in self._candidates(only) if self._is_due(i, now, ignore_window, ignore_backoff)]
            if not due or self._cache_errors:
                return total
            results = await asyncio.gather(*(self._guarded(item) for item in due))
            total += sum(results)
            if not any(r and i.state in ("scheduled", "sending") for i, r in zip(due, results)):
                return total
            ignore_backoff = False  # items that just failed transiently wait their turn

    async def _guarded(self, item: OutboxItem) -> int:
        if item.id in self._inflight:  # run() and flush() on one dispatcher never overlap an item
            return 0
        self._inflight.add(item.id)
        try:
            async with self._limit:
                if item.state == "accepted":
                    return await self._poll(item)
                return await self._send(item)
        except sqlite3.Error as exc:
            # e.g. the disk is full: the row keeps its last committed state (a `sending` one
            # is re-sent with the same key); the other items of the pass go on
            log.warning("outbox item %s: the cache could not be written: %s", item.id, exc)
            self._cache_errors.append(exc)
            return 0
        finally:
            self._inflight.discard(item.id)

    # --- sending ----------------------------------------------------------------------------

    def _update(self, item: OutboxItem, expect_state: str, **fields: Any) -> bool:
        fields.setdefault("updated_at", self.clock())
        cols = ", ".join(f"{k} = ?" for k in fields)
        with transaction(self.conn):
            cur = self.conn.execute(
                f"UPDATE outbox SET {cols} WHERE id = ? AND state = ?", (*fields.values(), item.id, expect_state)
            )
            ok = cur.rowcount == 1
            if ok and fields.get("state") == "failed" and item.kind == "intent":
                ob.revert_intent(self.conn, item)
        if ok and fields.get("state", expect_state) != expect_state:
            changed = ob.get(self.conn, item.id)
            if changed is not None:
                self._changes.append(changed)
        return ok

    async def _with_sender(self, item: OutboxItem) -> OutboxItem | int:
        """``item`` with its sender in the payload; when it cannot have one yet, the rows
        changed by holding it back (waiting for its thread's mailbox) or failing it."""
        if item.kind not in ob.SENDER_KINDS:
            return self._fail(
                item, item.state, f"a new message needs a sender: o2d-inbox outbox edit {item.id} --from M"
            )
        if item.thread_id is None:  # a reply or forward is queued with its thread: a damaged row
            return self._fail(item, item.state, "the item names no thread")
        sender = ob.thread_sender(self.conn, item.thread_id)
        reason = "the thread's messages do not name it"
        if sender is None:
            try:
                sender = await learn_thread_mailbox(self.conn, self.client, item.thread_id)
            except asyncio.CancelledError:
                raise
            except NotFoundError as exc:
                return self._fail(item, item.state, str(exc))
            except Exception as exc:  # offline, 5xx, garbled: learn it later
                if not isinstance(exc, ApiError):
                    log.exception("outbox item %s: learning the thread's mailbox failed", item.id)
                self._pass_errors.append(exc)
                reason = str(exc) or type(exc).__name__
        if sender is None:
            step = self._learns.get(item.id, 0)
            self._learns[item.id] = step + 1
            self._update(
                item,
                item.state,
                last_error=f"{ob.WAITING_FOR_MAILBOX} ({reason})",
                next_attempt_at=self.clock() + self._backoff(step),
            )
            return 0
        self._learns.pop(item.id, None)
        return dataclasses.replace(item, payload={**item.payload, "fromMailboxAddress": sender})

    async def _send(self, item: OutboxItem) -> int:
        if (
            item.state == "scheduled"
            and item.kind in ob.MESSAGE_KINDS
            and not (item.payload.get("fromMailboxAddress") or "").strip()
        ):
            resolved = await self._with_sender(item)
            if isinstance(resolved, int):
                return resolved
            item = resolved
        try:
            call = self._request_for(item)
        except (ValidationError, KeyError, TypeError, ValueError) as exc:
            self._update(
                item, item.state, state="failed", last_error=f"the stored request is not valid: {exc}".splitlines()[0]
            )
            return 1
        # Committed before the request, with the body it sends (its sender resolved): a crash
        # from here on re-sends that body with the same key.
        now = self.clock()
        with transaction(self.conn):
            cur = self.conn.execute(
                "UPDATE outbox SET state = 'sending', payload = ?, attempts = attempts + 1,"
                " updated_at = ?, next_attempt_at = NULL,"
                " last_error = CASE WHEN substr(last_error, 1, ?) = ? THEN NULL ELSE last_error END"
                " WHERE id = ? AND state = ? AND idempotency_key = ?",
                (
                    ob.encode_payload(item.payload),
                    now,
                    len(ob.WAITING_FOR_MAILBOX),
                    ob.WAITING_FOR_MAILBOX,
                    item.id,
                    item.state,
                    item.idempotency_key,
                ),
            )
            if cur.rowcount != 1:
                return 0  # undone, cancelled or edited meanwhile
        attempts = item.attempts + 1
        try:
            response = await call()
        except asyncio.CancelledError:
            raise  # still 'sending': the next start re-sends with the same key
        except ConflictError as exc:
            return self._fail(
                item, "sending", f"the server saw this request's Idempotency-Key with a different body (409): {exc}"
            )
        except _TRANSIENT as exc:
            return self._transient(item, "sending", exc, attempts)
        except ApiError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                if exc.code in _SENDER_REFUSED and item.kind in ob.SENDER_KINDS:
                    # The key is spent; a retry (new key) goes from the thread's own mailbox.
                    payload = {k: v for k, v in item.payload.items() if k != "fromMailboxAddress"}
                    return self._fail(
                        item,
                        "sending",
                        f"the server refused the sender "
                        f"{item.payload.get('fromMailboxAddress')}: {exc}; a retry "
                        f"sends it from the thread's own mailbox",
                        payload=ob.encode_payload(payload),
                    )
                return self._fail(item, "sending", str(exc))
            return self._transient(item, "sending", exc, attempts)
        except Exception as exc:  # never lose the row to an unexpected error
            log.exception("outbox item %s: unexpected error", item.id)
            return self._transient(item, "sending", exc, attempts)
        try:
            return self._accepted(item, response)
        except sqlite3.Error:
            self._unrecorded.append((item, _operation_of(response)))
            raise

    def _request_for(self, item: OutboxItem) -> Callable[[], Awaitable[Answer]]:
        """The client call for ``item``, built from its stored payload (validated now, so a
        broken row fails before anything is sent)."""
        p, key, c = item.payload, item.idempotency_key, self.client
        if item.kind == "new":
            new = NewMessageRequest.model_validate(p)
            return lambda: c.send_new(new, idempotency_key=key)
        if item.kind == "suppress":
            emails, reason = list(p["emails"]), p.get("reason")
            return lambda: c.add_suppressions(emails, reason, idempotency_key=key)
        thread = item.thread_id
        if thread is None:
            raise ValueError(f"this {item.kind} names no thread")
        if item.kind == "reply":
            reply = ReplyRequest.model_validate(p)
            return lambda: c.reply(thread, reply, idempotency_key=key)
        if item.kind == "forward":
            forward = ForwardRequest.model_validate(p)
            return lambda: c.forward(thread, forward, idempotency_key=key)
        if item.kind == "intent":
            intent = p["replyIntent"]
            return lambda: c.set_reply_intent(thread, intent, idempotency_key=key)
        raise ValueError(f"unknown outbox kind {item.kind!r}")

    def _accepted(self, item: OutboxItem, response: Answer) -> int:
        send = _send_answer(response)
        op_id = send.operation_id if send else None
        status = send.status if send else None
        fields: dict[str, Any] = {"last_error": None, "operation_status": status}
        if send and send.message_id:
            fields["server_message_id"] = send.message_id
        server_thread = response.thread_id if isinstance(response, SendResponse) and item.kind == "new" else None
        if server_thread:
            fields["server_thread_id"] = server_thread
            fields["thread_id"] = item.thread_id or server_thread
        if op_id:
            self._polls[item.id] = 0
            now = self.clock()
            self._update(
                item,
                "sending",
                state="accepted",
                operation_id=op_id,
                accepted_at=now,
                next_attempt_at=now + self.poll_backoff[0],
                **fields,
            )
        elif (status or "").lower() in FAILED_OPERATION_STATUSES:
            fields["last_error"] = f"the server answered '{status}'"
            self._update(item, "sending", state="failed", **fields)
        else:
            # Intents, suppressions, or a send the server gives no operation to track.
            self._update(item, "sending", state="sent", next_attempt_at=None, **fields)
        return 1

    def _fail(self, item: OutboxItem, state: str, reason: str, **fields: Any) -> int:
        self._polls.pop(item.id, None)
        self._learns.pop(item.id, None)
        self._update(item, state, **{**fields, "state": "failed", "last_error": reason, "next_attempt_at": None})
        return 1

    def _backoff(self, step: int) -> float:
        return float(self.poll_backoff[min(max(step, 0), len(self.poll_backoff) - 1)])

    def _transient(self, item: OutboxItem, state: str, exc: BaseException, attempts: int) -> int:
        self._pass_errors.append(exc)
        reason = str(exc) or type(exc).__name__
        if self.max_attempts is not None and attempts >= self.max_attempts:
            return self._fail(item, state, f"{ob.GAVE_UP_PREFIX} {attempts} attempts: {reason}")
        wait = self._backoff(attempts - 1)
        if isinstance(exc, RateLimitError) and exc.retry_after is not None:
            wait = max(wait, float(exc.retry_after))
        self._update(item, state, last_error=reason, next_attempt_at=self.clock() + wait)
        return 0

    # --- polling ----------------------------------------------------------------------------

    async def _poll(self, item: OutboxItem) -> int:
        if item.operation_id is None:  # accepted with nothing to track: as _accepted records it
            self._update(item, "accepted", state="sent", next_attempt_at=None)
            return 1
        step = self._polls.get(item.id, 0) + 1
        self._polls[item.id] = step
        try:
            op = await self.client.operation_status(item.operation_id)
        except asyncio.CancelledError:
            raise
        except NotFoundError:
            # The server forgot the operation: it did accept the message; say so, don't re-send.
            self._polls.pop(item.id, None)
            self._update(
                item,
                "accepted",
                state="sent",
                operation_status="unknown",
                next_attempt_at=None,
                last_error=f"delivery not confirmed: the server no longer knows operation {item.operation_id}",
            )
            return 1
        except Exception as exc:  # polling is harmless to repeat
            if isinstance(exc, ApiError):
                self._pass_errors.append(exc)
            else:
                log.exception("outbox item %s: polling failed", item.id)
            self._update(
                item,
                "accepted",
                last_error=str(exc) or type(exc).__name__,
                next_attempt_at=self.clock() + self._backoff(step),
            )
            return 0
        fields: dict[str, Any] = {"operation_status": op.status, "last_error": None}
        if op.message_id:
            fields["server_message_id"] = op.message_id
        if op.thread_id and item.kind == "new":
            fields["server_thread_id"] = op.thread_id
        if op.is_failed:
            return self._fail(item, "accepted", op.error or f"the server reports the send as '{op.status}'", **fields)
        if op.is_final:
            self._polls.pop(item.id, None)
            self._update(item, "accepted", state="sent", next_attempt_at=None, **fields)
            return 1
        if item.accepted_at is not None and self.clock() - item.accepted_at >= self.confirm_within:
            self._polls.pop(item.id, None)
            hours = self.confirm_within / 3600
            fields["last_error"] = (
                f"delivery not confirmed: the server still said '{op.status}' "
                f"{hours:g} h after accepting it; no longer asked"
            )
            self._update(item, "accepted", state="sent", next_attempt_at=None, **fields)
            return 1
        changed = (op.status or None) != item.operation_status
        self._update(item, "accepted", next_attempt_at=self.clock() + self._backoff(step), **fields)
        return int(changed)
