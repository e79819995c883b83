"""Replies, forwards, new messages, operations, intents, suppressions, auth: on the wire."""

from __future__ import annotations

from o2d_inbox.simulator import SimConfig, Simulator


async def _thread(a, tid):
    return next(t for t in await a.walk() if t["id"] == tid)


async def test_idempotent_reply_is_performed_once_and_replayed(api, kit):
    sim = kit.make_sim(threads=100)
    a = api(sim)
    tid = sim.thread_ids()[5]
    before = (await _thread(a, tid))["message_count"]
    body = {"bodyText": "Thanks!", "bodyHtml": "<p>Thanks!</p>", "fromMailboxAddress": "john@cooloutreach.com"}
    first = await a.send("POST", f"/threads/{tid}/reply", body, key="k-1")
    again = await a.send("POST", f"/threads/{tid}/reply", dict(reversed(body.items())), key="k-1")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() and first.json()["status"] == "queued"
    assert again.headers["Idempotent-Replayed"] == "true"
    assert sim.deliveries == {"k-1": 1} and len(sim.sent_messages) == 1
    thread = await _thread(a, tid)
    assert thread["message_count"] == before + 1
    last = (await a.get(f"/threads/{tid}/messages")).json()["messages"][-1]
    assert last["is_incoming"] is False and last["folder"] == "sent"
    assert last["from_email"] == "john@cooloutreach.com" and last["body_text"] == "Thanks!"
    assert last["message_id"] == first.json()["message_id"]

    conflict = await a.send("POST", f"/threads/{tid}/reply", {"bodyText": "other"}, key="k-1")
    assert conflict.status_code == 409
    assert conflict.json()["detail"]["error"] == "idempotency_key_conflict"
    elsewhere = await a.send("POST", f"/threads/{sim.thread_ids()[6]}/reply", body, key="k-1")
    assert elsewhere.status_code == 409
    assert sim.deliveries == {"k-1": 1}

    # without a key every request is performed
    for _ in range(2):
        assert (await a.send("POST", f"/threads/{tid}/reply", {"bodyText": "x"})).status_code == 200
    assert (await _thread(a, tid))["message_count"] == before + 3
    assert len(sim.performed) == 3


async def test_validation_errors_are_400_envelopes_and_not_stored(api, kit):
    sim = kit.make_sim(threads=50)
    a = api(sim)
    tid = sim.thread_ids()[0]
    cases = [
        ("POST", f"/threads/{tid}/reply", {}),
        ("POST", f"/threads/{tid}/reply", {"bodyText": 5}),
        ("POST", f"/threads/{tid}/reply", {"bodyText": "x", "fromMailboxAddress": "me@gmail.com"}),
        ("POST", f"/threads/{tid}/forward", {"toAddress": "not-an-address"}),
        ("POST", "/threads/new", {"toAddress": "a@b.com", "bodyText": "no subject"}),
        ("PATCH", f"/threads/{tid}/reply-intent", {"replyIntent": "ecstatic"}),
        ("PATCH", f"/threads/{tid}/reply-intent", {}),
        ("POST", "/campaigns/suppressions", {"emails": []}),
        ("POST", "/campaigns/suppressions", {"emails": ["ok@x.com", "nope"]}),
        ("POST", f"/threads/{tid}/reply", [1, 2]),
    ]
    for method, path, body in cases:
        r = await a.send(method, path, body, key="same-key")
        assert r.status_code == 400, (path, body, r.text)
        assert set(r.json()["detail"]) == {"error", "message"}
    r = await a.http.post(f"/threads/{tid}/reply", params={"workspaceId": 42}, content=b"{oops")
    assert r.status_code == 400 and r.json()["detail"]["error"] == "invalid_json"
    assert sim.deliveries == {} and sim.performed == []
    # the key was never stored, so a corrected request with it goes through
    ok = await a.send("POST", f"/threads/{tid}/reply", {"bodyText": "fine"}, key="same-key")
    assert ok.status_code == 200
    r = await a.send("POST", "/threads/thr_999999/reply", {"bodyText": "x"})
    assert r.status_code == 404 and r.json()["detail"]["error"] == "thread_not_found"


