"""`o2d-inbox threads` and `o2d-inbox show THREAD_ID`.

Both read the cache only, so they work offline. Before reading, a quick capabilities probe
(short timeout, no retries; skipped when no API key is configured) tells the user on stderr
"offline: showing cached data" when the server cannot be reached: the answer is the cache
either way, the note says how fresh it can be.

Both read through cache/queries.py, the functions the inbox's queues use: `threads
--needs-reply` lists what the Needs-reply queue lists and `threads --intent I` what the intent
queue lists (neither shows threads marked done or snoozed); filters combine (queries.filtered).

Output: a table for people, or with --json the documented thread fields (plus ``mailbox``,
and for `show` the documented message fields) as JSON Lines. JSON is ASCII-escaped, so no
server-provided character reaches the terminal raw; the table goes through render.text and
fits the terminal (render/table.py; piped, every field whole). The table shows 50 threads
unless ``--limit N`` or ``--all``, and says on stderr how many it left out ("50 of 1,242
shown"); ``--json`` without ``--limit`` prints every thread (a script is never cut silently).
An unknown ``--intent`` or ``--campaign``, or a ``--limit`` that is not 1 or more, is a usage
error (exit 2, one line).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from typing import TYPE_CHECKING, Any

from o2d_inbox.cli import EXIT_OK, EXIT_USAGE, fail
from o2d_inbox.config import Config, load_config, print_warning

if TYPE_CHECKING:
    from o2d_inbox.cache.queries import ThreadRow, View

OFFLINE_NOTE = "offline: showing cached data"


def run(args: argparse.Namespace) -> int:
    config = load_config(args)
    probe(config)
    from o2d_inbox.context import open_cache

    conn = open_cache(config)
    try:
        if args.command == "show":
            return show(conn, args.thread_id, as_json=args.json)
        return list_threads(conn, args)
    finally:
        conn.close()


# --- the offline probe ------------------------------------------------------------------------


def probe(config: Config) -> bool:
    """True when the server answered; prints the offline note when it could not be reached."""
    from o2d_inbox.api.errors import NetworkError

    if not (config.api_key or config.demo):
        return False  # nothing to ask with: the cache is all there is, nothing to warn about
    from o2d_inbox.context import probe_server

    if config.base_url_error:  # the cache still answers; say why the server is not asked
        print_warning(f"{config.base_url_error}; {OFFLINE_NOTE}")
        return False
    try:
        asyncio.run(probe_server(config))
        return True
    except NetworkError:
        print(OFFLINE_NOTE, file=sys.stderr)
        return False
    except Exception:  # noqa: BLE001 - auth/server trouble is for `sync` and `doctor` to report
        return False


# --- threads --------------------------------------------------------------------------------


class UsageError(ValueError):
    """A flag value the command cannot use; the message is one line."""


DEFAULT_LIMIT = 50


def limit_of(args: argparse.Namespace) -> int | None:
    """How many threads to print: --limit N, --all (None), else 50 (--json: None, everything)."""
    text = getattr(args, "limit", None)
    if text is None:
        return None if getattr(args, "all", False) or getattr(args, "json", False) else DEFAULT_LIMIT
    try:
        limit = int(text)
    except ValueError:
        limit = 0
    if limit < 1:
        raise UsageError(f"--limit must be a whole number of 1 or more, not {text!r} (--all: no limit)")
    return limit


def view_of(args: argparse.Namespace, conn: sqlite3.Connection | None = None) -> View:
    """The queue the `threads` filters name; any name the list shows for an intent
    (render/intent_names.py; 'unclassified' is no intent yet). With ``conn``, a campaign the
    cache does not know is a UsageError."""
    from o2d_inbox.cache import queries
    from o2d_inbox.render.intent_names import UnknownIntent, intent_value

    intent = getattr(args, "intent", None) or None
    if intent is not None:
        try:
            intent = intent_value(intent) or queries.UNCLASSIFIED
        except UnknownIntent as exc:
            if conn is None or not queries.intent_stored(conn, intent):
                raise UsageError(f"--intent: {exc}") from None
    campaign = getattr(args, "campaign", None) or None
    if campaign is not None and conn is not None and not queries.campaign_known(conn, campaign):
        known = queries.campaign_ids(conn)
        raise UsageError(
            f"--campaign: no campaign {campaign!r} in the cache"
            + (f" (known: {', '.join(known)})" if known else " (run o2d-inbox sync)")
        )
    mailbox = getattr(args, "mailbox", None)
    return queries.filtered(
        intent=intent,
        mailbox=mailbox.strip().lower() if mailbox else None,
        campaign=campaign,
        needs_reply=bool(getattr(args, "needs_reply", False)),
        relevant=bool(getattr(args, "relevant", False)),
        sort=getattr(args, "sort", None),
    )


def thread_json(row: ThreadRow) -> dict[str, Any]:
    """A cached thread as the API documents it (body_text is the cached first 300 chars)."""
    out: dict[str, Any] = {
        "id": row.id,
        "external_thread_id": row.external_thread_id,
        "subject": row.subject,
        "subject_display": row.subject_display,
        "last_message": {"from_email": row.last_from, "date_received": row.last_date_text, "body_text": row.snippet},
        "is_warming": row.is_warming,
        "is_postmaster": row.is_postmaster,
        "message_count": row.message_count,
        "replyIntent": row.reply_intent,
        "campaignId": row.campaign_id,
    }
    if row.mailbox:
        out["mailbox"] = row.mailbox
    return out


def _thread_cells(row: ThreadRow) -> list[str]:
    """A thread as terminal-safe table cells: date, intent, sender, subject, id."""
    from o2d_inbox.render.text import safe_line

    date = (row.last_date_text or "")[:16].replace("T", " ")
    subject = row.subject_display or row.subject or "(no subject)"
    return [
        date,
        _intent(row.reply_intent, "-"),
        safe_line(row.last_from) or "-",
        safe_line(subject),
        safe_line(row.id),
    ]


def print_threads(rows: list[ThreadRow], total: int, *, as_json: bool, more: bool = False) -> None:
    """The threads as JSON Lines or a table that fits the terminal (also `search`), then on
    stderr what was left out: "50 of 1,242 shown" (``more``: the total is a lower bound)."""
    from o2d_inbox.render.table import Column, output_width, table
    from o2d_inbox.render.text import json_line

    out = sys.stdout
    if as_json:
        for row in rows:
            out.write(json_line(thread_json(row)) + "\n")
    else:
        # the subject keeps 24 cells: the date goes first, then the intent
        columns = [
            Column(cut=False, drop=1),
            Column(cut=False, max=14, drop=2),
            Column(min=12, max=30),
            Column(min=24, max=50),
            Column(cut=False),
        ]
        for line in table([_thread_cells(r) for r in rows], columns, output_width(out)):
            out.write(line + "\n")
    if rows and (len(rows) < total or more):
        print(f"{len(rows):,} of {total:,}{'+' if more else ''} shown — `--limit N` or `--all`", file=sys.stderr)


def _intent(value: str | None, none: str) -> str:
    """An intent for the table: any value the server sent, made safe ("?" if nothing is left)."""
    from o2d_inbox.render.text import safe_line

    return none if value is None else safe_line(value) or "?"


def list_threads(conn: sqlite3.Connection, args: argparse.Namespace) -> int:
    from o2d_inbox.cache import queries

    try:
        limit = limit_of(args)
        view = view_of(args, conn)
    except UsageError as exc:
        return fail(str(exc), EXIT_USAGE)
    total = queries.count(conn, view)
    rows = queries.rows(conn, view, 0, total if limit is None else limit)
    print_threads(rows, total, as_json=args.json)
    if not rows and not args.json:
        print("no cached threads match (run o2d-inbox sync to fill the cache)", file=sys.stderr)
    return EXIT_OK


# --- show -----------------------------------------------------------------------------------


def message_json(m: Any) -> dict[str, Any]:
    from o2d_inbox.cache.writes import iso

    return {
        "id": m.id,
        "message_id": m.message_id,
        "from_email": m.from_email,
        "to_emails": m.to_emails,
        "cc_emails": m.cc_emails,
        "subject": m.subject,
        "date_received": iso(m.date) if m.date else None,
        "body_text": m.body_text,
        "body_html": m.body_html,
        "is_incoming": m.is_incoming,
        "folder": m.folder,
    }


def body_text(m: Any) -> str:
    """The message as text: its text body, else its HTML body converted; always terminal-safe."""
    from o2d_inbox.render.html import html_to_text
    from o2d_inbox.render.text import safe_text

    if m.body_text and m.body_text.strip():
        return safe_text(m.body_text)
    return html_to_text(m.body_html)


def show(conn: sqlite3.Connection, thread_id: str, *, as_json: bool) -> int:
    from o2d_inbox.cache import queries
    from o2d_inbox.cache.writes import iso
    from o2d_inbox.render.text import json_line, safe_line

    thread = queries.thread(conn, thread_id)
    if thread is None:
        return fail(f"thread {thread_id} is not in the cache (run o2d-inbox sync)", EXIT_USAGE)
    msgs = queries.messages(conn, thread_id)
    if as_json:
        out = thread_json(thread)
        out["messages"] = [message_json(m) for m in msgs]
        sys.stdout.write(json_line(out) + "\n")
        return EXIT_OK
    lines = [
        f"Subject: {safe_line(thread.subject_display or thread.subject) or '(no subject)'}",
        f"Thread:  {safe_line(thread_id)}   intent: {_intent(thread.reply_intent, 'unclassified')}"
        + (f"   campaign: {safe_line(thread.campaign_name or thread.campaign_id)}" if thread.campaign_id else "")
        + (f"   mailbox: {safe_line(thread.mailbox)}" if thread.mailbox else ""),
        f"{thread.message_count} message(s)",
    ]
    if not msgs:
        lines += [
            "",
            f"Last message from {safe_line(thread.last_from) or '?'} at {thread.last_date_text or '?'}:",
            safe_line(thread.snippet) or "(empty)",
        ]
        print("messages not cached yet: run o2d-inbox sync --messages (or open it in the inbox)", file=sys.stderr)
    for m in msgs:
        direction = "in " if m.is_incoming else "out"
        to = ", ".join(safe_line(a) for a in m.to_emails)
        when = (iso(m.date) or "?")[:16].replace("T", " ")  # year 1 as 0001
        lines += ["", f"── {direction} {when}  {safe_line(m.from_email) or '?'} → {to or '?'}"]
        if m.cc_emails:
            lines.append(f"   cc: {', '.join(safe_line(a) for a in m.cc_emails)}")
        lines += ["", body_text(m) or "(empty)"]
    from o2d_inbox.render.terminal import terminal_width, wrap

    # at word boundaries to the terminal's width; piped, every line stays whole
    sys.stdout.write(wrap("\n".join(lines), terminal_width()) + "\n")
    return EXIT_OK
