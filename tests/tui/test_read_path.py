"""`o2d-inbox threads` lists what the inbox's queues list: one read path (cache/queries.py).

A file cache with threads that need a reply but were marked done or snoozed: the CLI (run as a
user runs it) and the TUI (driven by Pilot on the same file) show the same ids, in the same order.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest

from o2d_inbox.cache import local
from o2d_inbox.cache import queries as q
from o2d_inbox.cache.db import open_db
from o2d_inbox.tui.app import build_app
from tests.seed import NOW, seeded
from tests.tui.harness import clock, config, settle

pytestmark = pytest.mark.slow
SIZE = (160, 48)


@pytest.fixture
def put_away(tmp_path):
    """(path of a seeded file cache, the done id, the snoozed id): both relevant, both need a
    reply, both 'neutral' (the TUI's intent queue for it hides them too)."""
    path = tmp_path / "cache.db"
    conn = seeded(path, 120)
    done, snoozed = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM threads WHERE needs_reply = 1 AND relevant = 1 AND reply_intent = 'neutral' "
            "ORDER BY last_ts LIMIT 2"
        )
    ]
    local.mark_done(conn, done)
    local.snooze(conn, snoozed, NOW + timedelta(days=3))
    conn.close()
    return path, done, snoozed


def cli_ids(cache, tmp_path, *args: str) -> list[str]:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("O2D_INBOX_", "OUTREACH2DAY_"))}
    env.update(
        HOME=str(home), XDG_CONFIG_HOME=str(home / "cfg"), XDG_DATA_HOME=str(home / "data"), O2D_INBOX_CACHE=str(cache)
    )
    done = subprocess.run(
        [sys.executable, "-m", "o2d_inbox", "threads", *args, "--json", "--limit", "1000"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line)["id"] for line in done.stdout.splitlines()]


def listed(app) -> list[str]:
    return [app.threads.row(i).id for i in range(app.threads.count)]


async def test_threads_needs_reply_and_intent_list_what_the_tui_lists(put_away, tmp_path):
    path, done, snoozed = put_away
    conn = open_db(path)
    try:
        app = build_app(config(), conn=conn, clock=clock, sync_every=None)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.view == q.View("needs")  # the home queue, Relevant on
            tui_needs = listed(app)
            await pilot.press("t")  # full feed: warmup and postmaster threads too
            await settle(pilot)
            tui_needs_full = listed(app)
            while app.view != q.View("intent", "neutral", relevant=False):
                await pilot.press("right_square_bracket")
            await settle(pilot)
            tui_neutral_full = listed(app)
    finally:
        conn.close()
    assert done not in tui_needs and snoozed not in tui_needs and tui_needs
    assert cli_ids(path, tmp_path, "--needs-reply", "--relevant") == tui_needs
    assert cli_ids(path, tmp_path, "--needs-reply") == tui_needs_full
    assert done not in tui_neutral_full and snoozed not in tui_neutral_full and tui_neutral_full
    assert cli_ids(path, tmp_path, "--intent", "neutral") == tui_neutral_full
    # the All queue keeps every thread, done and snoozed ones included: so does plain `threads`
    assert {done, snoozed} <= set(cli_ids(path, tmp_path))


def test_the_outbox_screen_names_a_thread_as_the_cache_has_it(cache):
    """The outbox screen's "who · subject" column reads the thread through cache/queries."""
    from o2d_inbox.outbox import queue as outbox
    from o2d_inbox.tui.outbox_screen import describe

    cache.execute("UPDATE threads SET prospect = 'Ada Byrne', subject_display = 'Re: pricing' WHERE id = 't0000005'")
    item = outbox.queue_reply(cache, "t0000005", "Thanks!", from_mailbox="john@cooloutreach.io", force=True)
    assert describe(cache, item) == "Ada Byrne · Re: pricing"
    cache.execute("UPDATE threads SET prospect = NULL, subject_display = NULL, subject = NULL WHERE id = 't0000005'")
    assert describe(cache, item) == q.thread(cache, "t0000005").last_from
    cache.execute("DELETE FROM threads WHERE id = 't0000005'")  # gone from the cache: its id
    assert describe(cache, item) == "t0000005"
