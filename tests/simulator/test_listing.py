"""GET /threads and friends, as a client sees them on the wire."""

from __future__ import annotations

from collections import Counter

INTENTS = ("interested", "not_interested", "out_of_office", "bounced", "unsubscribe", "neutral")


def _dates(threads):
    return [t["last_message"]["date_received"] for t in threads]


async def test_walk_returns_every_thread_once_newest_first(api, kit):
    sim = kit.make_sim(threads=1000)
    a = api(sim)
    for limit in (200, 37):
        threads = await a.walk(limit=limit)
        ids = [t["id"] for t in threads]
        assert len(ids) == len(set(ids)) == 1000
        assert ids == sim.thread_ids()
        assert _dates(threads) == sorted(_dates(threads), reverse=True)


async def test_seeded_data_has_the_variety_a_client_must_handle(api, kit):
    threads = await api(kit.make_sim(threads=1000)).walk()
    intents = Counter(t["replyIntent"] for t in threads)
    assert set(intents) == {*INTENTS, None}
    assert any(t["is_warming"] for t in threads) and any(t["is_postmaster"] for t in threads)
    counts = {t["message_count"] for t in threads}
    assert counts == set(range(1, 9))
    ours = {
        "@cooloutreach" in t["last_message"]["from_email"] or "cooloutreach" in t["last_message"]["from_email"]
        for t in threads
    }
    assert ours == {True, False}  # both ours-last and prospect-last
    assert {t["last_message"]["body_text"] for t in threads} & {None, ""}  # HTML-only bodies
    assert any(t["campaignId"] is None for t in threads)
    assert len({t["campaignId"] for t in threads}) >= 6
    months = {t["last_message"]["date_received"][:7] for t in threads}
    assert len(months) >= 5  # spread over months


async def test_same_seed_same_data_and_default_limit(api, kit):
    a, b = api(kit.make_sim()), api(kit.make_sim())
    ra, rb = await a.get("/threads"), await b.get("/threads")
    assert ra.json() == rb.json()
    assert len(ra.json()["threads"]) == 50


async def test_limit_out_of_range_and_bad_cursor_are_400_envelopes(api, kit):
    a = api(kit.make_sim())
    for bad in ({"limit": 0}, {"limit": 201}, {"limit": "ten"}):
        r = await a.get("/threads", **bad)
        assert r.status_code == 400
        assert r.json()["detail"]["error"] == "validation_error"
    good = (await a.get("/threads", limit=5)).json()["next_cursor"]
    tampered = good[:-2] + ("A" if good[-2] != "A" else "B") + good[-1]
    for cursor in ("nonsense", tampered, "", "djEuMS4y"):
        r = await a.get("/threads", cursor=cursor or "===")
        assert r.status_code == 400, cursor
        assert r.json()["detail"]["error"] == "invalid_cursor"


async def test_filters_return_exactly_the_matching_threads(api, kit):
    sim = kit.make_sim(threads=600)
    a = api(sim)
    everything = await a.walk()
    box = "sarah@cooloutreach.com"
    by_box = await a.walk(limit=13, mailboxId=box.upper())
    messages = [(await a.get(f"/threads/{t['id']}/messages")).json() for t in by_box[:10]]
    assert all(
        box in {m["from_email"] for m in ms["messages"]} | {e for m in ms["messages"] for e in m["to_emails"]}
        for ms in messages
    )
    assert 0 < len(by_box) < len(everything)
    total = len(by_box)
    for other in sim.mailboxes:
        if other != box:
            total += len(await a.walk(mailboxId=other))
    assert total == len(everything)  # every thread belongs to exactly one mailbox

    for intent in INTENTS:
        got = await a.walk(limit=9, replyIntent=intent)
        assert [t["id"] for t in got] == [t["id"] for t in everything if t["replyIntent"] == intent]
    unclassified = await a.walk(replyIntent="unclassified")
    assert [t["id"] for t in unclassified] == [t["id"] for t in everything if t["replyIntent"] is None]
    r = await a.get("/threads", replyIntent="maybe")
    assert r.status_code == 400 and r.json()["detail"]["error"] == "validation_error"


async def test_relevant_mode_drops_warmup_postmaster_and_outbound_only(api, kit):
    a = api(kit.make_sim(threads=600))
    everything = await a.walk()
    relevant = await a.walk(mode="relevant")
    assert relevant == await a.walk(relevant="true")
    assert not any(t["is_warming"] or t["is_postmaster"] for t in relevant)
    dropped = {t["id"] for t in everything} - {t["id"] for t in relevant}
    outbound_only = [
        t for t in everything if t["message_count"] == 1 and "cooloutreach" in t["last_message"]["from_email"]
    ]
    assert outbound_only and {t["id"] for t in outbound_only} <= dropped
    assert (await a.get("/threads", mode="weird")).status_code == 400


