"""The inbox app. ``build_app`` is the one factory the CLI, the tests and the snapshots use.

The screen always draws from the cache; sync and message fetches run in workers that end by
posting a typed message, and one handler (on_worker_state_changed) turns any worker error
into status / a notice. Without a client the app runs offline on the cache alone.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from typing import Any, Callable

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Input, OptionList
from textual.worker import Worker, WorkerState

from o2d_inbox.render.text import fit, safe_line
from o2d_inbox.cache import local
from o2d_inbox.outbox import queue as outbox
from o2d_inbox.cache import queries
from o2d_inbox.cache.db import cache_error, is_read_only
from o2d_inbox.cache.queries import ThreadRow, View
from o2d_inbox.tui.header import HeaderBar
from o2d_inbox.tui.help import HelpScreen
from o2d_inbox.tui.conversation import ConversationView
from o2d_inbox.tui.intents import INTENTS, ORDER
from o2d_inbox.tui.messages import MessagesFetched, SyncFinished, SyncProgressed
from o2d_inbox.tui.outbox_actions import OUTBOX_BINDINGS, OutboxActions
from o2d_inbox.tui.palette import InboxCommands
from o2d_inbox.tui.search import SearchActions
from o2d_inbox.tui.sidebar import Sidebar, compact, view_from_id, view_id, view_title
from o2d_inbox.tui.themes import discover_themes
from o2d_inbox.tui.thread_list import ThreadList
from o2d_inbox.tui.triage import TRIAGE_BINDINGS, TriageActions


SYNC_EVERY = 30.0  # seconds between background syncs
PREVIEW_FETCH_DELAY = 0.4  # a highlighted, uncached thread is fetched after this much stillness
SIDEBAR_MIN_WIDTH = 120  # below: no sidebar
PANE_MIN_WIDTH = 100  # below: no side-by-side pane (enter shows the conversation full width)

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class InboxApp(SearchActions, TriageActions, OutboxActions, App[None]):
    TITLE = "o2d-inbox"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {InboxCommands}
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("slash", "filter", "Search", id="app.filter"),
        Binding("t", "toggle_relevant", "Relevant/full", id="app.toggle_relevant"),
        Binding("R", "sync", "Sync", id="app.sync"),
        Binding("tab", "focus_next_pane", "Next pane", show=False, id="app.focus_next"),
        Binding("shift+tab", "focus_previous_pane", "Previous pane", show=False, id="app.focus_previous"),
        Binding("right_square_bracket", "next_queue", "Next queue", show=False, id="app.next_queue"),
        Binding("left_square_bracket", "previous_queue", "Previous queue", show=False, id="app.previous_queue"),
        Binding("escape", "back", "Back", show=False, id="app.back"),
        Binding("ctrl+p", "command_palette", "Palette", show=False, id="app.command_palette"),
        *OUTBOX_BINDINGS,  # r f c i 1-6 u o (tui/outbox_actions.py)
        *TRIAGE_BINDINGS,  # e s n space v T (tui/triage.py; it extends 1-6 / i / u)
    ]

    def __init__(self, config: Any, conn: sqlite3.Connection, *, client: Any = None,
                 client_factory: Callable[[], Any] | None = None, engine: Any = None,
                 clock: Clock | None = None, sync_every: float | None = SYNC_EVERY) -> None:
        super().__init__()
        self.config = config
        self.conn = conn
        # A cache that cannot be written is shown as it is: no sync, no outbox, no marks.
        self.read_only = is_read_only(conn)
        self._last_fault: tuple[str, float] | None = None
        self._client = client
        self._client_factory = client_factory
        self._engine = engine
        self.clock: Clock = clock or _utcnow
        self.sync_every = sync_every
        self.relevant = True
        self.view = View("needs")
        self.sync_state = "idle" if self.online or engine is not None else "offline"
        self.sync_detail = ""
        self.last_synced: datetime | None = None
        self.shown_thread: ThreadRow | None = None
        self._preview_timer: Timer | None = None
        self._fetching: str | None = None
        self._reader_conn: sqlite3.Connection | None = None
        self._keymap_ids: dict[str, str] = {}
        from o2d_inbox.config import default_config_file

        for theme in discover_themes([default_config_file().parent / "themes"]):
            self.register_theme(theme)

    # -- layout ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield HeaderBar(self._workspace_label(), id="header")
        with Horizontal(id="main"):
            sidebar = Sidebar(id="queues")
            sidebar.border_title = "Queues"
            yield sidebar
            with Vertical(id="list-column"):
                yield Input(placeholder="search: words \"a phrase\" from: to: intent: mailbox: campaign: "
                            "before: after: is:unread", id="filter", select_on_focus=False)
                yield ThreadList(self.conn, self.view, clock=self.clock, id="threads")
            yield ConversationView(id="pane", now=self.clock)
        yield Footer()

    def _workspace_label(self) -> str:
        if getattr(self.config, "demo", False):
            return "demo workspace (simulator)"
        workspace = getattr(self.config, "workspace", None)
        return f"workspace {workspace}" if workspace is not None else "no workspace chosen"

    @property
    def client(self) -> Any:
        """The API client, built on first use (after the first frame: httpx, pydantic and a
        TLS context cost ~0.1 s that the inbox need not wait for); None when offline."""
        if self._client is None and self._client_factory is not None:
            self._client = self._client_factory()
            self._client.on_wait = lambda _waiting: self.call_later(self.update_status)
        return self._client

    @property
    def online(self) -> bool:
        """There is a server to talk to (whether or not its client exists yet)."""
        return self._client is not None or self._client_factory is not None

    @property
    def threads(self) -> ThreadList:
        return self.query_one("#threads", ThreadList)

    @property
    def sidebar(self) -> Sidebar:
        return self.query_one("#queues", Sidebar)

    @property
    def pane(self) -> ConversationView:
        return self.query_one("#pane", ConversationView)

    def on_mount(self) -> None:
        theme = getattr(self.config, "theme", None) or "o2d-dark"
        if theme in self.available_themes:
            self.theme = theme
        else:
            self.theme = "o2d-dark"
            self.notify(f"unknown theme {safe_line(theme)!r}; using o2d-dark", severity="warning")
        keymap = dict(getattr(self.config, "keymap", None) or {})
        if keymap:
            self._keymap_ids = keymap
            self.set_keymap(keymap)
        self.query_one("#filter", Input).display = False
        self._apply_width(self.size.width)
        self.refresh_counts()
        self.update_titles()
        self.update_status()
        self.threads.focus()
        self.set_interval(30, self.update_status)
        if self.read_only:
            self.notify("The cache is read-only: showing it as it is; nothing can be changed or "
                        "synced until its file and folder are writable", severity="warning", timeout=8)
        if self._can_sync():
            self.call_after_refresh(self.action_sync)
            if self.sync_every:
                self.set_interval(self.sync_every, self._periodic_sync)

    def watch_theme(self, theme: str) -> None:
        # intent colours come from the theme's variables: redraw what uses them once the
        # new variables are in place
        if self.is_mounted:
            self.call_after_refresh(self._recolour)

    def _recolour(self) -> None:
        self.refresh_counts()
        self.threads.refresh()
        self.update_status()

    def on_resize(self, event) -> None:
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        inbox = self.screen_stack[0]  # not self.screen: a dialog may be open over it
        inbox.set_class(width < SIDEBAR_MIN_WIDTH, "-no-sidebar")
        inbox.set_class(width < PANE_MIN_WIDTH, "-no-pane")
        if width >= PANE_MIN_WIDTH:
            inbox.remove_class("-reading")

    # -- counts, titles, status --------------------------------------------------------
    def refresh_counts(self) -> None:
        counts = queries.sidebar_counts(self.conn, self.relevant)
        self.sidebar.update_queues(
            counts,
            queries.mailboxes(self.conn, self.relevant),
            queries.campaigns(self.conn, self.relevant),
            view_id(self.view),
            self.get_css_variables(),
        )

    def _campaign_names(self) -> dict[str, str]:
        if self.view.kind != "campaign":
            return {}
        row = self.conn.execute("SELECT name FROM campaigns WHERE id = ?", (self.view.key,)).fetchone()
        return {self.view.key: row[0]} if row and row[0] else {}

    def update_titles(self) -> None:
        threads = self.threads
        searched = self.search_title()
        if searched is not None:  # the list shows a search (tui/search.py)
            threads.border_title = searched
            return
        parts = [view_title(self.view, self._campaign_names()),
                 "Relevant" if self.relevant else "Full feed", compact(threads.count)]
        threads.border_title = Text(" · ".join(parts))

    def _outbox_pending(self) -> int:
        """Items not yet final (drafts, queued, in flight): what the header counts."""
        counts = outbox.counts(self.conn)
        return sum(counts.get(state, 0) for state in ("draft", "scheduled", "sending", "accepted"))

    def status_text(self, compact: bool = False) -> Text:
        """Sync state · outbox · connection (compact: the same in a few cells)."""
        now = self.clock()
        text = Text()
        state = self.sync_state
        error = self.theme_variables.get("error", "red")
        if state == "syncing":
            text.append("⟳ syncing", style="bold")
            if self.sync_detail and not compact:
                text.append(" " + self.sync_detail)
            waiting = getattr(self._client, "waiting", None)  # "rate limited, resuming in 4 s"
            if waiting and not compact:
                text.append(f" ({waiting})")
        elif state == "error":
            text.append("⚠ sync failed" + ("" if compact else ": "), style=f"bold {error}")
            if not compact:
                text.append(fit(safe_line(self.sync_detail), 48).rstrip())
        elif self.last_synced is not None:
            minutes = int((now - self.last_synced).total_seconds() // 60)
            if compact:
                text.append("✓ " + ("now" if minutes < 1 else f"{minutes}m"))
            else:
                text.append("✓ synced " + ("just now" if minutes < 1 else f"{minutes} min ago"))
        elif self.read_only:
            text.append("read-only cache" if not compact else "ro", style=f"bold {error}")
        elif state == "offline":
            text.append(("cache only" if not self._can_sync() else "not synced") if not compact else "")
        else:
            text.append("not synced yet" if not compact else "")
        pending = self._outbox_pending()
        if not compact:
            text.append(" · ✉ outbox " + (f"{pending} pending" if pending else "empty"))
        elif pending:
            text.append(f" ✉ {pending}")
        sep = " · " if text.plain else ""
        if state == "offline":
            text.append(sep + "○ offline", style=f"bold {self.theme_variables.get('warning', 'yellow')}")
        else:
            text.append(sep)
            text.append("● online", style=self.theme_variables.get("success", "green"))
        return text

    def update_status(self) -> None:
        self.query_one("#header", HeaderBar).set_right(self.status_text(), self.status_text(compact=True))

    # -- queues ------------------------------------------------------------------------
    def set_view(self, view: View) -> None:
        self.drop_search()
        self._show_view(view)

    def _show_view(self, view: View) -> None:
        self.view = view
        self.threads.load(view)
        self.refresh_counts()
        self.update_titles()

    def _reader(self) -> sqlite3.Connection | None:
        """A second connection to the cache file for searches in a thread (None: in-memory)."""
        if self._reader_conn is None:
            path = self.conn.execute("PRAGMA database_list").fetchone()[2]
            if not path:
                return None
            from o2d_inbox.cache.db import open_db

            self._reader_conn = open_db(path, readonly=True)
        return self._reader_conn

    @on(OptionList.OptionSelected, "#queues")
    def _queue_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.set_view(view_from_id(event.option.id, relevant=self.relevant))
            self.threads.focus()

    def _step_queue(self, step: int) -> None:
        ids = self.sidebar.queue_ids()
        current = view_id(self.view)
        index = ids.index(current) if current in ids else 0
        self.set_view(view_from_id(ids[(index + step) % len(ids)], relevant=self.relevant))

    def action_next_queue(self) -> None:
        self._step_queue(1)

    def action_previous_queue(self) -> None:
        self._step_queue(-1)

    def action_show_queue(self, option_id: str) -> None:
        self.set_view(view_from_id(option_id, relevant=self.relevant))
        self.threads.focus()

    def action_toggle_relevant(self) -> None:
        self.relevant = not self.relevant
        if self.searching:
            self.rerun_search()
        else:
            self.set_view(View(self.view.kind, self.view.key, relevant=self.relevant))
        self.notify("Relevant threads only" if self.relevant else "Full feed: warmup and postmaster too",
                    timeout=2)

    # -- search (tui/search.py; it replaced the subject / sender filter) ----------------
    def action_filter(self) -> None:
        self.open_search()

    def action_back(self) -> None:
        if self.clear_selection():  # esc drops a bulk selection first (tui/triage.py)
            return
        box = self.query_one("#filter", Input)
        if self.searching and (box.has_focus or self.focused is self.threads):
            self.end_search()
            self.threads.focus()
        elif self.screen.has_class("-reading"):
            self.screen.remove_class("-reading")
            self.threads.focus()
        elif self.focused is not self.threads:
            self.threads.focus()

    # -- focus -------------------------------------------------------------------------
    def _panes(self) -> list[Widget]:
        panes: list[Widget] = []
        if not self.screen.has_class("-no-sidebar"):
            panes.append(self.sidebar)
        if not self.screen.has_class("-reading"):
            panes.append(self.threads)
        if not self.screen.has_class("-no-pane") or self.screen.has_class("-reading"):
            panes.append(self.pane)
        return panes

    def _cycle(self, step: int) -> None:
        panes = self._panes()
        focused = self.focused
        index = 0
        for i, pane in enumerate(panes):
            if focused is not None and (focused is pane or pane in focused.ancestors):
                index = i
                break
        target = panes[(index + step) % len(panes)]
        if target.can_focus:
            target.focus()
        else:  # a pane whose focusable part is a child
            self.screen.set_focus(next((w for w in target.query("*") if w.can_focus), target))

    def action_focus_next_pane(self) -> None:
        self._cycle(1)

    def action_focus_previous_pane(self) -> None:
        self._cycle(-1)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_sections()))

    def keymap_for(self, binding: Binding) -> str:
        return self._keymap_ids.get(binding.id or "", binding.key)

    def filter_keys(self) -> set[str]:
        """The keys bound to app.filter now (keymap applied), in Textual's key names."""
        binding = next(b for b in self.BINDINGS if isinstance(b, Binding) and b.id == "app.filter")
        return {key.strip() for key in self._normalize_keymap({"k": self.keymap_for(binding)})["k"].split(",")}

    def help_sections(self) -> list[tuple[str, list[Binding]]]:
        def plain(bindings) -> list[Binding]:
            return [b for b in bindings if isinstance(b, Binding)]

        sections = [("Thread list", plain(ThreadList.BINDINGS)), ("App", plain(self.BINDINGS)),
                    ("Queues sidebar", plain(Sidebar.BINDINGS) + [
                        Binding("enter", "select", "Show the queue")])]
        pane_bindings = plain(getattr(ConversationView, "BINDINGS", []))
        if pane_bindings:
            sections.insert(1, ("Conversation", pane_bindings))
        return sections + self.outbox_help_sections() + self.triage_help_sections()

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        commands: list[tuple[str, str, Callable[[], Any]]] = [
            ("Queue: Needs reply", "threads waiting for our answer, oldest first",
             lambda: self.action_show_queue("needs")),
            ("Queue: All", "every thread, newest first", lambda: self.action_show_queue("all")),
        ]
        for key in ORDER:
            look = INTENTS[key]
            commands.append((f"Queue: {look.glyph} {look.label}", f"threads with intent {look.label}",
                             lambda k=key: self.action_show_queue(f"intent:{k}")))
        for address, _ in queries.mailboxes(self.conn, self.relevant):
            commands.append((f"Mailbox: {safe_line(address)}", "threads of this mailbox",
                             lambda a=address: self.action_show_queue(f"mailbox:{a}")))
        for cid, name, _ in queries.campaigns(self.conn, self.relevant):
            commands.append((f"Campaign: {safe_line(name or cid)}", "threads of this campaign",
                             lambda c=cid: self.action_show_queue(f"campaign:{c}")))
        commands += [
            ("Sync now", "fetch new and changed threads · key R", self.action_sync),
            ("Full reconcile", "walk every thread page (intents changed elsewhere)",
             lambda: self.action_sync(full=True)),
            ("Toggle relevant / full feed", "show or hide warmup and postmaster threads · key t",
             self.action_toggle_relevant),
            ("Search the cache", "words, \"phrases\", from: to: intent: mailbox: campaign: before: after: · key /",
             self.action_filter),
            ("Next queue", "key ]", self.action_next_queue),
            ("Previous queue", "key [", self.action_previous_queue),
            ("Open the selected thread", "key enter", self.threads.action_open),
            ("Help: keys", "every key and its binding id · key ?", self.action_help),
            ("Theme: o2d dark", "", lambda: setattr(self, "theme", "o2d-dark")),
            ("Theme: o2d light", "", lambda: setattr(self, "theme", "o2d-light")),
            ("Quit", "key q", self.exit),
        ]
        from o2d_inbox.tui.compose import template_command

        return commands + self.outbox_palette_commands() + self.triage_palette_commands() + [template_command(self)]

    # -- threads and the pane ----------------------------------------------------------
    @on(ThreadList.Highlighted)
    async def _highlighted(self, event: ThreadList.Highlighted) -> None:
        if self._inbox_gone():  # posted by a reload (a sync just finished) as the app exits
            return
        if self._preview_timer is not None:
            self._preview_timer.stop()
            self._preview_timer = None
        thread = event.thread
        await self.show_thread(thread)
        if (thread is not None and not thread.messages_cached and self._can_sync()
                and self.sync_state != "offline"):
            self._preview_timer = self.set_timer(PREVIEW_FETCH_DELAY, lambda: self._fetch(thread.id))

    @on(ThreadList.Opened)
    async def _opened(self, event: ThreadList.Opened) -> None:
        await self.open_thread(event.thread)

    async def show_thread(self, thread: ThreadRow | None, *, note: str | None = None) -> None:
        self.shown_thread = thread
        pane = self.pane
        if thread is None:
            pane.border_title = ""
            await pane.show(None, [])
            return
        messages = queries.messages(self.conn, thread.id)
        if note is None and not thread.messages_cached:
            if not self._can_sync():
                note = "messages not cached yet — offline"
            elif self._fetching == thread.id:
                note = "loading messages …"
            else:
                note = "messages not cached yet — enter loads them"
        pane.border_title = Text(safe_line(thread.prospect or thread.last_from))
        await pane.show(thread, messages, note=note, pending=outbox.pending_for_thread(self.conn, thread.id))

    async def open_thread(self, thread: ThreadRow) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
            self._preview_timer = None
        if thread.unread and not self.read_only:
            local.mark_read(self.conn, thread.id)
            self.threads.load(keep_anchor=True)
            thread = queries.thread(self.conn, thread.id) or thread
        if self.screen.has_class("-no-pane"):
            self.screen.add_class("-reading")
        if thread != self.shown_thread:  # usually the preview already shows it
            await self.show_thread(thread)
        self.pane.focus()
        if not thread.messages_cached and self._can_sync():
            self._fetch(thread.id)
            await self.show_thread(thread)

    # -- workers -----------------------------------------------------------------------
    def _can_sync(self) -> bool:
        return not self.read_only and (self.online or self._engine is not None)

    # -- local faults: a write the cache refused (disk full, read-only, damaged) -----------
    # is a notice, not the end of the session: its transaction was rolled back and the screen
    # still shows the cache as it is. Every key runs through run_action; a dialog's answer
    # through guard(). (Textual stops a widget's message loop at an uncaught error.)
    async def run_action(self, action: Any, default_namespace: Any = None,
                         namespaces: Any = None) -> bool:
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except Exception as exc:  # noqa: BLE001 - only a cache fault is handled here
            if not self.tell_fault(exc):
                raise
            return True

    def guard(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        """``callback`` (a dialog's result handler) with a cache fault turned into a notice."""
        def guarded(*args: Any) -> Any:
            try:
                return callback(*args)
            except Exception as exc:  # noqa: BLE001 - only a cache fault is handled here
                if not self.tell_fault(exc):
                    raise
                return None
        return guarded

    def tell_fault(self, exc: BaseException) -> bool:
        """Notify a cache fault once (not again for 10 s); False when ``exc`` is not one."""
        fault = cache_error(exc)
        if fault is None:
            return False
        message, now = safe_line(str(fault)), self.clock().timestamp()
        if self._last_fault is None or self._last_fault[0] != message or now - self._last_fault[1] > 10:
            self.notify(message, severity="error", timeout=10, markup=False)
        self._last_fault = (message, now)
        return True

    @property
    def engine(self):
        if self._engine is None:
            from o2d_inbox.context import make_engine

            self._engine = make_engine(self.config, self.conn, self.client)
        return self._engine

    def action_sync(self, full: bool = False) -> None:
        if not self._can_sync():
            from o2d_inbox.config import key_hint

            why = "the cache is read-only" if self.read_only else f"no API key: {key_hint()}"
            self.notify(f"Not synced ({why}); showing the cache", timeout=6, markup=False)
            return
        if self.sync_state == "syncing":
            return  # a second worker would cancel the running one (exclusive group)
        self.sync_state, self.sync_detail = "syncing", ""
        self.update_status()
        self._sync_worker(full)

    def _periodic_sync(self) -> None:
        if self.sync_state != "syncing":
            self.action_sync()

    @work(exclusive=True, group="sync", exit_on_error=False)
    async def _sync_worker(self, full: bool) -> None:
        def progress(p) -> None:
            self.post_message(SyncProgressed(p.phase, p.done, p.total))

        result = await self.engine.sync(full=full, progress=progress)
        self.post_message(SyncFinished(result))

    def _inbox_gone(self) -> bool:
        """The inbox's widgets are gone (the app is shutting down): a worker's last message,
        posted just before, has nothing left to update."""
        return not self.screen_stack or not self.screen_stack[0].query("#threads")

    def on_sync_progressed(self, message: SyncProgressed) -> None:
        if self._inbox_gone():
            return
        total = f"/{message.total:,}" if message.total else ""
        self.sync_detail = f"{message.phase} {message.done:,}{total}"
        self.update_status()

    async def on_sync_finished(self, message: SyncFinished) -> None:
        result = message.result
        self.sync_state, self.sync_detail = "idle", ""
        if self._inbox_gone():
            return
        self.last_synced = self.clock()
        self.threads.load(keep_anchor=True)
        self.refresh_counts()
        self.update_titles()
        self.update_status()
        shown = self.shown_thread
        if shown is not None:
            fresh = queries.thread(self.conn, shown.id)
            if fresh is not None and fresh != shown:
                await self.show_thread(fresh)
        if getattr(result, "new", 0):
            self.notify(f"{result.new} new thread{'s' if result.new != 1 else ''}", timeout=3)

    def _fetch(self, thread_id: str) -> None:
        self._preview_timer = None
        if self._fetching == thread_id:
            return
        self._fetching = thread_id
        self._fetch_worker(thread_id)

    @work(exclusive=True, group="messages", exit_on_error=False)
    async def _fetch_worker(self, thread_id: str) -> None:
        count = await self.engine.fetch_messages(thread_id)
        self.post_message(MessagesFetched(thread_id, count))

    async def on_messages_fetched(self, message: MessagesFetched) -> None:
        self._fetching = None
        if self._inbox_gone():
            return
        if self.sync_state == "offline":
            self.sync_state = "idle"
            self.update_status()
        if self.shown_thread is not None and self.shown_thread.id == message.thread_id:
            fresh = queries.thread(self.conn, message.thread_id)
            if fresh is not None:
                await self.show_thread(fresh)
        self.threads.load(keep_anchor=True)

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker errors become status and notices."""
        worker = event.worker
        if event.state == WorkerState.CANCELLED and worker.group == "messages":
            self._fetching = None
        if event.state != WorkerState.ERROR:
            return
        error = worker.error
        from o2d_inbox.api.errors import AuthError, NetworkError, WorkspaceAccessError

        try:
            from o2d_inbox.sync.engine import SyncLocked
        except ImportError:  # pragma: no cover
            SyncLocked = ()  # noqa: N806
        reason = safe_line(str(error)) or type(error).__name__
        if worker.group == "filter":
            if not (isinstance(error, sqlite3.OperationalError) and "interrupt" in str(error)):
                self.notify(f"Search failed: {reason}", severity="warning", timeout=4)
            return
        if worker.group == "messages":
            thread_id, self._fetching = self._fetching, None
            if isinstance(error, NetworkError):
                self.sync_state = "offline"
                note = "messages not cached yet — offline"
            else:
                note = f"could not load messages: {reason}"
            if self.shown_thread is not None and self.shown_thread.id == thread_id:
                await self.show_thread(self.shown_thread, note=note)
        elif isinstance(error, SyncLocked):
            self.sync_state, self.sync_detail = "idle", ""
            self.notify("Another o2d-inbox is syncing this cache; showing what it writes", timeout=4)
        elif isinstance(error, NetworkError):
            self.sync_state, self.sync_detail = "offline", ""
        else:
            self.sync_state, self.sync_detail = "error", reason
            severity = "error" if isinstance(error, (AuthError, WorkspaceAccessError)) else "warning"
            self.notify(f"Sync failed: {reason}", severity=severity, timeout=6)
        self.update_status()

    async def on_unmount(self) -> None:
        if self._reader_conn is not None:
            self._reader_conn.interrupt()
        close = getattr(self._client, "aclose", None)  # only one that was built
        if close is not None:
            try:
                await close()
            except Exception:  # noqa: BLE001 - closing a pool at exit must not raise
                pass


def build_app(config: Any = None, *, client: Any = None, client_factory: Callable[[], Any] | None = None,
              conn: sqlite3.Connection | None = None, clock: Clock | None = None, engine: Any = None,
              sync_every: float | None = SYNC_EVERY) -> InboxApp:
    """The app, for the CLI, the tests and the snapshots alike.

    client (or client_factory, called on first use) None (and engine None) = offline on the
    cache; conn None = the config's cache;
    clock = the time ages and "synced N min ago" are measured against (tests fix it);
    engine = a SyncEngine-like object (tests inject a fake; default context.make_engine).
    """
    if config is None:
        from o2d_inbox.config import Config

        config = Config()
    if conn is None:
        from o2d_inbox.context import open_cache

        conn = open_cache(config)
    return InboxApp(config, conn, client=client, client_factory=client_factory, engine=engine, clock=clock,
                    sync_every=sync_every)
