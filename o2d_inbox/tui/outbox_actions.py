"""The inbox app's outbox side: keys, the dispatcher worker, compose / intent / outbox screens.

``OutboxActions`` is a mixin of InboxApp (tui/app.py); Textual calls its ``on_*`` handlers
alongside the app's own (it walks the MRO), so app.py only adds OUTBOX_BINDINGS to its
BINDINGS, lists help_sections / palette entries from here, and inherits the rest.

- With a client, outbox.dispatcher.Dispatcher runs in a worker (group "outbox"); after a pass
  that changed rows it posts OutboxChanged, whose handler refreshes the header count, the
  open conversation's pending items, the lists (a failed intent reverts) and turns
  drain_changes() into notices. Another process sending this outbox → one notice, no crash.
  Without a client nothing is sent: items stay queued and the header says offline.
- Outbox time is the app's clock (``clock().timestamp()``), so a test's fake clock drives
  the undo window and the dispatcher alike.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Footer

from o2d_inbox.render.text import safe_line
from o2d_inbox.outbox import queue as outbox
from o2d_inbox.cache import queries
from o2d_inbox.outbox.queue import OutboxItem, OutboxRefused
from o2d_inbox.tui.compose import ComposeScreen, find_draft
from o2d_inbox.tui.intent_picker import CLEAR, IntentPicker
from o2d_inbox.tui.intents import INTENTS
from o2d_inbox.tui.outbox_screen import OutboxScreen

__all__ = ["OutboxActions", "OutboxChanged", "UndoBar"]

_WHAT = {"reply": "Reply", "forward": "Forward", "new": "Message", "intent": "Intent change",
         "suppress": "Suppression"}


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
        self.display = text is not None
        if text is not None and text.plain != self.text.plain:
            self.text = text
            self.refresh()

    def render(self) -> Text:
        return self.text


class OutboxActions:
    """Mixed into InboxApp (needs: conn, read_only, guard, client, config, clock, shown_thread, threads,
    show_thread, refresh_counts, update_titles, update_status)."""

    outbox_idle = 1.0  # dispatcher: seconds between looks at the outbox when nothing is due
    outbox_poll_backoff: tuple[float, ...] = (1, 2, 4, 8, 15, 30)
    _dispatcher: Any = None
    _outbox_stop: asyncio.Event | None = None
    _busy_told = False

    # -- lifecycle ---------------------------------------------------------------------
    def on_mount(self) -> None:
        self.screen.mount(UndoBar(id="undo-bar"), before=self.query_one(Footer))
        self.set_interval(0.5, self._outbox_tick)
        if self.online and not self.read_only:
            self.call_after_refresh(self._outbox_worker)  # after the first frame (see InboxApp.client)

    def outbox_now(self) -> float:
        return self.clock().timestamp()

    def _undo_seconds(self) -> float:
        return float(getattr(self.config, "undo_seconds", 10) or 0)

    @work(exclusive=True, group="outbox", exit_on_error=False)
    async def _outbox_worker(self) -> None:
        from o2d_inbox.context import make_dispatcher

        self._outbox_stop = stop = asyncio.Event()
        self._dispatcher = make_dispatcher(self.config, self.conn, self.client, clock=self.outbox_now,
                                           poll_backoff=self.outbox_poll_backoff,
                                           idle_interval=self.outbox_idle)
        try:
            await self._dispatcher.run(stop, on_change=lambda: self.post_message(OutboxChanged()))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a dead dispatcher is a notice, not a crash
            self.notify(f"The outbox stopped sending: {safe_line(str(exc)) or type(exc).__name__}",
                        severity="error", timeout=8, markup=False)

    def wake_outbox(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.wake()

    def on_unmount(self) -> None:
        if self._outbox_stop is not None:
            self._outbox_stop.set()

    # -- refreshing --------------------------------------------------------------------
    async def refresh_outbox_views(self, *, lists: bool = False) -> None:
        """After an outbox change: header count, the open conversation, the lists if an
        intent moved a thread, and the outbox screen when it is up."""
        self.update_status()
        if lists:
            self.threads.load(keep_anchor=True)
            self.refresh_counts()
            self.update_titles()
        shown = self.shown_thread
        if shown is not None:
            await self.show_thread(queries.thread(self.conn, shown.id) or shown)
        for screen in self.screen_stack:
            if isinstance(screen, OutboxScreen):
                screen.reload()
        self._outbox_tick()

    def _who(self, item: OutboxItem) -> str:
        if item.kind in ("forward", "new"):
            return safe_line(item.recipient or "?")
        if item.thread_id:
            thread = queries.thread(self.conn, item.thread_id)
            if thread is not None and (thread.prospect or thread.last_from):
                return safe_line(thread.prospect or thread.last_from)
            return safe_line(item.thread_id)
        return "?"

    async def on_outbox_changed(self, message: OutboxChanged) -> None:
        changes = self._dispatcher.drain_changes() if self._dispatcher is not None else []
        lists = False
        fetch: set[str] = set()
        for item in changes:
            what = _WHAT.get(item.kind, item.kind)
            reason = safe_line(item.last_error or "")
            if item.kind == "intent":
                lists = lists or item.state == "failed"
                if item.state == "failed":
                    self.notify(f"Intent override failed: {reason}, reverted", severity="error",
                                timeout=8, markup=False)
                continue
            if item.state == "sent":
                self.notify(f"{what} to {self._who(item)} sent", timeout=3, markup=False)
                if item.thread_id and item.kind in ("reply", "new"):
                    fetch.add(item.thread_id)
                    lists = True
            elif item.state == "failed":
                self.notify(f"{what} to {self._who(item)} failed: {reason} · {self.key_for('app.outbox')} shows it",
                            severity="error", timeout=8, markup=False)
        await self.refresh_outbox_views(lists=lists)
        shown = self.shown_thread
        if shown is not None and shown.id in fetch and hasattr(self, "_fetch"):
            self._fetch(shown.id)  # show our sent message as the server has it

    def _outbox_tick(self) -> None:
        """The undo bar's countdown, and the one-time 'someone else is sending' notice."""
        dispatcher = self._dispatcher
        if dispatcher is not None and getattr(dispatcher, "busy", False) and not self._busy_told:
            self._busy_told = True
            self.notify("Another o2d-inbox is sending this outbox; it will deliver the queued items",
                        severity="warning", timeout=6)
        elif dispatcher is not None and not getattr(dispatcher, "busy", False):
            self._busy_told = False
        try:
            bar = self.query_one("#undo-bar", UndoBar)
        except Exception:  # noqa: BLE001 - not mounted yet / app closing
            return
        bar.show_text(self.undo_text())

    def latest_scheduled(self) -> OutboxItem | None:
        """The newest item still inside (or waiting past) its undo window: what `u` takes back."""
        return outbox.latest_scheduled(self.conn)

    def undo_text(self) -> Text | None:
        item = self.latest_scheduled()
        if item is None:
            return None
        left = (item.send_after or 0) - self.outbox_now()
        if left <= 0:
            return None
        text = Text("✉ ", style="bold")
        what = _WHAT.get(item.kind, item.kind)
        if item.kind == "intent":
            look = INTENTS.get(item.payload.get("replyIntent") or CLEAR)
            what += f" → {look.glyph} {look.label}" if look else ""
        text.append(f"{what} queued · ")
        if not self.online:
            text.append("offline: kept in the outbox until a server is reachable")
        else:
            text.append(f"sending in {int(left + 0.999)} s")
        text.append(f" · {self.key_for('app.undo')} to undo")
        return text

    # -- actions -----------------------------------------------------------------------
    def _thread_or_say(self):
        thread = self.shown_thread
        if thread is None:
            self.notify("No thread selected", timeout=2)
        return thread

    def _mailbox_addresses(self) -> list[str]:
        return [address for address, _ in queries.mailboxes(self.conn, False)]

    def open_compose(self, kind: str, thread: Any = None, draft: OutboxItem | None = None) -> None:
        if self.read_only:  # what would be typed could not even be kept as a draft
            self.notify("The cache is read-only: a message cannot be written until it is writable",
                        severity="warning", timeout=5)
            return
        screen = ComposeScreen(
            self.conn, kind, thread=thread, draft=draft, mailboxes=self._mailbox_addresses(),
            default_from=getattr(self.config, "from_mailbox", None), undo_seconds=self._undo_seconds(),
            now=self.outbox_now)
        self.push_screen(screen, self._compose_done)

    def open_draft(self, item: OutboxItem) -> None:
        thread = queries.thread(self.conn, item.thread_id) if item.thread_id else None
        self.open_compose(item.kind, thread, item)

    def _compose_done(self, item: OutboxItem | None) -> None:
        # a screen's result callback runs while the screen is being popped: refresh after
        if item is not None:
            self.wake_outbox()
        self.call_later(self.refresh_outbox_views)

    def action_reply(self) -> None:
        thread = self._thread_or_say()
        if thread is not None:
            self.open_compose("reply", thread, find_draft(self.conn, "reply", thread.id))

    def action_forward(self) -> None:
        thread = self._thread_or_say()
        if thread is not None:
            self.open_compose("forward", thread, find_draft(self.conn, "forward", thread.id))

    def action_compose_new(self) -> None:
        self.open_compose("new")

    def action_pick_intent(self) -> None:
        thread = self._thread_or_say()
        if thread is None:
            return

        def chosen(key: str | None) -> None:
            if key is not None:
                self.call_later(self.set_intent, key)

        title = safe_line(thread.prospect or thread.last_from or thread.id)
        self.push_screen(IntentPicker(thread.reply_intent, title), self.guard(chosen))

    async def action_set_intent(self, key: str) -> None:
        if self._thread_or_say() is not None:
            await self.set_intent(key)

    async def set_intent(self, key: str, threads: list[Any] | None = None) -> list[OutboxItem]:
        """Queue an intent override for ``threads`` (default: the shown thread), one outbox
        item per thread in one loop (bulk: tui/triage.py); the lists move at once. Returns
        the queued items."""
        if threads is None:
            threads = [self.shown_thread] if self.shown_thread is not None else []
        todo = [t for t in threads if (t.reply_intent or CLEAR) != key]
        if threads and not todo:
            look = INTENTS[key]
            self.notify(f"Already {look.glyph} {look.label}", timeout=2)
            return []
        items: list[OutboxItem] = []
        for thread in todo:
            try:
                items.append(outbox.queue_intent(self.conn, thread.id, key, undo_seconds=self._undo_seconds(),
                                                 now=self.outbox_now()))
            except OutboxRefused as exc:
                self.notify(safe_line(str(exc)), severity="error", timeout=4, markup=False)
                break
        if items:
            self.wake_outbox()
            await self.refresh_outbox_views(lists=True)
        return items

    async def action_undo(self) -> None:
        item = self.latest_scheduled()
        if item is None:
            self.notify("Nothing to undo", timeout=2)
            return
        undone = outbox.undo(self.conn, item.id, now=self.outbox_now())
        if undone is None:
            self.notify("Too late to undo: it is being sent", severity="warning", timeout=3)
            await self.refresh_outbox_views()
            return
        if undone.kind == "intent":
            self.notify("Intent change undone", timeout=2)
            await self.refresh_outbox_views(lists=True)
            return
        self.notify(f"{_WHAT.get(undone.kind, 'Message')} not sent · back to draft", timeout=3)
        await self.refresh_outbox_views()
        if undone.state == "draft":
            self.open_draft(undone)

    def action_outbox(self) -> None:
        async def changed() -> None:
            self.wake_outbox()
            await self.refresh_outbox_views(lists=True)

        self.push_screen(OutboxScreen(self.conn, now=self.outbox_now, open_draft=self.open_draft,
                                      changed=lambda: self.call_later(changed)))
