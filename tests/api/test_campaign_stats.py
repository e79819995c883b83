"""GET /campaigns/{id}/stats: the client reads the documented shape (and tolerates a damaged
one); the sync caches it as an optional step that never ends a sync."""

from __future__ import annotations

import time

import httpx
import pytest

from o2d_inbox.api.errors import NotFoundError
from o2d_inbox.api.models import CampaignStats

DOC_EXAMPLE = {  # the Campaigns document's example, as published
    "campaignId": "cmp_abc123",
    "status": "active",
    "contacts": {"total": 500, "active": 200, "completed": 150, "replied": 45, "bounced": 5},
    "sends": {"total": 800, "sent": 750, "failed": 10, "bounced": 20, "replied": 45},
}


async def test_the_documented_example_is_read_as_sent(make_client):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json=DOC_EXAMPLE)

    stats = await make_client(handler).campaign_stats("cmp/../x?y")
    assert seen[0].raw_path.split(b"?")[0] == b"/campaigns/cmp%2F..%2Fx%3Fy/stats"
    assert seen[0].params["workspaceId"] == "42"
    assert (stats.sends.sent, stats.sends.replied, stats.contacts.total, stats.status) == (750, 45, 500, "active")


def test_damaged_counts_are_unknown_not_zero_or_a_crash():
    stats = CampaignStats.model_validate(
        {"sends": {"sent": "many", "replied": -3, "failed": True, "x": 1}, "contacts": [1, 2], "extra": {}}
    )
    assert (stats.sends.sent, stats.sends.replied, stats.sends.failed) == (None, None, None)
    assert stats.contacts.total is None and stats.campaignId is None


async def test_the_simulator_counts_from_its_threads():
    from tests.helpers import make_client, make_sim

    sim = make_sim(200, seed=3)
    client = make_client(sim)
    try:
        stats = await client.campaign_stats("cmp_q1saas7a2f")
        with pytest.raises(NotFoundError):
            await client.campaign_stats("cmp_nope")
    finally:
        await client.aclose()
    threads = [m for _, m in sim.inboxes[sim.primary].walk() if m.campaign == "cmp_q1saas7a2f"]
    replied = sum(1 for m in threads if m.has_incoming() and m.intent != "bounced")
    assert stats.contacts.total == len(threads) and stats.contacts.replied == stats.sends.replied == replied
    assert stats.sends.sent >= len(threads)  # every contact got at least the first step


async def test_sync_caches_the_stats_and_a_failing_endpoint_never_ends_it(tmp_path):
    from o2d_inbox.cache.db import open_db
    from o2d_inbox.sync import campaign_stats as step
    from o2d_inbox.sync.engine import SyncEngine
    from tests.helpers import make_client, make_sim

    sim = make_sim(100, seed=4)
    client = make_client(sim, max_retries=0)
    conn = open_db(tmp_path / "c.db")
    clock = [time.time()]
    engine = SyncEngine(conn, client, clock=lambda: clock[0])
    try:
        await engine.sync()
        rows = dict(conn.execute("SELECT campaign_id, sends_sent FROM campaign_stats").fetchall())
        assert rows == {c["id"]: sim.campaign_stats(sim.primary, c["id"])["sends"]["sent"] for c in sim.campaigns}
        first = conn.execute("SELECT max(fetched_at) FROM campaign_stats").fetchone()[0]

        clock[0] += step.MAX_AGE + 1
        sim.faults.fail_rate = 1.0  # every request 5xx: the walk is not due, stats are
        ok = await step.refresh_campaign_stats(conn, client, refresh=False, clock=lambda: clock[0])
        assert ok is False
        assert conn.execute("SELECT max(fetched_at) FROM campaign_stats").fetchone()[0] == first  # kept
        sim.faults.fail_rate = 0.0
        assert await step.refresh_campaign_stats(conn, client, refresh=False, clock=lambda: clock[0])
        assert conn.execute("SELECT min(fetched_at) FROM campaign_stats").fetchone()[0] > first
    finally:
        await client.aclose()
        conn.close()


def test_simulator_counts_equal_a_count_of_every_thread_also_after_changes():
    """The seeded part counted from bytes equals decoding every thread, before and after
    replies, intent changes and deletions."""
    from o2d_inbox.simulator.inbox import _tally_meta
    from tests.helpers import make_sim

    sim = make_sim(2000, seed=9)
    inbox = sim.inboxes[sim.primary]

    def slow():
        per = {}
        for _, meta in inbox.walk():
            _tally_meta(per, meta, 1)
        return {c: v for c, v in per.items()}

    assert inbox.campaign_counts() == slow()
    tids = [m.tid for _, m in inbox.walk() if m.campaign][:6]
    sim.add_inbound_reply(tids[0])
    sim.set_intent_server_side(tids[1], "bounced")
    sim.delete_thread(tids[2])
    sim.send(
        sim.primary,
        "reply",
        thread_id=tids[3],
        sender=sim.mailboxes[0],
        to="x@y.z",
        subject="Re",
        text="hi",
        html_body=None,
    )
    assert inbox.campaign_counts() == slow()
