"""The inbox's outbox side (``OutboxController``, a plain class over an ``OutboxHost``):
reply / forward / new message, the undo bar, the outbox screen, and what the dispatcher's
changes mean for the screen.

- The dispatcher (outbox.dispatcher.Dispatcher) is the app's: it runs in the app's worker
  (tui/app.py) while there is a client; after a pass that changed rows it posts
  OutboxChanged, and ``changed`` refreshes the header count, the open conversation's
  pending items, the lists (a failed intent reverts) and turns the changes into notices.
  Another process sending this outbox → one notice, no crash. Without a client nothing is
  sent: items stay queued and the header says offline.
- Outbox time is the app's clock (``clock().timestamp()``), so a test's fake clock drives
  the undo window and the dispatcher alike.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from rich.text import Text
from textual.message import Message
from textual.widget import Widget

from o2d_inbox.cache import queries
from o2d_inbox.cache.queries import ThreadRow
from o2d_inbox.config import Config
from o2d_inbox.keymap import CLEAR
from o2d_inbox.outbox import queue as outbox
from o2d_inbox.outbox.queue import OutboxItem, OutboxRefused
from o2d_inbox.render.text import safe_line
from o2d_inbox.tui.intents import INTENTS

if TYPE_CHECKING:  # the compose and outbox screens are imported when first opened
    from o2d_inbox.tui.compose import Sent
    from o2d_inbox.tui.outbox_screen import OutboxScreen

__all__ = ["OutboxChanged", "OutboxController", "OutboxHost", "UndoBar"]

_WHAT = {"reply": "Reply", "forward": "Forward", "new": "Message", "intent": "Intent change", "suppress": "Suppression"}


class OutboxChanged(Message):
    """The dispatcher changed rows (a burst collapses into one)."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, OutboxChanged)


