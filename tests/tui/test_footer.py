"""The footer as a user meets it: the keys of what has focus, in the user's keymap, the palette
key on the right, repainted on a focus change without laying the screen out, and a click on a
key pressing it."""

from __future__ import annotations

from o2d_inbox.tui.app import build_app
from o2d_inbox.tui.footer import Footer
from tests.tui.harness import FakeClock, config, frames_written, layouts_counted, screen_lines, settle

SIZE = (160, 48)


def make(cache, **over):
    return build_app(config(**over), conn=cache, clock=FakeClock(), sync_every=None)


async def test_a_focus_change_redraws_the_keys_without_a_layout(cache, monkeypatch):
    """Opening a thread (focus to the pane) and going back swaps the footer's keys; the screen
    is never laid out again for it."""
    app = make(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert screen_lines(app)[-1].startswith(" ⏎ Open  q Quit")
        assert screen_lines(app)[-1].rstrip().endswith("▏^p Palette")
        layouts = layouts_counted(monkeypatch)
        await pilot.press("enter")
        await settle(pilot)
        assert app.focused is app.pane
        assert screen_lines(app)[-1].startswith(" z Quoted  q Quit")
        await pilot.press("escape")
        await settle(pilot)
        assert screen_lines(app)[-1].startswith(" ⏎ Open  q Quit")
        assert layouts == []


async def test_a_rebound_key_shows_as_the_user_presses_it(cache):
    app = make(cache, keymap={"app.sync": "ctrl+y"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        bottom = screen_lines(app)[-1]
        assert " ^y Sync " in bottom and " R Sync " not in bottom


async def test_a_click_on_a_key_presses_it(cache):
    app = make(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(Footer)
        column = screen_lines(app)[-1].index("Help")
        assert footer.key_at(column) == "question_mark"
        await pilot.click(Footer, offset=(column, 0))
        await settle(pilot)
        assert any("Help" in line for line in screen_lines(app)[:-1]), "the help screen should open"


async def test_at_80_columns_the_keys_are_cut_and_the_palette_key_stays(cache):
    app = make(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        bottom = screen_lines(app)[-1]
        assert len(bottom.rstrip()) <= 80
        assert bottom.startswith(" ⏎ Open") and bottom.rstrip().endswith("▏^p Palette")
        assert "Outbox" not in bottom


async def test_the_first_frame_already_shows_the_keys(cache, monkeypatch):
    """The footer is in the first frame written to the terminal, not filled in frames later."""
    app = make(cache)
    frames = frames_written(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
    assert frames
    first = frames[0].render_segments(app.console)
    assert "Open" in first and "Quit" in first and "Palette" in first
