"""Each fault knob, seen from an httpx client using the in-process transport."""

from __future__ import annotations

import json
import time

import httpx
import pytest


async def test_fail_rate_answers_5xx_envelopes(api, kit):
    sim = kit.make_sim(threads=20)
    a = api(sim)
    sim.faults.fail_rate = 1.0
    statuses = set()
    for _ in range(30):
        r = await a.get("/threads")
        statuses.add(r.status_code)
        assert r.json()["detail"]["error"] in {"internal_error", "bad_gateway", "service_unavailable"}
    assert statuses == {500, 502, 503}
    assert [e[3] for e in sim.request_log] == [e[3] for e in sim.request_log if e[3] >= 500]
    r = await a.send("POST", f"/threads/{sim.thread_ids()[0]}/reply", {"bodyText": "x"}, key="f")
    assert r.status_code >= 500 and sim.deliveries == {} and sim.performed == []


async def test_rate_limit_answers_429_with_retry_after(api, kit):
    sim = kit.make_sim(threads=20, rate_limit_rate=1.0, retry_after=2.5)
    a = api(sim)
    r = await a.get("/threads")
    assert r.status_code == 429 and r.headers["Retry-After"] == "2.5"
    assert r.json()["detail"]["error"] == "rate_limited"
    sim.faults.retry_after = 3
    assert (await a.get("/threads")).headers["Retry-After"] == "3"
    sim.faults.rate_limit_rate = 0.0
    assert (await a.get("/threads")).status_code == 200


async def test_rate_limit_rps_is_a_token_bucket_on_simulated_time(api, kit):
    """5 requests/s, burst 2: two at once pass, the third is told when the next token is free;
    waiting exactly that long lets one more through, and the 429s themselves take no token."""
    sim = kit.make_sim(threads=20, rate_limit_rps=5, rate_limit_burst=2)
    a = api(sim)
    assert [(await a.get("/threads")).status_code for _ in range(2)] == [200, 200]
    refused = await a.get("/threads")
    assert refused.status_code == 429 and refused.json()["detail"]["error"] == "rate_limited"
    assert refused.headers["Retry-After"] == "0.2"
    assert (await a.get("/threads")).headers["Retry-After"] == "0.2"  # a 429 takes no token
    sim.advance(0.1)
    assert (await a.get("/threads")).headers["Retry-After"] == "0.1"
    sim.advance(0.1)
    assert (await a.get("/threads")).status_code == 200
    assert (await a.get("/threads")).status_code == 429
    sim.advance(60)  # an idle minute refills the bucket to its burst, no further
    assert [(await a.get("/threads")).status_code for _ in range(3)] == [200, 200, 429]
    assert [e[3] for e in sim.request_log].count(429) == 5
    sim.faults.rate_limit_rps = 0  # the knob is live
    assert (await a.get("/threads")).status_code == 200


async def test_drop_before_processing_is_a_transport_error_and_nothing_happens(api, kit):
    sim = kit.make_sim(threads=20)
    a = api(sim)
    sim.faults.drop_rate = 1.0
    with pytest.raises(httpx.RemoteProtocolError):
        await a.get("/threads")
    with pytest.raises(httpx.TransportError):
        await a.send("POST", f"/threads/{sim.thread_ids()[0]}/reply", {"bodyText": "x"}, key="d")
    assert sim.deliveries == {} and sim.sent_messages == []
    assert [e[3] for e in sim.request_log] == [0, 0]


async def test_drop_after_processing_performs_once_and_the_retry_replays(api, kit):
    sim = kit.make_sim(threads=20)
    a = api(sim)
    tid = sim.thread_ids()[0]
    count = sim.thread_snapshot()[tid]["message_count"]
    sim.faults.drop_after_rate = 1.0
    assert (await a.get("/threads")).status_code == 200  # reads are never "performed"
    with pytest.raises(httpx.RemoteProtocolError):
        await a.send("POST", f"/threads/{tid}/reply", {"bodyText": "hello"}, key="da-1")
    assert sim.deliveries == {"da-1": 1}
    assert sim.thread_snapshot()[tid]["message_count"] == count + 1
    sim.faults.drop_after_rate = 0.0
    r = await a.send("POST", f"/threads/{tid}/reply", {"bodyText": "hello"}, key="da-1")
    assert r.status_code == 200 and r.json()["operation_id"] == sim.sent_messages[0]["operation_id"]
    assert sim.deliveries == {"da-1": 1} and len(sim.sent_messages) == 1
    assert sim.thread_snapshot()[tid]["message_count"] == count + 1
    assert [e[3] for e in sim.request_log] == [200, 0, 200]


async def test_malformed_rate_gives_a_200_with_broken_json(api, kit):
    sim = kit.make_sim(threads=20, malformed_rate=1.0)
    a = api(sim)
    r = await a.get("/threads")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)
    # errors stay well-formed: the fault only garbles successes
    assert (await a.get("/threads", limit=0)).json()["detail"]["error"] == "validation_error"


async def test_latency_delays_each_answer(api, kit):
    sim = kit.make_sim(threads=20, latency=0.15)
    a = api(sim)
    start = time.perf_counter()
    await a.get("/threads/capabilities")
    assert time.perf_counter() - start >= 0.15


async def test_mixed_faults_are_reproducible_from_the_seed(api, kit):
    async def statuses():
        sim = kit.make_sim(threads=20, fail_rate=0.3, rate_limit_rate=0.2, drop_rate=0.2)
        a = api(sim)
        for _ in range(40):
            try:
                await a.get("/threads", limit=5)
            except httpx.TransportError:
                pass
        return [e[3] for e in sim.request_log]

    first = await statuses()
    assert first == await statuses()
    assert {0, 200, 429} <= set(first) and any(s >= 500 for s in first)
