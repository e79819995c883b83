"""The inbox without an API key reads the cache, and its sync key says what is missing."""

from __future__ import annotations

from o2d_inbox.tui.app import build_app
from tests.tui.harness import clock, config, notices, settle


async def test_sync_without_a_key_says_how_to_set_it(cache):
    app = build_app(config(), conn=cache, clock=clock, sync_every=None)  # no client: no key
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert app.threads.count > 0  # the cache still reads
        await pilot.press("R")
        await settle(pilot)
        [notice] = [n for n in notices(app) if "Not synced" in n]
        assert "no API key" in notice and "OUTREACH2DAY_API_KEY=" in notice
        assert "no server configured" not in " ".join(notices(app))
