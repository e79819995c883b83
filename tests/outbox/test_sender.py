"""Every reply and forward goes out from its thread's own mailbox, against a simulator that
requires a sender (400 invalid_from_mailbox without one) and a cache that knows no thread's
mailbox; what the server received is read from sim.sent_messages."""

from __future__ import annotations

import pytest

from o2d_inbox.api.errors import NetworkError
from o2d_inbox.api.models import ThreadMessages
from o2d_inbox.outbox import queue as ob


def mailbox_gets(w) -> list[str]:
    return [r[1] for r in w.sim.request_log if r[0] == "GET" and r[1].endswith("/messages")]


async def flush(w, **kwargs):
    d = w.dispatcher()
    try:
        return await d.flush(**kwargs)
    finally:
        d.close()


async def test_replies_and_forwards_go_from_their_threads_mailbox_learned_before_sending(make_world):
    w = make_world(require_sender=True)
    mailbox_of = w.sim.thread_mailboxes()
    threads = w.thread_ids[:20]
    items = [ob.queue_reply(w.conn, t, f"reply {n}", undo_seconds=0, now=w.clock()) for n, t in enumerate(threads)]
    items.append(ob.queue_forward(w.conn, threads[0], "boss@them.test", "fyi", undo_seconds=0, now=w.clock()))
    assert all(i.sender is None for i in items)  # the cache knows none of these mailboxes

    done = await flush(w, wait=True, timeout=120)

    assert [i.state for i in done] == ["sent"] * len(items)
    assert len(w.sim.sent_messages) == len(items)
    for m in w.sim.sent_messages:
        assert m["from_email"] == mailbox_of[m["thread_id"]], m
    assert len({m["from_email"] for m in w.sim.sent_messages}) > 1  # several SDRs: no single default fits
    # the sender is in the stored body the key went out with, exactly once each
    assert all(i.payload["fromMailboxAddress"] == mailbox_of[i.thread_id] for i in done)
    assert w.sim.deliveries == {i.idempotency_key: 1 for i in done}
    # learned once per thread (the forward used what the reply's lookup stored)
    assert len(mailbox_gets(w)) == len(threads)
    assert ob.thread_sender(w.conn, threads[0]) == mailbox_of[threads[0]]


async def test_unlearnable_mailbox_waits_visibly_and_is_sent_once_known(make_world, monkeypatch):
    w = make_world(require_sender=True)
    t = w.thread_ids[3]
    item = ob.queue_reply(w.conn, t, "hello", undo_seconds=0, now=w.clock())
    real = w.client.thread_messages

    async def says_nothing(thread_id):
        return ThreadMessages(messages=[])

    monkeypatch.setattr(w.client, "thread_messages", says_nothing)
    [held] = await flush(w)
    assert held.state == "scheduled" and held.attempts == 0
    assert held.waiting == "waiting for the thread's mailbox (the thread's messages do not name it)"
    assert held.idempotency_key == item.idempotency_key and held.next_attempt_at > w.clock()
    assert w.posts() == []  # never sent without a sender, nor from a guess

    monkeypatch.setattr(w.client, "thread_messages", real)
    [sent] = await flush(w, wait=True, timeout=60)
    assert sent.state == "sent" and sent.last_error is None and sent.waiting is None
    assert [m["from_email"] for m in w.sim.sent_messages] == [w.sim.thread_mailboxes()[t]]
    assert w.sim.deliveries == {item.idempotency_key: 1}


async def test_the_resolved_sender_is_stored_with_sending_so_a_resend_is_the_same_request(make_world):
    """The server performs the reply but the answer is lost: the re-send (same key) must be
    the same request, sender included, so the server replays it (a 409 would say otherwise)."""
    w = make_world(require_sender=True)
    t = w.thread_ids[5]
    mailbox = w.sim.thread_mailboxes()[t]
    item = ob.queue_reply(w.conn, t, "once", undo_seconds=0, now=w.clock())
    w.sim.faults.drop_after_rate = 1.0  # mutations only: performed, then the connection is cut
    d = w.dispatcher(max_attempts=None)
    w.client.max_retries = 0  # the client gives up at once: the dispatcher's re-send is tested
    with pytest.raises(NetworkError):  # nothing confirmed: the flush says offline
        await d.flush()
    cut = ob.get(w.conn, item.id)
    assert cut.state == "sending" and cut.payload["fromMailboxAddress"] == mailbox
    assert cut.idempotency_key == item.idempotency_key

    w.sim.faults.drop_after_rate = 0.0
    [sent] = await d.flush(wait=True, timeout=60)
    d.close()
    assert sent.state == "sent"
    assert [(r[2], r[3]) for r in w.posts()] == [(item.idempotency_key, 0), (item.idempotency_key, 200)]
    assert w.sim.deliveries == {item.idempotency_key: 1}
    assert [m["from_email"] for m in w.sim.sent_messages] == [mailbox]


