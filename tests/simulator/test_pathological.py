"""The pathological records (data.PATHOLOGICAL) on the wire: odd dates as sent, lone surrogates
as JSON escapes (valid JSON), an intent carrying an escape; off unless asked for."""

from __future__ import annotations

import json

from o2d_inbox.simulator.corpus import PATHOLOGICAL_KINDS


async def test_off_by_default_and_listed_first_when_on(api, kit):
    assert not any(t["id"].startswith("thr_p_") for t in await api(kit.make_sim(threads=30)).walk())
    listed = await api(kit.make_sim(threads=30, pathological=True)).walk(limit=50)
    ids = [t["id"] for t in listed]
    n = len(PATHOLOGICAL_KINDS)
    assert len(ids) == 30 + n and set(ids[:n]) == {f"thr_p_{k}" for k in PATHOLOGICAL_KINDS}


async def test_they_are_sent_as_a_careless_server_would(api, kit):
    sim = kit.make_sim(threads=30, pathological=True)
    a = api(sim)
    raw = (await a.get("/threads", limit=10)).content
    assert b'"Lone \\ud800 surrogate \\udfff subject"' in raw  # the JSON escape, not bytes
    raw.decode("utf-8")  # and the body is valid UTF-8
    listed = {t["id"]: t for t in json.loads(raw)["threads"]}
    assert listed["thr_p_before_1970"]["last_message"]["date_received"] == "1969-12-31T23:59:59Z"
    assert listed["thr_p_far_future"]["last_message"]["date_received"] == "2300-01-01T00:00:00Z"
    assert listed["thr_p_bad_date"]["last_message"]["date_received"] == "2026-13-45T99:99:99Z"
    assert listed["thr_p_escape_intent"]["replyIntent"] == "\x1b[2J\x1b[Hpwned\x07"
    assert listed["thr_p_surrogate"]["last_message"]["from_email"] == "lone\ud83d@surrogate.example"
    messages = await a.get("/threads/thr_p_surrogate/messages")
    assert b"\\udc00" in messages.content
    assert messages.json()["messages"][0]["body_text"] == "A body with \udc00 lone surrogates \ud83d inside."
    # intent filters keep answering (an unknown intent is no filter value)
    assert (await a.get("/threads", replyIntent="interested")).status_code == 200


async def test_added_later_they_arrive_as_updates_and_can_be_answered(api, kit):
    clock = kit.FakeClock()
    sim = kit.make_sim(threads=30, clock=clock)
    a = api(sim)
    clock.t += kit.timedelta(minutes=5)
    since = kit.iso(clock.t)
    ids = sim.add_pathological_threads()
    assert sim.add_pathological_threads() == ids  # once
    updated = [t["id"] for t in (await a.get("/threads", updatedSince=since)).json()["threads"]]
    assert set(updated) == set(ids.values())
    for tid in ids.values():  # a reply quotes even a message whose date cannot be read
        sim.add_inbound_reply(tid)
        assert (await a.get(f"/threads/{tid}/messages")).json()["messages"][-1]["is_incoming"]
