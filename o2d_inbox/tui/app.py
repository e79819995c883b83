"""The inbox app. ``build_app`` is the one factory the CLI, the tests and the snapshots use.

The app keeps what outlives a screen: the config, the cache connection, the API client, the
sync engine, the workers (sync, message fetches, the outbox dispatcher, searches), the theme
and the keymap. What the user looks at and the keys that act on it are the inbox screen's
(tui/inbox.py) and its controllers'.

The screen always draws from the cache; sync and message fetches run in workers that end by
posting a typed message, and one handler (on_worker_state_changed) turns any worker error
into status / a notice. Without a client the app runs offline on the cache alone.
"""

from __future__ import annotations

import asyncio
import gc
import sqlite3
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from rich.text import Text
from textual import events, work
from textual._dispatch_key import dispatch_key
from textual.app import App
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from o2d_inbox.cache import queries
from o2d_inbox.cache.db import cache_error, is_read_only
from o2d_inbox.cache.queries import ThreadRow, View
from o2d_inbox.config import Config
from o2d_inbox.keymap import check_keymap, keys_of
from o2d_inbox.outbox import queue as outbox
from o2d_inbox.render.text import fit, safe_line
from o2d_inbox.tui.conversation import ConversationView
from o2d_inbox.tui.inbox import TYPED_IN_INBOX, InboxScreen, inbox_of
from o2d_inbox.tui.keys import bindings, help_sections, key_for
from o2d_inbox.tui.lead_actions import refresh_open_stats
from o2d_inbox.tui.messages import MessagesFetched, SyncFinished, SyncProgressed
from o2d_inbox.tui.outbox_actions import OutboxChanged
from o2d_inbox.tui.palette import InboxCommands
from o2d_inbox.tui.sidebar import Sidebar
from o2d_inbox.tui.themes import discover_themes
from o2d_inbox.tui.thread_list import ThreadList

