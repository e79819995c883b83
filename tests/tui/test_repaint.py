"""What the terminal shows is what a fresh render would show: every frame the app writes is fed
to a terminal emulator and compared, cell by cell (character, colours, bold), with a full
render of the screen as it stands. A change drawn only in part (a focus change repaints only
what it restyles: inbox.InboxScreen.focused) must leave nothing stale behind."""

from __future__ import annotations

import pyte
import pytest

from o2d_inbox.tui.app import build_app
from tests.tui.harness import FakeClock, config, frames_written, settle


def _cells(screen: pyte.Screen) -> list[list[tuple]]:
    return [
        [
            (c.data, c.fg, c.bg, c.bold, c.reverse, c.underscore)
            for c in (screen.buffer[y][x] for x in range(screen.columns))
        ]
        for y in range(screen.lines)
    ]


def _differences(seen: pyte.Screen, fresh: pyte.Screen) -> list[str]:
    out = []
    for y, (a, b) in enumerate(zip(_cells(seen), _cells(fresh), strict=True)):
        for x, (p, q) in enumerate(zip(a, b, strict=True)):
            if p != q:
                out.append(f"row {y} col {x}: shown {p}, fresh {q}")
    return out


@pytest.mark.parametrize("size", [(160, 48), (80, 24)])
async def test_after_focus_moves_the_terminal_shows_what_a_fresh_render_does(cache, monkeypatch, size):
    app = build_app(config(), conn=cache, clock=FakeClock(), sync_every=None)
    terminal = pyte.Screen(*size)
    feed = pyte.Stream(terminal).feed
    frames = frames_written(app, monkeypatch)
    fed = 0

    def compare(step: str) -> None:
        nonlocal fed
        for update in frames[fed:]:  # what the terminal has received since the last step
            feed(update.render_segments(app.console))
        fed = len(frames)
        fresh = pyte.Screen(*size)
        pyte.Stream(fresh).feed(app.screen._compositor.render_update(full=True).render_segments(app.console))
        assert not _differences(terminal, fresh), (step, _differences(terminal, fresh)[:5])

    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        compare("first frame")
        for step, key in [
            ("enter: the pane has the focus", "enter"),
            ("escape: back to the list", "escape"),
            ("tab", "tab"),
            ("tab again", "tab"),
            ("shift+tab", "shift+tab"),
            ("j on the list", "j"),
        ]:
            await pilot.press(key)
            await settle(pilot)
            compare(step)
