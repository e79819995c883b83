"""`o2d-inbox threads` and `o2d-inbox show THREAD_ID`.

Both read the cache only, so they work offline. Before reading, a quick capabilities probe
(short timeout, no retries; skipped when no API key is configured) tells the user on stderr
"offline: showing cached data" when the server cannot be reached: the answer is the cache
either way, the note says how fresh it can be.

Output: a table for people, or with --json the documented thread fields (plus ``mailbox``,
and for `show` the documented message fields) as JSON Lines. JSON is ASCII-escaped, so no
server-provided character reaches the terminal raw; the table goes through render.text.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
from typing import Any

from o2d_inbox.cli import EXIT_OK, EXIT_USAGE, fail
from o2d_inbox.config import Config, load_config, print_warning

OFFLINE_NOTE = "offline: showing cached data"

_THREAD_SQL = (
    "SELECT id, external_thread_id, subject, subject_display, last_from, last_date, last_snippet, "
    "is_warming, is_postmaster, message_count, reply_intent, campaign_id, mailbox, last_ts "
    "FROM threads"
)


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

def _filters(args: argparse.Namespace) -> tuple[str, list[Any], str]:
    where: list[str] = []
    params: list[Any] = []
    intent = getattr(args, "intent", None)
    if intent:
        if intent.lower() in ("unclassified", "none", "null"):
            where.append("reply_intent IS NULL")
        else:
            where.append("reply_intent = ?")
            params.append(intent)
    if getattr(args, "mailbox", None):
        where.append("mailbox = ?")
        params.append(args.mailbox.strip().lower())
    if getattr(args, "campaign", None):
        where.append("campaign_id = ?")
        params.append(args.campaign)
    if getattr(args, "relevant", False):
        where.append("relevant = 1")
    order = "last_ts DESC, id DESC"
    if getattr(args, "needs_reply", False):
        where.append("needs_reply = 1")
        order = "last_ts ASC, id ASC"  # the needs-reply queue: oldest wait first
    return (" WHERE " + " AND ".join(where)) if where else "", params, order


def thread_json(row: sqlite3.Row | tuple) -> dict[str, Any]:
    """A cached thread as the API documents it (body_text is the cached first 300 chars)."""
    (tid, ext, subject, display, last_from, last_date, snippet, warming, postmaster, count,
     intent, campaign, mailbox, _ts) = tuple(row)
    out: dict[str, Any] = {
        "id": tid, "external_thread_id": ext, "subject": subject, "subject_display": display,
        "last_message": {"from_email": last_from, "date_received": last_date, "body_text": snippet},
        "is_warming": bool(warming), "is_postmaster": bool(postmaster), "message_count": count,
        "replyIntent": intent, "campaignId": campaign,
    }
    if mailbox:
        out["mailbox"] = mailbox
    return out


def thread_table_line(row: sqlite3.Row) -> str:
    """A row of _THREAD_SQL as one terminal-safe table line (also used by `search`)."""
    from o2d_inbox.render.text import fit, safe_line

    date = (row["last_date"] or "")[:16].replace("T", " ")
    intent = _intent(row["reply_intent"], "-")
    subject = row["subject_display"] or row["subject"] or "(no subject)"
    return (f"{fit(date, 16)}  {fit(intent, 14)}  {fit(safe_line(row['last_from']) or '-', 30)}  "
            f"{fit(safe_line(subject), 50)}  {safe_line(row['id'])}")


def _intent(value: str | None, none: str) -> str:
    """An intent for the table: any value the server sent, made safe ("?" if nothing is left)."""
    from o2d_inbox.render.text import safe_line

    return none if value is None else safe_line(value) or "?"


def list_threads(conn: sqlite3.Connection, args: argparse.Namespace) -> int:
    where, params, order = _filters(args)
    limit = max(0, int(getattr(args, "limit", 50) or 0))
    rows = conn.execute(f"{_THREAD_SQL}{where} ORDER BY {order} LIMIT ?", (*params, limit)).fetchall()
    out = sys.stdout
    if args.json:
        for row in rows:
            out.write(json.dumps(thread_json(row)) + "\n")
        return EXIT_OK
    for row in rows:
        out.write(thread_table_line(row) + "\n")
    if not rows:
        print("no cached threads match (run o2d-inbox sync to fill the cache)", file=sys.stderr)
    return EXIT_OK


# --- show -----------------------------------------------------------------------------------

def message_json(m: Any) -> dict[str, Any]:
    from o2d_inbox.store.writes import iso

    return {
        "id": m.id, "message_id": m.message_id, "from_email": m.from_email, "to_emails": m.to_emails,
        "cc_emails": m.cc_emails, "subject": m.subject,
        "date_received": iso(m.date) if m.date else None, "body_text": m.body_text,
        "body_html": m.body_html, "is_incoming": m.is_incoming, "folder": m.folder,
    }


def body_text(m: Any) -> str:
    """The message as text: its text body, else its HTML body converted; always terminal-safe."""
    from o2d_inbox.render.html import html_to_text
    from o2d_inbox.render.text import safe_text

    if m.body_text and m.body_text.strip():
        return safe_text(m.body_text)
    return html_to_text(m.body_html)


def show(conn: sqlite3.Connection, thread_id: str, *, as_json: bool) -> int:
    from o2d_inbox.render.text import safe_line
    from o2d_inbox.store import queries
    from o2d_inbox.store.writes import iso

    row = conn.execute(f"{_THREAD_SQL} WHERE id = ?", (thread_id,)).fetchone()
    if row is None:
        return fail(f"thread {thread_id} is not in the cache (run o2d-inbox sync)", EXIT_USAGE)
    msgs = queries.messages(conn, thread_id)
    if as_json:
        out = thread_json(row)
        out["messages"] = [message_json(m) for m in msgs]
        sys.stdout.write(json.dumps(out) + "\n")
        return EXIT_OK
    thread = queries.thread(conn, thread_id)
    lines = [
        f"Subject: {safe_line(row['subject_display'] or row['subject']) or '(no subject)'}",
        f"Thread:  {safe_line(thread_id)}   intent: {_intent(row['reply_intent'], 'unclassified')}"
        + (f"   campaign: {safe_line(thread.campaign_name or thread.campaign_id)}" if thread and thread.campaign_id else "")
        + (f"   mailbox: {safe_line(row['mailbox'])}" if row["mailbox"] else ""),
        f"{row['message_count']} message(s)",
    ]
    if not msgs:
        lines += ["", f"Last message from {safe_line(row['last_from']) or '?'} at {row['last_date'] or '?'}:",
                  safe_line(row["last_snippet"]) or "(empty)"]
        print("messages not cached yet: run o2d-inbox sync --messages (or open it in the inbox)",
              file=sys.stderr)
    for m in msgs:
        direction = "in " if m.is_incoming else "out"
        to = ", ".join(safe_line(a) for a in m.to_emails)
        when = iso(m.date)[:16].replace("T", " ") if m.date else "?"  # year 1 as 0001
        lines += ["", f"── {direction} {when}  {safe_line(m.from_email) or '?'} → {to or '?'}"]
        if m.cc_emails:
            lines.append(f"   cc: {', '.join(safe_line(a) for a in m.cc_emails)}")
        lines += ["", body_text(m) or "(empty)"]
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK

