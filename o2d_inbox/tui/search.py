"""`/` searches the whole cache (cache/search.py) and shows the hits as a queue.

The box opens prefilled with the current queue as search tokens (``intent:interested ``,
``mailbox:<addr> ``, ``is:needs-reply ``; ``is:open`` too where the queue hides done and
snoozed threads), so typing narrows the queue; deleting the tokens
searches everything. Typing searches after SEARCH_DELAY of stillness, in a thread worker on
the app's second (read-only) connection; a newer search interrupts the running one.

The results are a ``SearchSource`` that the ThreadList pages exactly like a queries.View
(``source`` has the same count / rows / position functions), so j/k/enter, the intent keys
and reply work on them as on any queue. The queue the user came from stays ``app.view``
(the sidebar keeps pointing at it); `esc` goes back to it, where the cursor was.

``SearchActions`` is a mixin of InboxApp (like OutboxActions): Textual calls its ``on_*``
handlers alongside the app's own.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime
from rich.text import Text
from textual import work
from textual.geometry import Size
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input

from o2d_inbox.render.text import safe_line
from o2d_inbox.cache import search as store_search
from o2d_inbox.cache.queries import ThreadRow, View
from o2d_inbox.cache.schema import LOCAL_HIDING_KINDS
from o2d_inbox.tui.thread_list import PAGE

__all__ = ["SEARCH_DELAY", "SearchActions", "SearchFound", "SearchSource", "queue_tokens"]

SEARCH_DELAY = 0.15  # seconds of stillness in the box before searching
POSITION_SCAN = 1_000  # a thread is looked for among this many hits to keep it selected
_RETRIES = 20  # an interrupt meant for the previous search can hit the next one: try again


def queue_tokens(view: View) -> str:
    """The search tokens that mean ``view`` ('' when the language has none, e.g. All)."""
    # the queues that put done / snoozed threads away (cache/local.py) add is:open
    put_away = "is:open " if view.kind in LOCAL_HIDING_KINDS else ""
    if view.kind == "needs":
        return "is:needs-reply " + put_away
    if view.kind in ("intent", "mailbox", "campaign") and view.key:
        key = view.key if not any(c.isspace() or c == '"' for c in view.key) else \
            '"' + view.key.replace('"', "") + '"'
        return f"{view.kind}:{key} " + put_away
    return ""


class _Paging:
    """cache/search.py behind the three functions the ThreadList calls on cache/queries."""

    @staticmethod
    def count(conn: sqlite3.Connection, source: SearchSource) -> int:
        return store_search.search_count(conn, source.parsed, relevant=source.relevant_arg)

    @staticmethod
    def rows(conn: sqlite3.Connection, source: SearchSource, offset: int, limit: int, *,
             after: tuple[int, str] | None = None) -> list[ThreadRow]:
        # hits are not an index range: no keyset, the offset it is
        return store_search.search(conn, source.parsed, relevant=source.relevant_arg,
                                   limit=limit, offset=offset)

    @staticmethod
    def position(conn: sqlite3.Connection, source: SearchSource, thread: ThreadRow | tuple[int, str]) -> int:
        tid = thread.id if isinstance(thread, ThreadRow) else thread[1]
        hits = store_search.search(conn, source.parsed, relevant=source.relevant_arg, limit=POSITION_SCAN)
        return next((i for i, t in enumerate(hits) if t.id == tid), 1 << 62)


@dataclass(frozen=True)
class SearchSource:
    """What the thread list shows for a search; quacks like a queries.View where it reads one."""

    query: str
    relevant: bool = True
    now: datetime | None = None  # relative dates (7d) are measured from here
    parsed: store_search.SearchQuery = field(init=False, compare=False, repr=False)
    kind = "search"
    key = None
    descending = True
    source = _Paging

    def __post_init__(self) -> None:
        object.__setattr__(self, "parsed", store_search.parse(self.query, now=self.now))

    @property
    def relevant_arg(self) -> bool | None:
        return True if self.relevant else None  # the full feed is everything

    def title(self, count: int | None) -> Text:
        shown = "searching …" if count is None else (
            f"{store_search.COUNT_CAP:,}+" if count > store_search.COUNT_CAP else f"{count:,}")
        parts = [f"Search: {safe_line(self.query.strip())}"]
        if not self.relevant:
            parts.append("Full feed")
        return Text(" · ".join(parts + [shown]))


class SearchFound(Message):
    """A search's count and first page, found off the UI thread."""

    def __init__(self, source: SearchSource, count: int, first: list[ThreadRow]) -> None:
        super().__init__()
        self.source, self.count, self.first = source, count, first