async def test_a_refused_sender_fails_and_retry_sends_from_the_threads_mailbox(make_world):
    w = make_world(require_sender=True)
    t = w.thread_ids[1]
    item = ob.queue_reply(w.conn, t, "from a typo", from_mailbox="jhon@cooloutreach.com", undo_seconds=0, now=w.clock())
    [failed] = await flush(w)
    assert failed.state == "failed" and "fromMailboxAddress" not in failed.payload  # resolved again on retry
    assert "refused the sender jhon@cooloutreach.com" in failed.last_error
    assert failed.payload["bodyText"] == "from a typo"
    retried = ob.retry(w.conn, item.id)
    assert retried.idempotency_key != item.idempotency_key  # the old key got the server's "no"
    [sent] = await flush(w, wait=True, timeout=60)
    assert sent.state == "sent"
    assert [m["from_email"] for m in w.sim.sent_messages] == [w.sim.thread_mailboxes()[t]]


async def test_a_thread_the_server_does_not_have_fails_without_a_post(world):
    item = ob.queue_reply(world.conn, "thr_nope", "hello?", undo_seconds=0)
    [failed] = await flush(world)
    assert failed.state == "failed" and failed.attempts == 0 and "not found" in failed.last_error.lower()
    assert world.posts() == [] and failed.payload["bodyText"] == "hello?"
    assert ob.get(world.conn, item.id).idempotency_key == item.idempotency_key


async def test_a_stored_new_message_without_sender_fails_until_edited(make_world):
    """A row queued by an older version without fromMailboxAddress is never sent so: it
    fails with the way out, and `edit --from` sends it under a fresh key."""
    w = make_world(require_sender=True)
    draft = ob.save_draft(w.conn, "new", None, {"toAddress": "lead@them.test", "subject": "Hi", "bodyText": "Hello"})
    w.conn.execute("UPDATE outbox SET state = 'scheduled', send_after = 0 WHERE id = ?", (draft.id,))
    [failed] = await flush(w)
    assert failed.state == "failed" and f"outbox edit {draft.id} --from" in failed.last_error
    assert w.posts() == []
    mended = ob.edit(w.conn, draft.id, from_mailbox="emma@cooloutreach.co", now=w.clock())
    assert mended.state == "scheduled" and mended.idempotency_key != draft.idempotency_key
    [sent] = await flush(w, wait=True, timeout=60)
    assert sent.state == "sent"
    assert [m["from_email"] for m in w.sim.sent_messages] == ["emma@cooloutreach.co"]


async def test_the_strict_simulator_refuses_a_missing_or_foreign_sender(make_world):
    from o2d_inbox.api.errors import BadRequestError
    from o2d_inbox.api.models import ReplyRequest

    w = make_world(require_sender=True)
    t = w.thread_ids[0]
    for sender in (None, "someone@elsewhere.test"):
        try:
            await w.client.reply(
                t, ReplyRequest(bodyText="x", fromMailboxAddress=sender), idempotency_key=f"k-{sender}"
            )
        except BadRequestError as exc:
            assert exc.status == 400 and exc.code == "invalid_from_mailbox"
        else:
            raise AssertionError(f"accepted a reply from {sender!r}")
    assert w.sim.sent_messages == []


async def test_a_reply_refused_for_having_no_sender_succeeds_on_retry(make_world):
    """A reply sent without fromMailboxAddress (as earlier versions did) and refused 400:
    `outbox retry` resolves its sender when the request is built, so it goes through."""
    w = make_world(require_sender=True)
    t = w.thread_ids[2]
    item = ob.queue_reply(w.conn, t, "hello again", undo_seconds=0, now=w.clock())
    w.conn.execute(
        "UPDATE outbox SET state = 'failed', attempts = 1, last_error = ? WHERE id = ?",
        ("POST /threads/x/reply: HTTP 400 invalid_from_mailbox: fromMailboxAddress is required", item.id),
    )
    assert "fromMailboxAddress" not in ob.get(w.conn, item.id).payload
    ob.retry(w.conn, item.id)
    [sent] = await flush(w, wait=True, timeout=60)
    assert sent.state == "sent" and sent.payload["fromMailboxAddress"] == w.sim.thread_mailboxes()[t]
    assert [m["from_email"] for m in w.sim.sent_messages] == [w.sim.thread_mailboxes()[t]]
