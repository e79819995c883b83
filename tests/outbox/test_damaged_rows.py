"""Outbox rows the dispatcher cannot act on as stored (a damaged or hand-edited cache): each
ends failed or settled with a reason, and the server receives nothing it should not."""

from __future__ import annotations

from o2d_inbox.outbox import queue as ob


async def test_a_reply_or_intent_without_its_thread_fails_and_nothing_is_sent(world):
    target = world.thread_ids[0]
    reply = ob.queue_reply(world.conn, target, "hello", undo_seconds=0, now=world.clock())
    intent = ob.queue_intent(world.conn, target, "interested", undo_seconds=0, now=world.clock())
    world.conn.execute("UPDATE outbox SET thread_id = NULL")
    await world.dispatcher().run_once()
    for item in (reply, intent):
        after = ob.get(world.conn, item.id)
        assert after.state == "failed" and "names no thread" in after.last_error
    assert world.posts() == []


async def test_an_accepted_item_with_no_operation_to_poll_is_settled_as_sent(world):
    item = ob.queue_reply(world.conn, world.thread_ids[0], "hello", undo_seconds=0, now=world.clock())
    world.conn.execute(
        "UPDATE outbox SET state = 'accepted', operation_id = NULL, accepted_at = ? WHERE id = ?",
        (world.clock(), item.id),
    )
    before = len(world.sim.request_log)
    await world.dispatcher().run_once()
    assert ob.get(world.conn, item.id).state == "sent"
    assert world.sim.request_log[before:] == []  # no poll of an operation "None"
