"""Threads, messages and outbox items for the conversation pane tests and snapshots.

Loaded by path from test_conversation*.py (importlib import mode, no package)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from textual.app import App, ComposeResult

from o2d_inbox.store.queries import MessageRow, ThreadRow
from o2d_inbox.tui.conversation import ConversationView

NOW = datetime(2026, 6, 10, 15, 0, tzinfo=timezone.utc)  # a Wednesday
MAILBOX = "john@cooloutreach.io"
PROSPECT = "sarah.chen@acme.com"


def thread(**over: Any) -> ThreadRow:
    values: dict[str, Any] = dict(
        id="t1", subject="Quick question about Acme", subject_display="Quick question about Acme",
        last_from=PROSPECT, last_date=NOW - timedelta(hours=3), last_ts=0, snippet="",
        message_count=3, reply_intent="interested", campaign_id="c1",
        campaign_name="Q4 SaaS founders", mailbox=MAILBOX, prospect=PROSPECT,
        is_warming=False, is_postmaster=False, relevant=True, needs_reply=True, unread=False,
        messages_cached=True,
    )
    values.update(over)
    return ThreadRow(**values)


def message(i: int, *, incoming: bool, body: str | None = None, html: str | None = None,
            ago: timedelta = timedelta(hours=1), cc: list[str] | None = None,
            frm: str | None = None, to: list[str] | None = None) -> MessageRow:
    return MessageRow(
        id=f"m{i}", thread_id="t1", message_id=f"<m{i}@x>",
        from_email=frm or (PROSPECT if incoming else MAILBOX),
        to_emails=to if to is not None else [MAILBOX if incoming else PROSPECT],
        cc_emails=cc or [], subject="Re: Quick question about Acme", date=NOW - ago,
        body_text=body, body_html=html, is_incoming=incoming, folder="INBOX",
    )


OPENER = (
    "Hi Sarah,\n\nI noticed Acme is growing fast and your team is hiring three SDRs. "
    "We help teams like yours book 30% more meetings without adding headcount.\n\n"
    "Worth a 15-minute call next week?\n\nJohn"
)
REPLY = (
    "Hi John, thanks for reaching out. Sounds good, send times.\n\nSarah\n\n"
    "On Mon, Jun 8, 2026 at 9:12 AM John <john@cooloutreach.io> wrote:\n"
    "> Hi Sarah,\n>\n> I noticed Acme is growing fast and your team is hiring three SDRs.\n"
    "> We help teams like yours book 30% more meetings.\n>\n> Worth a 15-minute call next week?"
)
FOLLOW_UP = "Great! How about Thursday 10:00 or Friday 14:00 (CET)?\n\nJohn"


def conversation() -> list[MessageRow]:
    return [
        message(1, incoming=False, body=OPENER, ago=timedelta(days=9)),
        message(2, incoming=True, body=REPLY, ago=timedelta(days=2, hours=1),
                cc=["mike.ross@acme.com"]),
        message(3, incoming=False, body=FOLLOW_UP, ago=timedelta(minutes=5)),
    ]


HOSTILE_SUBJECT = "[bold red]URGENT[/] \x1b]0;pwned\x07invoice_\u202egnp.exe \x1b[31mred\x1b[0m"
HOSTILE_BODY = (
    "[link=https://evil.example]click[/link] \x1b]8;;https://evil.example\x1b\\here\x1b]8;;\x1b\\\n"
    "cursor\x1b[2J\x1b[H home, bell\x07, pay\u200bpal, \u2066isolated\u2069\n"
    "日本語のテキスト — Crème brûlée 😀\n"
    "\x9b31mC1 CSI\x1bc reset"
)


def hostile() -> list[MessageRow]:
    return [message(1, incoming=True, body=HOSTILE_BODY, frm="[b]evil[/b]\x1b[5m@x.com",
                    cc=["\u202eevil@x.com"])]


NEWSLETTER_HTML = (
    "<html><head><style>p{color:red}</style><script>alert('x')</script></head><body>"
    "<h1>Thanks for your interest</h1><p>Hi <b>John</b>, our buyer is <i>Mike</i>. "
    "See <a href='https://acme.example/team'>our team page</a>.</p>"
    "<img src='https://t.example/p.gif' alt='PIXEL'>"
    "<table><tr><td>Mike Ross</td><td>VP Sales</td></tr></table>"
    "<ul><li>Budget: Q3</li><li>Seats: 12</li></ul>"
    "<blockquote>On Mon you wrote: worth a call?</blockquote></body></html>"
)


@dataclass
class Pending:
    """Duck-typed like store.outbox.OutboxItem."""

    id: int
    kind: str
    state: str
    payload: dict[str, Any] = field(default_factory=dict)
    last_error: str | None = None
    send_after: float | None = None


def pending_items() -> list[Pending]:
    return [
        Pending(1, "reply", "failed", {"bodyText": "Thursday works, I'll send an invite."},
                last_error="422 mailbox disconnected\x1b[31m (reconnect it in Outreach2day)"),
        Pending(2, "reply", "scheduled", {"bodyText": "Sorry, one more thing: can Mike join?"},
                send_after=NOW.timestamp() + 7),
    ]


class ConversationApp(App):
    """ConversationView alone, on a fixed clock, showing whatever `content` says."""

    CSS = "ConversationView { height: 1fr; }"

    def __init__(self, thread_row, messages, *, note=None, pending=None) -> None:
        super().__init__()
        self.content = (thread_row, messages, note, pending)

    def compose(self) -> ComposeResult:
        yield ConversationView(now=lambda: NOW, id="conversation")

    async def on_mount(self) -> None:
        thread_row, messages, note, pending = self.content
        view = self.query_one(ConversationView)
        await view.show(thread_row, messages, note=note, pending=pending)
        view.focus()
