"""The seeded inbox looks like a working SDR's: recent activity, a short reply queue, our
mailboxes only on our side, bodies that fit their intent, quoted history in replies."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from o2d_inbox.render.ooo import return_date
from o2d_inbox.render.quote import split_quoted
from o2d_inbox.simulator import MAILBOXES

OURS = {m for m, _ in MAILBOXES}
DAY = 86400


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def _age(kit, t) -> float:
    # make_sim's anchor: the fake clock at start minus one minute
    return (kit.T0 - _at(t["last_message"]["date_received"])).total_seconds()


def _needs_reply(t) -> bool:
    return t["last_message"]["from_email"] not in OURS


async def test_dates_are_recent_first_with_a_tail(api, kit):
    threads = await api(kit.make_sim(threads=2000)).walk()
    ages = sorted(_age(kit, t) for t in threads)
    assert all(a >= 60 for a in ages)  # nothing after the anchor
    within = lambda s: sum(a < s for a in ages) / len(ages)  # noqa: E731
    assert 0 < sum(a < 3 * 3600 for a in ages) <= 20  # a handful in the last hours
    assert 0.45 <= within(14 * DAY) <= 0.55
    assert within(45 * DAY) < 0.8
    assert 170 * DAY < ages[-1] <= 180 * DAY


async def test_a_short_reply_queue_mostly_from_the_last_two_weeks(api, kit):
    threads = await api(kit.make_sim(threads=2000)).walk()
    relevant = [t for t in threads if not t["is_warming"] and not t["is_postmaster"]]
    waiting = [t for t in relevant if _needs_reply(t)]
    assert 0.15 <= len(waiting) / len(relevant) <= 0.30
    recent = [t for t in waiting if _age(kit, t) < 14 * DAY]
    assert len(recent) / len(waiting) > 0.85
    # the queue, oldest wait first, opens on weeks-old threads, not on the six-month tail
    oldest = sorted(waiting, key=lambda t: t["last_message"]["date_received"])[:20]
    assert sum(_age(kit, t) > 60 * DAY for t in oldest) <= 3
    # old conversations end with us; recent ones wait for us more often than not
    old = [t for t in relevant if _age(kit, t) > 45 * DAY]
    assert sum(map(_needs_reply, old)) / len(old) < 0.03
    fresh = [t for t in relevant if _age(kit, t) < DAY]
    assert sum(map(_needs_reply, fresh)) / len(fresh) > 0.4


async def test_our_mailboxes_are_only_ever_our_side(api, kit):
    """Prospect addresses are plain ASCII and never ours; from_email is ours exactly when the
    message is outgoing, in the messages and in the listing's last_message."""
    sim = kit.make_sim(threads=400)
    a = api(sim)
    for t in await a.walk():
        msgs = (await a.get(f"/threads/{t['id']}/messages")).json()["messages"]
        for m in msgs:
            assert (m["from_email"] in OURS) == (not m["is_incoming"]), (t["id"], m["id"])
            assert m["from_email"].isascii() or t["id"].startswith("thr_x_")
            if m["is_incoming"]:
                assert not set(m["to_emails"]) - OURS
            else:
                assert not set(m["to_emails"]) & OURS
        assert (t["last_message"]["from_email"] in OURS) == (not msgs[-1]["is_incoming"])


async def test_bodies_fit_their_intent(api, kit):
    sim = kit.make_sim(threads=1500)
    a = api(sim)
    threads = await a.walk()
    seen: Counter = Counter()
    for t in threads:
        intent = t["replyIntent"]
        if intent is None or t["id"].startswith("thr_x_") or seen[intent] >= 25:
            continue
        msgs = (await a.get(f"/threads/{t['id']}/messages")).json()["messages"]
        theirs = [m for m in msgs if m["is_incoming"]]
        last = theirs[-1]
        if not last["body_text"]:
            continue  # an HTML-only body
        seen[intent] += 1
        body = split_quoted(last["body_text"])[0].lower()
        if intent in ("bounced", "out_of_office"):  # automatic: minutes after our message
            before = msgs[msgs.index(last) - 1]
            assert _at(last["date_received"]) - _at(before["date_received"]) < timedelta(minutes=10)
        if intent == "bounced":
            assert last["from_email"].startswith("mailer-daemon@") and msgs[-1] is last
            assert "550" in body or "552" in body
            assert all(not m["is_incoming"] for m in msgs[:-1])
        elif intent == "unsubscribe":
            assert "unsubscribe" in body or "remove me" in body or "off your list" in body
        elif intent == "out_of_office":
            received = _at(last["date_received"])
            back = return_date(last["body_text"], received=received)
            if "next month" not in body:
                assert back is not None, body
                assert timedelta(days=1) <= back - received.date() <= timedelta(days=12)
                assert back.weekday() < 5  # people come back on a working day
        elif intent == "interested":
            assert any(w in body for w in ("call", "pricing", "chat", "through", "invite", "availability"))
    assert set(seen) == {"interested", "not_interested", "out_of_office", "bounced", "unsubscribe", "neutral"}


