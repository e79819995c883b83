"""The inbox on a cache it cannot write (a read-only file or folder): it shows the cache as it
is, says so, and no key ends the session with a traceback."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from o2d_inbox.cache.db import open_db
from o2d_inbox.outbox import queue as outbox
from o2d_inbox.tui.app import build_app
from o2d_inbox.tui.compose import ComposeScreen
from tests.helpers import make_read_only
from tests.seed import NOW, seeded
from tests.tui.harness import FakeEngine, clock, config, notices, settle


def _read_only_cache(tmp_path, request, *, snoozed: str | None = None):
    path = tmp_path / "cache.db"
    conn = seeded(path, 40)
    if snoozed:  # due to wake: waking it would be a write
        conn.execute(
            "UPDATE threads SET local_snoozed_until = ? WHERE id = ?", ((NOW - timedelta(hours=1)).isoformat(), snoozed)
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    make_read_only(tmp_path, request)
    return open_db(path)


async def test_a_read_only_cache_is_shown_and_no_key_crashes_it(tmp_path, request):
    conn = _read_only_cache(tmp_path, request, snoozed="thr_3")
    before = conn.execute("SELECT id, unread, local_done FROM threads ORDER BY id").fetchall()
    engine = FakeEngine(conn)
    app = build_app(config(), conn=conn, clock=clock, engine=engine, sync_every=None)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert app.read_only
        assert "read-only cache" in app.status_text().plain
        assert any("read-only" in n for n in notices(app))
        assert engine.syncs == 0  # a sync would write

        await pilot.press("enter")  # opening a thread does not mark it read
        await settle(pilot)
        assert app.shown_thread is not None
        await pilot.press("escape", "e", "n")  # done, note: refused with a notice, app alive
        await settle(pilot)
        await pilot.press("escape", "r")  # no compose: its text could not even be kept
        await settle(pilot)
        assert not isinstance(app.screen, ComposeScreen)
        assert app.is_running and app.return_code is None
        assert any("is read-only" in n and "nothing was saved" in n for n in notices(app))
    assert app.return_code in (None, 0)
    after = conn.execute("SELECT id, unread, local_done FROM threads ORDER BY id").fetchall()
    assert [tuple(r) for r in after] == [tuple(r) for r in before]


async def test_a_disk_that_fills_up_while_writing_keeps_the_text_on_screen(tmp_path, monkeypatch):
    conn = seeded(tmp_path / "cache.db", 40)
    app = build_app(config(), conn=conn, clock=clock, engine=FakeEngine(conn), sync_every=None)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ComposeScreen)

        def full(*args, **kwargs):  # the disk is full from here on
            raise sqlite3.OperationalError("database or disk is full")

        monkeypatch.setattr(outbox, "save_draft", full)
        await pilot.press(*"Tuesday works", "ctrl+s")
        await settle(pilot)
        compose = app.screen
        assert isinstance(compose, ComposeScreen) and compose.unsaved  # not sent, not closed
        assert "disk is full" in notices(app)[-1]
        await pilot.press("escape")  # the first esc warns instead of dropping the text
        await settle(pilot)
        assert app.screen is compose
        assert "Tuesday works" in compose.payload()["bodyText"]
        await pilot.press("escape")  # the second one discards it, knowingly
        await settle(pilot)
        assert not isinstance(app.screen, ComposeScreen) and app.is_running
    assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
