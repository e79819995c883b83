"""The dispatcher against the in-process simulator: what the server receives, how often."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from o2d_inbox.api.client import UniboxClient
from o2d_inbox.api.errors import NetworkError
from o2d_inbox.outbox import queue as ob
from o2d_inbox.outbox.dispatcher import Dispatcher, OutboxBusy
from o2d_inbox.simulator import EXAMPLE_KEY


def intent_of(conn, thread_id):
    return conn.execute("SELECT reply_intent FROM threads WHERE id = ?", (thread_id,)).fetchone()[0]


async def drive(world, d, *, step=1.0, limit=500):
    """run_once + time passing, until every item is final."""
    for _ in range(limit):
        await d.run_once()
        if all(i.is_final for i in ob.list_items(world.conn)):
            return
        world.sim.advance(step)
    raise AssertionError(f"not final after {limit} passes: {ob.counts(world.conn)}")


async def test_fifty_messages_through_faults_each_delivered_exactly_once(make_world):
    w = make_world(
        threads=40,
        seed=11,
        drop_after_rate=0.2,
        drop_rate=0.1,
        fail_rate=0.15,
        rate_limit_rate=0.25,
        retry_after=0.5,
        latency=0.0005,
        op_step_seconds=1.0,
    )
    threads = w.thread_ids[:8]
    items = []
    for n in range(40):  # several per thread, to check the per-thread order too
        items.append(ob.queue_reply(w.conn, threads[n % 8], f"reply #{n}", undo_seconds=0, now=w.clock()))
    for n in range(5):
        items.append(
            ob.queue_forward(w.conn, threads[n], f"boss{n}@ours.test", f"fwd #{n}", undo_seconds=0, now=w.clock())
        )
        items.append(
            ob.queue_new(
                w.conn,
                f"lead{n}@them.test",
                f"Hello {n}",
                f"new #{n}",
                from_mailbox="john@cooloutreach.com",
                undo_seconds=0,
                now=w.clock(),
            )
        )
    assert len(items) == 50
    d = w.dispatcher()
    try:
        await drive(w, d)
    finally:
        d.close()
        await w.client.aclose()

    keys = {i.idempotency_key for i in items}
    assert set(w.sim.deliveries) == keys
    assert all(n == 1 for n in w.sim.deliveries.values())
    assert len(w.sim.sent_messages) == 50
    assert ob.counts(w.conn)["sent"] == 50
    # the faults really happened: cuts after the work was done, 5xx, 429, replays
    statuses = [r[3] for r in w.posts()]
    assert statuses.count(0) >= 5 and statuses.count(429) >= 2 and any(s >= 500 for s in statuses)
    cut = {k for (_, _, k, s) in w.posts() if s == 0}
    assert len(cut & keys) >= 5  # those keys were sent again (some after the server had acted)
    assert len(w.posts()) > 60
    # each thread got its replies in the order they were written
    for t in threads:
        bodies = [m["body_text"] for m in w.sim.sent_messages if m["thread_id"] == t and m["kind"] == "reply"]
        assert bodies == sorted(bodies, key=lambda b: int(b.split("#")[1]))
    new = [i for i in ob.list_items(w.conn) if i.kind == "new"]
    assert all(i.thread_id and i.thread_id == i.server_thread_id for i in new)


async def test_bounce_fails_with_the_reason_and_keeps_the_text(world):
    item = ob.queue_new(
        world.conn,
        "jane.bounce@them.test",
        "Hi",
        "Dear Jane,\nhello",
        undo_seconds=0,
        from_mailbox="john@cooloutreach.com",
    )
    d = world.dispatcher()
    items = await d.flush(wait=True, timeout=60)
    assert [i.state for i in items] == ["failed"]
    failed = ob.get(world.conn, item.id)
    assert "bounced" in failed.last_error and "jane.bounce@them.test" in failed.last_error
    assert failed.payload["bodyText"] == "Dear Jane,\nhello"
    assert world.sim.deliveries[item.idempotency_key] == 1


async def test_an_operation_that_never_finishes_is_settled_unconfirmed_after_a_day(make_world):
    """Accepted, then 'queued' forever: after CONFIRM_WITHIN the item is sent (it was accepted:
    never re-sent), says its delivery was not confirmed, and is no longer polled."""
    from o2d_inbox.outbox.dispatcher import CONFIRM_WITHIN

    w = make_world(op_step_seconds=10**9)  # the server never gets round to sending
    item = ob.queue_reply(w.conn, w.thread_ids[0], "hello", undo_seconds=0, now=w.clock())
    d = w.dispatcher(poll_backoff=(3600,))
    try:
        await d.run_once()
        accepted = ob.get(w.conn, item.id)
        assert accepted.state == "accepted" and abs(accepted.accepted_at - w.clock()) < 5
        w.sim.advance(CONFIRM_WITHIN - 7200)
        await d.run_once()
        assert ob.get(w.conn, item.id).state == "accepted"  # a day is not up yet: still asked
        w.sim.advance(7200)
        await d.run_once()
        settled = ob.get(w.conn, item.id)
        assert settled.state == "sent" and settled.next_attempt_at is None
        assert "not confirmed" in settled.last_error and "queued" in settled.last_error
        # what the outbox shows: in the app and on the command line
        from o2d_inbox.commands.outbox import item_line
        from o2d_inbox.tui.outbox_screen import state_look

        assert state_look(settled)[1] == "unconfirmed"
        assert "sent:unconfirmed" in item_line(settled, w.clock()) and "not confirmed" in item_line(settled, w.clock())
        polls = sum(1 for r in w.sim.request_log if r[0] == "GET")
        w.sim.advance(3600)
        await d.run_once()
        assert sum(1 for r in w.sim.request_log if r[0] == "GET") == polls  # no longer asked
        assert w.sim.deliveries == {item.idempotency_key: 1}
    finally:
        d.close()


async def test_intent_is_sent_and_a_rejected_one_is_reverted(world):
    good_thread = world.thread_ids[0]
    before = intent_of(world.conn, good_thread)
    target = "interested" if before != "interested" else "neutral"
    good = ob.queue_intent(world.conn, good_thread, target, undo_seconds=0)
    world.conn.execute("INSERT INTO threads (id, reply_intent) VALUES ('thr_gone', 'neutral')")
    bad = ob.queue_intent(world.conn, "thr_gone", "interested", undo_seconds=0)
    assert intent_of(world.conn, "thr_gone") == "interested"  # optimistic

    await world.dispatcher().flush(wait=True, timeout=60)

    assert ob.get(world.conn, good.id).state == "sent"
    assert world.sim.thread_snapshot()[good_thread]["replyIntent"] == target
    assert intent_of(world.conn, good_thread) == target
    bad = ob.get(world.conn, bad.id)
    assert bad.state == "failed" and "404" in bad.last_error and bad.attempts == 1
    assert intent_of(world.conn, "thr_gone") == "neutral"  # reverted


async def test_undo_window_holds_the_message_back(world):
    t = world.thread_ids[1]
    item = ob.queue_reply(world.conn, t, "oops", undo_seconds=10, now=world.clock())
    d = world.dispatcher()
    world.sim.advance(5)
    assert await d.run_once() == 0 and world.posts() == []
    assert ob.undo(world.conn, item.id, now=world.clock()).state == "draft"
    world.sim.advance(10)
    await d.run_once()
    assert world.posts() == []  # undone in time: nothing ever left

    ob.schedule_draft(world.conn, item.id, 10, now=world.clock())
    world.sim.advance(10.5)
    await d.run_once()
    assert ob.get(world.conn, item.id).state == "accepted"
    assert [m["body_text"] for m in world.sim.sent_messages] == ["oops"]


async def test_composed_offline_is_delivered_once_online(world):
    class Offline(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request):
            raise httpx.ConnectError("connection refused", request=request)

    a = ob.queue_reply(world.conn, world.thread_ids[2], "written on a plane", undo_seconds=0)
    b = ob.queue_intent(world.conn, world.thread_ids[3], "neutral", undo_seconds=0)
    offline = UniboxClient("http://sim.test", EXAMPLE_KEY, 42, transport=Offline(), sleep=world.sleep)
    d = Dispatcher(world.conn, offline, clock=world.clock, sleep=world.sleep)
    with pytest.raises(NetworkError, match="offline"):
        await d.flush(wait=True)
    d.close()
    await offline.aclose()
    held = ob.get(world.conn, a.id)  # its thread's mailbox could not be learned: nothing sent
    assert held.state == "scheduled" and held.waiting.startswith("waiting for the thread's mailbox")
    assert ob.get(world.conn, b.id).state == "sending"  # kept, key kept

    items = await world.dispatcher().flush(wait=True, timeout=60)
    assert [i.state for i in items] == ["sent", "sent"]
    assert world.sim.deliveries == {a.idempotency_key: 1, b.idempotency_key: 1}


async def test_a_request_the_server_may_have_done_is_resent_with_the_same_key(world):
    """Crash between 'sending' and the answer: the restart replays, the server acts once."""
    item = ob.queue_reply(world.conn, world.thread_ids[4], "once", undo_seconds=0)
    world.sim.faults.drop_after_rate = 1.0  # done, then the connection is cut, every time
    no_retries = UniboxClient("http://sim.test", EXAMPLE_KEY, 42, transport=world.sim.transport(), max_retries=0)
    first = Dispatcher(world.conn, no_retries, clock=world.clock, max_attempts=1)
    await first.run_once()
    first.close()
    await no_retries.aclose()
    assert world.sim.deliveries == {item.idempotency_key: 1}  # done, but we never heard
    it = ob.get(world.conn, item.id)
    assert it.state == "failed" and it.last_error.startswith(ob.GAVE_UP_PREFIX)
    world.sim.faults.drop_after_rate = 0.0
    again = ob.retry(world.conn, item.id)
    assert again.idempotency_key == item.idempotency_key
    await world.dispatcher().flush(wait=True, timeout=60)
    assert ob.get(world.conn, item.id).state == "sent"
    assert world.sim.deliveries == {item.idempotency_key: 1}
    assert len(world.sim.sent_messages) == 1


async def test_4xx_fails_at_once_with_the_server_message(world):
    item = ob.queue_reply(world.conn, "thr_nope", "hello?", undo_seconds=0, from_mailbox="john@cooloutreach.com")
    items = await world.dispatcher().flush()
    assert items[0].state == "failed" and items[0].attempts == 1
    assert "404" in items[0].last_error and items[0].payload["bodyText"] == "hello?"
    assert ob.retry(world.conn, item.id).idempotency_key != item.idempotency_key


async def test_a_409_on_our_key_fails_with_a_clear_reason(world):
    t = world.thread_ids[5]
    item = ob.queue_reply(world.conn, t, "mine", undo_seconds=0)
    from o2d_inbox.api.models import ReplyRequest

    await world.client.reply(t, ReplyRequest(bodyText="someone else's"), idempotency_key=item.idempotency_key)
    items = await world.dispatcher().flush()
    assert items[0].state == "failed" and "different body" in items[0].last_error


async def test_only_one_dispatcher_sends(world):
    ob.queue_reply(world.conn, world.thread_ids[6], "x", undo_seconds=0)
    first, second = world.dispatcher(), world.dispatcher()
    await first.run_once()
    assert await second.run_once() == 0
    with pytest.raises(OutboxBusy):
        await second.flush()
    first.close()
    await second.flush(wait=True, timeout=60)
    assert ob.counts(world.conn)["sent"] == 1


async def test_run_loop_sends_and_reports(conn, make_world):
    w = make_world(op_step_seconds=0)  # operations final at once; the loop runs on real time
    d = Dispatcher(conn, w.client, poll_backoff=(0.01,), idle_interval=0.05)
    changes = []
    stop = asyncio.Event()
    task = asyncio.create_task(d.run(stop, lambda: changes.append(1)))
    item = ob.queue_reply(conn, w.thread_ids[7], "live", undo_seconds=0)
    d.wake()
    for _ in range(200):
        if ob.get(conn, item.id).state == "sent":
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 5)
    await w.client.aclose()
    assert ob.get(conn, item.id).state == "sent" and changes
    assert [(i.id, i.state) for i in d.drain_changes()] == [(item.id, "accepted"), (item.id, "sent")]
    assert d.drain_changes() == []


async def test_flush_skips_the_undo_window(world):
    item = ob.queue_reply(world.conn, world.thread_ids[8], "now please", undo_seconds=30, now=world.clock())
    items = await world.dispatcher().flush(wait=True, timeout=60)
    assert [i.id for i in items] == [item.id] and items[0].state == "sent"
    assert world.clock() < item.send_after  # sent before the window would have closed


async def test_a_sync_before_the_override_lands_keeps_it_on_screen(world):
    """Optimistic intent vs. the sync engine: the user's value stays until the PATCH lands,
    then the server agrees; the sync engine and the dispatcher share the cache meanwhile."""
    from o2d_inbox.sync.engine import SyncEngine

    engine = SyncEngine(world.conn, world.client, clock=world.clock)
    await engine.sync(full=True)
    t = world.thread_ids[9]
    server_value = world.sim.thread_snapshot()[t]["replyIntent"]
    ours = "not_interested" if server_value != "not_interested" else "neutral"
    item = ob.queue_intent(world.conn, t, ours, undo_seconds=10, now=world.clock())
    await engine.sync(full=True)
    assert intent_of(world.conn, t) == ours  # not overwritten by the server's old value
    world.sim.advance(11)
    d = world.dispatcher()
    await d.run_once()
    assert ob.get(world.conn, item.id).state == "sent"
    await engine.sync(full=True)
    assert intent_of(world.conn, t) == ours == world.sim.thread_snapshot()[t]["replyIntent"]
