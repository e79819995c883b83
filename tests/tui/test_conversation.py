"""ConversationView in a tiny app on a fixed clock: what the reader sees."""

from __future__ import annotations

import importlib.util
import sys
from datetime import timedelta
from pathlib import Path

from rich.cells import cell_len

from o2d_inbox.tui.conversation import INLINE_HTML_CHARS, ConversationView

if "conversation_fixtures" not in sys.modules:  # importlib import mode: load by path, once
    _spec = importlib.util.spec_from_file_location(
        "conversation_fixtures", Path(__file__).with_name("conversation_fixtures.py"))
    sys.modules["conversation_fixtures"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules["conversation_fixtures"])
cf = sys.modules["conversation_fixtures"]

SIZE = (100, 40)


def line_with(view: ConversationView, needle: str) -> int:
    return next(i for i, line in enumerate(view.text_lines) if needle in line)


def assert_every_line_exactly(view: ConversationView, width: int) -> None:
    for strip in view._lines:
        assert sum(cell_len(segment.text) for segment in strip) == width


async def test_messages_read_like_a_chat():
    app = cf.ConversationApp(cf.thread(), cf.conversation())
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
    app = cf.ConversationApp(cf.thread(), cf.conversation())
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
    app = cf.ConversationApp(cf.thread(), cf.conversation())
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ConversationView)
        await pilot.press("z")
        await view.show(cf.thread(), cf.conversation())  # e.g. a sync refreshed it
        assert any("▾ 7 quoted lines" in line for line in view.text_lines)
        await view.show(cf.thread(id="t2"), cf.conversation())
        assert any("▸ 7 quoted lines" in line for line in view.text_lines)


async def test_html_only_body_is_shown_as_clean_text():
    app = cf.ConversationApp(cf.thread(), [cf.message(1, incoming=True, html=cf.NEWSLETTER_HTML)])
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
    app = cf.ConversationApp(cf.thread(), [])
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ConversationView)
        await view.show(cf.thread(), [cf.message(1, incoming=True, html=html)])
        assert "▌ converting…" in "\n".join(view.text_lines)
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = "\n".join(view.text_lines)
        assert "▌ Deep but fine." in text and "converting…" not in text
        # converted once: reopening shows it at once
        await view.show(cf.thread(id="t2"), [cf.message(1, incoming=True, html=html)])
        assert "▌ Deep but fine." in "\n".join(view.text_lines)


async def test_hostile_text_is_shown_literally_and_never_as_escapes():
    app = cf.ConversationApp(cf.thread(subject_display=cf.HOSTILE_SUBJECT), cf.hostile())
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
    app = cf.ConversationApp(cf.thread(), [cf.message(1, incoming=False, body=body)])
    async with app.run_test(size=(61, 30)):
        view = app.query_one(ConversationView)
        width = view.scrollable_content_region.width
        assert_every_line_exactly(view, width)
        bars = [line for line in view.text_lines if line.rstrip().endswith("▐")]
        assert len(bars) > 6
        assert {cell_len(line.rstrip()) for line in bars} == {width}


async def test_pending_and_failed_replies_at_the_bottom():
    app = cf.ConversationApp(cf.thread(), cf.conversation(), pending=cf.pending_items())
    async with app.run_test(size=SIZE):
        view = app.query_one(ConversationView)
        text = "\n".join(view.text_lines)
        failed = text.index("✕ reply failed: 422 mailbox disconnected (reconnect it in Outreach2day)")
        queued = text.index("⧗ reply queued · sending in 7 s")
        assert text.index("Great! How about") < failed < queued
        assert "Thursday works, I'll send an invite." in text
        assert "Sorry, one more thing: can Mike join?" in text
        assert view.text_lines[line_with(view, "⧗ reply queued")].rstrip().endswith("┆")


async def test_note_and_empty_states():
    note = "Messages not cached yet — you are offline"
    app = cf.ConversationApp(cf.thread(), [], note=note)
    async with app.run_test(size=SIZE):
        view = app.query_one(ConversationView)
        assert any(line.strip() == note for line in view.text_lines)
        await view.show(None, [])
        assert [line.strip() for line in view.text_lines] == ["No thread selected."]
        await view.show(cf.thread(), [])
        assert "No messages in the cache for this thread." in "\n".join(view.text_lines)


async def test_long_thread_opens_on_the_latest_message():
    messages = [
        cf.message(i, incoming=i % 2 == 0, body=f"message number {i}\n" + cf.OPENER,
                   ago=timedelta(hours=60 - i))
        for i in range(50)
    ]
    app = cf.ConversationApp(cf.thread(), messages)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ConversationView)
        await pilot.pause()
        assert view.scroll_offset.y > 0
        visible = view.text_lines[view.scroll_offset.y : view.scroll_offset.y + view.size.height]
        assert any("message number 49" in line for line in visible)
        await pilot.press("home")
        await pilot.pause()
        assert view.scroll_offset.y == 0
