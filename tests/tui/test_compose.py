"""Compose: drafts survive a restart, forward / new need a recipient, an unsubscribed
prospect asks first, ctrl+e hands the text to $EDITOR and reads it back."""

from __future__ import annotations

import contextlib
import sys

from textual.widgets import Input, Select, TextArea

from o2d_inbox.outbox import queue as outbox
from o2d_inbox.cache.db import open_db
from o2d_inbox.tui.app import build_app
from o2d_inbox.tui.compose import DRAFT_SAVE_DELAY, ComposeScreen, ConfirmScreen

from tests.tui.harness import clock, config, settle
from tests.seed import seed_cache

SIZE = (160, 48)


def make(conn, **over):
    return build_app(config(undo_seconds=over.pop("undo_seconds", 5), **over), conn=conn, clock=clock,
                     sync_every=None)


async def test_a_draft_survives_a_restart_and_r_resumes_it(tmp_path):
    path = tmp_path / "cache.db"
    conn = open_db(path)
    seed_cache(conn, 60)
    app = make(conn)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        thread = app.shown_thread
        await pilot.press("r", *"half-written thou")
        await pilot.pause(DRAFT_SAVE_DELAY + 0.3)  # the debounced save; no esc, no send: a "crash"
    conn.close()

    conn = open_db(path)
    [draft] = outbox.list_items(conn)
    assert (draft.kind, draft.state, draft.thread_id) == ("reply", "draft", thread.id)
    assert draft.payload["bodyText"] == "half-written thou"
    app = make(conn)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.shown_thread.id == thread.id
        assert any("draft" in line for line in app.pane.text_lines)  # the pane shows it pending
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ComposeScreen)
        assert app.screen.query_one(TextArea).text == "half-written thou"
        await pilot.press(*"ght")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ComposeScreen)
        [again] = outbox.list_items(conn)
        assert again.id == draft.id and again.payload["bodyText"] == "half-written thought"
        assert again.idempotency_key != draft.idempotency_key  # a key belongs to one body
    conn.close()


async def test_an_untouched_compose_leaves_nothing_and_an_emptied_draft_is_discarded(cache):
    app = make(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r", "escape")
        await pilot.pause()
        assert outbox.list_items(cache) == []
        await pilot.press("r", *"x")
        await pilot.press("escape")
        await pilot.pause()
        [draft] = outbox.list_items(cache)
        await pilot.press("r", "backspace", "escape")
        await pilot.pause()
        assert outbox.get(cache, draft.id).state == "cancelled"


async def test_unsubscribed_prospect_asks_before_sending(cache):
    app = make(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.action_show_queue("intent:unsubscribe")
        await settle(pilot)
        thread = app.shown_thread
        assert thread.reply_intent == "unsubscribe"
        await pilot.press("r", *"One last note")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, ComposeScreen)
        assert [i.state for i in outbox.list_items(cache)] == ["draft"]
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert not isinstance(app.screen, (ComposeScreen, ConfirmScreen))
        [item] = outbox.list_items(cache)
        assert (item.state, item.thread_id, item.payload["bodyText"]) == ("scheduled", thread.id, "One last note")


async def test_forward_and_new_need_a_recipient_and_use_the_chosen_mailbox(cache):
    app = make(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        thread = app.shown_thread
        await pilot.press("f")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ComposeScreen) and screen.focused is screen.query_one("#to", Input)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ComposeScreen) and outbox.list_items(cache) == []
        await pilot.press(*"boss@ours.test")
        await pilot.press("ctrl+s")
        await pilot.pause()
        [fwd] = outbox.list_items(cache)
        assert (fwd.kind, fwd.state, fwd.thread_id, fwd.recipient) == ("forward", "scheduled", thread.id,
                                                                      "boss@ours.test")
        assert "bodyText" not in fwd.payload and fwd.payload["fromMailboxAddress"] == thread.mailbox

        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        other = next(m for m in screen.mailboxes if m != screen.query_one("#from", Select).value)
        screen.query_one("#from", Select).value = other
        screen.query_one("#to", Input).value = "lead@them.test"
        screen.query_one("#subject", Input).value = "Hello there"
        screen.query_one(TextArea).text = "Short note."
        await pilot.click("#send")
        await pilot.pause()
        new = outbox.list_items(cache)[-1]
        assert (new.kind, new.state, new.thread_id) == ("new", "scheduled", None)
        assert new.payload["toAddress"] == "lead@them.test" and new.payload["subject"] == "Hello there"
        assert new.payload["bodyText"] == "Short note." and new.payload["fromMailboxAddress"] == other
        assert new.payload["bodyHtml"] == "<p>Short note.</p>"


async def test_ctrl_e_hands_the_text_to_the_editor(cache, tmp_path, monkeypatch):
    script = tmp_path / "editor.py"
    script.write_text("import sys\np = sys.argv[1]\ntext = open(p).read()\n"
                      "open(p, 'w').write(text.upper() + '\\n-- sent from my editor\\n')\n")
    monkeypatch.setenv("VISUAL", f"{sys.executable} {script}")
    app = make(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        monkeypatch.setattr(app, "suspend", contextlib.nullcontext)  # headless: nothing to hand over
        await pilot.press("r", *"draft text")
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert app.screen.query_one(TextArea).text == "DRAFT TEXT\n-- sent from my editor"
        [draft] = outbox.list_items(cache)
        assert draft.payload["bodyText"] == "DRAFT TEXT\n-- sent from my editor"
        monkeypatch.setenv("VISUAL", "false")  # an editor that fails leaves the text alone
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert app.screen.query_one(TextArea).text == "DRAFT TEXT\n-- sent from my editor"


def test_snapshot_compose_reply(snap_compare, cache):
    """The reply modal over the inbox: title with prospect and subject, From select, the text, Send."""
    async def run(pilot):
        await settle(pilot)
        await pilot.press("r", *"Hi there,", "enter", "enter", *"Tuesday at 10 works. Talk soon!")
        await settle(pilot)
        pilot.app.screen.query_one(TextArea).cursor_blink = False
        pilot.app.clear_notifications()
        await pilot.pause(DRAFT_SAVE_DELAY + 0.2)
        await settle(pilot)

    assert snap_compare(make(cache), terminal_size=SIZE, run_before=run)


def _screen_lines(app) -> list[str]:
    """The terminal as the user sees it (every layer composited), one string a row."""
    import html
    import re

    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, text in re.findall(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</text>',
                                 app.export_screenshot()):
        rows.setdefault(float(y), []).append((float(x), html.unescape(text).replace("\xa0", " ")))
    lines = []
    for _, parts in sorted(rows.items()):
        line = ""
        for x, text in sorted(parts):  # Textual's SVG: a cell is 12.2 units wide, gaps are blanks
            line = line.ljust(round(x / 12.2)) + text
        lines.append(line)
    return lines


async def test_the_sidebar_counts_stay_whole_while_compose_is_open(tmp_path):
    conn = open_db(tmp_path / "cache.db")
    seed_cache(conn, 60)
    app = make(conn)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        sidebar = app.sidebar
        prompts = [str(o.prompt.plain if hasattr(o.prompt, "plain") else o.prompt).rstrip()
                   for o in sidebar.options if o.id]
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ComposeScreen)
        screen = "\n".join(_screen_lines(app))
        counted = [p for p in prompts if p.split()[-1][0].isdigit()]
        assert counted and all(p in screen for p in counted), [p for p in counted if p not in screen]
    conn.close()
