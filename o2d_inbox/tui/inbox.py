"""The inbox screen: header, queues sidebar, search box, thread list, conversation pane,
undo bar and footer, and what the user is looking at (the queue, Relevant / full feed,
the thread on screen).

Its keys (o2d_inbox/keymap.py, context "inbox") go to three plain controllers, each with
the typed dependencies it names (a Protocol this screen fulfils): SearchController
(tui/search.py), TriageController (tui/triage.py, with the one undo) and OutboxController
(tui/outbox_actions.py). What outlives a screen (config, the cache connection, the client,
the sync engine, workers, the theme) is the app's (tui/app.py); the screen reads it through
``AppServices``.

The thread on screen: ``shown_thread`` is the one thread whose conversation the pane shows
(the preview of the highlighted row, or the one opened); every action on "the thread" reads
it, and a bulk selection, when there is one, says how many threads it touched instead.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, cast

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.reactive import Reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input

from o2d_inbox.cache import local, queries
from o2d_inbox.cache.db import write_stamp
from o2d_inbox.cache.queries import SORTS, ThreadRow, View
from o2d_inbox.config import Config
from o2d_inbox.outbox import queue as outbox
from o2d_inbox.outbox.queue import OutboxItem
from o2d_inbox.render.text import safe_line
from o2d_inbox.tui.conversation import ConversationView
from o2d_inbox.tui.footer import Footer  # one line of keys, repainted without a layout
from o2d_inbox.tui.header import HeaderBar, Part
from o2d_inbox.tui.intents import INTENTS, ORDER
from o2d_inbox.tui.keys import bindings, help_sections, palette_entries
from o2d_inbox.tui.lead_actions import LeadActions
from o2d_inbox.tui.outbox_actions import OutboxController, UndoBar
from o2d_inbox.tui.search import SearchController, SearchFound
from o2d_inbox.tui.sidebar import Sidebar, compact, queue_key, view_from_id, view_id, view_title
from o2d_inbox.tui.text_box import TextBox
from o2d_inbox.tui.thread_list import ThreadList
from o2d_inbox.tui.triage import WAKE_CHECK_EVERY, TriageController

if TYPE_CHECKING:  # dialogs are imported when first opened: the first frame does not wait for them
    from o2d_inbox.tui.outbox_screen import OutboxScreen

__all__ = ["AppServices", "InboxScreen", "PANE_MIN_WIDTH", "SIDEBAR_MIN_WIDTH", "TYPED_IN_INBOX"]

PREVIEW_FETCH_DELAY = 0.4  # a highlighted, uncached thread is fetched after this much stillness
SIDEBAR_MIN_WIDTH = 150  # below: no sidebar (the list keeps thread_list.MIN_SUBJECT cells of subject)
PANE_MIN_WIDTH = 100  # below: no side-by-side pane (enter shows the conversation full width)
#: how the header names each list order (View.order), in full and short (a narrow header)
SORT_LABELS = {
    "oldest": ("oldest wait first", "oldest"),
    "newest": ("newest first", "newest"),
    "intent": ("by intent", "intent"),
    "wake": ("soonest wake first", "wake"),
}


def sort_label(view: View) -> tuple[str, str]:
    """The header's name of ``view``'s order; by intent says the time order within a group
    (Needs reply's own: the oldest wait first; any other queue: the newest)."""
    full, short = SORT_LABELS[view.order]
    if view.order == "intent":
        full += ", newest first" if view.descending else ", oldest wait first"
    return full, short


#: set on a key as it passes the inbox screen on its way to the app's bindings (InboxApp._on_key)
TYPED_IN_INBOX = "o2d_typed_in_inbox"
NEXT_UNREAD_SCAN = 5000  # rows `N` looks through for an unread thread (the list is paged)


class AppServices(Protocol):
    """What the inbox screen needs from the app (tui/app.py)."""

    config: Config
    conn: sqlite3.Connection
    read_only: bool
    clock: Callable[[], datetime]
    sync_state: str
    fetching: str | None

    @property
    def online(self) -> bool: ...
    def can_sync(self) -> bool: ...
    def status_text(self, compact: bool = False) -> Text: ...
    def workspace(self) -> int | None: ...
    def sync(self, full: bool = False) -> None: ...
    def fetch(self, thread_id: str) -> None: ...
    def reader(self) -> sqlite3.Connection | None: ...
    def interrupt_reader(self) -> None: ...
    def run_search_worker(self, work: Callable[[], None]) -> None: ...
    def wake_outbox(self) -> None: ...
    def outbox_busy(self) -> bool: ...
    def guard(self, callback: Callable[..., Any]) -> Callable[..., Any]: ...
    def key_for(self, action_id: str) -> str: ...
    def keep_setting(self, key: str, value: str) -> None: ...
    @property
    def client(self) -> Any: ...
    def search_keys(self) -> set[str]: ...


class InboxScreen(Screen[None]):
    BINDINGS = bindings("inbox")  # o2d_inbox/keymap.py: every key, its id, help and palette text
    # A focus change repaints what it restyles (Screen._update_focus_styles refreshes every
    # widget whose :focus styles change; the list and the sidebar redraw their cursor on
    # focus / blur), not the whole screen as Screen's own reactive does: opening a thread
    # moves the focus to the pane and back, and each full repaint redrew all 160×48 cells.
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    def __init__(self, services: AppServices) -> None:
        super().__init__()
        self.services = services
        self.relevant = True
        self.sort: str | None = services.config.sort  # the list order chosen (None: each queue's own)
        self.view = View("needs", sort=self.sort)
        self.shown_thread: ThreadRow | None = None
        self._preview_timer: Timer | None = None
        self._pane_behind = False  # the pane still shows a thread the cursor has left
        self._counts: dict[tuple[str, str | None], int] = {}  # every queue's (queue_counts)
        self._counts_read: tuple | None = None  # the state of the cache they were read in
        self.search = SearchController(self)
        self.outbox = OutboxController(self)
        self.triage = TriageController(self, self.outbox)
        self.leads = LeadActions(self)  # stats, export, copy (the leads.* keys)
        self._search_box: Input | None = None

    # -- what the controllers read (their Protocols) ------------------------------------
    @property
    def conn(self) -> sqlite3.Connection:
        return self.services.conn

    @property
    def config(self) -> Config:
        return self.services.config

    @property
    def read_only(self) -> bool:
        return self.services.read_only

    @property
    def online(self) -> bool:
        return self.services.online

    def clock(self) -> datetime:
        return self.services.clock()

    def guard(self, callback: Callable[..., Any]) -> Callable[..., Any]:
        return self.services.guard(callback)

    def key_for(self, action_id: str) -> str:
        return self.services.key_for(action_id)

    def push_screen(self, screen: Any, callback: Any = None) -> Any:
        return self.app.push_screen(screen, callback)

    def fetch(self, thread_id: str) -> None:
        self.services.fetch(thread_id)

    def reader(self) -> sqlite3.Connection | None:
        return self.services.reader()

    def interrupt_reader(self) -> None:
        self.services.interrupt_reader()

    def run_search_worker(self, work: Callable[[], None]) -> None:
        self.services.run_search_worker(work)

    def wake_outbox(self) -> None:
        self.services.wake_outbox()

    def outbox_busy(self) -> bool:
        return self.services.outbox_busy()

    def api_client(self) -> Any:
        """The app's API client, built on first use; None offline."""
        return self.services.client

    def outbox_screens(self) -> list[OutboxScreen]:
        from o2d_inbox.tui.outbox_screen import OutboxScreen

        return [s for s in self.app.screen_stack if isinstance(s, OutboxScreen)]

    def show_undo_bar(self, text: Text | None) -> None:
        for bar in self.query("#undo-bar").results(UndoBar):  # none while the app closes
            bar.show_text(text)

    def focus_box(self) -> None:
        self.set_focus(self.open_search_box())

    def focus_list(self) -> None:
        self.threads.focus()

    def narrow(self) -> bool:
        return self.has_class("-no-pane")

    def set_reading(self, reading: bool) -> None:
        self.set_class(reading, "-reading")

    def on_key(self, event: events.Key) -> None:
        # a key no widget of the inbox took, on its way to the app's bindings: if a dialog has
        # opened by the time it gets there (typed right behind r / f / c), it is the dialog's
        setattr(event, TYPED_IN_INBOX, True)

    # -- layout ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        # The search box is made when search first opens (open_search_box): the first frame
        # does not build, style and lay out a box it does not show. (Splitting the screen off
        # with `split` instead of the two containers saved a little at start but made each
        # queue switch ~5 ms slower in a real terminal.)
        yield HeaderBar(self._workspace_label(), id="header")
        with Horizontal(id="main"):
            sidebar = Sidebar(id="queues")
            sidebar.border_title = "Queues"
            yield sidebar
            with Vertical(id="list-column"):
                yield ThreadList(
                    self.conn,
                    self.view,
                    clock=self.services.clock,
                    id="threads",
                    search_keys=self.services.search_keys,
                    open_search=self.search.open,
                    on_cursor=self._cursor_moved,
                    count=self._preset_count(self.queue_counts(needs=False), self.view),
                    count_later=True,  # Needs reply is counted after the first frame (on_mount)
                )
            yield ConversationView(id="pane", now=self.services.clock)
        yield UndoBar(id="undo-bar")
        yield Footer()

    @property
    def search_box(self) -> Input | None:
        """The search box, once search has opened it (None before)."""
        return self._search_box

    def open_search_box(self) -> Input:
        """The search box, made (hidden) above the list the first time search asks for it."""
        if self._search_box is None:
            self._search_box = TextBox(
                placeholder='search: words "a phrase" from: to: intent: mailbox: campaign: before: after: is:unread',
                id="filter",
                select_on_focus=False,
            )
            self._search_box.display = False
            self.query_one("#list-column").mount(self._search_box, before=self.threads)
        return self._search_box

    def _workspace_label(self) -> str:
        if self.config.demo:
            return "demo workspace (simulator)"
        workspace = self.services.workspace()
        # unconfigured, the client learns it at its first request (the key's only workspace)
        return f"workspace {workspace}" if workspace is not None else "no workspace chosen"

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
        self.apply_width(self.app.size.width)
        # The first frame shows every count but Needs reply's ("…"): counted on its index, it
        # takes longer than drawing the screen on a large cache (~25 ms at 1,000,000 threads)
        self.refresh_counts(needs=False)
        self.call_after_refresh(self._count_after_first_frame)
        self.update_titles()
        self.update_status()
        self.threads.focus()
        self.set_interval(30, self.update_status)
        self.set_interval(0.5, self.outbox.tick)
        self.triage.wake_check()
        self.set_interval(WAKE_CHECK_EVERY, self.triage.wake_check)

    _resumed = False

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # (Screen's own handler runs after this one.) The first resume comes as the app starts,
        # right after every widget was styled when it was mounted, with the stylesheet the app
        # has now: styling them all again held the first frame back by ~5 ms. Later resumes
        # (back from a dialog, a theme changed meanwhile) restyle as Textual does.
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False

    def _screen_resized(self, size: Size) -> None:
        # Textual tells the screen its size twice more while the app starts (the app's first
        # Resize, then the driver's); at the size already laid out each was a full layout and
        # repaint of the screen before the preview could show
        if size != self._compositor.size:
            super()._screen_resized(size)

    def apply_width(self, width: int) -> None:
        self.set_class(width < SIDEBAR_MIN_WIDTH, "-no-sidebar")
        self.set_class(width < PANE_MIN_WIDTH, "-no-pane")
        if width >= PANE_MIN_WIDTH:
            self.remove_class("-reading")

    def recolour(self) -> None:
        self.refresh_counts()
        self.threads.refresh()
        self.update_status()

    # -- counts, titles, header --------------------------------------------------------
    def queue_counts(self, *, needs: bool = True) -> dict[tuple[str, str | None], int]:
        """Every queue's count, read again only when the cache was written since the last
        read (cache.db.write_stamp). A queue switch changes which queue is current, not the
        counts, and Needs reply's count costs ~12 ms on 1,000,000 threads (warm; ~25 cold).
        ``needs=False``: without it, if it was not read yet."""
        state = (self.relevant, write_stamp(self.conn))
        if state != self._counts_read or (needs and ("needs", None) not in self._counts):
            self._counts, self._counts_read = queries.sidebar_counts(self.conn, self.relevant, needs=needs), state
        return self._counts

    def _count_after_first_frame(self) -> None:
        """Needs reply's count, which the first frame was drawn without, in the sidebar, the
        list (its scrollbar) and the list's title."""
        counts = self.refresh_counts()
        threads = self.threads
        if not threads.counted:  # still the queue it started on: the sidebar counted it
            found = self._preset_count(counts, self.view)
            if found is not None:
                threads.count = found
        self.update_titles()

    def refresh_counts(self, *, needs: bool = True) -> dict[tuple[str, str | None], int]:
        """The sidebar's counts as the cache has them now, returned (``needs``: queue_counts)."""
        counts = self.queue_counts(needs=needs)
        self.sidebar.update_queues(
            counts,
            queries.mailboxes(self.conn, self.relevant, counts=counts),
            queries.campaigns(self.conn, self.relevant, counts=counts),
            view_id(self.view),
            self.app.theme_variables,  # the theme's, as the stylesheet last computed them
        )
        return counts

    def _preset_count(self, counts: dict, view: View) -> int | None:
        """``view``'s count as the sidebar's counts have it (no count query of its own), if
        they count that queue."""
        key = None if view.narrow or view.relevant != self.relevant else queue_key(view)
        return counts.get(key) if key is not None else None

    def _campaign_names(self) -> dict[str, str]:
        if self.view.kind != "campaign" or self.view.key is None:
            return {}
        name = queries.campaign_name(self.conn, self.view.key)
        return {self.view.key: name} if name else {}

    def update_titles(self) -> None:
        threads = self.threads
        searched = self.search.title()
        self.update_header()  # the sort is named while the list shows a queue
        if searched is not None:  # the list shows a search (tui/search.py)
            threads.border_title = searched
            return
        parts = [
            view_title(self.view, self._campaign_names()),
            "Relevant" if self.relevant else "Full feed",
            compact(threads.count) if threads.counted else "…",  # counted right after the first frame
        ]
        threads.border_title = Text(" · ".join(parts))

    def update_status(self) -> None:
        """The header's right side: sync · outbox · connection (the app's state)."""
        services = self.services
        self.query_one("#header", HeaderBar).set_right(services.status_text(), services.status_text(compact=True))

    def update_header(self) -> None:
        """The header's left side: workspace, the triage tally, the list's order, how many
        threads are selected (the selection is visible here even while the list is hidden
        behind the reader). A search's hits keep their own order: no sort then."""
        parts: list[Part] = [self._workspace_label()]
        banner = self.triage.banner()
        if banner:
            parts.append(banner)
        if self.search.title() is None:
            full, short = sort_label(self.view)
            parts.append((f"sort: {full}", f"↕ {short}"))
        if self.threads.selection:
            parts.append((f"{len(self.threads.selection)} selected", f"{len(self.threads.selection)} sel"))
        self.query_one("#header", HeaderBar).set_left(parts)

    def reload_lists(self) -> None:
        """The list, the counts and the title again (something changed in the cache)."""
        self.threads.load(keep_anchor=True)
        self.refresh_counts()
        self.update_titles()

    def reread_rows(self) -> None:
        """The rows again, the queue unchanged (an outbox item's mark, a note)."""
        self.threads.reread()

    # -- queues ------------------------------------------------------------------------
    def set_view(self, view: View) -> None:
        self.search.drop()
        self.show_view(view)

    def show_view(self, view: View) -> None:
        if self.sort is not None and view.kind != "snoozed" and view.sort != self.sort:
            view = dataclasses.replace(view, sort=self.sort)  # the chosen order follows the user
        self.view = view
        counts = self.refresh_counts()
        # a selection belongs to the queue it was made in: it ends
        self.threads.load(view, count=self._preset_count(counts, view))
        self.update_titles()  # and the header, which names the order

    @on(Sidebar.Selected, "#queues")
    def _queue_selected(self, event: Sidebar.Selected) -> None:
        self.set_view(view_from_id(event.option_id, relevant=self.relevant))
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

    def action_sort(self) -> None:
        """The next list order (oldest wait, newest, by intent) for this queue and every one
        shown after it; Snoozed keeps its wake order, a search its own."""
        if self.search.title() is not None:
            self.notify("Search hits keep their order; the sort applies to queues", timeout=3)
            return
        if self.view.kind == "snoozed":
            self.notify("Snoozed stays in wake order: the soonest first", timeout=3)
            return
        current = self.view.order
        self.sort = SORTS[(SORTS.index(current) + 1) % len(SORTS)] if current in SORTS else SORTS[0]
        selection = set(self.threads.selection)  # the same queue: a selection made in it stays
        self.show_view(self.view)
        if selection:
            self.threads.selection |= selection
            self.threads.refresh()
            self.update_header()
        self.services.keep_setting("sort", self.sort)
        self.notify(f"Sorted: {sort_label(self.view)[0]}", timeout=2)

    def action_toggle_relevant(self) -> None:
        self.relevant = not self.relevant
        if self.search.searching:
            self.search.rerun()
        else:
            self.set_view(View(self.view.kind, self.view.key, relevant=self.relevant))
        self.notify("Relevant threads only" if self.relevant else "Full feed: warmup and postmaster too", timeout=2)

    # -- search (tui/search.py) ----------------------------------------------------------
    def action_filter(self) -> None:
        self.search.open()

    @on(Input.Changed, "#filter")
    def _search_changed(self, event: Input.Changed) -> None:
        self.search.changed(event.value)

    @on(Input.Submitted, "#filter")
    def _search_submitted(self, event: Input.Submitted) -> None:
        if self.search.submitted(event.value):  # else the box says what is wrong, and keeps focus
            self.threads.focus()

    def on_search_found(self, message: SearchFound) -> None:
        self.search.found(message)

    def action_back(self) -> None:
        if self.triage.clear_selection():  # esc drops a bulk selection first
            return
        box = self.search_box
        if self.search.searching and ((box is not None and box.has_focus) or self.focused is self.threads):
            self.search.end()
            self.threads.focus()
        elif self.has_class("-reading"):
            self.remove_class("-reading")
            self.threads.focus()
        elif self.focused is not self.threads:
            self.threads.focus()

    # -- focus -------------------------------------------------------------------------
    def _panes(self) -> list[Widget]:
        panes: list[Widget] = []
        if not self.has_class("-no-sidebar"):
            panes.append(self.sidebar)
        if not self.has_class("-reading"):
            panes.append(self.threads)
        if not self.has_class("-no-pane") or self.has_class("-reading"):
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
            self.set_focus(next((w for w in target.query("*") if w.can_focus), target))

    def action_focus_next_pane(self) -> None:
        self._cycle(1)

    def action_focus_previous_pane(self) -> None:
        self._cycle(-1)

    # -- help and palette --------------------------------------------------------------
    def action_help(self) -> None:
        from o2d_inbox.tui.help import HelpScreen

        self.app.push_screen(HelpScreen(help_sections()))

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        """The palette: the queues (they change with the cache), every action of the table
        that has a palette name, the themes and the template command."""
        show = self.action_show_queue
        commands: list[tuple[str, str, Callable[[], Any]]] = [
            ("Queue: Needs reply", "threads waiting for our answer, oldest first", lambda: show("needs")),
            ("Queue: All", "every thread, newest first", lambda: show("all")),
        ]
        for key in ORDER:
            look = INTENTS[key]
            commands.append(
                (
                    f"Queue: {look.glyph} {look.label}",
                    f"threads with intent {look.label}",
                    partial(show, f"intent:{key}"),
                )
            )
        for address, _ in queries.mailboxes(self.conn, self.relevant):
            commands.append(
                (f"Mailbox: {safe_line(address)}", "threads of this mailbox", partial(show, f"mailbox:{address}"))
            )
        for cid, name, _ in queries.campaigns(self.conn, self.relevant):
            commands.append(
                (f"Campaign: {safe_line(name or cid)}", "threads of this campaign", partial(show, f"campaign:{cid}"))
            )
        commands += palette_entries(self.app, {"inbox": self, "list": self.threads})
        local_and_themes: list[tuple[str, str, Callable[[], Any]]] = [
            # the local queues (cache/local.py) after the keys, where they always were
            ("Queue: Done", "threads marked done", lambda: show("done")),
            ("Queue: Snoozed", "threads snoozed until a date", lambda: show("snoozed")),
            ("Theme: o2d dark", "", lambda: setattr(self.app, "theme", "o2d-dark")),
            ("Theme: o2d light", "", lambda: setattr(self.app, "theme", "o2d-light")),
        ]
        commands += local_and_themes
        from o2d_inbox.tui.compose import template_command

        return commands + [template_command(self.app)]

    # -- the inbox keys: each goes to the app or a controller --------------------------
    def action_sync(self, full: bool = False) -> None:
        self.services.sync(full)

    def action_select(self) -> None:
        self.triage.select()

    def action_select_range(self) -> None:
        self.triage.select_range()

    async def action_done(self) -> None:
        await self.triage.done()

    def action_snooze(self) -> None:
        self.triage.snooze()

    def action_note(self) -> None:
        self.triage.note()

    def action_triage(self) -> None:
        self.triage.toggle_triage()

    def action_pick_intent(self) -> None:
        self.triage.pick_intent()

    async def action_set_intent(self, key: str) -> None:
        await self.triage.set_intent(key)

    async def action_undo(self) -> None:
        await self.triage.undo()

    async def action_reply(self) -> None:
        await self._open_compose(self.outbox.reply)

    async def action_forward(self) -> None:
        await self._open_compose(self.outbox.forward)

    async def action_compose_new(self) -> None:
        await self._open_compose(self.outbox.compose_new)

    async def _open_compose(self, open_compose: Callable[[], None]) -> None:
        """Compose, and the keys typed right after r / f / c wait until it has a field focused:
        they come back from the list after the key that opened it, in order, and the app puts
        their text into that field (InboxApp._on_key)."""
        open_compose()
        from o2d_inbox.tui.compose import ComposeScreen

        screen = self.app.screen
        if isinstance(screen, ComposeScreen):
            await screen.ready.wait()

    def action_outbox(self) -> None:
        self.outbox.show_outbox()

    def action_leads(self, name: str) -> None:
        self.leads.run(name)

    # -- the triage loop: reading on, unread, select all, going to a queue -----------------
    async def action_next_thread(self) -> None:
        await self.step_thread(1)

    async def action_previous_thread(self) -> None:
        await self.step_thread(-1)

    async def step_thread(self, step: int) -> None:
        """The next / previous thread of the list, read where the user is reading (the pane
        keeps focus, the list cursor follows)."""
        threads = self.threads
        before = threads.cursor
        threads.move_to(before + step)
        if threads.cursor == before or threads.selected is None:
            self.notify("Last thread of this queue" if step > 0 else "First thread of this queue", timeout=2)
            return
        await self.open_thread(threads.selected)

    async def action_mark_unread(self) -> None:
        await self.triage.mark_unread()

    async def action_next_unread(self) -> None:
        """The cursor to the next unread thread below it (the preview follows)."""
        threads = self.threads
        for index in range(threads.cursor + 1, min(threads.count, threads.cursor + 1 + NEXT_UNREAD_SCAN)):
            row = threads.row(index)
            if row is not None and row.unread:
                threads.move_to(index)
                if self.pane.has_focus or self.has_class("-reading"):
                    await self.open_thread(row)
                return
        self.notify("No unread thread below in this queue", timeout=2)

    def action_select_all(self) -> None:
        self.triage.select_all()

    def action_go_to(self) -> None:
        def chosen(option_id: str | None) -> None:
            if option_id is not None:
                self.action_show_queue(option_id)

        from o2d_inbox.tui.go_to import GoToScreen

        self.app.push_screen(GoToScreen(), chosen)

    async def put_away(self, thread_id: str) -> None:
        """Send-and-done: the replied thread marked done (one undo entry, like `e`)."""
        await self.triage.put_away(thread_id)

    async def next_thread_after(self, thread_id: str) -> None:
        """Send-and-next: the thread after ``thread_id`` opened. When the reply already took
        the thread out of the list, the cursor is on the next one; else it steps down."""
        threads = self.threads
        if threads.selected is not None and threads.selected.id == thread_id:
            threads.action_cursor_down()
        if threads.selected is not None and threads.selected.id != thread_id:
            await self.open_thread(threads.selected)

    # -- threads and the pane ----------------------------------------------------------
    def _stop_preview_timer(self) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
            self._preview_timer = None

    def _cursor_moved(self, thread: ThreadRow | None) -> None:
        """The list's cursor is on ``thread`` (called by the list as it moves): from now on it
        is the thread the keys act on, even a key typed in the same burst (`e e`, `] e`),
        before the list's Highlighted message arrives. The pane draws it before the next frame."""
        self.shown_thread = thread
        if not self._pane_behind:
            self._pane_behind = True
            self.call_after_refresh(self._catch_up)

    @on(ThreadList.Highlighted)
    async def _highlighted(self, event: ThreadList.Highlighted) -> None:
        self.search.highlighted()
        self._stop_preview_timer()
        thread = event.thread
        if not self.app.message_queue_size:
            # nothing else waiting: draw it now; else (a held `j`) the pane follows once per
            # frame with the latest thread instead of drawing every one passed over
            await self._catch_up()
        services = self.services
        if (
            thread is not None
            and not thread.messages_cached
            and services.can_sync()
            and services.sync_state != "offline"
        ):
            self._preview_timer = self.set_timer(PREVIEW_FETCH_DELAY, lambda: self._preview_fetch(thread.id))

    async def _catch_up(self) -> None:
        if self._pane_behind:
            await self.show_thread(self.shown_thread)

    def _preview_fetch(self, thread_id: str) -> None:
        self._preview_timer = None
        self.services.fetch(thread_id)

    @on(ThreadList.Opened)
    async def _opened(self, event: ThreadList.Opened) -> None:
        await self.open_thread(event.thread)

    async def show_thread(self, thread: ThreadRow | None, *, note: str | None = None) -> None:
        """Make ``thread`` the thread on screen: the pane shows its conversation and title."""
        self.shown_thread = thread
        self._pane_behind = False
        pane = self.pane
        if thread is None:
            pane.border_title = ""
            await pane.show(None, [])
            return
        messages = queries.messages(self.conn, thread.id)
        if note is None and not thread.messages_cached:
            if not self.services.can_sync():
                note = "messages not cached yet — offline"
            elif self.services.fetching == thread.id:
                note = "loading messages …"
            else:
                note = f"messages not cached yet — {self.key_for('thread.open')} loads them"
        back = self._back_on(thread, messages)
        if back is not None:
            note = f"{back} · {note}" if note else back
        pane.border_title = Text(safe_line(thread.prospect or thread.last_from))
        await pane.show(thread, messages, note=note, pending=outbox.pending_for_thread(self.conn, thread.id))

    def _back_on(self, thread: ThreadRow, messages: list[Any]) -> str | None:
        """An out-of-office thread offers its snooze: the return date its reply names, and
        the key that snoozes it until then (the first choice `s` proposes)."""
        if thread.reply_intent != "out_of_office" or thread.local_done or thread.local_snoozed_until is not None:
            return None
        from o2d_inbox.tui.snooze import proposed_return

        back = proposed_return(thread, messages)
        if back is None or back <= self.clock().astimezone().date():
            return None
        return f"◷ back on {back:%a %-d %b} · {self.key_for('thread.snooze')} snoozes it until then"

    async def open_thread(self, thread: ThreadRow) -> None:
        self._stop_preview_timer()
        if thread.unread and not self.read_only:
            local.mark_read(self.conn, thread.id)
            if self.threads.view.kind == "search":  # `is:unread` may drop it from the list
                self.threads.load(keep_anchor=True)
            else:  # no queue is kept by unread: only the rows drawn change
                self.threads.reread()
            thread = queries.thread(self.conn, thread.id) or thread
        if self.has_class("-no-pane"):
            self.add_class("-reading")
        if thread != self.shown_thread or self._pane_behind:  # usually the preview already shows it
            await self.show_thread(thread)
        self.pane.focus()
        if not thread.messages_cached and self.services.can_sync():
            self.services.fetch(thread.id)
            await self.show_thread(thread)

    # -- what the app's workers report ---------------------------------------------------
    async def synced(self, new: int) -> None:
        """A sync finished: lists, counts and the thread on screen as the cache has them now."""
        self.reload_lists()  # the header too: the workspace is known once the client has asked
        self.update_status()
        shown = self.shown_thread
        if shown is not None:
            fresh = queries.thread(self.conn, shown.id)
            if fresh is not None and fresh != shown:
                await self.show_thread(fresh)
        self.triage.wake_check()
        if new:
            self.notify(f"{new} new thread{'s' if new != 1 else ''}", timeout=3)

    async def messages_fetched(self, thread_id: str) -> None:
        if self.shown_thread is not None and self.shown_thread.id == thread_id:
            fresh = queries.thread(self.conn, thread_id)
            if fresh is not None:
                await self.show_thread(fresh)
        self.threads.load(keep_anchor=True)

    async def fetch_failed(self, thread_id: str | None, note: str) -> None:
        if self.shown_thread is not None and self.shown_thread.id == thread_id:
            await self.show_thread(self.shown_thread, note=note)

    async def outbox_changed(self, changes: list[OutboxItem]) -> None:
        await self.outbox.changed(changes)


def inbox_of(app: Any) -> InboxScreen:
    """The inbox screen under whatever dialog is open."""
    return cast(InboxScreen, app.screen_stack[0])