class SearchActions:
    """Mixed into InboxApp (needs: conn, clock, relevant, view, threads, _reader,
    _reader_conn, _show_view, update_titles)."""

    search: SearchSource | None = None  # what the list shows, while it shows a search
    _search_wanted: SearchSource | None = None  # the newest search asked for
    _search_timer: Timer | None = None
    _search_prefill = ""
    _search_back: tuple[int, int] = (0, 0)  # the queue's cursor and scroll before the search

    @property
    def search_box(self) -> Input:
        return self.query_one("#filter", Input)

    @property
    def searching(self) -> bool:
        """The box is up or the list shows a search."""
        return self.search is not None or self._search_wanted is not None or self.search_box.display

    def open_search(self) -> None:
        box = self.search_box
        if not box.display:
            self._search_prefill = queue_tokens(self.view)
            self._search_back = (self.threads.cursor, int(self.threads.scroll_y))
            with box.prevent(Input.Changed):
                box.value = self._search_prefill
            box.cursor_position = len(box.value)
            box.display = True
        self.screen.set_focus(box)  # now, not after a refresh: the next keys are the query

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "filter":
            return
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DELAY, lambda: self.run_search(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "filter":
            return
        if self._search_timer is not None:
            self._search_timer.stop()
        self.run_search(event.value)
        if not event.value.strip():
            self.end_search()
        self.threads.focus()

    def run_search(self, text: str) -> None:
        """Search for ``text`` (the queue's own tokens alone, or nothing: the queue itself)."""
        if not text.strip() or text.strip() == self._search_prefill.strip():
            if self.search is not None or self._search_wanted is not None:
                self._leave_results()
            return
        wanted = SearchSource(text, self.relevant, self.clock())
        if wanted == self._search_wanted:
            return
        self._search_wanted = wanted
        self.threads.border_title = wanted.title(None)
        reader = self._reader()
        if reader is None:  # an in-memory cache (tests): no second connection, search here
            self._show_search(wanted, _Paging.count(self.conn, wanted),
                              _Paging.rows(self.conn, wanted, 0, PAGE))
            return
        if self._reader_conn is not None:
            self._reader_conn.interrupt()  # the previous search is moot
        self._search_worker(wanted)

    @work(thread=True, exclusive=True, group="filter", exit_on_error=False)
    def _search_worker(self, wanted: SearchSource) -> None:
        reader = self._reader()
        for _ in range(_RETRIES):
            if self._search_wanted != wanted:
                return
            try:
                found = _Paging.rows(reader, wanted, 0, PAGE)
                count = _Paging.count(reader, wanted) if len(found) >= PAGE else len(found)
            except sqlite3.OperationalError as exc:
                if "interrupt" not in str(exc):
                    raise
                time.sleep(0.01)  # the interrupt was for the search before: once it ended, again
                continue
            self.post_message(SearchFound(wanted, count, found))
            return

    def on_search_found(self, message: SearchFound) -> None:
        if message.source == self._search_wanted:
            self._show_search(message.source, message.count, message.first)

    def _show_search(self, source: SearchSource, count: int, first: list[ThreadRow]) -> None:
        self.search = source
        self.threads.load(source, preloaded=(count, first))
        self.update_titles()

    def on_thread_list_highlighted(self, event) -> None:
        """Past COUNT_CAP hits the count stops: near its end, the list grows by a page."""
        threads = self.threads
        source = self.search
        if source is None or threads.view != source or threads.count <= store_search.COUNT_CAP \
                or threads.cursor < threads.count - PAGE:
            return
        more = _Paging.rows(self.conn, source, threads.count, PAGE)
        if more:
            threads.count += len(more)
            threads.virtual_size = Size(threads.virtual_size.width, threads.count)
            threads.refresh()

    def rerun_search(self) -> None:
        """The Relevant toggle changed: the same search again (or the queue, if none yet)."""
        self.view = View(self.view.kind, self.view.key, relevant=self.relevant)
        self.refresh_counts()
        if self._search_wanted is None:
            self._show_view(self.view)
            return
        text = self._search_wanted.query
        self._search_wanted = None
        self.run_search(text)

    def _leave_results(self) -> None:
        """Back to the queue the search started from, the cursor where it was."""
        self._search_wanted = None
        if self._reader_conn is not None:
            self._reader_conn.interrupt()
        if self.search is None:
            self.update_titles()
            return
        self.search = None
        cursor, scroll = self._search_back
        self._show_view(View(self.view.kind, self.view.key, relevant=self.relevant))
        threads = self.threads
        threads.scroll_to(y=scroll, animate=False, immediate=True)
        threads.move_to(cursor)

    def end_search(self) -> None:
        """Close the box and show the queue again."""
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        self._leave_results()
        box = self.search_box
        with box.prevent(Input.Changed):
            box.value = ""
        box.display = False

    def drop_search(self) -> None:
        """Another queue was chosen: forget the search without going back anywhere."""
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        self.search = self._search_wanted = None
        box = self.search_box
        with box.prevent(Input.Changed):
            box.value = ""
        box.display = False

    def search_title(self) -> Text | None:
        """The list's title while it shows (or is about to show) a search."""
        if self._search_wanted is not None and self._search_wanted != self.search:
            return self._search_wanted.title(None)
        if self.search is not None:
            return self.search.title(self.threads.count)
        return None
