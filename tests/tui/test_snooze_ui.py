"""The snooze dialog (tui/snooze.py) on its own: numbered choices, and a typed date / time
that is taken on enter or refused with a one-line reason."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from textual.app import App
from textual.widgets import Input, Static

from o2d_inbox.snooze_times import snooze_choices
from o2d_inbox.tui.snooze import SnoozeScreen

NOW = datetime(2026, 6, 5, 16, 0, tzinfo=timezone(timedelta(hours=-4)))  # a Friday afternoon


class Host(App):
    def __init__(self) -> None:
        super().__init__()
        self.results: list = []

    def on_mount(self) -> None:
        self.push_screen(SnoozeScreen("sarah@acme.com", snooze_choices(NOW), now=lambda: NOW), self.results.append)


async def test_a_number_picks_the_next_business_day():
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        labels = [c.label for c in app.screen.choices]
        assert labels[1] == "Next business day Mon 8 Jun 8:00 · next monday"
        await pilot.press("2")
        await pilot.pause()
    assert app.results == [datetime(2026, 6, 8, 8, 0, tzinfo=NOW.tzinfo)]


async def test_a_typed_date_is_taken_and_a_bad_one_explained():
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press(str(len(screen.choices) + 1))  # "A date / time …"
        await pilot.pause()
        assert screen.focused is screen.query_one(Input)
        await pilot.press(*"feb 30", "enter")
        await pilot.pause()
        error = screen.query_one("#snooze-error", Static)
        assert error.display and str(error.render()) == "⚠ No such day: feb 30"
        assert app.screen is screen and app.results == []  # nothing chosen, still open
        await pilot.press(*["backspace"] * 6, *"tue 9:30")
        await pilot.pause()
        assert not error.display
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [datetime(2026, 6, 9, 9, 30, tzinfo=NOW.tzinfo)]
