"""The inbox on a cache synced from a server that sends pathological records (simulator/corpus.py
PATHOLOGICAL): an intent carrying a terminal escape, lone surrogates, dates before 1970 and
in 2300. What the screen shows is their text, never an escape for the terminal to obey."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from o2d_inbox.api.client import UniboxClient
from o2d_inbox.cache.db import open_db
from o2d_inbox.simulator import EXAMPLE_KEY, SimConfig, Simulator
from o2d_inbox.sync.engine import SyncEngine
from o2d_inbox.tui.app import build_app
from o2d_inbox.tui.snooze import SnoozeScreen
from tests.tui.harness import clock, config, settle

ESCAPE_INTENT = "\x1b[2J\x1b[Hpwned\x07"
UNSAFE = ("\x1b", "\x07", "\x9b")


def clean(text: str) -> bool:
    return not any(c in text for c in UNSAFE) and not any("\ud800" <= c <= "\udfff" for c in text)


@pytest.fixture
async def synced(tmp_path):
    sim = Simulator(SimConfig(threads=20, seed=3, pathological=True))
    conn = open_db(tmp_path / "cache.db")
    async with UniboxClient("http://sim.test", EXAMPLE_KEY, 42, transport=sim.transport(), max_retries=0) as client:
        await SyncEngine(conn, client).sync(messages=True)
    yield conn
    conn.close()


def row_index(app, thread_id: str) -> int:
    return next(i for i in range(app.threads.count) if app.threads.row(i).id == thread_id)


async def test_an_escape_laden_intent_is_text_in_the_list_the_pane_and_the_sidebar(synced):
    app = build_app(config(), conn=synced, clock=clock, sync_every=None)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        app.action_show_queue("all")
        await settle(pilot)
        index = row_index(app, "thr_p_escape_intent")
        line = app.threads.render_line(index).text
        assert clean(line) and "· pwn" in line  # the badge: the unknown intent's first letters
        app.threads.move_to(index)
        await pilot.press("enter")
        await settle(pilot)
        assert app.shown_thread.id == "thr_p_escape_intent"
        header = app.pane.text_lines
        assert all(clean(x) for x in header)
        assert any("· pwned" in x for x in header[:3])  # the header's intent badge
        # the sidebar lists the unknown intent (with its count), and its queue's title
        prompts = [str(app.sidebar.get_option_at_index(i).prompt) for i in range(app.sidebar.option_count)]
        assert all(clean(p) for p in prompts)
        assert any("pwned" in p for p in prompts)
        app.action_show_queue(f"intent:{ESCAPE_INTENT}")
        await settle(pilot)
        assert [app.threads.row(i).id for i in range(app.threads.count)] == ["thr_p_escape_intent"]
        assert clean(str(app.threads.border_title)) and "pwned" in str(app.threads.border_title)


async def test_surrogates_and_odd_dates_show_as_text(synced):
    """West of UTC, as many users are: year 1 has no local form there (shown in UTC)."""
    west = timezone(timedelta(hours=-5))
    app = build_app(config(), conn=synced, clock=lambda: clock().astimezone(west), sync_every=None)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        app.action_show_queue("all")
        await settle(pilot)
        lines = [app.threads.render_line(y).text for y in range(app.threads.count)]
        assert all(clean(x) for x in lines)
        ids = [app.threads.row(i).id for i in range(app.threads.count)]
        assert set(ids[:2]) == {"thr_p_far_future", "thr_p_year_9999"}  # dated 2300 and 9999
        assert set(ids[-3:]) == {"thr_p_before_1970", "thr_p_year_1", "thr_p_bad_date"}
        assert "Lone \ufffd surrogate \ufffd subj" in lines[ids.index("thr_p_surrogate")]
        for tid, shown in (
            ("thr_p_surrogate", "A body with \ufffd lone surrogates \ufffd inside."),
            ("thr_p_before_1970", "1969-12-31"),
            ("thr_p_far_future", "2300-01-01"),
            ("thr_p_year_1", "0001-01-01"),
            ("thr_p_year_9999", "9999-12-31"),
        ):
            app.threads.move_to(ids.index(tid))
            await pilot.press("enter")
            await settle(pilot)
            text = "\n".join(app.pane.text_lines)
            assert clean(text) and shown in text, (tid, text)
        # its out-of-office text names a Monday after 9999-12-31: no such day, nothing proposed
        app.threads.move_to(ids.index("thr_p_year_9999"))
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SnoozeScreen) and not app.screen.choices[0].proposed
