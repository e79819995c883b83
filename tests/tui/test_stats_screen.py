"""The stats screen (tui/stats_screen.py) in a tiny host app, over the seeded cache."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.widgets import DataTable, Sparkline, Static

from o2d_inbox.cache.queries import View
from o2d_inbox.cache.stats import StatsFilter, compute
from o2d_inbox.tui.stats_screen import StatsScreen
from tests.seed import NOW, seeded
from tests.tui.harness import clock

FETCHED = "2026-06-03T09:30:00Z"  # 2h30m before the seed's NOW


@pytest.fixture
def stats_cache():
    conn = seeded(":memory:", 300)
    conn.executemany(
        "INSERT INTO campaign_stats (campaign_id, status, sends_sent, sends_replied, fetched_at) "
        "VALUES (?, 'active', ?, ?, ?)",
        [("c-q4", 420, 61, FETCHED), ("c-agency", 390, 40, FETCHED)],
    )
    yield conn
    conn.close()


class Host(App[None]):
    def __init__(self, conn, view=None, **kw) -> None:
        super().__init__()
        self.screen_args = (conn, view, kw)

    def on_mount(self) -> None:
        conn, view, kw = self.screen_args
        self.push_screen(StatsScreen(conn, view, clock=clock, **kw))


async def _settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_stats_screen_wide(snap_compare, stats_cache):
    """160×48: per-intent sparklines, response figures, campaign rates beside mailboxes."""
    assert snap_compare(Host(stats_cache), terminal_size=(160, 48), run_before=_settle)


def test_stats_screen_80x24(snap_compare, stats_cache):
    """80×24: the same figures stacked; the title, every intent row and the response fit on screen."""
    assert snap_compare(Host(stats_cache), terminal_size=(80, 24), run_before=_settle)


async def test_the_screen_shows_the_figures_of_the_view_it_is_given(stats_cache):
    view = View("campaign", "c-q4", relevant=True)
    app = Host(stats_cache, view)
    async with app.run_test(size=(100, 40)) as pilot:
        await _settle(pilot)
        screen = app.screen
        expected = compute(
            stats_cache,
            StatsFilter(since=int(NOW.timestamp()) - 30 * 86400, campaign="c-q4", relevant=True),
            now=NOW.timestamp(),
        )
        assert screen.stats.by_intent == expected.by_intent and expected.threads
        title = str(screen.query_one("#stats-title", Static).render())
        assert f"{expected.threads:,} threads" in title and "Q4 SaaS founders" in title and "relevant" in title
        assert len(screen.query(Sparkline)) == len(expected.by_intent)
        campaigns = screen.query_one("#stats-campaigns", DataTable)
        assert campaigns.row_count == 1 and "61" not in str(campaigns.get_row_at(0))  # rates, not raw replies
        assert "14.5%" in str(campaigns.get_row_at(0))  # 61 ÷ 420

        await pilot.press("w")  # 30 → 90 days
        assert screen.window_days == 90
        await pilot.press("w", "w")  # all time, then 7 days
        assert screen.window_days == 7

        # after a sync: one more interested thread in the window, refresh_stats shows it
        before = screen.stats.by_intent.get("interested", 0)
        stats_cache.execute(
            "UPDATE threads SET reply_intent = 'interested', last_ts = ? WHERE id = "
            "(SELECT id FROM threads WHERE campaign_id = 'c-q4' AND relevant = 1 AND "
            "coalesce(reply_intent, '') <> 'interested' ORDER BY last_ts DESC LIMIT 1)",
            (int(NOW.timestamp()) - 60,),
        )
        screen.refresh_stats()
        await _settle(pilot)
        assert screen.stats.by_intent.get("interested", 0) == before + 1
        await pilot.press("escape")
        assert not isinstance(app.screen, StatsScreen)


async def test_server_names_are_text_not_markup(stats_cache):
    stats_cache.execute("UPDATE campaigns SET name = ? WHERE id = 'c-q4'", ("[bold red]Q4[/] \x1b[31mred",))
    app = Host(stats_cache)
    async with app.run_test(size=(160, 48)) as pilot:
        await _settle(pilot)
        row = app.screen.query_one("#stats-campaigns", DataTable).get_row("c-q4")
        assert row[0].plain.startswith("[bold red]Q4[/] ") and "\x1b" not in row[0].plain