SYNC_EVERY = 30.0  # seconds between background syncs
SETTING_SAVE_DELAY = 1.0  # seconds a newly chosen theme or sort stays before it is saved

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _collect_garbage_again() -> None:
    """After the first frame: garbage collection back on, if the start turned it off
    (commands/app.py), with what exists by now (Textual, the screen) set aside for good, so
    no collection while keys come in walks it again."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


class InboxApp(App[None]):
    TITLE = "o2d-inbox"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {InboxCommands}
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = bindings("app")

    outbox_idle = 1.0  # dispatcher: seconds between looks at the outbox when nothing is due
    outbox_poll_backoff: tuple[float, ...] = (1, 2, 4, 8, 15, 30)

    def __init__(
        self,
        config: Config,
        conn: sqlite3.Connection,
        *,
        client: Any = None,
        client_factory: Callable[[], Any] | None = None,
        engine: Any = None,
        clock: Clock | None = None,
        sync_every: float | None = SYNC_EVERY,
    ) -> None:
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
        self.sync_state = "idle" if self.online or engine is not None else "offline"
        self.sync_detail = ""
        self.last_synced: datetime | None = None
        self.fetching: str | None = None  # the thread whose messages a worker is fetching
        self._reader_conn: sqlite3.Connection | None = None
        self._dispatcher: Any = None
        self._outbox_stop: asyncio.Event | None = None
        self._save_timer: Timer | None = None
        # the settings the file has (the theme: set once on_mount chose one), and those chosen since
        self._saved: dict[str, str] = {"sort": config.sort} if config.sort else {}
        self._chosen: dict[str, str] = {}
        self.keymap: dict[str, str] = dict(config.keymap or {})  # binding id -> keys (config [keymap])
        from o2d_inbox.config import default_config_file

        for found in discover_themes([default_config_file().parent / "themes"]):
            self.register_theme(found)
        theme = self.config.theme or "o2d-dark"
        self._unknown_theme = theme if theme not in self.available_themes else None
        self._start_with_theme("o2d-dark" if self._unknown_theme else theme)

    def _start_with_theme(self, name: str) -> None:
        """``name`` in place before any CSS is read, as Textual's default theme is: set
        through ``App.theme`` (its watcher), the stylesheet would be parsed a second time on
        the way to the first frame (~6 ms), and set later, the screen restyled once more."""
        self.set_reactive(App.theme, name)
        dark = self.current_theme.dark
        self.update_classes({f"-theme-{name}": True, "-dark-mode": dark, "-light-mode": not dark}, update=False)
        self.stylesheet.set_variables(self.get_css_variables())
        self._refresh_truecolor_filter(self.ansi_theme)  # what the watcher does for the ANSI colours

    def get_default_screen(self) -> InboxScreen:
        return InboxScreen(self)

    @property
    def inbox(self) -> InboxScreen:
        """The inbox screen (under whatever dialog is open)."""
        return inbox_of(self)

    # -- the inbox's state, for scripts and tests that drive the app ----------------------
    @property
    def threads(self) -> ThreadList:
        return self.inbox.threads

    @property
    def sidebar(self) -> Sidebar:
        return self.inbox.sidebar

    @property
    def pane(self) -> ConversationView:
        return self.inbox.pane

    @property
    def shown_thread(self) -> ThreadRow | None:
        """The thread on screen: the one every action on "the thread" acts on."""
        return self.inbox.shown_thread

    @property
    def view(self) -> View:
        return self.inbox.view

    def action_show_queue(self, option_id: str) -> None:
        self.inbox.action_show_queue(option_id)

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        return self.inbox.palette_commands()

    def help_sections(self) -> list[tuple[str, list[Binding]]]:
        return help_sections()

    # -- client, engine ------------------------------------------------------------------
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
    def engine(self):
        if self._engine is None:
            from o2d_inbox.context import make_engine

            self._engine = make_engine(self.config, self.conn, self.client)
        return self._engine

    def workspace(self) -> int | None:
        """The workspace shown: the configured one, else the one the client resolved (without
        building a client to find out)."""
        if self.config.workspace is not None:
            return self.config.workspace
        return getattr(self._client, "workspace_id", None)

    def can_sync(self) -> bool:
        return not self.read_only and (self.online or self._engine is not None)

    def on_mount(self) -> None:
        self.call_after_refresh(_collect_garbage_again)
        if self._unknown_theme is not None:
            self.notify(f"unknown theme {safe_line(self._unknown_theme)!r}; using o2d-dark", severity="warning")
        self._saved["theme"] = self.theme  # a fallback is not a choice: the file keeps its value
        if self.keymap:
            self.set_keymap(self.keymap)
            for problem in check_keymap(self.keymap):  # a typo would otherwise do nothing, silently
                self.notify(safe_line(problem), severity="warning", timeout=10, markup=False)
        if self.read_only:
            self.notify(
                "The cache is read-only: showing it as it is; nothing can be changed or "
                "synced until its file and folder are writable",
                severity="warning",
                timeout=8,
            )
        if self.can_sync():
            self.call_after_refresh(self.sync)
            if self.sync_every:
                self.set_interval(self.sync_every, self._periodic_sync)
        if self.online and not self.read_only:
            self.call_after_refresh(self._outbox_worker)  # after the first frame (see client)

    def watch_theme(self, theme: str) -> None:
        # intent colours come from the theme's variables: redraw what uses them once the
        # new variables are in place
        if not self._inbox_gone():
            self.call_after_refresh(self.inbox.recolour)
        if "theme" in self._saved:  # not the theme on_mount sets
            self.keep_setting("theme", theme)

    # -- a theme or sort chosen in the app is kept in config.toml ----------------------------
    # After SETTING_SAVE_DELAY of stillness (a theme picker previews each theme it passes, `O`
    # cycles through orders), and at exit; only a choice that differs from the file's, and only
    # where load_config looked for the file (a Config made in code, as in tests, is never written).
    def keep_setting(self, key: str, value: str) -> None:
        if self.config.settings_file is None:
            return
        self._chosen[key] = value
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(SETTING_SAVE_DELAY, self.save_settings)

    def save_settings(self) -> None:
        from o2d_inbox.config import ConfigError, save_setting

        self._save_timer = None
        path, chosen, self._chosen = self.config.settings_file, self._chosen, {}
        for key, value in chosen.items():
            if path is None or self._saved.get(key) == value:
                continue
            try:
                save_setting(path, key, value)
            except ConfigError as exc:
                self.notify(
                    f"{key.title()} not saved: {safe_line(str(exc))}", severity="warning", timeout=6, markup=False
                )
                return
            self._saved[key] = value
            setattr(self.config, key, value)
            if key == "theme":  # a sort says itself in the header; a theme's name is worth a word
                self.notify(f"Theme {safe_line(value)} saved in {path}", timeout=3, markup=False)

    def on_resize(self, event) -> None:
        if not self._inbox_gone():
            self.inbox.apply_width(event.size.width)  # the inbox's, not a dialog's over it

    # -- keys ----------------------------------------------------------------------------
    async def _on_key(self, event: events.Key) -> None:
        # Textual's own (bindings, then key_ methods), plus: a key that comes back from the
        # inbox after a dialog took the screen was typed for that dialog, right behind the key
        # that opened it (r then fast typing): it goes there, in order, as if typed now.
        event.prevent_default()  # instead of App._on_key, which would check the bindings again
        if self.screen is not self.screen_stack[0] and getattr(event, TYPED_IN_INBOX, False):
            again = events.Key(event.key, event.character)
            if not await self._check_bindings(again.key, priority=True):
                (self.screen.focused or self.screen).post_message(again)
            return
        if not await self._check_bindings(event.key):
            await dispatch_key(self, event)

    def key_for(self, action_id: str) -> str:
        """The key for ``action_id`` as hints name it, after the user's keymap."""
        return key_for(self, action_id)

    def search_keys(self) -> set[str]:
        """The keys bound to app.filter (search) now, keymap applied, in Textual's key names."""
        keys = self._normalize_keymap({"k": keys_of("app.filter", self.keymap)})["k"]
        return {key.strip() for key in keys.split(",")}

    # -- quitting: nothing queued is left behind without asking ----------------------------
    quit_send_wait = 15.0  # seconds "send now" waits for the server before quitting anyway

    async def action_quit(self) -> None:
        """Quit; with items still in their undo window, ask first (tui/quit_dialog.py)."""
        waiting = [] if self.read_only or self._inbox_gone() else outbox.in_undo_window(self.conn, self.outbox_now())
        if not waiting:
            self.exit()
            return
        from o2d_inbox.tui.quit_dialog import QuitScreen

        if any(isinstance(screen, QuitScreen) for screen in self.screen_stack):
            return
        controller = self.inbox.outbox
        ids = [item.id for item in waiting]
        can_send = self._dispatcher is not None and self.sync_state != "offline"

        def lines() -> list[str]:  # the dialog counts down; an item the dispatcher took leaves it
            return [controller.describe(item) for item in self._still_scheduled(ids)]

        def answered(answer: str | None) -> None:
            if answer is not None:
                self.call_later(self._quit_with, answer, ids)

        self.push_screen(QuitScreen(lines, can_send=can_send), self.guard(answered))

    def _still_scheduled(self, ids: list[int]) -> list[outbox.OutboxItem]:
        """The items of ``ids`` still in their undo window (not yet taken by the dispatcher)."""
        items = (outbox.get(self.conn, item_id) for item_id in ids)
        return [item for item in items if item is not None and item.state == "scheduled"]

    async def _quit_with(self, answer: str, ids: list[int]) -> None:
        if answer != "send":  # what the dispatcher took while the dialog was open is not kept or undone
            ids = [item.id for item in self._still_scheduled(ids)]
            if not ids:
                self.exit()
                return
        n = len(ids)
        items = "1 item" if n == 1 else f"{n} items"
        if answer == "cancel":
            for item_id in ids:
                outbox.undo(self.conn, item_id, now=self.outbox_now())
            self.exit(
                message=Text(
                    f"o2d-inbox: {items} not sent; a message stays as a draft "
                    f"({self.key_for('thread.reply')} on its thread resumes it)"
                )
            )
            return
        if answer == "send":
            outbox.send_now(self.conn, ids, now=self.outbox_now())
            self.wake_outbox()
            self.notify(f"Sending {items} …", timeout=self.quit_send_wait)
            self.run_worker(self._send_then_quit(ids), group="quit", exit_on_error=False)
            return
        self.exit(
            message=Text(f"o2d-inbox: {items} kept queued; sent at the next launch or by `o2d-inbox outbox flush`")
        )

    async def _send_then_quit(self, ids: list[int]) -> None:
        """Quit once every item has left (the server answered, or it failed), or after
        quit_send_wait: what is still queued then is sent at the next launch, same key."""
        step, left = 0.05, len(ids)
        for _ in range(int(self.quit_send_wait / step)):
            items = [outbox.get(self.conn, item_id) for item_id in ids]
            left = sum(1 for item in items if item is not None and item.state in ("scheduled", "sending"))
            if not left:
                break
            await asyncio.sleep(step)
        self.exit(
            message=Text(
                f"o2d-inbox: {left} item(s) not answered yet; sent at the next launch (same request, never twice)"
            )
            if left
            else None
        )

    # -- status ----------------------------------------------------------------------------
    def _outbox_pending(self) -> int:
        """Items that will be sent (queued, in flight): what the header counts. A draft is
        not pending: nothing leaves until the user sends it."""
        return outbox.to_send_count(self.conn)

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
            text.append(("cache only" if not self.can_sync() else "not synced") if not compact else "")
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
        if not self._inbox_gone():
            self.inbox.update_status()

    # -- local faults: a write the cache refused (disk full, read-only, damaged) -----------
    # is a notice, not the end of the session: its transaction was rolled back and the screen
    # still shows the cache as it is. Every key runs through run_action; a dialog's answer
    # through guard(). (Textual stops a widget's message loop at an uncaught error.)
    async def run_action(self, action: Any, default_namespace: Any = None, namespaces: Any = None) -> bool:
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except Exception as exc:  # only a cache fault is handled here
            if not self.tell_fault(exc):
                raise
            return True

    def guard(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        """``callback`` (a dialog's result handler) with a cache fault turned into a notice."""

        def guarded(*args: Any) -> Any:
            try:
                return callback(*args)
            except Exception as exc:  # only a cache fault is handled here
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

    # -- sync ------------------------------------------------------------------------------
    def sync(self, full: bool = False) -> None:
        if not self.can_sync():
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
            self.sync()

    @work(exclusive=True, group="sync", exit_on_error=False)
    async def _sync_worker(self, full: bool) -> None:
        def progress(p) -> None:
            self.post_message(SyncProgressed(p.phase, p.done, p.total))

        result = await self.engine.sync(full=full, progress=progress)
        self.post_message(SyncFinished(result))

    def _inbox_gone(self) -> bool:
        """The inbox's widgets are gone (the app is shutting down, or not started): a
        worker's last message, posted just before, has nothing left to update."""
        return not self.screen_stack or not self.screen_stack[0].query("#threads")

    def on_sync_progressed(self, message: SyncProgressed) -> None:
        if self._inbox_gone():
            return
        total = f"/{message.total:,}" if message.total else ""
        self.sync_detail = f"{message.phase} {message.done:,}{total}"
        self.update_status()

    async def on_sync_finished(self, message: SyncFinished) -> None:
        self.sync_state, self.sync_detail = "idle", ""
        if self._inbox_gone():
            return
        self.last_synced = self.clock()
        await self.inbox.synced(getattr(message.result, "new", 0))
        refresh_open_stats(self)
        from o2d_inbox.tui.alerts import announce

        announce(self, self.conn, list(getattr(message.result, "interested", ())), self.config.alerts)

    # -- message fetches ----------------------------------------------------------------------
    def fetch(self, thread_id: str) -> None:
        """Fetch one thread's messages in the background (once at a time per thread)."""
        if self.fetching == thread_id:
            return
        self.fetching = thread_id
        self._fetch_worker(thread_id)

    @work(exclusive=True, group="messages", exit_on_error=False)
    async def _fetch_worker(self, thread_id: str) -> None:
        count = await self.engine.fetch_messages(thread_id)
        self.post_message(MessagesFetched(thread_id, count))

    async def on_messages_fetched(self, message: MessagesFetched) -> None:
        self.fetching = None
        if self._inbox_gone():
            return
        if self.sync_state == "offline":
            self.sync_state = "idle"
            self.update_status()
        await self.inbox.messages_fetched(message.thread_id)

    # -- searches: a second, read-only connection ------------------------------------------
    def reader(self) -> sqlite3.Connection | None:
        """A second connection to the cache file for searches in a thread (None: in-memory)."""
        if self._reader_conn is None:
            path = queries.database_file(self.conn)
            if path is None:
                return None
            from o2d_inbox.cache.db import open_db

            self._reader_conn = open_db(path, readonly=True)
        return self._reader_conn

    def interrupt_reader(self) -> None:
        if self._reader_conn is not None:
            self._reader_conn.interrupt()

    def run_search_worker(self, search: Callable[[], None]) -> None:
        self.run_worker(search, thread=True, exclusive=True, group="filter", exit_on_error=False)

    # -- the outbox dispatcher ----------------------------------------------------------------
    def outbox_now(self) -> float:
        return self.clock().timestamp()

    @work(exclusive=True, group="outbox", exit_on_error=False)
    async def _outbox_worker(self) -> None:
        from o2d_inbox.context import make_dispatcher

        self._outbox_stop = stop = asyncio.Event()
        self._dispatcher = make_dispatcher(
            self.config,
            self.conn,
            self.client,
            clock=self.outbox_now,
            poll_backoff=self.outbox_poll_backoff,
            idle_interval=self.outbox_idle,
        )
        try:
            await self._dispatcher.run(stop, on_change=lambda: self.post_message(OutboxChanged()))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a dead dispatcher is a notice, not a crash
            self.notify(
                f"The outbox stopped sending: {safe_line(str(exc)) or type(exc).__name__}",
                severity="error",
                timeout=8,
                markup=False,
            )

    def wake_outbox(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.wake()

    def outbox_busy(self) -> bool:
        """Another process holds this outbox's send lock."""
        return bool(getattr(self._dispatcher, "busy", False))

    async def on_outbox_changed(self, message: OutboxChanged) -> None:
        changes = self._dispatcher.drain_changes() if self._dispatcher is not None else []
        if not self._inbox_gone():
            await self.inbox.outbox_changed(changes)

    # -- worker errors ----------------------------------------------------------------------------
    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker errors become status and notices."""
        worker = event.worker
        if event.state == WorkerState.CANCELLED and worker.group == "messages":
            self.fetching = None
        if event.state != WorkerState.ERROR:
            return
        error = worker.error
        from o2d_inbox.api.errors import AuthError, NetworkError, WorkspaceAccessError
        from o2d_inbox.sync.engine import SyncLocked

        reason = safe_line(str(error)) or type(error).__name__
        if worker.group == "filter":
            if not (isinstance(error, sqlite3.OperationalError) and "interrupt" in str(error)):
                self.notify(f"Search failed: {reason}", severity="warning", timeout=4)
            return
        if worker.group == "messages":
            thread_id, self.fetching = self.fetching, None
            if isinstance(error, NetworkError):
                self.sync_state = "offline"
                note = "messages not cached yet — offline"
            else:
                note = f"could not load messages: {reason}"
            if not self._inbox_gone():
                await self.inbox.fetch_failed(thread_id, note)
        elif isinstance(error, SyncLocked):
            self.sync_state, self.sync_detail = "idle", ""
            self.notify("Another o2d-inbox is syncing this cache; showing what it writes", timeout=4)
        elif isinstance(error, NetworkError):
            self.sync_state, self.sync_detail = "offline", ""
        else:
            self.sync_state, self.sync_detail = "error", reason
            severity: SeverityLevel = "error" if isinstance(error, (AuthError, WorkspaceAccessError)) else "warning"
            self.notify(f"Sync failed: {reason}", severity=severity, timeout=6)
        self.update_status()

    async def on_unmount(self) -> None:
        if self._save_timer is not None:
            self.save_settings()
        if self._outbox_stop is not None:
            self._outbox_stop.set()
        self.interrupt_reader()
        close = getattr(self._client, "aclose", None)  # only one that was built
        if close is not None:
            try:
                await close()
            except Exception:  # noqa: BLE001 - closing a pool at exit must not raise
                pass


def build_app(
    config: Any = None,
    *,
    client: Any = None,
    client_factory: Callable[[], Any] | None = None,
    conn: sqlite3.Connection | None = None,
    clock: Clock | None = None,
    engine: Any = None,
    sync_every: float | None = SYNC_EVERY,
) -> InboxApp:
    """The app, for the CLI, the tests and the snapshots alike.

    client (or client_factory, called on first use) None (and engine None) = offline on the
    cache; conn None = the config's cache;
    clock = the time ages and "synced N min ago" are measured against (tests fix it);
    engine = a SyncEngine-like object (tests inject a fake; default context.make_engine).
    """
    if config is None:
        config = Config()
    if conn is None:
        from o2d_inbox.context import open_cache

        conn = open_cache(config)
    return InboxApp(
        config, conn, client=client, client_factory=client_factory, engine=engine, clock=clock, sync_every=sync_every
    )
