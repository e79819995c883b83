"""The actions table (o2d_inbox/keymap.py) as a user meets it: every binding id a keymap may
name keeps working, hints name the key the user rebound, and a mistyped entry is a warning
instead of silence."""

from __future__ import annotations

from o2d_inbox import keymap
from o2d_inbox.cache import local
from o2d_inbox.tui.app import build_app
from tests.tui.harness import FakeClock, config, notices, settle

SIZE = (160, 48)


def make(cache, keymap):
    return build_app(config(keymap=keymap, undo_seconds=10), conn=cache, clock=FakeClock(), sync_every=None)


#: Every binding id the inbox had before the actions table: users' config files name them.
KNOWN_IDS = {
    "thread.down",
    "thread.up",
    "thread.first",
    "thread.last",
    "thread.page_down",
    "thread.page_up",
    "thread.open",
    "conversation.toggle_quotes",
    "app.quit",
    "app.help",
    "app.filter",
    "app.toggle_relevant",
    "app.sync",
    "app.focus_next",
    "app.focus_previous",
    "app.next_queue",
    "app.previous_queue",
    "app.back",
    "app.command_palette",
    "thread.reply",
    "thread.forward",
    "app.compose_new",
    "thread.intent",
    *(f"thread.intent_{n}" for n in range(1, 7)),
    "app.undo",
    "app.outbox",
    "thread.done",
    "thread.snooze",
    "thread.note",
    "thread.select",
    "thread.select_range",
    "app.triage",
    "queues.down",
    "queues.up",
    "compose.send",
    "compose.editor",
    "compose.close",
    "compose.template",
    "confirm.yes",
    "confirm.no",
    "intent.close",
    *(f"intent.pick_{n}" for n in range(7)),
    "outbox.retry",
    "outbox.cancel",
    "outbox.open",
    "outbox.close",
    "outbox.down",
    "outbox.up",
    *(f"snooze.pick_{n}" for n in range(1, 5)),
    "snooze.cancel",
    "note.save",
    "note.cancel",
    "template.close",
    "template.down",
    "template.up",
    "help.close",
}


def test_every_binding_id_a_keymap_may_name_is_still_in_the_table():
    assert set(keymap.BY_ID) >= KNOWN_IDS
    assert keymap.check_keymap({i: keymap.BY_ID[i].keys for i in KNOWN_IDS}) == []


def test_a_mistyped_id_or_key_is_named_with_the_likely_fix():
    problems = keymap.check_keymap(
        {
            "thread.donee": "x",
            "app.help": "f1,question_mark,?",
            "app.quit": "ctrl+",
            "thread.reply": "ctrl+r",
            "app.sync": "sync",
        }
    )
    assert problems == [
        "keymap: unknown binding id 'thread.donee' (did you mean 'thread.done'?)",
        "keymap: app.quit = 'ctrl+': not a key name: 'ctrl+'",
        "keymap: app.sync = 'sync': not a key name: 'sync'",
    ]


def test_key_for_follows_the_keymap_and_speaks_as_the_user_types():
    assert keymap.key_for("thread.done") == "e"
    assert keymap.key_for("thread.done", {"thread.done": "y"}) == "y"
    assert keymap.key_for("app.help") == "?" and keymap.key_for("app.filter") == "/"
    assert keymap.key_for("app.undo") == "u" and keymap.key_for("app.undo", every=True) == "u / ctrl+z"


async def test_hints_and_the_palette_name_the_rebound_key(cache):
    app = make(cache, keymap={"thread.done": "y", "app.undo": "U"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = app.threads.selected.id
        await pilot.press("e")  # no longer bound
        await settle(pilot)
        assert local.get_local(cache, first) is None or not local.get_local(cache, first).done
        await pilot.press("y")
        await settle(pilot)
        assert local.get_local(cache, first).done
        assert "1 thread marked done · U to undo" in notices(app)
        app.action_show_queue("done")
        await settle(pilot)
        assert any("✓ done (y brings it back)" in line for line in app.pane.text_lines)
        helps = {name: help_text for name, help_text, _ in app.palette_commands()}
        assert helps["Mark done / not done"].endswith("· key y")
        assert helps["Undo the last send / intent change"].endswith("· key U")  # the keymap replaces both default keys
        assert not any("keymap" in n for n in notices(app))  # a valid keymap is not warned about


async def test_a_mistyped_keymap_entry_is_a_notice_at_start_and_the_rest_still_applies(cache):
    app = make(cache, keymap={"thread.donee": "y", "app.help": "f1"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        warned = [n for n in notices(app) if "thread.donee" in n]
        assert warned == ["keymap: unknown binding id 'thread.donee' (did you mean 'thread.done'?)"]
        await pilot.press("f1")
        await settle(pilot)
        assert type(app.screen).__name__ == "HelpScreen"


def test_the_table_and_doctor_need_no_terminal_ui():
    """doctor checks a keymap without Textual: the table is headless."""
    import subprocess
    import sys

    code = "import sys, o2d_inbox.keymap, o2d_inbox.commands.doctor; assert 'textual' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_the_tui_runs_no_sql_of_its_own():
    """Every query the screens need is a function of cache/queries.py or outbox/queue.py."""
    from pathlib import Path

    import o2d_inbox.tui

    folder = Path(o2d_inbox.tui.__file__).parent
    offenders = [path.name for path in sorted(folder.glob("*.py")) if ".execute(" in path.read_text(encoding="utf-8")]
    assert offenders == []
