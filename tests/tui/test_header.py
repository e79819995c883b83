"""The header at every width: what the keys act on (triage tally, selection) stays in sight
and the connection on the right is never pushed out; the workspace the client resolved is
named once it is known."""

from __future__ import annotations

import pytest

from o2d_inbox.api.client import UniboxClient
from o2d_inbox.cache.writes import refresh_counts
from o2d_inbox.simulator import EXAMPLE_KEY
from o2d_inbox.tui.app import build_app
from tests.tui.harness import FakeClock, app_with_outbox, config, settle, until


def line(app) -> str:
    header = app.query_one("#header")
    return header.render().plain


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 48)])
async def test_the_triage_tally_and_the_connection_both_fit(cache, size):
    cache.execute("UPDATE threads SET reply_intent = NULL")
    refresh_counts(cache)
    app = app_with_outbox(cache, undo_seconds=10)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("T", "1", "e", "1")
        await settle(pilot)
        shown = line(app)
        assert len(shown) <= size[0]
        assert "offline" in shown  # the right side is still there
        if size[0] >= 120:
            assert "no workspace chosen · TRIAGE · triaged 3 · 2 interested · 1 done" in shown
            assert ("outbox 2 pending" if size[0] >= 160 else "✉ 2") in shown
        else:
            assert "TRIAGE 3 · 2 int, 1 done" in shown


async def test_a_selection_is_counted_in_the_header_at_80_columns(cache):
    app = app_with_outbox(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("space", "space", "T")
        await settle(pilot)
        shown = line(app)
        assert "2 sel" in shown and "TRIAGE" in shown and "offline" in shown and len(shown) <= 80


async def test_the_header_names_the_workspace_the_client_resolved(world):
    sim, _, conn = world
    client = UniboxClient("http://sim.test", EXAMPLE_KEY, None, transport=sim.transport(), max_retries=0)
    app = build_app(config(), conn=conn, client=client, clock=FakeClock(), sync_every=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.last_synced is not None, "the first sync")
        await pilot.pause()
        assert "workspace 42" in line(app) and "no workspace chosen" not in line(app)
