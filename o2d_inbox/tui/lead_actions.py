"""What takes a thread or a queue out of the inbox: the reply stats of the queue on screen,
an export of the queue (or the selection) for the sales team, the prospect's address or the
thread id copied to the terminal's clipboard, and a link of the conversation opened in the
browser (the link picker, tui/links.py).

``LeadActions`` is a plain class over a ``LeadsHost`` (the inbox screen); the keys are the
``leads.*`` rows of o2d_inbox/keymap.py. Stats follow the queue the user is looking at (its
intent / campaign / mailbox and Relevant / full feed) and are recomputed after every sync
(``refresh_open_stats``). The clipboard is the terminal's (OSC 52, Textual's
``copy_to_clipboard``): it works over ssh, and a terminal that does not support it ignores it,
so the notice says what was copied rather than promising it arrived.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, cast

from o2d_inbox.cache.queries import ThreadRow, View
from o2d_inbox.render.text import safe_line
from o2d_inbox.tui.conversation import ConversationView
from o2d_inbox.tui.search import SearchSource
from o2d_inbox.tui.thread_list import ThreadList, who

__all__ = ["LeadActions", "LeadsHost", "export_path", "refresh_open_stats"]


class LeadsHost(Protocol):
    """What these actions need from the inbox screen."""

    relevant: bool
    view: View
    shown_thread: ThreadRow | None

    @property
    def conn(self) -> sqlite3.Connection: ...
    @property
    def threads(self) -> ThreadList: ...
    @property
    def pane(self) -> ConversationView: ...
    @property
    def app(self) -> Any: ...
    def clock(self) -> datetime: ...
    def push_screen(self, screen: Any, callback: Any = None) -> Any: ...
    def notify(self, message: str, *, severity: Any = ..., timeout: float | None = ..., markup: bool = ...) -> None: ...


def export_path(view: Any, now: datetime, folder: Path | None = None) -> Path:
    """The file an export proposes: ``leads-<queue>-<date>.csv`` in the home folder."""
    kind = getattr(view, "kind", "queue")
    key = getattr(view, "key", None)
    name = "-".join(part for part in (kind, key if kind == "intent" else None) if part)
    return (folder or Path.home()) / f"leads-{name}-{now:%Y-%m-%d}.csv"


def refresh_open_stats(app: Any) -> None:
    """Recompute every stats screen that is open (a sync changed the cache)."""
    for screen in app.screen_stack:
        refresh = getattr(screen, "refresh_stats", None)  # a StatsScreen (imported once opened)
        if refresh is not None:
            refresh()


class LeadActions:
    def __init__(self, host: LeadsHost) -> None:
        self.host = host

    def run(self, name: str) -> None:
        """The ``leads('<name>')`` action of the keymap table."""
        action: Callable[[], None] | None = getattr(self, f"do_{name}", None)
        if action is None:
            raise ValueError(f"no lead action {name!r}")
        action()

    # -- stats -----------------------------------------------------------------------------
    def do_stats(self) -> None:
        host = self.host
        view = View(host.view.kind, host.view.key, relevant=host.relevant, narrow=host.view.narrow)
        from o2d_inbox.tui.stats_screen import StatsScreen  # dialogs load when first opened

        host.push_screen(StatsScreen(host.conn, view, clock=host.clock))

    # -- export ----------------------------------------------------------------------------
    def do_export(self) -> None:
        """The selection if there is one, else what the list shows (a search's hits, or the
        queue)."""
        host = self.host
        threads = host.threads
        shown = threads.view
        ids: list[str] | None = None
        view: View | None = None
        if threads.selection:
            ids = sorted(threads.selection)
        elif isinstance(shown, View):
            view = shown
        else:  # a search: its hits, in the list's order (paged like a queue, tui/search.py)
            found = cast(SearchSource, shown)
            ids = [t.id for t in found.source.rows(threads.conn, found, 0, threads.count)]
        from o2d_inbox.tui.export_dialog import ExportDialog

        host.push_screen(ExportDialog(host.conn, view=view, ids=ids, default_path=export_path(shown, host.clock())))

    # -- clipboard -------------------------------------------------------------------------
    def _copy(self, text: str | None, what: str) -> None:
        host = self.host
        if not text:
            host.notify(f"No {what} to copy", timeout=2)
            return
        host.app.copy_to_clipboard(text)
        host.notify(f"Copied {what}: {safe_line(text)}", timeout=3, markup=False)

    def do_copy_address(self) -> None:
        thread = self.host.shown_thread
        if thread is None:
            self.host.notify("No thread selected", timeout=2)
            return
        address = who(thread)
        self._copy(address if address and "@" in address else None, "address")

    def do_copy_thread_id(self) -> None:
        thread = self.host.shown_thread
        if thread is None:
            self.host.notify("No thread selected", timeout=2)
            return
        self._copy(thread.id, "thread id")

    # -- links -----------------------------------------------------------------------------
    def do_links(self) -> None:
        """The picker of the links in the conversation on screen, the newest message's first
        (the prospect's last reply is usually what holds the calendar link)."""
        host = self.host
        if host.shown_thread is None:
            host.notify("No thread selected", timeout=2)
            return
        from o2d_inbox.render.links import links_of
        from o2d_inbox.tui.links import LinkPicker

        links = links_of(reversed(host.pane.shown_messages))
        if not links:
            host.notify("No links in this conversation", timeout=2)
            return
        host.push_screen(LinkPicker(links, title="Links in this conversation"))
