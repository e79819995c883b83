"""Alerts: an interested reply that a sync brought in is said at once, whatever the screen.

The sync engine names the threads where an interested reply arrived (SyncResult.interested;
none on a cache's first sync). ``announce`` shows who and what (sender, intent, subject: server
text, made safe and never markup) for up to MAX_NAMED of them and counts the rest, then, as
config.toml's ``alerts`` says: "bell" rings the terminal bell, "notify" also asks the terminal
for a desktop notification (OSC 9: iTerm2, WezTerm, kitty, Windows Terminal, foot and others
show one; a terminal without it ignores the sequence, and it travels over ssh, unlike a
notify-send on the remote machine); "off" does nothing at all.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from o2d_inbox.cache import queries
from o2d_inbox.cache.queries import ThreadRow
from o2d_inbox.render.company import name_from_address
from o2d_inbox.render.text import fit, safe_line
from o2d_inbox.tui.intents import look
from o2d_inbox.tui.thread_list import who

__all__ = ["MAX_NAMED", "alert_lines", "announce", "desktop_sequence"]

MAX_NAMED = 3  # replies named one by one; more are counted
NOTICE_SECONDS = 12
DESKTOP_CELLS = 200  # a desktop notification's text, at most


def _line(thread: ThreadRow) -> str:
    address = who(thread) or "(unknown sender)"
    name = name_from_address(address)
    sender = f"{name} <{address}>" if name else address
    intent = look(thread.reply_intent)
    subject = thread.subject_display or thread.subject or "(no subject)"
    label = intent.label[:1].upper() + intent.label[1:]
    return safe_line(f"{intent.glyph} {label} reply from {sender}: {subject}")


def alert_lines(conn: sqlite3.Connection, thread_ids: list[str]) -> list[str]:
    """One line per named reply (sender, intent, subject), and a count of the others."""
    found = [t for t in (queries.thread(conn, tid) for tid in dict.fromkeys(thread_ids)) if t is not None]
    lines = [_line(t) for t in found[:MAX_NAMED]]
    rest = len(found) - MAX_NAMED
    if rest > 0:
        lines.append(f"… and {rest} more interested repl{'ies' if rest != 1 else 'y'}")
    return lines


def desktop_sequence(text: str) -> str:
    """The OSC 9 request for a desktop notification saying ``text`` (made one safe line: no
    escape or bell of the server's can end the sequence early)."""
    return f"\x1b]9;{fit(safe_line(text), DESKTOP_CELLS).rstrip()}\x07"


def _write_to_terminal(app: Any, data: str) -> None:
    # Textual's own App.bell writes through the driver the same way; nothing in headless runs
    driver = getattr(app, "_driver", None)
    if driver is not None and not app.is_headless:
        driver.write(data)


def announce(app: Any, conn: sqlite3.Connection, thread_ids: list[str], mode: str) -> list[str]:
    """Alert about ``thread_ids`` as ``mode`` says; returns the lines shown ([] when none)."""
    if mode == "off" or not thread_ids:
        return []
    lines = alert_lines(conn, thread_ids)
    if not lines:
        return []
    title = "New interested reply" if len(thread_ids) == 1 else f"{len(thread_ids)} new interested replies"
    app.notify("\n".join(lines), title=title, timeout=NOTICE_SECONDS, markup=False)
    app.bell()
    if mode == "notify":
        _write_to_terminal(app, desktop_sequence(f"o2d-inbox: {lines[0]}"))
    return lines
