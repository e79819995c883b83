"""The list's message-count column shows real counts, however long the thread."""

from __future__ import annotations

import pytest

from o2d_inbox.tui.thread_list import short_count
from tests.tui.harness import clock, config  # registered by conftest.py


@pytest.mark.parametrize(
    "n, shown",
    [
        (0, "0"),
        (7, "7"),
        (999, "999"),
        (1000, "1k"),
        (1999, "1k"),
        (10_000, "10k"),
        (999_999, "999k"),
        (12_345_678, "12M"),
    ],
)
def test_counts_fit_three_cells_and_never_overstate(n, shown):
    assert short_count(n) == shown


async def test_a_ten_thousand_message_thread_shows_10k_in_the_list(cache):
    from o2d_inbox.tui.app import build_app

    cache.execute("UPDATE threads SET message_count = 10000 WHERE id = 't0000000'")
    cache.execute("UPDATE threads SET message_count = 42 WHERE id = 't0000001'")
    app = build_app(config(), conn=cache, clock=clock, sync_every=None)
    async with app.run_test(size=(120, 40)) as pilot:  # a list 67 cells wide: room for the count
        app.action_show_queue("all")  # newest first: t0000000, t0000001, …
        await pilot.pause()
        first, second = (app.threads.render_line(y).text for y in (0, 1))
        assert app.threads.row(0).id == "t0000000"
        assert " 10k " in first and "999" not in first
        assert "  42 " in second  # the column stays aligned
        assert first.index(" 10k ") == second.index("  42 ")