class UndoBar(Widget):
    """One line above the footer while the newest queued item is inside its undo window:
    "✉ Reply queued · sending in 7 s · u to undo". Hidden otherwise."""

    DEFAULT_CSS = """
    UndoBar { height: 1; background: $warning 20%; color: $foreground; display: none; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = Text()

    def show_text(self, text: Text | None) -> None:
        if self.display != (text is not None):  # set even to what the CSS says, it re-lays out the screen
            self.display = text is not None
        if text is not None and text.plain != self.text.plain:
            self.text = text
            self.refresh()

    def render(self) -> Text:
        return self.text


class OutboxHost(Protocol):
    """What the outbox controller needs from the inbox screen and the app behind it."""

    @property
    def conn(self) -> sqlite3.Connection: ...
    @property
    def read_only(self) -> bool: ...
    @property
    def config(self) -> Config: ...
    def clock(self) -> datetime: ...

    @property
    def online(self) -> bool: ...
    @property
    def shown_thread(self) -> ThreadRow | None: ...
    async def show_thread(self, thread: ThreadRow | None) -> None: ...
    def reload_lists(self) -> None: ...
    def reread_rows(self) -> None: ...
    def update_status(self) -> None: ...
    def fetch(self, thread_id: str) -> None: ...
    def wake_outbox(self) -> None: ...
    def outbox_busy(self) -> bool: ...
    def api_client(self) -> Any: ...
    def show_undo_bar(self, text: Text | None) -> None: ...
    def outbox_screens(self) -> list[OutboxScreen]: ...
    def notify(self, message: str, *, severity: Any = ..., timeout: float | None = ..., markup: bool = ...) -> None: ...
    def push_screen(self, screen: Any, callback: Any = ...) -> Any: ...
    def call_later(self, callback: Callable[..., Any], *args: Any) -> bool: ...
    def key_for(self, action_id: str) -> str: ...
    async def put_away(self, thread_id: str) -> None: ...
    async def next_thread_after(self, thread_id: str) -> None: ...


class OutboxController:
    def __init__(self, host: OutboxHost) -> None:
        self.host = host
        self._busy_told = False

    @property
    def conn(self) -> sqlite3.Connection:
        return self.host.conn

    def now(self) -> float:
        return self.host.clock().timestamp()

    def undo_seconds(self) -> float:
        return float(self.host.config.undo_seconds or 0)

    def wake(self) -> None:
        self.host.wake_outbox()

    # -- refreshing --------------------------------------------------------------------
    async def refresh_views(self, *, lists: bool = False) -> None:
        """After an outbox change: header count, the open conversation, the lists if an
        intent moved a thread, and the outbox screen when it is up."""
        host = self.host
        host.update_status()
        if lists:
            host.reload_lists()
        else:
            host.reread_rows()  # the rows' draft / sending marks
        shown = host.shown_thread
        if shown is not None:
            await host.show_thread(queries.thread(self.conn, shown.id) or shown)
        for screen in host.outbox_screens():
            screen.reload()
        self.tick()

    def _who(self, item: OutboxItem) -> str:
        if item.kind in ("forward", "new"):
            return safe_line(item.recipient or "?")
        if item.thread_id:
            thread = queries.thread(self.conn, item.thread_id)
            if thread is not None and (thread.prospect or thread.last_from):
                return safe_line(thread.prospect or thread.last_from)
            return safe_line(item.thread_id)
        return "?"

    def describe(self, item: OutboxItem) -> str:
        """One line for a queued item: 'Reply to Sarah Chen · sending in 7 s'."""
        what = _WHAT.get(item.kind, item.kind)
        if item.kind == "intent":
            look = INTENTS.get(item.payload.get("replyIntent") or CLEAR)
            what += f" → {look.label}" if look else ""
        left = (item.send_after or 0) - self.now()
        when = f" · sending in {int(left + 0.999)} s" if left > 0 else ""
        to = "of" if item.kind in ("intent", "suppress") else "to"
        return f"{what} {to} {self._who(item)}{when}"

    async def changed(self, changes: list[OutboxItem]) -> None:
        """The dispatcher sent, failed or reverted ``changes``: say so and redraw."""
        host = self.host
        lists = False
        fetch: set[str] = set()
        for item in changes:
            what = _WHAT.get(item.kind, item.kind)
            reason = safe_line(item.last_error or "")
            if item.kind == "intent":
                lists = lists or item.state == "failed"
                if item.state == "failed":
                    host.notify(
                        f"Intent override failed: {reason}, reverted", severity="error", timeout=8, markup=False
                    )
                continue
            if item.state == "sent":
                host.notify(f"{what} to {self._who(item)} sent", timeout=3, markup=False)
                if item.thread_id and item.kind in ("reply", "new"):
                    fetch.add(item.thread_id)
                    lists = True
            elif item.state == "failed":
                host.notify(
                    f"{what} to {self._who(item)} failed: {reason} · {host.key_for('app.outbox')} shows it",
                    severity="error",
                    timeout=8,
                    markup=False,
                )
        await self.refresh_views(lists=lists)
        shown = host.shown_thread
        if shown is not None and shown.id in fetch:
            host.fetch(shown.id)  # show our sent message as the server has it

    def tick(self) -> None:
        """The undo bar's countdown, and the one-time 'someone else is sending' notice."""
        busy = self.host.outbox_busy()
        if busy and not self._busy_told:
            self.host.notify(
                "Another o2d-inbox is sending this outbox; it will deliver the queued items",
                severity="warning",
                timeout=6,
            )
        self._busy_told = busy
        self.host.show_undo_bar(self.undo_text())

    def latest_scheduled(self) -> OutboxItem | None:
        """The newest item still inside (or waiting past) its undo window: what `u` takes back."""
        return outbox.latest_scheduled(self.conn)

    def undo_text(self) -> Text | None:
        item = self.latest_scheduled()
        if item is None:
            return None
        left = (item.send_after or 0) - self.now()
        if left <= 0:
            return None
        text = Text("✉ ", style="bold")
        what = _WHAT.get(item.kind, item.kind)
        if item.kind == "intent":
            look = INTENTS.get(item.payload.get("replyIntent") or CLEAR)
            what += f" → {look.glyph} {look.label}" if look else ""
        text.append(f"{what} queued · ")
        if not self.host.online:
            text.append("offline: kept in the outbox until a server is reachable")
        else:
            text.append(f"sending in {int(left + 0.999)} s")
        text.append(f" · {self.host.key_for('app.undo')} to undo")
        return text

    # -- compose -----------------------------------------------------------------------
    def _thread_or_say(self) -> ThreadRow | None:
        thread = self.host.shown_thread
        if thread is None:
            self.host.notify("No thread selected", timeout=2)
        return thread

    def open_compose(self, kind: str, thread: ThreadRow | None = None, draft: OutboxItem | None = None) -> None:
        host = self.host
        if host.read_only:  # what would be typed could not even be kept as a draft
            host.notify(
                "The cache is read-only: a message cannot be written until it is writable",
                severity="warning",
                timeout=5,
            )
            return
        from o2d_inbox.tui.compose import ComposeScreen

        screen = ComposeScreen(
            self.conn,
            kind,
            thread=thread,
            draft=draft,
            mailboxes=[address for address, _ in queries.mailboxes(self.conn, False)],
            default_from=host.config.from_mailbox,
            undo_seconds=self.undo_seconds(),
            now=self.now,
            client=host.api_client,
        )
        host.push_screen(screen, self._compose_done)

    def open_draft(self, item: OutboxItem) -> None:
        thread = queries.thread(self.conn, item.thread_id) if item.thread_id else None
        self.open_compose(item.kind, thread, item)

    def _compose_done(self, sent: Sent | None) -> None:
        # a screen's result callback runs while the screen is being popped: refresh after
        if sent is None:
            self.host.call_later(self.refresh_views)
            return
        self.wake()
        self.host.call_later(self._after_send, sent)

    async def _after_send(self, sent: Sent) -> None:
        """Lists and counts at once (a replied thread leaves Needs reply now, not at the next
        sync, and the cursor lands on the thread after it); then what compose was asked:
        "next" opens the next thread, "done" puts the replied thread away."""
        host = self.host
        thread_id = sent.item.thread_id if sent.item.kind != "new" else None
        await self.refresh_views(lists=True)
        if thread_id is None:
            return
        if sent.then == "done":
            await host.put_away(thread_id)
        elif sent.then == "next":
            await host.next_thread_after(thread_id)

    def reply(self) -> None:
        self._answer("reply")

    def forward(self) -> None:
        self._answer("forward")

    def _answer(self, kind: str) -> None:
        thread = self._thread_or_say()
        if thread is not None:
            from o2d_inbox.tui.compose import find_draft

            self.open_compose(kind, thread, find_draft(self.conn, kind, thread.id))

    def compose_new(self) -> None:
        self.open_compose("new")

    # -- intents (the triage controller decides which threads) --------------------------
    def queue_intents(self, key: str, threads: list[ThreadRow]) -> list[OutboxItem]:
        """One intent override per thread, in one loop; stops at the first refusal (said)."""
        items: list[OutboxItem] = []
        for thread in threads:
            try:
                items.append(
                    outbox.queue_intent(self.conn, thread.id, key, undo_seconds=self.undo_seconds(), now=self.now())
                )
            except OutboxRefused as exc:
                self.host.notify(safe_line(str(exc)), severity="error", timeout=4, markup=False)
                break
        if items:
            self.wake()
        return items

    async def undo_latest(self) -> None:
        """Take back the newest scheduled item: a message back to its draft, an intent undone."""
        item = self.latest_scheduled()
        if item is None:
            self.host.notify("Nothing to undo", timeout=2)
            return
        undone = outbox.undo(self.conn, item.id, now=self.now())
        if undone is None:
            self.host.notify("Too late to undo: it is being sent", severity="warning", timeout=3)
            await self.refresh_views()
            return
        if undone.kind == "intent":
            self.host.notify("Intent change undone", timeout=2)
            await self.refresh_views(lists=True)
            return
        self.host.notify(f"{_WHAT.get(undone.kind, 'Message')} not sent · back to draft", timeout=3)
        await self.refresh_views()
        if undone.state == "draft":
            self.open_draft(undone)

    def show_outbox(self) -> None:
        async def refresh() -> None:
            self.wake()
            await self.refresh_views(lists=True)

        def changed() -> None:  # the outbox screen retried or cancelled an item
            self.host.call_later(refresh)

        from o2d_inbox.tui.outbox_screen import OutboxScreen

        self.host.push_screen(OutboxScreen(self.conn, now=self.now, open_draft=self.open_draft, changed=changed))