async def test_updated_since_counts_new_messages_only(api, kit):
    clock = kit.FakeClock()
    sim = kit.make_sim(threads=300, clock=clock)
    a = api(sim)
    clock.t += kit.timedelta(hours=1)
    since = kit.iso(clock.t)
    assert (await a.walk(updatedSince=since)) == []

    old = sim.thread_ids()[150]
    sim.set_intent_server_side(old, "interested")  # reclassified elsewhere: not a new message
    sim.set_intent_server_side(sim.thread_ids()[151], "bounced")
    assert (await a.walk(updatedSince=since)) == []

    clock.t += kit.timedelta(seconds=30)
    replied = sim.add_inbound_reply(sim.thread_ids()[200], body="Sounds good, call me")
    new_thread = sim.add_inbound_reply()
    clock.t += kit.timedelta(seconds=30)
    r = await a.send("POST", f"/threads/{old}/reply", {"bodyText": "Great, booking it"})
    assert r.status_code == 200
    got = await a.walk(updatedSince=since)
    assert [t["id"] for t in got] == [old, new_thread, replied]
    assert got[0]["replyIntent"] == "interested" and got[0]["last_message"]["body_text"] == "Great, booking it"
    assert got[2]["last_message"]["body_text"] == "Sounds good, call me"
    # inclusive at the second of the newest message; nothing after it
    assert [t["id"] for t in await a.walk(updatedSince=got[0]["last_message"]["date_received"])] == [old]
    assert (await a.walk(updatedSince="2026-03-09T13:05:00+00:00")) == []
    assert (await a.get("/threads", updatedSince="yesterday")).status_code == 400
    # the bumped threads now lead the full listing too, each once
    ids = [t["id"] for t in await a.walk(limit=50)]
    assert ids[:3] == [old, new_thread, replied] and len(ids) == len(set(ids)) == 301


async def test_deleted_thread_disappears(api, kit):
    sim = kit.make_sim(threads=100)
    a = api(sim)
    victim = sim.thread_ids()[10]
    sim.delete_thread(victim)
    assert victim not in [t["id"] for t in await a.walk()]
    r = await a.get(f"/threads/{victim}/messages")
    assert r.status_code == 404 and r.json()["detail"]["error"] == "thread_not_found"


async def test_messages_match_the_listing(api, kit):
    a = api(kit.make_sim(threads=200))
    for t in (await a.walk())[:60]:
        data = (await a.get(f"/threads/{t['id']}/messages")).json()
        msgs = data["messages"]
        assert len(msgs) == t["message_count"]
        assert data["replyIntent"] == t["replyIntent"] and data["campaignId"] == t["campaignId"]
        last = msgs[-1]
        assert {k: last[k] for k in ("from_email", "date_received", "body_text")} == t["last_message"]
        assert [m["date_received"] for m in msgs] == sorted(m["date_received"] for m in msgs)
        assert all(m["folder"] == ("inbox" if m["is_incoming"] else "sent") or m["folder"] == "spam" for m in msgs)


async def test_hostile_threads_are_findable_and_hostile(api, kit):
    sim = kit.make_sim(threads=200)
    a = api(sim)
    ids = sim.hostile_thread_ids
    assert set(ids) == {
        "markup",
        "ansi",
        "osc",
        "rtl",
        "zerowidth",
        "wide",
        "long",
        "empty",
        "nested",
        "script",
        "control",
    }
    listed = {t["id"]: t for t in await a.walk()}
    assert listed[ids["markup"]]["subject"] == "Re: [bold red]URGENT[/] pricing"
    assert "\x1b[31m" in listed[ids["ansi"]]["subject"]
    assert "\x1b]0;pwned\x07" in listed[ids["osc"]]["subject"]
    assert "\u202e" in listed[ids["rtl"]]["subject"]
    assert "\u200b" in listed[ids["zerowidth"]]["subject"]
    assert len(listed[ids["long"]]["subject"]) == 500
    assert listed[ids["empty"]]["subject"] == ""
    nested = (await a.get(f"/threads/{ids['nested']}/messages")).json()["messages"][-1]
    assert nested["body_text"] is None and nested["body_html"].count("<div>") == 3000
    script = (await a.get(f"/threads/{ids['script']}/messages")).json()["messages"][-1]
    assert script["body_text"] == "" and "<script>" in script["body_html"]
    # a small inbox keeps only the ones that fit
    assert set(kit.make_sim(threads=20).hostile_thread_ids) == {"markup", "ansi", "osc"}


async def test_capabilities_workspaces_debug_campaigns(api, kit):
    a = api(kit.make_sim(threads=50))
    assert (await a.get("/threads/capabilities")).json() == {
        "inbox": True,
        "outbound": True,
        "syncMode": "incremental",
        "providers": ["opensrs", "maildoso"],
    }
    r = await a.http.get("/workspaces")  # the one endpoint without workspaceId
    assert r.status_code == 200 and r.json()[0]["workspace_id"] == 42
    debug = (await a.get("/threads/debug")).json()
    assert debug["threadCount"] == 50 and debug["serverTime"] == "2026-03-09T12:00:00Z"
    items, cursor = [], None
    while True:
        page = (await a.get("/campaigns", limit=3, cursor=cursor)).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(items) == 7 and all(c["id"].startswith("cmp_") and c["name"] for c in items)
    thread_campaigns = {t["campaignId"] for t in await a.walk()} - {None}
    assert thread_campaigns <= {c["id"] for c in items}
    assert (await a.get("/campaigns", cursor="bogus")).status_code == 400