async def test_operation_progresses_by_the_sim_clock(api, kit):
    clock = kit.FakeClock()
    sim = kit.make_sim(threads=50, clock=clock, op_step_seconds=2.0)
    a = api(sim)
    op_id = (await a.send("POST", f"/threads/{sim.thread_ids()[0]}/reply", {"bodyText": "hi"}, key="op-1")).json()[
        "operation_id"
    ]

    async def status():
        r = await a.get(f"/threads/outbound-operations/{op_id}")
        assert r.status_code == 200
        return r.json()

    first = await status()
    assert first["status"] == "queued" and first["error"] is None
    assert set(first) >= {"operation_id", "status", "message_id", "thread_id", "error", "updated_at"}
    sim.advance(2.5)
    assert (await status())["status"] == "sending"
    clock.t += kit.timedelta(seconds=2)
    done = await status()
    assert done["status"] == "sent" and done["thread_id"] == sim.thread_ids()[0]
    assert done["updated_at"] == "2026-03-09T12:00:04Z"
    r = await a.get("/threads/outbound-operations/op_nope")
    assert r.status_code == 404 and r.json()["detail"]["error"] == "operation_not_found"


async def test_bounce_recipient_fails_and_new_message_creates_a_thread(api, kit):
    clock = kit.FakeClock()
    sim = kit.make_sim(threads=50, clock=clock, op_step_seconds=1.0)
    a = api(sim)
    new = (
        await a.send(
            "POST",
            "/threads/new",
            {
                "toAddress": "newprospect@company.com",
                "subject": "Quick question",
                "bodyText": "Hi there",
                "fromMailboxAddress": "sarah@cooloutreach.com",
            },
        )
    ).json()
    assert new["status"] == "queued" and new["thread_id"].startswith("thr_")
    listed = await a.walk()
    assert listed[0]["id"] == new["thread_id"] and listed[0]["message_count"] == 1
    assert listed[0]["subject"] == "Quick question" and listed[0]["replyIntent"] is None
    assert len(listed) == 51

    bad = (
        await a.send("POST", "/threads/new", {"toAddress": "bounce.me@company.com", "subject": "x", "bodyText": "y"})
    ).json()
    fwd = (
        await a.send(
            "POST",
            f"/threads/{sim.thread_ids()[3]}/forward",
            {"toAddress": "colleague-bounce@cooloutreach.com", "bodyText": "FYI"},
        )
    ).json()
    clock.t += kit.timedelta(seconds=5)
    for op in (bad, fwd):
        st = (await a.get(f"/threads/outbound-operations/{op['operation_id']}")).json()
        assert st["status"] == "failed" and "bounce" in st["error"]
    ok = (await a.get(f"/threads/outbound-operations/{new['operation_id']}")).json()
    assert ok["status"] == "sent" and ok["error"] is None
    assert [m["kind"] for m in sim.sent_messages] == ["new", "new", "forward"]
    assert sim.sent_messages[2]["subject"].startswith("Fwd: ")


async def test_reply_intent_patch_changes_intent_without_bumping(api, kit):
    sim = kit.make_sim(threads=80)
    a = api(sim)
    tid = sim.thread_ids()[40]
    sim.set_intent_server_side(tid, "neutral")
    assert (await _thread(a, tid))["replyIntent"] == "neutral"  # (the listing is cached now)
    r = await a.send("PATCH", f"/threads/{tid}/reply-intent", {"replyIntent": "interested"}, key="i-1")
    assert r.status_code == 200 and r.json() == {"id": tid, "replyIntent": "interested"}
    assert (await a.get(f"/threads/{tid}/messages")).json()["replyIntent"] == "interested"
    assert sim.thread_ids()[40] == tid  # position unchanged
    assert sim.thread_snapshot()[tid]["replyIntent"] == "interested"
    assert (await _thread(a, tid))["replyIntent"] == "interested"  # not a stale cached page
    r = await a.send("PATCH", f"/threads/{tid}/reply-intent", {"replyIntent": None})
    assert r.json()["replyIntent"] is None
    assert (await _thread(a, tid))["replyIntent"] is None


async def test_suppressions(api, kit):
    sim = kit.make_sim(threads=10)
    a = api(sim)
    r = await a.send(
        "POST",
        "/campaigns/suppressions",
        {"emails": ["Do-Not-Email@Company.com", "x@y.io"], "reason": "manual"},
        key="s-1",
    )
    assert r.status_code == 200 and r.json()["upserted"] == 2
    st = (await a.get("/campaigns/suppressions/status", email="do-not-email@company.com")).json()
    assert st["suppressed"] is True and st["reason"] == "manual"
    st = (await a.get("/campaigns/suppressions/status", email="free@company.com")).json()
    assert st["suppressed"] is False
    assert (await a.get("/campaigns/suppressions/status", email="nope")).status_code == 400


