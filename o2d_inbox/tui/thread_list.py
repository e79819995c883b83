"""The thread list: a Line-API ScrollView whose rows are paged out of SQLite on demand.

Its cost does not grow with the cache: virtual_size is the queue's count, render_line reads
only the visible rows (pages of PAGE rows, a small LRU; the page after a cached one is read
by keyset, with its outbox marks in one more indexed query). Network text is sanitised
(render.text) and drawn as rich Text, never markup.

The count can come after the rows (load's ``count_later``): counting Needs reply on a million
threads takes longer than drawing the first screen, so the app's first frame shows the first
page without it, and the count is set right after, or read at once by whatever needs it
first (a key or a scroll past the first page). Until then the scrollbar is drawn as for a long
list (UNCOUNTED rows): a one-cell thumb at the top, as any count slow enough to defer draws
it; a scrollbar that came only with the count would lay the whole screen out again.

A row, left to right: unread dot or selection tick; who (the person's name, or the address,
and the company the domain names); the subject, then a snippet of the last message, dimmed;
the marks (✎ a draft, ↑ a send on its way, ! a failed send; ✱ a private note); the intent;
the message count where there is room; the age of the last message (→ when a snoozed thread
wakes). The subject column takes what the others leave: about 30 cells at 80 columns, never
fewer than MIN_SUBJECT where the layout shows the sidebar (tui/inbox.py SIDEBAR_MIN_WIDTH).
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Collection
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Input

from o2d_inbox.cache import queries
from o2d_inbox.cache.queries import ThreadRow
from o2d_inbox.cache.writes import is_automated
from o2d_inbox.render.company import company_from_address, name_from_address
from o2d_inbox.render.text import cell_len, fit, safe_line
from o2d_inbox.tui.intents import FALLBACK_COLOURS, look
from o2d_inbox.tui.keys import bindings
from o2d_inbox.tui.scrolling import BaseStyle, set_virtual_size

PAGE = 64
UNCOUNTED = 1 << 20  # the scrollbar's rows while a full first page waits for its count
MAX_PAGES = 24
MIN_SUBJECT = 25  # cells of subject a row keeps wherever the sidebar is shown
WHO_MIN, WHO_MAX = 12, 30  # the who column's cells
TAIL = 1 + 2 + 1 + 5 + 1 + 4  # marks, intent, age (with the spaces before each)
COUNT = 1 + 3  # the message count, where the row has room for it besides MIN_SUBJECT
WHO_WITH_COUNT = 18  # and a name with a word of the company (who they are matters more)
MARKS = {"draft": "✎", "pending": "↑", "failed": "!"}  # outbox states; a row shows the most urgent
NOTE_MARK = "✱"


def _span(seconds: int) -> str:
    """'now', '5m', '3h', '6d', '4w', '5mo', '2y'."""
    for limit, unit, size in (
        (3600, "m", 60),
        (86400, "h", 3600),
        (14 * 86400, "d", 86400),
        (70 * 86400, "w", 7 * 86400),
        (365 * 86400, "mo", 30 * 86400),
    ):
        if seconds < limit:
            return "now" if seconds < 60 else f"{seconds // size}{unit}"
    return f"{seconds // (365 * 86400)}y"


def age(ts: int, now: datetime) -> str:
    """Compact age of a timestamp: 'now', '5m', '3h', '6d', '4w', '5mo', '2y'."""
    if not ts:
        return "—"
    return _span(max(0, int(now.timestamp()) - ts))


def wakes(when: datetime, now: datetime) -> str:
    """Compact time until a snoozed thread wakes: '→5m', '→3h', '→2d', '→now' once due."""
    return "→" + _span(max(0, int((when - now).total_seconds())))


def short_count(n: int) -> str:
    """A message count in the list's 3 cells: '7', '999', '10k', '999k', '12M' (thousands and
    millions rounded down: never more than there are)."""
    if n < 1000:
        return str(n)
    if n < 1_000_000:
        return f"{n // 1000}k"
    return f"{n // 1_000_000}M"


def who(t: ThreadRow) -> str | None:
    """The other party; until the thread's messages teach it, "you" when we wrote last
    (the list API names only the last sender, which is then one of our own mailboxes)."""
    if t.prospect:
        return t.prospect
    if t.last_from and not t.needs_reply and not is_automated(t.last_from):
        return "you"
    return t.last_from


def who_parts(t: ThreadRow) -> tuple[str, str | None]:
    """(person, company) as the list shows them: the name the address reads as, else its
    local part, with the company its domain names; the whole address when no company is
    known (free mail), "you" / the last sender as ``who`` says. Server text, made safe."""
    return _who_parts(who(t))


@lru_cache(maxsize=4096)  # the rows on screen and around them, drawn again on every move
def _who_parts(address: str | None) -> tuple[str, str | None]:
    company = company_from_address(address)
    if company is None:
        return safe_line(address) or "(unknown)", None
    person = name_from_address(address) or (address or "").rpartition("@")[0]
    return safe_line(person), safe_line(company)


def columns(width: int) -> tuple[int, int, bool]:
    """(who cells, subject cells, message count shown) of a row ``width`` cells wide: who about
    a quarter of the row within WHO_MIN..WHO_MAX, the subject the rest but at least MIN_SUBJECT
    where it can be, the count only where both still fit with WHO_WITH_COUNT cells of who."""
    count = width - 3 - TAIL - COUNT - WHO_WITH_COUNT >= MIN_SUBJECT
    tail = TAIL + (COUNT if count else 0)
    who_w = max(WHO_MIN, min(WHO_MAX, width // 4 + 2, width - 3 - tail - MIN_SUBJECT))
    return who_w, width - 2 - who_w - 1 - tail, count


class Listed(Protocol):
    """What the list shows: a queries.View, or anything paged the same way (a search's
    results, tui/search.py, carry their own ``source`` of count / rows / position)."""

    @property
    def kind(self) -> str: ...


class ThreadList(BaseStyle, ScrollView, can_focus=True):
    """Threads of one View; the cursor is an index into the view."""

    BINDINGS = bindings("list")

    COMPONENT_CLASSES = {
        "thread-list--cursor",
        "thread-list--cursor-blurred",
        "thread-list--unread",
        "thread-list--muted",
        "thread-list--empty",
        "thread-list--selected",
    }

    DEFAULT_CSS = """
    ThreadList { background: $surface; }
    ThreadList > .thread-list--cursor { background: $block-cursor-background; color: $block-cursor-foreground; }
    ThreadList > .thread-list--cursor-blurred { background: $block-cursor-blurred-background; }
    ThreadList > .thread-list--unread { color: $foreground; text-style: bold; }
    ThreadList > .thread-list--muted { color: $text-muted; }
    ThreadList > .thread-list--empty { color: $text-muted; text-style: italic; }
    ThreadList > .thread-list--selected { color: $accent; text-style: bold; }
    """

    class Highlighted(Message):
        def __init__(self, thread: ThreadRow | None) -> None:
            super().__init__()
            self.thread = thread

    class Opened(Message):
        def __init__(self, thread: ThreadRow) -> None:
            super().__init__()
            self.thread = thread

    def __init__(
        self,
        conn: sqlite3.Connection,
        view: Listed,
        *,
        clock: Callable[[], datetime],
        search_keys: Callable[[], set[str]] = set,
        open_search: Callable[[], None] = lambda: None,
        on_cursor: Callable[[ThreadRow | None], None] = lambda thread: None,
        count: int | None = None,
        count_later: bool = False,
        id: str | None = None,
    ) -> None:
        """``count``: the view's count, when it was read already (the sidebar's);
        ``count_later``: without it, draw the first page before counting (see load)."""
        super().__init__(id=id)
        self.conn = conn
        self.view: Listed = view
        self._first_count = count
        self._count_later = count_later
        self.clock = clock
        self._search_keys = search_keys  # the keys bound to search now (the keymap may move them)
        self._open_search = open_search
        self._on_cursor = on_cursor
        self._count: int | None = 0  # None: not counted yet (load's count_later)
        self.cursor = 0
        self._pages: OrderedDict[int, list[ThreadRow]] = OrderedDict()
        self._marks: dict[int, dict[str, set[str]]] = {}  # outbox marks of each cached page
        self._last_highlight: str | None = None
        self.new_above = 0  # threads a sync put above the screen since the user looked
        # bulk selection: ids, so drawing stays O(visible rows); the rows show a ✓
        self.selection: set[str] = set()
        self.range_start: str | None = None  # the row `v` selects a range from
        self._looks: dict[str, Style] | None = None  # styles of the parts of a row (_style_looks)
        self._looks_theme = ""

    # -- data --------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.load(view=self.view, count=self._first_count, count_later=self._count_later)

    def load(
        self,
        view: Listed | None = None,
        *,
        keep_anchor: bool = False,
        preloaded: tuple[int, list[ThreadRow]] | None = None,
        count: int | None = None,
        count_later: bool = False,
    ) -> None:
        """Show ``view`` (or re-read the current one). With keep_anchor the selected thread
        stays selected and on the same screen line, whatever arrived above it. ``preloaded``
        = (count, first page) already read elsewhere (a search run in a thread); ``count``
        = the view's count, read already (the sidebar's). ``count_later`` (without either):
        read only the first page; a full page leaves the count to be set (``count = n``) or
        read when first asked for (the module's docstring says how it looks meanwhile)."""
        anchor = self.selected if keep_anchor else None
        if view is not None and view != self.view:
            self.selection.clear()  # a selection belongs to the queue it was made in
            self.range_start = None
        old_cursor, old_scroll = self.cursor, int(self.scroll_y)
        if view is not None:
            self.view = view
        self._pages.clear()
        self._marks.clear()
        if preloaded is not None:
            self._count, first = preloaded
            self._pages[0] = first
        elif count is None and count_later:
            first = self._pages[0] = self._source.rows(self.conn, self.view, 0, PAGE)
            self._count = len(first) if len(first) < PAGE else None  # a short page is all there is
        else:
            self._count = self._source.count(self.conn, self.view) if count is None else count
        set_virtual_size(self, Size(self.size.width, self._rows_or_uncounted))
        target = 0
        if anchor is not None:
            target = self.locate(anchor.id, fallback=old_cursor)
            scroll = max(0, old_scroll + (target - old_cursor))
            # rows that arrived above the screen: say so, instead of moving what is read
            self.new_above = max(0, self.new_above + min(scroll, target - old_cursor))
        else:
            scroll = 0
            self.new_above = 0
        self.cursor = max(0, min(target, self.count - 1)) if target else 0
        self.scroll_to(y=scroll, animate=False, immediate=True)
        self._keep_visible()
        self._update_subtitle()
        self.refresh()
        self._announce()

    @property
    def count(self) -> int:
        """Threads in the view; read now if the list was drawn before its count."""
        if self._count is None:
            self.count = self._source.count(self.conn, self.view)
        return self._count  # type: ignore[return-value]  # set just above

    @count.setter
    def count(self, n: int) -> None:
        counting, self._count = self._count is None, n
        if counting:  # the rows on screen are the first page's, drawn already
            set_virtual_size(self, Size(self.size.width, n), repaint=False)

    @property
    def counted(self) -> bool:
        """False while the list shows its first page without a count (load's count_later)."""
        return self._count is not None

    @property
    def _rows_or_uncounted(self) -> int:
        return UNCOUNTED if self._count is None else self._count

    def _update_subtitle(self) -> None:
        if self.new_above and int(self.scroll_y) == 0:
            self.new_above = 0
        self.border_subtitle = f"↑ {self.new_above:,} new above · g" if self.new_above else ""

    def move_to_thread(self, thread_id: str) -> None:
        """The cursor to ``thread_id`` (or stays where it is, when the view lacks it)."""
        self.move_to(self.locate(thread_id, fallback=self.cursor))

    # -- bulk selection ------------------------------------------------------------------
    def toggle_select(self) -> None:
        """Select or unselect the cursor's thread, then step down (space, space, … selects a run)."""
        row = self.selected
        if row is None:
            return
        self.selection.symmetric_difference_update({row.id})
        self.range_start = row.id
        self.refresh_line(self.cursor)
        self.action_cursor_down()

    def select_range(self) -> None:
        """Select every thread from the anchor (the last one toggled) to the cursor."""
        if self.range_start is None:
            self.toggle_select()
            return
        low, high = sorted((self.locate(self.range_start, fallback=self.cursor), self.cursor))
        for index in range(low, high + 1):
            row = self.row(index)
            if row is not None:
                self.selection.add(row.id)
        self.range_start = self.selected.id if self.selected else None
        self.refresh()

    def clear_selection(self) -> bool:
        """Drop the selection; False when there was none."""
        if not self.selection:
            return False
        self.selection.clear()
        self.range_start = None
        self.refresh()
        return True

    def locate(self, thread_id: str, fallback: int) -> int:
        """The index of ``thread_id`` in the view (``fallback`` when it is not there)."""
        fresh = queries.thread(self.conn, thread_id)
        if fresh is not None:
            pos = self._source.position(self.conn, self.view, fresh)
            if pos < self.count:
                row = self.row(pos)
                if row is not None and row.id == thread_id:
                    return pos
        return min(fallback, max(0, self.count - 1))

    @property
    def _source(self) -> Any:
        """cache.queries for a View; a search pages itself the same way (tui/search.py)."""
        return getattr(self.view, "source", queries)

    def row(self, index: int) -> ThreadRow | None:
        # not counted yet, the first page is full: its rows are there without the count
        if not 0 <= index < (PAGE if self._count is None and index < PAGE else self.count):
            return None
        number, within = divmod(index, PAGE)
        page = self._pages.get(number)
        if page is None:
            before = self._pages.get(number - 1)
            after = before[-1].key if before and len(before) == PAGE else None
            page = self._source.rows(self.conn, self.view, number * PAGE, PAGE, after=after)
            self._pages[number] = page
            while len(self._pages) > MAX_PAGES:
                self._marks.pop(self._pages.popitem(last=False)[0], None)
        else:
            self._pages.move_to_end(number)
        return page[within] if within < len(page) else None

    def marks(self, index: int) -> set[str]:
        """The outbox marks of the thread at ``index`` ('draft', 'pending', 'failed')."""
        row = self.row(index)
        if row is None:
            return set()
        number = index // PAGE
        marks = self._marks.get(number)
        if marks is None:
            marks = self._marks[number] = queries.outbox_marks(self.conn, [t.id for t in self._pages[number]])
        return marks.get(row.id, set())

    def reread(self) -> None:
        """Read the visible rows and their marks again (a note, a draft or a send changed
        something the rows show; the queue's membership did not)."""
        self._pages.clear()
        self._marks.clear()
        self.refresh()

    @property
    def selected(self) -> ThreadRow | None:
        return self.row(self.cursor)

    # -- drawing -----------------------------------------------------------------------
    # A row is built as segments, each in its final style (the widget's, the part's, the
    # selection's, the cursor's), with the styles looked up once per theme: a queue switch
    # draws every row on screen, and rich Text's spans, render and apply_style cost three
    # times as much.
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._looks = None

    def _style_looks(self) -> dict[str, Style]:
        theme = self.app.theme
        looks = self._looks
        if looks is None or self._looks_theme != theme:
            component = self.get_component_rich_style
            looks = {
                "base": self.base_style,
                # full (not partial) styles: $text-muted has alpha, resolved against our background
                "muted": component("thread-list--muted"),
                "empty": component("thread-list--empty"),
                "unread": component("thread-list--unread", partial=True),
                "selected": component("thread-list--selected", partial=True),
                "cursor": component("thread-list--cursor", partial=True),
                "cursor-blurred": component("thread-list--cursor-blurred", partial=True),
            }
            self._looks, self._looks_theme = looks, theme
        return looks

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = int(self.scroll_y) + y
        looks = self._style_looks()
        base = looks["base"]
        if self._count == 0:
            if y == 1:
                empty = "No threads match the search." if self.view.kind == "search" else "Nothing in this queue."
                return self._strip([("  " + empty, looks["empty"])], width, base)
            return Strip.blank(width, base)
        thread = self.row(index)
        if thread is None:
            return Strip.blank(width, base)
        parts = self._row_parts(thread, width, self.marks(index))
        over = Style()
        if thread.id in self.selection:
            over += looks["selected"]
        if index == self.cursor:
            over += looks["cursor" if self.has_focus else "cursor-blurred"]
        if over:
            parts = [(text, style + over) for text, style in parts]
        return self._strip(parts, width, base)

    @staticmethod
    def _strip(parts: list[tuple[str, Style]], width: int, base: Style) -> Strip:
        return Strip([Segment(text, base + style) for text, style in parts if text]).crop_extend(0, width, base)

    def _colour(self, variable: str) -> Style:
        looks = self._style_looks()
        found = looks.get("$" + variable)
        if found is None:
            colour = self.app.theme_variables.get(variable) or FALLBACK_COLOURS.get(variable)
            found = looks["$" + variable] = Style(color=colour) if colour else Style()
        return found

    def _row_parts(self, t: ThreadRow, width: int, marks: Collection[str] = ()) -> list[tuple[str, Style]]:
        """The row's text, left to right, each part with its style (over the widget's)."""
        looks = self._style_looks()
        muted = looks["muted"]
        plain = Style()
        who_w, subject_w, count = columns(width)
        subject_w = max(4, subject_w)
        intent = look(t.reply_intent)
        parts: list[tuple[str, Style]] = []
        if t.id in self.selection:
            parts.append(("✓ ", looks["selected"]))
        elif t.unread:
            parts.append(("● ", self._colour("unread") or muted))
        else:
            parts.append(("  ", plain))
        strong = looks["unread"] if t.unread else plain
        person, company = who_parts(t)
        if company is None:
            parts.append((fit(person, who_w), strong))
        else:  # the company, dimmed, in what the name leaves (when a word of it fits)
            shown = fit(person, min(cell_len(person), who_w)).rstrip()
            rest = who_w - cell_len(shown)
            parts += [(shown, strong), (fit(f" · {company}", rest) if rest >= 6 else " " * rest, muted)]
        subject = safe_line(t.subject_display or t.subject) or "(no subject)"
        snippet = safe_line(t.snippet)
        if snippet and cell_len(subject) + 8 <= subject_w:  # the rest of the column: the last message
            parts += [(" ", plain), (subject, strong), (fit(f" — {snippet}", subject_w - cell_len(subject)), muted)]
        else:
            parts += [(" ", plain), (fit(subject, subject_w), strong)]
        outbox = next((MARKS[m] for m in ("failed", "pending", "draft") if m in marks), " ")
        parts += [
            (" ", plain),
            (outbox, self._colour("error") if outbox == MARKS["failed"] else self._colour("accent")),
            (NOTE_MARK if t.local_note else " ", muted),
            (" ", plain),
            (fit(f"{intent.glyph} {intent.short}", 5), self._colour(intent.variable)),
            (" ", plain),
        ]
        if count:
            parts += [(short_count(t.message_count).rjust(3), muted), (" ", plain)]
        # a snoozed thread shows when it comes back instead of its age
        when = wakes(t.local_snoozed_until, self.clock()) if t.local_snoozed_until else age(t.last_ts, self.clock())
        parts.append((when.rjust(4), muted))
        used = sum(cell_len(text) for text, _ in parts)
        if used < width:
            parts.append((" " * (width - used), plain))
        return parts

    # -- movement ----------------------------------------------------------------------
    def move_to(self, index: int) -> None:
        if self.count == 0:
            return
        index = max(0, min(index, self.count - 1))
        if index != self.cursor:
            self.refresh_line(self.cursor)
            self.cursor = index
            self.refresh_line(index)
        self._keep_visible()
        self._announce()

    def refresh_line(self, index: int) -> None:
        y = index - int(self.scroll_y)
        if 0 <= y < self.scrollable_content_region.height:
            self.refresh_lines(y)

    def _keep_visible(self) -> None:
        height = max(1, self.scrollable_content_region.height)
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def _announce(self) -> None:
        thread = self.selected
        key = thread.id if thread else None
        if key != self._last_highlight:
            self._last_highlight = key
            # told at once, not only by message: a key already queued behind this move acts on
            # the thread now under the cursor, not on the one before
            self._on_cursor(thread)
            self.post_message(self.Highlighted(thread))

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self.new_above:
            self._update_subtitle()
        self.refresh()

    def on_focus(self) -> None:
        self.refresh_line(self.cursor)

    def on_blur(self) -> None:
        self.refresh_line(self.cursor)

    def on_resize(self, event: events.Resize) -> None:
        set_virtual_size(self, Size(event.size.width, self._rows_or_uncounted))
        self._keep_visible()

    def action_cursor_down(self) -> None:
        self.move_to(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_to(self.cursor - 1)

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        self.move_to(self.count - 1)

    def action_page_down(self) -> None:
        self.move_to(self.cursor + max(1, self.scrollable_content_region.height - 1))

    def action_page_up(self) -> None:
        self.move_to(self.cursor - max(1, self.scrollable_content_region.height - 1))

    def action_open(self) -> None:
        thread = self.selected
        if thread is not None:
            self.post_message(self.Opened(thread))

    def on_key(self, event: events.Key) -> None:
        # Type-ahead after "/": a binding only runs once the key has bubbled to the app, after
        # the keys typed behind it were already queued here. So the filter key opens the box
        # right here, and keys that arrive once the box has focus go into it.
        focused = self.app.focused
        if focused is self and event.key in self._search_keys():
            event.stop()
            event.prevent_default()
            self._open_search()
        elif (
            focused is not self
            and isinstance(focused, Input)
            and focused.screen is self.screen  # the search box; a dialog's field: the app's (type-ahead)
            and event.is_printable
            and event.character
        ):
            focused.insert_text_at_cursor(event.character)
            event.stop()
            event.prevent_default()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        self.move_to(int(self.scroll_y) + offset.y)
        if event.chain >= 2:
            self.action_open()
