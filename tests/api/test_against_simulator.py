"""The client against the in-process simulator (o2d_inbox.simulator): every endpoint, every
filter, a full cursor walk, and retries counted on the server side with faults switched on."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest

from o2d_inbox.api import (
    AuthError,
    BadRequestError,
    ClientStats,
    ForwardRequest,
    NewMessageRequest,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    ReplyRequest,
    ServerError,
    UniboxClient,
    WorkspaceAccessError,
)
from o2d_inbox.simulator import SimConfig, Simulator

from .conftest import API_KEY, RecordedSleep

THREADS = 300
NO_FAULTS = dict(fail_rate=0.0, drop_rate=0.0, drop_after_rate=0.0, rate_limit_rate=0.0, malformed_rate=0.0)


def make_sim(**faults) -> Simulator:
    knobs = {**NO_FAULTS, "retry_after": 1, **faults}
    return Simulator(SimConfig(threads=THREADS, seed=1, reply_rate=0.0, **knobs))


def clear_faults(sim: Simulator) -> None:
    for knob, value in NO_FAULTS.items():
        setattr(sim.faults, knob, value)


def log_for(sim: Simulator, method: str, path: str, since: int = 0) -> list[tuple]:
    """request_log entries for one route (path compared without its query string)."""
    return [e for e in sim.request_log[since:] if e[0] == method and e[1].split("?")[0] == path]


@pytest.fixture
async def clients():
    made: list[UniboxClient] = []

    def factory(sim: Simulator, **kwargs) -> UniboxClient:
        kwargs.setdefault("sleep", RecordedSleep())
        if isinstance(kwargs["sleep"], RecordedSleep):
            kwargs.setdefault("clock", kwargs["sleep"].clock)
        kwargs.setdefault("rng", random.Random(3))
        client = UniboxClient(
            "http://simulator.test", API_KEY, kwargs.pop("workspace_id", None), transport=sim.transport(), **kwargs
        )
        made.append(client)
        return client

    yield factory
    for client in made:
        await client.aclose()


async def walk(client: UniboxClient, **filters):
    pages = [p async for p in client.iter_thread_pages(**filters)]
    return pages, [t for p in pages for t in p.threads]


# --- every endpoint, no faults ---------------------------------------------------------------


async def test_reads_every_filter_and_a_full_cursor_walk(clients):
    sim = make_sim()
    client = clients(sim)

    workspaces = await client.list_workspaces()
    assert workspaces and all(isinstance(w.workspace_id, int) for w in workspaces)
    ws = await client.resolve_workspace()
    assert ws in {w.workspace_id for w in workspaces}
    caps = await client.capabilities()
    assert isinstance(caps.inbox, bool) and isinstance(caps.providers, list)

    pages, threads = await walk(client, limit=37)
    assert len(threads) == THREADS and len({t.id for t in threads}) == THREADS
    assert pages[0].cursor is None and pages[-1].next_cursor is None
    assert [p.cursor for p in pages[1:]] == [p.next_cursor for p in pages[:-1]]
    assert all(len(p.threads) <= 37 for p in pages) and len(pages) == -(-THREADS // 37)
    by_id = {t.id: t for t in threads}

    # replyIntent filter: exactly the walked threads of that intent, nothing else
    intents = Counter(t.replyIntent for t in threads)
    intent = "interested" if intents["interested"] else next(i for i in intents if i)
    _, filtered = await walk(client, reply_intent=intent)
    assert filtered and all(t.replyIntent == intent for t in filtered)
    assert {t.id for t in filtered} == {t.id for t in threads if t.replyIntent == intent}

    # thread messages agree with the thread row
    sample = threads[0]
    msgs = await client.thread_messages(sample.id)
    assert msgs.messages and len(msgs.messages) == sample.message_count
    assert msgs.replyIntent == sample.replyIntent and msgs.campaignId == sample.campaignId

    # mailboxId filter: a mailbox taken from that thread's own messages finds it again
    ours = [m for m in msgs.messages if not m.is_incoming]
    mailbox = ours[0].from_email if ours else msgs.messages[0].to_emails[0]
    _, in_mailbox = await walk(client, mailbox_id=mailbox)
    assert sample.id in {t.id for t in in_mailbox} and len(in_mailbox) <= THREADS

    # updatedSince: only threads with a message at or after the time; the far future gives none
    newest = max(t.last_message.date_received for t in threads if t.last_message)
    since = newest - timedelta(hours=12)
    _, recent = await walk(client, updated_since=since)
    assert recent and {t.id for t in recent} <= set(by_id)
    since_s = since.replace(microsecond=0)  # what goes on the wire
    assert all(t.last_message.date_received >= since_s for t in recent)
    dated = [t for t in threads if t.last_message and t.last_message.date_received]
    newer = {t.id for t in dated if t.last_message.date_received > since_s}
    at_edge = {t.id for t in dated if t.last_message.date_received == since_s}  # > or >=: undocumented
    assert newer <= {t.id for t in recent} <= newer | at_edge
    _, none = await walk(client, updated_since=newest + timedelta(days=1))
    assert none == []

    # campaigns: every campaign a thread points at is listed
    campaigns = await client.list_campaigns()
    assert {t.campaignId for t in threads if t.campaignId} <= {c.id for c in campaigns}

    # server side: one request per page, no retries, all scoped but /workspaces
    assert client.stats.retries == 0
    assert all(e[3] == 200 for e in sim.request_log)


async def test_mutations_each_delivered_once(clients):
    sim = make_sim()
    client = clients(sim)
    _, threads = await walk(client)
    target = threads[1]

    reply = await client.reply(
        target.id, ReplyRequest(bodyText="Thanks! Tuesday works."), idempotency_key="sim-reply-1"
    )
    assert reply.operation_id and reply.status
    op = await client.operation_status(reply.operation_id)
    assert op.operation_id == reply.operation_id and op.status

    fwd = await client.forward(
        target.id, ForwardRequest(toAddress="colleague@company.com", bodyText="FYI"), idempotency_key="sim-fwd-1"
    )
    assert fwd.status

    new = await client.send_new(
        NewMessageRequest(toAddress="new@prospect.com", subject="Hello", bodyText="Hi there"),
        idempotency_key="sim-new-1",
    )
    assert new.thread_id and new.operation_id

    intent = "not_interested" if target.replyIntent != "not_interested" else "neutral"
    await client.set_reply_intent(target.id, intent, idempotency_key="sim-intent-1")
    assert (await client.thread_messages(target.id)).replyIntent == intent
    cleared = await client.set_reply_intent(target.id, None, idempotency_key="sim-intent-2")
    assert cleared.replyIntent is None
    assert (await client.thread_messages(target.id)).replyIntent is None

    await client.add_suppressions(["do-not-email@company.com"], "manual_suppression", idempotency_key="sim-sup-1")
    assert (await client.suppression_status("do-not-email@company.com")).suppressed is True
    assert (await client.suppression_status("someone-else@company.com")).suppressed is False

    # the same key again: the server must not act twice
    again = await client.reply(
        target.id, ReplyRequest(bodyText="Thanks! Tuesday works."), idempotency_key="sim-reply-1"
    )
    assert again.operation_id == reply.operation_id
    for key in ("sim-reply-1", "sim-fwd-1", "sim-new-1"):
        assert sim.deliveries[key] == 1, key


async def test_errors_from_the_simulator_are_typed_and_not_retried(clients):
    sim = make_sim()
    client = clients(sim)
    await client.resolve_workspace()
    before = len(sim.request_log)
    with pytest.raises(NotFoundError) as info:
        await client.thread_messages("thr_does_not_exist")
    assert info.value.status == 404
    assert len(sim.request_log) - before == 1
    stranger = clients(sim, workspace_id=999_999)
    with pytest.raises(WorkspaceAccessError):
        await stranger.capabilities()
    with pytest.raises(BadRequestError) as info:  # a stale or tampered cursor
        await client.threads_page(cursor="not-a-cursor-we-gave")
    assert info.value.status == 400 and len(log_for(sim, "GET", "/threads", since=before)) == 1
    revoked_key = "ot2d_revoked_0123456789abcdef"
    async with UniboxClient(
        "http://simulator.test", revoked_key, 42, transport=sim.transport(), sleep=RecordedSleep()
    ) as revoked:
        with pytest.raises(AuthError) as info:
            await revoked.threads_page()
    assert info.value.exit_code == 3 and revoked_key not in str(info.value)


# --- faults on: retries, counted by the server -------------------------------------------------


async def test_full_walk_survives_faults_and_server_saw_every_retry(clients):
    sim = make_sim()
    clean = clients(sim)
    _, expected = await walk(clean, limit=20)

    sim.faults.fail_rate = 0.15
    sim.faults.drop_rate = 0.1
    sim.faults.rate_limit_rate = 0.1
    sim.faults.malformed_rate = 0.05
    sim.faults.retry_after = 2
    sleeps = RecordedSleep()
    client = clients(sim, max_retries=10, sleep=sleeps)
    await client.resolve_workspace()  # may itself be retried: count from here on
    start = len(sim.request_log)
    client.stats = ClientStats()
    sleeps.calls.clear()
    pages, threads = await walk(client, limit=20)

    assert [t.id for t in threads] == [t.id for t in expected]
    seen = log_for(sim, "GET", "/threads", since=start)
    assert len(seen) == client.stats.requests  # every attempt reached the server
    assert client.stats.retries == len(seen) - len(pages) > 0
    statuses = Counter(e[3] for e in seen)
    assert statuses[429] == client.stats.rate_limited > 0
    assert statuses[0] > 0  # dropped connections (logged as status 0)
    assert sum(n for s, n in statuses.items() if isinstance(s, int) and s >= 500) > 0
    # each 429 waited the Retry-After (on the client's clock: equal up to rounding)
    assert sum(1 for w in sleeps.calls if w == pytest.approx(2.0)) >= statuses[429]


async def test_retried_mutations_carry_one_key_and_are_delivered_once(clients):
    sim = make_sim()
    client = clients(sim, max_retries=10)
    _, threads = await walk(client, limit=200)
    sim.faults.drop_rate = 0.2
    sim.faults.drop_after_rate = 0.2  # performed, then the answer is lost: the retry must not redo it
    sim.faults.fail_rate = 0.2
    start = len(sim.request_log)
    keys = [f"fault-reply-{i}" for i in range(20)]
    for key, thread in zip(keys, threads):
        await client.reply(thread.id, ReplyRequest(bodyText=f"reply {key}"), idempotency_key=key)
    posts = [e for e in sim.request_log[start:] if e[0] == "POST"]
    assert len(posts) > len(keys)  # some were retried
    assert Counter(e[2] for e in posts).keys() == set(keys)
    for key in keys:
        assert sim.deliveries[key] == 1, key
        by_key = [e for e in posts if e[2] == key]
        assert all(e[1].split("?")[0] == by_key[0][1].split("?")[0] for e in by_key)


async def test_rate_limit_honours_retry_after_then_gives_up(clients):
    sim = make_sim()
    sleeps = RecordedSleep()
    client = clients(sim, max_retries=2, sleep=sleeps)
    await client.resolve_workspace()
    sim.faults.rate_limit_rate = 1.0
    sim.faults.retry_after = 3
    start = len(sim.request_log)
    with pytest.raises(RateLimitError) as info:
        await client.capabilities()
    assert info.value.retry_after == 3.0
    assert sleeps.calls == [3.0, 3.0]
    assert [e[3] for e in log_for(sim, "GET", "/threads/capabilities", since=start)] == [429, 429, 429]
    clear_faults(sim)
    assert (await client.capabilities()) is not None


async def test_server_errors_and_malformed_bodies_after_retries(clients):
    sim = make_sim()
    client = clients(sim, max_retries=3)
    await client.resolve_workspace()
    sim.faults.fail_rate = 1.0
    start = len(sim.request_log)
    with pytest.raises(ServerError):
        await client.threads_page(limit=5)
    assert len(log_for(sim, "GET", "/threads", since=start)) == 4
    clear_faults(sim)
    sim.faults.malformed_rate = 1.0
    start = len(sim.request_log)
    with pytest.raises(ProtocolError):
        await client.threads_page(limit=5)
    assert len(log_for(sim, "GET", "/threads", since=start)) == 4
    clear_faults(sim)
    assert len((await client.threads_page(limit=5)).threads) == 5
