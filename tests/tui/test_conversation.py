"""ConversationView in a tiny app on a fixed clock: what the reader sees (Pilot + snapshots)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from rich.cells import cell_len
from textual.app import App, ComposeResult

from o2d_inbox.cache.queries import MessageRow, ThreadRow
from o2d_inbox.tui.conversation import INLINE_HTML_CHARS, MAX_BLOCK_LINES, MESSAGE_WINDOW, ConversationView

NOW = datetime(2026, 6, 10, 15, 0, tzinfo=timezone.utc)  # a Wednesday
MAILBOX = "john@cooloutreach.io"
PROSPECT = "sarah.chen@acme.com"


def thread(**over: Any) -> ThreadRow:
    values: dict[str, Any] = dict(
        id="t1",
        subject="Quick question about Acme",
        subject_display="Quick question about Acme",
        last_from=PROSPECT,
        last_date=NOW - timedelta(hours=3),
        last_ts=0,
        snippet="",
        message_count=3,
        reply_intent="interested",
        campaign_id="c1",
        campaign_name="Q4 SaaS founders",
        mailbox=MAILBOX,
        prospect=PROSPECT,
        is_warming=False,
        is_postmaster=False,
        relevant=True,
        needs_reply=True,
        unread=False,
        messages_cached=True,
    )
    values.update(over)
    return ThreadRow(**values)


def message(
    i: int,
    *,
    incoming: bool,
    body: str | None = None,
    html: str | None = None,
    ago: timedelta = timedelta(hours=1),
    cc: list[str] | None = None,
    frm: str | None = None,
    to: list[str] | None = None,
) -> MessageRow:
    return MessageRow(
        id=f"m{i}",
        thread_id="t1",
        message_id=f"<m{i}@x>",
        from_email=frm or (PROSPECT if incoming else MAILBOX),
        to_emails=to if to is not None else [MAILBOX if incoming else PROSPECT],
        cc_emails=cc or [],
        subject="Re: Quick question about Acme",
        date=NOW - ago,
        body_text=body,
        body_html=html,
        is_incoming=incoming,
        folder="INBOX",
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
        message(2, incoming=True, body=REPLY, ago=timedelta(days=2, hours=1), cc=["mike.ross@acme.com"]),
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
    return [message(1, incoming=True, body=HOSTILE_BODY, frm="[b]evil[/b]\x1b[5m@x.com", cc=["\u202eevil@x.com"])]


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
    """Duck-typed like outbox.queue.OutboxItem."""

    id: int
    kind: str
    state: str
    payload: dict[str, Any] = field(default_factory=dict)
    last_error: str | None = None
    send_after: float | None = None


def pending_items() -> list[Pending]:
    return [
        Pending(
            1,
            "reply",
            "failed",
            {"bodyText": "Thursday works, I'll send an invite."},
            last_error="422 mailbox disconnected\x1b[31m (reconnect it in Outreach2day)",
        ),
        Pending(
            2,
            "reply",
            "scheduled",
            {"bodyText": "Sorry, one more thing: can Mike join?"},
            send_after=NOW.timestamp() + 7,
        ),
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


SIZE = (100, 40)


def line_with(view: ConversationView, needle: str) -> int:
    return next(i for i, line in enumerate(view.text_lines) if needle in line)


def assert_every_line_exactly(view: ConversationView, width: int) -> None:
    for strip in view._lines:
        assert sum(cell_len(segment.text) for segment in strip) == width


async def test_messages_read_like_a_chat():
    app = ConversationApp(thread(), conversation())
    async with app.run_test(size=SIZE):
        view = app.query_one(ConversationView)
        lines = view.text_lines
        text = "\n".join(lines)
        assert lines[0].strip() == "Quick question about Acme"
        assert "★ interested · campaign: Q4 SaaS founders · mailbox: john@cooloutreach.io" in text
        # ours: indented, bar on the right; theirs: bar on the left, flush
        ours = lines[line_with(view, "you → sarah.chen@acme.com")]
        theirs = lines[line_with(view, "sarah.chen@acme.com → you")]
        assert ours.startswith("        you") and ours.rstrip().endswith("Jun 1 ▐")
        assert theirs.startswith("▌ sarah.chen@acme.com → you") and "Mon 14:00" in theirs
        assert "▌ cc: mike.ross@acme.com" in text
        assert lines[line_with(view, "Great! How about") - 1].rstrip().endswith("5m ▐")
        assert text.index("I noticed Acme") < text.index("thanks for reaching out") < text.index("Great!")
        assert_every_line_exactly(view, view.scrollable_content_region.width)


async def test_quoted_history_folds_and_expands_with_z_and_click():
    app = ConversationApp(thread(), conversation())
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ConversationView)
        text = "\n".join(view.text_lines)
        assert "▌ ▸ 7 quoted lines" in text
        assert "On Mon, Jun 8" not in text and "> Worth a 15-minute call" not in text

        await pilot.press("z")
        text = "\n".join(view.text_lines)
        assert "▌ ▾ 7 quoted lines" in text
        assert "▌ On Mon, Jun 8, 2026 at 9:12 AM John <john@cooloutreach.io> wrote:" in text
        assert "▌ > Worth a 15-minute call next week?" in text

        await pilot.press("z")
        assert "On Mon, Jun 8" not in "\n".join(view.text_lines)

        fold = line_with(view, "▸ 7 quoted lines")
        await pilot.click(ConversationView, offset=(4, fold - view.scroll_offset.y))
        assert "▌ > Worth a 15-minute call next week?" in "\n".join(view.text_lines)
        await pilot.click(ConversationView, offset=(4, fold - view.scroll_offset.y))
        assert "On Mon, Jun 8" not in "\n".join(view.text_lines)


async def test_expanded_quotes_survive_a_refresh_of_the_same_thread_only():
    app = ConversationApp(thread(), conversation())
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ConversationView)
        await pilot.press("z")
        await view.show(thread(), conversation())  # e.g. a sync refreshed it
        assert any("▾ 7 quoted lines" in line for line in view.text_lines)
        await view.show(thread(id="t2"), conversation())
        assert any("▸ 7 quoted lines" in line for line in view.text_lines)


async def test_a_new_message_is_followed_only_by_a_reader_at_the_end():
    long_thread = [message(i, incoming=i % 2 == 0, body=OPENER, ago=timedelta(hours=30 - i)) for i in range(20)]
    arrived = message(99, incoming=True, body="Just arrived", ago=timedelta(seconds=10))
    app = ConversationApp(thread(), long_thread)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ConversationView)
        await pilot.pause()
        assert view.scroll_offset.y == view.max_scroll_y > 0
        await view.show(thread(), long_thread + [arrived])
        await pilot.pause()
        assert view.scroll_offset.y == view.max_scroll_y
        assert any("Just arrived" in line for line in view.text_lines[view.scroll_offset.y :])
        view.scroll_home(animate=False)
        await pilot.pause()
        later = message(100, incoming=True, body="Even later", ago=timedelta(seconds=5))
        await view.show(thread(), long_thread + [arrived, later])
        await pilot.pause()
        assert view.scroll_offset.y == 0


async def test_theme_switch_recolours_the_laid_out_lines():
    app = ConversationApp(thread(), conversation())
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ConversationView)
        before = view._lines[0]
        app.theme = "textual-light"
        await pilot.pause()
        after = view._lines[0]
        assert after.text == before.text
        assert [s.style for s in after] != [s.style for s in before]


async def test_html_only_body_is_shown_as_clean_text():
    app = ConversationApp(thread(), [message(1, incoming=True, html=NEWSLETTER_HTML)])
    async with app.run_test(size=SIZE):
        view = app.query_one(ConversationView)
        text = "\n".join(view.text_lines)
        assert "▌ Hi John, our buyer is Mike. See [our team page][1]." in text
        assert "▌ Mike Ross VP Sales" in text
        assert "[1]: https://acme.example/team" in text
        for gone in ("alert", "<b>", "PIXEL", "color:red", "<p>"):
            assert gone not in text


async def test_large_html_converts_in_a_worker_without_blocking():
    html = "<div>" * 3000 + "<p>Deep but fine.</p>" + "</div>" * 3000
    assert len(html) > INLINE_HTML_CHARS
    app = ConversationApp(thread(), [])
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ConversationView)
        await view.show(thread(), [message(1, incoming=True, html=html)])
        assert "▌ converting…" in "\n".join(view.text_lines)
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = "\n".join(view.text_lines)
        assert "▌ Deep but fine." in text and "converting…" not in text
        # converted once: reopening shows it at once
        await view.show(thread(id="t2"), [message(1, incoming=True, html=html)])
        assert "▌ Deep but fine." in "\n".join(view.text_lines)


async def test_hostile_text_is_shown_literally_and_never_as_escapes():
    app = ConversationApp(thread(subject_display=HOSTILE_SUBJECT), hostile())
    async with app.run_test(size=SIZE):
        view = app.query_one(ConversationView)
        text = "\n".join(view.text_lines)
        assert view.text_lines[0].strip() == "[bold red]URGENT[/] invoice_gnp.exe red"
        assert "▌ [b]evil[/b]@x.com → you" in text
        assert "▌ [link=https://evil.example]click[/link] here" in text
        assert "▌ 日本語のテキスト — Crème brûlée 😀" in text
        assert "pwned" not in text and "evil.example\\" not in text
        for strip in view._lines:
            for segment in strip:
                assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in segment.text)
                assert not set(segment.text) & {"\u202e", "\u2066", "\u2069", "\u200b"}
                assert segment.style is None or segment.style.link is None
        assert_every_line_exactly(view, view.scrollable_content_region.width)


async def test_wide_characters_keep_the_bars_aligned():
    body = "日本語の長いテキスト" * 12 + "\n😀" * 3 + "\nhttps://example.com/" + "x" * 150
    app = ConversationApp(thread(), [message(1, incoming=False, body=body)])
    async with app.run_test(size=(61, 30)):
        view = app.query_one(ConversationView)
        width = view.scrollable_content_region.width
        assert_every_line_exactly(view, width)
        bars = [line for line in view.text_lines if line.rstrip().endswith("▐")]
        assert len(bars) > 6
        assert {cell_len(line.rstrip()) for line in bars} == {width}


async def test_a_huge_body_is_cut_not_stalled():
    body = "line\n" * (MAX_BLOCK_LINES + 500) + "x" * 300_000
    app = ConversationApp(thread(), [message(1, incoming=True, body=body)])
    async with app.run_test(size=SIZE):
        view = app.query_one(ConversationView)
        assert len(view.text_lines) < MAX_BLOCK_LINES + 20
        assert "▌ [… " in "\n".join(view.text_lines[-3:])
        assert "more lines not shown]" in "\n".join(view.text_lines[-3:])


async def test_tiny_widths_still_lay_out():
    for width in (4, 12):
        app = ConversationApp(
            thread(subject_display=HOSTILE_SUBJECT), conversation() + hostile(), pending=pending_items()
        )
        async with app.run_test(size=(width, 20)) as pilot:
            await pilot.pause()
            view = app.query_one(ConversationView)
            assert len(view.text_lines) > 20
            if width == 12:
                assert "   Jun 1 ▐" in view.text_lines  # the date moved to its own line


async def test_pending_and_failed_replies_at_the_bottom():
    app = ConversationApp(thread(), conversation(), pending=pending_items())
    async with app.run_test(size=SIZE):
        view = app.query_one(ConversationView)
        text = "\n".join(view.text_lines)
        failed = text.index("✕ reply failed: 422 mailbox disconnected (reconnect it in Outreach2day)")
        queued = text.index("◌ reply queued · sending in 7 s")
        assert text.index("Great! How about") < failed < queued
        assert "Thursday works, I'll send an invite." in text
        assert "Sorry, one more thing: can Mike join?" in text
        assert view.text_lines[line_with(view, "◌ reply queued")].rstrip().endswith("┆")


async def test_queued_countdown_ticks_with_the_clock():
    clock = [NOW]
    app = ConversationApp(thread(), conversation(), pending=pending_items())
    async with app.run_test(size=SIZE):
        view = app.query_one(ConversationView)
        view._now = lambda: clock[0]
        clock[0] = NOW + timedelta(seconds=3)
        view._tick()
        assert "◌ reply queued · sending in 4 s" in "\n".join(view.text_lines)
        clock[0] = NOW + timedelta(seconds=30)
        view._tick()
        text = "\n".join(view.text_lines)
        assert "◌ reply queued" in text and "sending in" not in text
        assert view._ticker is None  # nothing left to count down


async def test_real_outbox_items_from_the_store():
    from o2d_inbox.cache.db import open_db
    from o2d_inbox.outbox import queue as outbox

    conn = open_db(":memory:")
    try:
        outbox.queue_reply(conn, "t1", "Booked for Thursday.", undo_seconds=10, now=NOW.timestamp())
        outbox.queue_intent(conn, "t1", "interested", now=NOW.timestamp())
        items = outbox.pending_for_thread(conn, "t1")
    finally:
        conn.close()
    app = ConversationApp(thread(), conversation(), pending=items)
    async with app.run_test(size=SIZE):
        text = "\n".join(app.query_one(ConversationView).text_lines)
        assert "◌ reply queued · sending in 10 s" in text
        assert "Booked for Thursday." in text
        assert "you: intent → interested" in text


async def test_note_and_empty_states():
    note = "Messages not cached yet — you are offline"
    app = ConversationApp(thread(), [], note=note)
    async with app.run_test(size=SIZE):
        view = app.query_one(ConversationView)
        assert any(line.strip() == note for line in view.text_lines)
        await view.show(None, [])
        assert [line.strip() for line in view.text_lines] == ["No thread selected."]
        await view.show(thread(), [])
        assert "No messages in the cache for this thread." in "\n".join(view.text_lines)


async def test_long_thread_opens_on_the_latest_message():
    messages = [
        message(i, incoming=i % 2 == 0, body=f"message number {i}\n" + OPENER, ago=timedelta(hours=60 - i))
        for i in range(50)
    ]
    app = ConversationApp(thread(), messages)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ConversationView)
        await pilot.pause()
        timings = []
        for i in range(3):  # benchmark figure (printed, not asserted)
            start = time.perf_counter()
            await view.show(thread(id=f"other{i}"), messages)
            timings.append(time.perf_counter() - start)
        print(f"open a 50-message thread: {sorted(timings)[1] * 1000:.1f} ms, {len(view.text_lines)} lines")
        await view.show(thread(), messages)
        await pilot.pause()
        assert view.scroll_offset.y > 0
        visible = view.text_lines[view.scroll_offset.y : view.scroll_offset.y + view.size.height]
        assert any("message number 49" in line for line in visible)
        await pilot.press("home")
        await pilot.pause()
        assert view.scroll_offset.y == 0


async def test_a_huge_thread_lays_out_only_its_latest_messages():
    total = 10_000
    messages = [
        message(i, incoming=i % 2 == 0, body=f"message number {i}", ago=timedelta(minutes=total - i))
        for i in range(total)
    ]
    app = ConversationApp(thread(message_count=total), messages)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ConversationView)
        await pilot.pause()
        text = "\n".join(view.text_lines)
        assert len(view.text_lines) < MESSAGE_WINDOW * 10  # not 10,000 messages' worth
        assert f"▴ {total - MESSAGE_WINDOW:,} earlier messages · m shows {MESSAGE_WINDOW} more" in text
        assert f"message number {total - MESSAGE_WINDOW}" in text
        assert f"message number {total - MESSAGE_WINDOW - 1}\n" not in text + "\n"
        visible = view.text_lines[view.scroll_offset.y : view.scroll_offset.y + view.size.height]
        assert any(f"message number {total - 1}" in line for line in visible)  # opens on the latest

        # from the top: m lays out 200 more; the message that was on screen stays where it was
        await pilot.press("home")
        await pilot.pause()
        oldest_shown = line_with(view, f"message number {total - MESSAGE_WINDOW}")
        await pilot.press("m")
        await pilot.pause()
        text = "\n".join(view.text_lines)
        assert f"▴ {total - 2 * MESSAGE_WINDOW:,} earlier messages" in text
        assert f"message number {total - 2 * MESSAGE_WINDOW}" in text
        assert line_with(view, f"message number {total - MESSAGE_WINDOW}") - view.scroll_offset.y == oldest_shown

        # a click on the line does the same; z leaves it alone
        await pilot.press("home", "z")
        await pilot.pause()
        fold = line_with(view, "earlier messages")
        await pilot.click(ConversationView, offset=(4, fold - view.scroll_offset.y))
        assert f"▴ {total - 3 * MESSAGE_WINDOW:,} earlier messages" in "\n".join(view.text_lines)

        # another thread opens with the window back at its size
        await view.show(thread(id="t2"), messages)
        assert f"▴ {total - MESSAGE_WINDOW:,} earlier messages" in "\n".join(view.text_lines)


async def test_a_thread_within_the_window_has_no_earlier_line():
    messages = [
        message(i, incoming=i % 2 == 0, body=f"message number {i}", ago=timedelta(minutes=500 - i))
        for i in range(MESSAGE_WINDOW)
    ]
    app = ConversationApp(thread(), messages)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ConversationView)
        await pilot.press("m")
        text = "\n".join(view.text_lines)
        assert "earlier messages" not in text and "message number 0" in text


# ---------------------------------------------------------------------------- snapshots


def test_snapshot_normal_conversation(snap_compare):
    """Ours indented with a right bar, theirs flush with a left bar, relative dates, cc, one fold."""
    assert snap_compare(ConversationApp(thread(), conversation()), terminal_size=SIZE)


def test_snapshot_hostile_content(snap_compare):
    """Markup, escape sequences, RLO and zero-width chars in subject/sender/body show as inert text."""
    app = ConversationApp(thread(subject_display=HOSTILE_SUBJECT), hostile())
    assert snap_compare(app, terminal_size=SIZE)


def test_snapshot_html_only(snap_compare):
    """An HTML-only body reads as clean text: no script/style/image, links as references."""
    app = ConversationApp(thread(), [message(1, incoming=True, html=NEWSLETTER_HTML)])
    assert snap_compare(app, terminal_size=SIZE)


def test_snapshot_pending_and_failed_reply(snap_compare):
    """A failed reply (with its reason) and a queued one (countdown) follow the thread, dashed."""
    app = ConversationApp(thread(), conversation(), pending=pending_items())
    assert snap_compare(app, terminal_size=SIZE)
