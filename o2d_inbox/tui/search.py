"""`/` searches the whole cache (cache/search.py) and shows the hits as a queue.

The box opens prefilled with the current queue as search tokens (``intent:interested ``,
``mailbox:<addr> ``, ``is:needs-reply ``; ``is:open`` too where the queue hides done and
snoozed threads), so typing narrows the queue; deleting the tokens
searches everything. Typing searches after SEARCH_DELAY of stillness, in a thread worker on
the app's second (read-only) connection; a newer search interrupts the running one.

The results are a ``SearchSource`` that the ThreadList pages exactly like a queries.View
(``source`` has the same count / rows / position functions), so j/k/enter, the intent keys
and reply work on them as on any queue. The queue the user came from stays the screen's
``view`` (the sidebar keeps pointing at it); `esc` goes back to it, where the cursor was.

While the list shows a search, the conversation pane highlights its words and phrases. A
filter that cannot be read (``is:bogus``, ``before:soon``, ``intent:maybe``) is said in the
search bar (cache/search.py SearchError) and the list keeps what it showed.

``SearchController`` is a plain class over a ``SearchHost`` (the inbox screen).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from rich.text import Text
from textual.geometry import Size
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input

from o2d_inbox.cache.queries import ThreadRow, View
from o2d_inbox.cache.schema import LOCAL_HIDING_KINDS
from o2d_inbox.render.text import safe_line
from o2d_inbox.tui.conversation import ConversationView
from o2d_inbox.tui.scrolling import set_virtual_size
from o2d_inbox.tui.thread_list import PAGE, ThreadList

if TYPE_CHECKING:
    from o2d_inbox.cache.search import SearchQuery

# cache/search.py (the query language, FTS) is imported where a search first runs: the
# inbox's first frame has none to run.

__all__ = ["SEARCH_DELAY", "SearchController", "SearchFound", "SearchHost", "SearchSource", "queue_tokens"]

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
        key = view.key if not any(c.isspace() or c == '"' for c in view.key) else '"' + view.key.replace('"', "") + '"'
        return f"{view.kind}:{key} " + put_away
    return ""


class _Paging:
    """cache/search.py behind the three functions the ThreadList calls on cache/queries."""

    @staticmethod
    def count(conn: sqlite3.Connection, source: SearchSource) -> int:
        from o2d_inbox.cache import search as store_search

        return store_search.search_count(conn, source.parsed, relevant=source.relevant_arg)

    @staticmethod
    def rows(
        conn: sqlite3.Connection, source: SearchSource, offset: int, limit: int, *, after: tuple[int, str] | None = None
    ) -> list[ThreadRow]:
        from o2d_inbox.cache import search as store_search

        # hits are not an index range: no keyset, the offset it is
        return store_search.search(conn, source.parsed, relevant=source.relevant_arg, limit=limit, offset=offset)

    @staticmethod
    def position(conn: sqlite3.Connection, source: SearchSource, thread: ThreadRow | tuple[int, str]) -> int:
        from o2d_inbox.cache import search as store_search

        tid = thread.id if isinstance(thread, ThreadRow) else thread[1]
        hits = store_search.search(conn, source.parsed, relevant=source.relevant_arg, limit=POSITION_SCAN)
        return next((i for i, t in enumerate(hits) if t.id == tid), 1 << 62)


@dataclass(frozen=True)
class SearchSource:
    """What the thread list shows for a search; quacks like a queries.View where it reads one."""

    query: str
    relevant: bool = True
    now: datetime | None = None  # relative dates (7d) are measured from here
    parsed: SearchQuery = field(init=False, compare=False, repr=False)
    kind = "search"
    key = None
    descending = True
    source = _Paging

    def __post_init__(self) -> None:
        from o2d_inbox.cache.search import parse

        object.__setattr__(self, "parsed", parse(self.query, now=self.now))

    @property
    def relevant_arg(self) -> bool | None:
        return True if self.relevant else None  # the full feed is everything

    def title(self, count: int | None) -> Text:
        from o2d_inbox.cache.search import COUNT_CAP

        shown = "searching …" if count is None else (f"{COUNT_CAP:,}+" if count > COUNT_CAP else f"{count:,}")
        parts = [f"Search: {safe_line(self.query.strip())}"]
        if not self.relevant:
            parts.append("Full feed")
        return Text(" · ".join(parts + [shown]))


class SearchFound(Message):
    """A search's count and first page, found off the UI thread."""

    def __init__(self, source: SearchSource, count: int, first: list[ThreadRow]) -> None:
        super().__init__()
        self.source, self.count, self.first = source, count, first


class SearchHost(Protocol):
    """What search needs from the inbox screen."""

    relevant: bool
    view: View

    @property
    def conn(self) -> sqlite3.Connection: ...
    def clock(self) -> datetime: ...

    @property
    def threads(self) -> ThreadList: ...
    @property
    def pane(self) -> ConversationView: ...
    @property
    def search_box(self) -> Input | None: ...
    def open_search_box(self) -> Input: ...
    def reader(self) -> sqlite3.Connection | None: ...
    def interrupt_reader(self) -> None: ...
    def show_view(self, view: View) -> None: ...
    def refresh_counts(self) -> object: ...  # the counts it read (unused here)
    def update_titles(self) -> None: ...
    def focus_box(self) -> None: ...
    def set_timer(self, delay: float, callback: Callable[[], Any]) -> Timer: ...
    def run_search_worker(self, work: Callable[[], None]) -> None: ...
    def post_message(self, message: Message) -> bool: ...