async def test_some_replies_quote_the_message_they_answer(api, kit):
    sim = kit.make_sim(threads=300)
    a = api(sim)
    quoting = 0
    for t in (await a.walk())[:150]:
        msgs = (await a.get(f"/threads/{t['id']}/messages")).json()["messages"]
        for prev, m in zip(msgs, msgs[1:]):
            new, history = split_quoted(m["body_text"])
            if history and not t["id"].startswith("thr_x_"):
                quoting += 1
                assert new and prev["from_email"] in history
                own = split_quoted(prev["body_text"])[0]
                assert own.splitlines()[0] in history
                assert "blockquote" in m["body_html"] or "From:" in m["body_html"]
    assert quoting >= 20


async def test_same_seed_same_conversations(api, kit):
    a, b = api(kit.make_sim(threads=200)), api(kit.make_sim(threads=200))
    ids = [t["id"] for t in await a.walk()][:40]
    for tid in ids:
        ra = (await a.get(f"/threads/{tid}/messages")).json()
        rb = (await b.get(f"/threads/{tid}/messages")).json()
        assert ra == rb


async def test_reclassifying_does_not_rewrite_the_messages(api, kit):
    sim = kit.make_sim(threads=200)
    a = api(sim)
    threads = await a.walk()
    target = next(t for t in threads if t["replyIntent"] == "interested")
    before = (await a.get(f"/threads/{target['id']}/messages")).json()["messages"]
    sim.set_intent_server_side(target["id"], "bounced")
    after = (await a.get(f"/threads/{target['id']}/messages")).json()["messages"]
    assert after == before
    listed = {t["id"]: t for t in await a.walk()}[target["id"]]
    assert listed["last_message"] == target["last_message"] and listed["replyIntent"] == "bounced"


async def test_live_replies_read_like_their_new_intent(api, kit):
    clock = kit.FakeClock()
    sim = kit.make_sim(threads=300, clock=clock, reply_rate=1.0)
    a = api(sim)
    since = kit.iso(clock.t)
    clock.t += kit.timedelta(seconds=60)
    got = await a.walk(updatedSince=since)
    assert len(got) >= 20
    quoted = 0
    for t in got:
        assert t["last_message"]["from_email"] not in OURS
        msgs = (await a.get(f"/threads/{t['id']}/messages")).json()["messages"]
        new, history = split_quoted(msgs[-1]["body_text"])
        quoted += bool(history)
        if history:
            assert msgs[-2]["from_email"] in history
        if t["replyIntent"] == "unsubscribe":
            assert "unsubscribe" in new.lower() or "remove" in new.lower() or "list" in new.lower()
        if t["replyIntent"] == "out_of_office":
            assert not history  # an auto-reply quotes nothing
    assert quoted >= 5


async def test_a_thread_we_started_is_answered_by_the_address_we_wrote_to(api, kit):
    sim = kit.make_sim(threads=20)
    a = api(sim)
    new = (
        await a.send(
            "POST",
            "/threads/new",
            {
                "toAddress": "Jane.Doe@Example.io",
                "subject": "Hello",
                "bodyText": "Hi Jane",
                "fromMailboxAddress": "anna@cooloutreach.io",
            },
        )
    ).json()
    sim.add_inbound_reply(new["thread_id"], body="Hi Anna, sure.")
    msgs = (await a.get(f"/threads/{new['thread_id']}/messages")).json()["messages"]
    assert [m["from_email"] for m in msgs] == ["anna@cooloutreach.io", "jane.doe@example.io"]
    assert msgs[1]["to_emails"] == ["anna@cooloutreach.io"]


def test_our_answers_follow_the_question(kit):
    sim = kit.make_sim(threads=400)
    pairs = 0
    for tid in sim.thread_ids():
        msgs = sim.inboxes[kit.WS].get(tid).messages()
        for theirs, ours in zip(msgs, msgs[1:]):
            asked = split_quoted(theirs["body_text"])[0]
            if theirs["is_incoming"] and not ours["is_incoming"] and "works with our CRM?" in asked:
                pairs += 1
                assert "HubSpot and Salesforce" in ours["body_text"]
    assert pairs >= 5
