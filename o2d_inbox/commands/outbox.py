"""Headless outbox commands: `reply`, `forward`, `new`, `intent` queue; `outbox` lists/flushes.

    o2d-inbox reply THREAD_ID (--body TEXT | --body-file F) [--from M] [--force]
    o2d-inbox forward THREAD_ID --to A [--body TEXT | --body-file F] [--from M] [--force]
    o2d-inbox new --to A --subject S (--body TEXT | --body-file F) [--from M]
    o2d-inbox intent THREAD_ID INTENT [--force]
    o2d-inbox outbox [list] [--json] [--all]
    o2d-inbox outbox flush [--wait] [--timeout S] [--json]
    o2d-inbox outbox retry ID | cancel ID
    o2d-inbox outbox edit ID [--from M] [--body TEXT | --body-file F]

Decisions:
- Queueing writes the row (with its Idempotency-Key) to the cache and returns, so it works
  offline. ``outbox flush`` (or a running TUI) sends it. The one network call: a reply or
  forward whose thread's mailbox the cache does not know asks for the thread's messages
  (one quick request, no retries) to learn it; offline, the dispatcher learns it before
  sending instead.
- A reply, forward or intent for a thread the cache does not have (a typo, another
  workspace's id) asks the server for it first, with that same request: a thread the server
  does not have is refused (exit 2); when the server cannot be asked (offline, no key) it is
  refused unless ``--force``. A refused body read from stdin is kept in a private file.
- Headless items are queued with no undo window (send_after = now): the command line is
  already a deliberate act, and a script's flush right after must send.
- ``--body-file -`` reads the body from stdin.
- A reply to a thread whose recipient unsubscribed is refused (exit 2, one line) unless
  ``--force``.
- The sender: ``--from``; else, for a reply or forward, the thread's own mailbox (never the
  config's ``from_mailbox``: that is the default of new messages only). ``new`` with neither
  ``--from`` nor ``from_mailbox`` is refused (exit 2, one line listing the known mailboxes).
- ``outbox edit ID`` mends a draft, queued or failed message: the user's editor (o2d_inbox/
  editor.py: ``$VISUAL``, else ``$EDITOR``, else vi) on its body, or ``--body``/``--body-file``;
  ``--from M`` changes its sender. The edited item is queued again under a fresh Idempotency-Key.
- ``outbox`` lists what is not finished plus what finished within the last day (``--all``:
  everything), oldest first; ``--json`` gives JSON Lines.
- ``outbox flush`` sends every queued item now; ``--wait`` also polls each operation until it
  is final. Exit 0 only when nothing of this flush is left failed, unconfirmed, retrying or
  waiting (else 1, each reason printed on stderr; 1 too when the cache cannot be written, e.g.
  the disk is full, naming each item the server accepted meanwhile), 4 when the
  server cannot be reached (items stay queued with their keys), 1 when another o2d-inbox
  process is sending this outbox already.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from o2d_inbox.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, fail
from o2d_inbox.config import load_config
from o2d_inbox.editor import EditorFailed, edit_text
from o2d_inbox.outbox import queue as ob
from o2d_inbox.render.table import Column, output_width, table
from o2d_inbox.render.text import json_line, safe_line

RECENT_SECONDS = 24 * 3600


def run(args: argparse.Namespace) -> int:
    config = load_config(args)
    command = args.command
    if command == "outbox":
        action = args.action or "list"
        if action == "flush":
            return asyncio.run(_flush(config, wait=args.wait, timeout=args.timeout, as_json=args.json))
        if action in ("retry", "cancel"):
            return _one(config, action, args.item_id)
        if action == "edit":
            return _edit(config, args)
        return _list(config, show_all=args.all, as_json=args.json)
    return _queue(config, args)


# --- queueing (offline) ---------------------------------------------------------------------


def _read_body(args: argparse.Namespace) -> str | None:
    path = getattr(args, "body_file", None)
    if path is None:
        return getattr(args, "body", None)
    if path == "-":
        return sys.stdin.read()
    return Path(path).expanduser().read_text(encoding="utf-8")


def _queue(config, args: argparse.Namespace) -> int:
    from o2d_inbox.cache import queries
    from o2d_inbox.cache.db import cache_error
    from o2d_inbox.context import open_cache

    explicit_from = getattr(args, "from_mailbox", None)
    body = _read_body(args) if args.command != "intent" else None
    try:
        conn = open_cache(config)
    except Exception as exc:  # noqa: BLE001 - whatever it is, the body typed is kept first
        raise _kept(exc, args, body) from None
    forced = False  # queued for a thread nobody could vouch for
    try:
        known = args.command == "new" or queries.thread(conn, args.thread_id) is not None
        sender = explicit_from
        if not known:
            try:
                learned = _ask_server(config, conn, args.thread_id)
            except Exception as exc:  # noqa: BLE001 - each cause is named in the refusal
                if cache_error(exc) is not None:  # the answer could not be stored: exit 6
                    raise _kept(exc, args, body) from None
                refusal = _unknown_thread(args, exc)
                if refusal is not None:
                    return fail(refusal + _keep_body(args, body), EXIT_USAGE)
                forced = True
            else:
                sender = sender or learned
        elif args.command in ("reply", "forward") and not sender and ob.thread_sender(conn, args.thread_id) is None:
            sender = _learn_sender(config, conn, args.thread_id)  # the thread's own, or None
        try:
            if args.command == "reply":
                item = ob.queue_reply(
                    conn, args.thread_id, body or "", from_mailbox=sender, undo_seconds=0, force=args.force
                )
            elif args.command == "forward":
                item = ob.queue_forward(conn, args.thread_id, args.to, body, from_mailbox=sender, undo_seconds=0)
            elif args.command == "new":
                item = ob.queue_new(
                    conn,
                    args.to,
                    args.subject,
                    body or "",
                    from_mailbox=explicit_from,
                    default_from=config.from_mailbox,
                    undo_seconds=0,
                )
            else:
                item = ob.queue_intent(conn, args.thread_id, args.intent, undo_seconds=0)
        except ob.OutboxRefused as exc:
            hint = " (--force to send anyway)" if "unsubscribe" in str(exc) else ""
            return fail(f"not queued: {exc}{hint}{_keep_body(args, body)}", EXIT_USAGE)
        except Exception as exc:  # noqa: BLE001 - whatever it is, the body typed is kept first
            raise _kept(exc, args, body) from None
    finally:
        conn.close()
    if forced:
        print(
            f"o2d-inbox: note: thread {safe_line(args.thread_id)} is not in the cache and was not "
            "checked with the server; queued anyway (--force)",
            file=sys.stderr,
        )
    what = f"intent {item.payload['replyIntent']} (shown at once)" if item.kind == "intent" else item.kind
    target = f" for thread {item.thread_id}" if item.thread_id else f" to {item.recipient}"
    origin = ""
    if item.kind in ob.MESSAGE_KINDS:
        origin = f" from {item.sender}" if item.sender else " from the thread's mailbox (learned before sending)"
    print(safe_line(f"queued #{item.id}: {what}{target}{origin}; `o2d-inbox outbox flush` sends it"))
    return EXIT_OK


def _unknown_thread(args: argparse.Namespace, exc: Exception) -> str | None:
    """Why a thread that is not in the cache is refused after asking the server failed with
    ``exc``, or None when ``--force`` queues it anyway. A thread the server says it does not
    have is refused even then: sending to it could only fail."""
    from o2d_inbox.api.errors import NetworkError, NotFoundError

    thread = safe_line(args.thread_id)
    if isinstance(exc, NotFoundError):
        return (
            f"not queued: thread {thread} is neither in the cache nor on the server "
            "(check the id: `o2d-inbox threads` or `search` list them)"
        )
    if args.force:
        return None
    if isinstance(exc, (NetworkError, TimeoutError, ConnectionError)):
        why = "offline"
    else:
        why = str(exc) or type(exc).__name__
    return (
        f"not queued: thread {thread} is not in the cache and the server could not confirm it "
        f"({why}); run `o2d-inbox sync`, or add --force to queue it anyway"
    )


def _keep_body(args: argparse.Namespace, body: str | None) -> str:
    """A message read from stdin exists nowhere else: when it is not queued it is written to
    a private file in the temp folder (else to stdout). Returns what the error adds, or ""."""
    if getattr(args, "body_file", None) != "-" or body is None or not body.strip():
        return ""
    try:
        fd, path = tempfile.mkstemp(prefix="o2d-inbox-unsent-", suffix=".txt")  # 0600
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(body)
        return f"; your text is kept in {path}"
    except OSError:
        print(body)
        return "; your text is printed on stdout"


def _kept(exc: Exception, args: argparse.Namespace, body: str | None) -> Exception:
    """``exc``; when the cache refused a message read from stdin (disk full, read-only,
    damaged), the error says where its text is kept (see _keep_body)."""
    from o2d_inbox.cache.db import CacheError, cache_error

    fault = cache_error(exc)
    if fault is None:
        return exc
    where = _keep_body(args, body)
    if not where:
        return fault
    return CacheError(f"{fault}{where}", kind=fault.kind, path=fault.path)


#: seconds the queue-time request for a thread's messages may take
LEARN_TIMEOUT = 2.0


def _ask_server(config, conn, thread_id: str) -> str | None:
    """The thread's messages, asked of the server now (one quick request, no retries) and
    stored in the cache; returns the thread's own mailbox, or None when they do not say.
    Raises what stopped the asking: ConfigError (no key), NotFoundError (no such thread),
    NetworkError or TimeoutError (offline), another ApiError."""
    from o2d_inbox.context import make_client, with_cached_workspace
    from o2d_inbox.outbox.dispatcher import learn_thread_mailbox

    async def learn() -> str | None:
        async with make_client(with_cached_workspace(config), timeout=LEARN_TIMEOUT, max_retries=0) as client:
            return await learn_thread_mailbox(conn, client, thread_id)

    return asyncio.run(asyncio.wait_for(learn(), LEARN_TIMEOUT * 2))


def _learn_sender(config, conn, thread_id: str) -> str | None:
    """The cached thread's own mailbox, learned now when it can be; None otherwise (offline,
    no key, the messages do not say): the dispatcher learns it before sending. Only an
    optimisation, so it never fails the command."""
    try:
        return _ask_server(config, conn, thread_id)
    except Exception:  # noqa: BLE001 - decided at dispatch
        return None


# --- listing --------------------------------------------------------------------------------


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def item_json(item: ob.OutboxItem, now: float) -> dict:
    """One JSON Lines record (a public format: only add fields)."""
    return {
        "id": item.id,
        "kind": item.kind,
        "thread_id": item.thread_id,
        "state": item.state,
        "attempts": item.attempts,
        "last_error": item.last_error,
        "operation_id": item.operation_id,
        "operation_status": item.operation_status,
        "server_message_id": item.server_message_id,
        "server_thread_id": item.server_thread_id,
        "to": item.recipient,
        "subject": item.payload.get("subject"),
        "intent": item.payload.get("replyIntent"),
        "summary": item.summary,
        "from": item.sender,
        "body": item.payload.get("bodyText"),
        "waiting": item.waiting,
        "idempotency_key": item.idempotency_key,
        "created_at": _iso(item.created_at),
        "updated_at": _iso(item.updated_at),
        "send_after": _iso(item.send_after),
        "next_attempt_at": _iso(item.next_attempt_at),
        "age_seconds": max(0, int(now - item.created_at)),
    }


def _age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def item_cells(item: ob.OutboxItem, now: float) -> list[str]:
    """An item as terminal-safe table cells: id, kind, state, age, thread or recipient, summary."""
    state = item.state
    if item.waiting:
        state = "waiting"  # not sent yet: its thread's mailbox is not known (see last_error)
    elif item.state == "sending" and item.last_error:
        state = "retrying"  # it may have reached the server; the next flush re-sends, same key
    elif item.state == "accepted" and item.operation_status:
        state = f"accepted:{item.operation_status}"
    elif item.state == "sent" and item.last_error:
        state = "sent:unconfirmed"  # accepted, but its delivery was never reported
    summary = safe_line(item.summary)
    if item.last_error and item.state in ("failed", "scheduled", "sending", "accepted", "sent"):
        summary += f"  [{safe_line(item.last_error)}]"
    return [
        f"#{item.id}",
        item.kind,
        safe_line(state),
        _age(now - item.created_at),
        safe_line(item.thread_id or item.recipient or ""),
        summary,
    ]


#: the outbox table (render/table.py): ids whole, the summary and its error cut first
_COLUMNS = [
    Column(cut=False),
    Column(cut=False),
    Column(min=7, max=20),
    Column(cut=False, right=True),
    Column(min=12, max=36),
    Column(min=16),
]


def item_line(item: ob.OutboxItem, now: float) -> str:
    """One item, every field whole."""
    return table([item_cells(item, now)], _COLUMNS, None)[0]


def _emit(items: list[ob.OutboxItem], as_json: bool) -> None:
    now = time.time()
    if as_json:
        for item in items:
            print(json_line(item_json(item, now)))
        return
    for line in table([item_cells(item, now) for item in items], _COLUMNS, output_width(sys.stdout)):
        print(line)


def _list(config, *, show_all: bool, as_json: bool) -> int:
    from o2d_inbox.context import open_cache

    conn = open_cache(config)
    try:
        items = ob.list_items(conn)
    finally:
        conn.close()
    if not show_all:
        horizon = time.time() - RECENT_SECONDS
        items = [i for i in items if i.state not in ("sent", "cancelled") or i.updated_at >= horizon]
    if not items and not as_json:
        print("the outbox is empty", file=sys.stderr)
    _emit(items, as_json)
    return EXIT_OK


def _one(config, action: str, item_id: int | None) -> int:
    from o2d_inbox.context import open_cache

    if item_id is None:
        return fail(f"outbox {action} needs an item id (see `o2d-inbox outbox`)", EXIT_USAGE)
    conn = open_cache(config)
    try:
        before = ob.get(conn, item_id)
        after = ob.retry(conn, item_id) if action == "retry" else ob.cancel(conn, item_id)
    finally:
        conn.close()
    if before is None:
        return fail(f"no outbox item #{item_id}", EXIT_USAGE)
    if after is None:
        allowed = "failed" if action == "retry" else "draft, scheduled or failed"
        return fail(f"cannot {action} #{item_id}: it is {before.state} (only {allowed} items)", EXIT_USAGE)
    print(f"#{item_id}: {after.state}")
    return EXIT_OK


def _edit(config, args: argparse.Namespace) -> int:
    from o2d_inbox.context import open_cache

    if args.item_id is None:
        return fail("outbox edit needs an item id (see `o2d-inbox outbox`)", EXIT_USAGE)
    conn = open_cache(config)
    try:
        try:
            before = ob.edit(conn, args.item_id)  # no change: only whether it may be edited
            body = _read_body(args)
            if body is None and args.from_mailbox is None:
                try:
                    body = edit_text(before.payload.get("bodyText") or "")
                except EditorFailed as exc:
                    raise ob.OutboxRefused(str(exc)) from None
            after = ob.edit(conn, args.item_id, body_text=body, from_mailbox=args.from_mailbox)
        except ob.OutboxRefused as exc:
            return fail(f"not changed: {exc}", EXIT_USAGE)
    finally:
        conn.close()
    if after.idempotency_key == before.idempotency_key:
        print(f"#{after.id}: unchanged ({after.state})")
        return EXIT_OK
    sender = f" from {after.sender}" if after.sender else ""
    hint = "" if after.state == "draft" else "; `o2d-inbox outbox flush` sends it"
    print(safe_line(f"#{after.id}: {after.kind}{sender}, {after.state}{hint}"))
    return EXIT_OK


# --- flushing (online) ----------------------------------------------------------------------


async def _flush(config, *, wait: bool, timeout: float, as_json: bool) -> int:
    from o2d_inbox.api.errors import NetworkError, ProtocolError, RateLimitError, ServerError
    from o2d_inbox.context import make_client, make_dispatcher, open_cache, probe_server, resolve_workspace
    from o2d_inbox.outbox.dispatcher import CacheWriteFailed, OutboxBusy

    try:
        config = await probe_server(config)
    except NetworkError as exc:
        raise NetworkError(f"offline: nothing sent, every queued item stays in the outbox ({exc})") from None
    except (ServerError, RateLimitError, ProtocolError):
        pass  # there, but busy or garbled: the client below retries (a refused key stops here)
    async with make_client(config) as client:
        config = await resolve_workspace(config, client)  # asks only if the probe could not
        conn = open_cache(config)
        dispatcher = make_dispatcher(config, conn, client)
        try:
            items = await dispatcher.flush(wait=wait, timeout=timeout)
        except OutboxBusy as exc:
            return fail(str(exc), EXIT_FAILED)
        except CacheWriteFailed as exc:
            for item, operation in exc.accepted:
                what = f" (operation {operation})" if operation else ""
                print(
                    safe_line(
                        f"o2d-inbox: #{item.id} {item.kind}: the server accepted it{what}; "
                        f"the next flush records it without sending it twice"
                    ),
                    file=sys.stderr,
                )
            return fail(f"{exc}; the outbox keeps every item", EXIT_FAILED)
        finally:
            dispatcher.close()
            conn.close()
    _emit(items, as_json)
    if not as_json:
        tally: dict[str, int] = {}
        for item in items:
            tally[item.state] = tally.get(item.state, 0) + 1
        summary = ", ".join(f"{n} {state}" for state, n in sorted(tally.items())) or "nothing to send"
        print(f"flush: {summary}", file=sys.stderr)
    # Exit 0 only when the server has every item and nothing needs the user.
    unsettled = [(i, how) for i in items if (how := _unsettled(i))]
    for item, how in unsettled:
        why = item.last_error or "it waits for an earlier item of its thread"
        print(safe_line(f"o2d-inbox: #{item.id} {item.kind} {how}: {why}"), file=sys.stderr)
    return EXIT_FAILED if unsettled else EXIT_OK


def _unsettled(item: ob.OutboxItem) -> str | None:
    """What keeps a flushed item from being done, or None (sent, or accepted by the server)."""
    if item.state == "failed":
        return "failed"
    if item.state == "sent" and item.last_error:
        return "sent, unconfirmed"
    if item.waiting:
        return "not sent"
    if item.state in ("scheduled", "sending"):
        return "not sent yet, retried later"
    return None