class SearchController:
    def __init__(self, host: SearchHost) -> None:
        self.host = host
        self.source: SearchSource | None = None  # what the list shows, while it shows a search
        self._wanted: SearchSource | None = None  # the newest search asked for
        self._timer: Timer | None = None
        self._prefill = ""
        self._back: tuple[int, int] = (0, 0)  # the queue's cursor and scroll before the search
        self.error: str | None = None  # why the query in the box cannot run (said in the box)

    @property
    def searching(self) -> bool:
        """The box is up or the list shows a search."""
        box = self.host.search_box
        return self.source is not None or self._wanted is not None or (box is not None and box.display)

    def open(self) -> None:
        host = self.host
        box = host.open_search_box()
        if not box.display:
            self._prefill = queue_tokens(host.view)
            self._back = (host.threads.cursor, int(host.threads.scroll_y))
            with box.prevent(Input.Changed):
                box.value = self._prefill
            box.cursor_position = len(box.value)
            box.display = True
        host.focus_box()  # now, not after a refresh: the next keys are the query

    def changed(self, value: str) -> None:
        """The box changed: search once typing pauses."""
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.host.set_timer(SEARCH_DELAY, lambda: self.run(value))

    def submitted(self, value: str) -> bool:
        """Enter in the box: search now. False when the query has an error (the box, which
        says it, keeps the focus to mend it)."""
        if self._timer is not None:
            self._timer.stop()
        self.run(value)
        if not value.strip():
            self.end()
        return self.error is None

    def run(self, text: str) -> None:
        """Search for ``text`` (the queue's own tokens alone, or nothing: the queue itself)."""
        from o2d_inbox.cache.search import SearchError

        host = self.host
        if not text.strip() or text.strip() == self._prefill.strip():
            self._say(None)
            if self.source is not None or self._wanted is not None:
                self._leave_results()
            return
        try:
            wanted = SearchSource(text, host.relevant, host.clock())
        except SearchError as exc:
            self._say(str(exc))  # the list keeps what it showed: an empty list would lie
            return
        self._say(None)
        if wanted == self._wanted:
            return
        self._wanted = wanted
        host.threads.border_title = wanted.title(None)
        reader = host.reader()
        if reader is None:  # an in-memory cache (tests): no second connection, search here
            self._show(wanted, _Paging.count(host.conn, wanted), _Paging.rows(host.conn, wanted, 0, PAGE))
            return
        host.interrupt_reader()  # the previous search is moot
        host.run_search_worker(lambda: self._search_in_thread(reader, wanted))

    def _search_in_thread(self, reader: sqlite3.Connection, wanted: SearchSource) -> None:
        for _ in range(_RETRIES):
            if self._wanted != wanted:
                return
            try:
                found = _Paging.rows(reader, wanted, 0, PAGE)
                count = _Paging.count(reader, wanted) if len(found) >= PAGE else len(found)
            except sqlite3.OperationalError as exc:
                if "interrupt" not in str(exc):
                    raise
                time.sleep(0.01)  # the interrupt was for the search before: once it ended, again
                continue
            self.host.post_message(SearchFound(wanted, count, found))
            return

    def found(self, message: SearchFound) -> None:
        if message.source == self._wanted:
            self._show(message.source, message.count, message.first)

    def _show(self, source: SearchSource, count: int, first: list[ThreadRow]) -> None:
        self.source = source
        self.host.pane.highlight(source.parsed.terms + source.parsed.phrases)
        self.host.threads.load(source, preloaded=(count, first))
        self.host.update_titles()

    def highlighted(self) -> None:
        """Past COUNT_CAP hits the count stops: near its end, the list grows by a page."""
        threads = self.host.threads
        source = self.source
        if source is None:
            return
        from o2d_inbox.cache.search import COUNT_CAP

        if threads.view != source or threads.count <= COUNT_CAP or threads.cursor < threads.count - PAGE:
            return
        more = _Paging.rows(self.host.conn, source, threads.count, PAGE)
        if more:
            threads.count += len(more)
            set_virtual_size(threads, Size(threads.virtual_size.width, threads.count))
            threads.refresh()

    def rerun(self) -> None:
        """The Relevant toggle changed: the same search again (or the queue, if none yet)."""
        host = self.host
        host.view = View(host.view.kind, host.view.key, relevant=host.relevant)
        host.refresh_counts()
        if self._wanted is None:
            host.show_view(host.view)
            return
        text = self._wanted.query
        self._wanted = None
        self.run(text)

    def _leave_results(self) -> None:
        """Back to the queue the search started from, the cursor where it was."""
        host = self.host
        self._wanted = None
        host.interrupt_reader()
        host.pane.highlight(())
        if self.source is None:
            host.update_titles()
            return
        self.source = None
        cursor, scroll = self._back
        host.show_view(View(host.view.kind, host.view.key, relevant=host.relevant))
        threads = host.threads
        threads.scroll_to(y=scroll, animate=False, immediate=True)
        threads.move_to(cursor)

    def _say(self, error: str | None) -> None:
        """A query's error in the search bar (its lower border, in the error colour), or none."""
        self.error = error
        box = self.host.search_box
        if box is None:
            return
        box.border_subtitle = Text(f" {safe_line(error)} ") if error else ""
        box.set_class(error is not None, "-error")

    def _close_box(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._say(None)
        box = self.host.search_box
        if box is None:
            return
        with box.prevent(Input.Changed):
            box.value = ""
        box.display = False

    def end(self) -> None:
        """Close the box and show the queue again."""
        self._close_box()
        self._leave_results()

    def drop(self) -> None:
        """Another queue was chosen: forget the search without going back anywhere."""
        self._close_box()
        self.source = self._wanted = None
        self.host.pane.highlight(())

    def title(self) -> Text | None:
        """The list's title while it shows (or is about to show) a search."""
        if self._wanted is not None and self._wanted != self.source:
            return self._wanted.title(None)
        if self.source is not None:
            return self.source.title(self.host.threads.count)
        return None