async def test_auth_errors_use_the_envelope_and_never_echo_the_key(api, kit):
    sim = kit.make_sim(threads=10)
    secret = "ot2d_wrong_secret_value"
    for client in (api(sim, key=None), api(sim, key=secret), api(sim, key="sk_live_123")):
        for path in ("/threads", "/workspaces"):
            r = await client.get(path)
            assert r.status_code == 401
            assert r.json()["detail"]["error"] == "invalid_api_key"
            assert "secret_value" not in r.text and "sk_live" not in r.text
    a = api(sim)
    r = await a.http.get("/threads")  # no workspaceId
    assert r.status_code == 400 and r.json()["detail"]["error"] == "validation_error"
    r = await a.get("/threads", workspaceId=999)
    assert r.status_code == 403 and "999" in r.json()["detail"]["message"]
    r = await a.send("POST", f"/threads/{sim.thread_ids()[0]}/reply", {"bodyText": "x"}, workspaceId=999)
    assert r.status_code == 403 and sim.performed == []


async def test_key_sets_and_per_key_workspaces(api, kit):
    sim = Simulator(SimConfig(threads=10, workspaces=[42, 7], api_keys={"ot2d_alpha": [42, 7], "ot2d_beta": [7]}))
    assert (await api(sim, key="ot2d_gamma").get("/threads")).status_code == 401
    beta = api(sim, key="ot2d_beta")
    assert [w["workspace_id"] for w in (await beta.http.get("/workspaces")).json()] == [7]
    assert (await beta.get("/threads")).status_code == 403
    r = await beta.get("/threads", workspaceId=7)
    assert r.status_code == 200 and r.json() == {"threads": [], "next_cursor": None}
    alpha = api(sim, key="ot2d_alpha")
    assert len((await alpha.get("/threads")).json()["threads"]) == 10
    # a thread of workspace 42 is not visible from workspace 7
    r = await alpha.get(f"/threads/{sim.thread_ids()[0]}/messages", workspaceId=7)
    assert r.status_code == 404


async def test_live_replies_arrive_with_sim_time(api, kit):
    clock = kit.FakeClock()
    sim = kit.make_sim(threads=200, clock=clock, reply_rate=2.0)
    a = api(sim)
    before = sim.thread_snapshot()
    since = kit.iso(clock.t)
    assert await a.walk(updatedSince=since) == []
    clock.t += kit.timedelta(seconds=10)
    got = await a.walk(updatedSince=since)
    after = sim.thread_snapshot()
    added = sum(after[t]["message_count"] - before.get(t, {"message_count": 0})["message_count"] for t in after)
    assert added == 20  # 2 per second for 10 s, materialised on the next request
    assert 1 <= len(got) <= 20
    assert all(t["last_message"]["date_received"] >= since for t in got)
    assert any(t["id"] not in before for t in got) or len(after) == len(before)


async def test_unknown_routes_methods_and_crashes_still_use_the_envelope(api, kit, monkeypatch):
    sim = kit.make_sim(threads=10)
    a = api(sim)
    r = await a.get("/nope")
    assert r.status_code == 404 and r.json()["detail"]["error"] == "not_found"
    r = await a.send("DELETE", "/threads", None)
    assert r.status_code == 405 and r.json()["detail"]["error"] == "method_not_allowed"

    def boom(op_id):
        raise RuntimeError("bug")

    monkeypatch.setattr(sim, "operation", boom)
    r = await a.get("/threads/outbound-operations/op_1")
    assert r.status_code == 500 and r.json() == {
        "detail": {"error": "internal_error", "message": "Internal server error"}
    }


def test_create_app_is_a_starlette_app_carrying_the_sim(kit):
    from starlette.applications import Starlette

    from o2d_inbox.simulator import create_app

    sim = kit.make_sim(threads=1)
    app = create_app(sim)
    assert isinstance(app, Starlette) and app.state.sim is sim


def test_default_key_rule(kit):
    sim = kit.make_sim(threads=1)
    assert sim.key_valid("ot2d_demo") and sim.key_valid("ot2d_3bad9fbad0")
    for refused in (
        "ot2d_bad",
        "ot2d_wrongKEY_secret",
        "ot2d_x_revoked_1",
        "ot2d_",
        "sk_live_1",
        "OT2D_upper",
        "ot2d_tab\there",
    ):
        assert not sim.key_valid(refused), refused
