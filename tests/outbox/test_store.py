"""The outbox state machine, without a network: what is stored, what undo/cancel/retry do."""

from __future__ import annotations

import uuid

import pytest

from o2d_inbox.cache.db import open_db
from o2d_inbox.outbox import queue as ob


def intent_of(conn, thread_id):
    return conn.execute("SELECT reply_intent FROM threads WHERE id = ?", (thread_id,)).fetchone()[0]


def test_reply_is_stored_with_key_payload_and_undo_window(conn, clock):
    item = ob.queue_reply(conn, "thr_1", "Thanks <Bob>!\n\nTalk soon", undo_seconds=10, now=clock())
    assert item.state == "scheduled" and item.kind == "reply" and item.thread_id == "thr_1"
    assert uuid.UUID(item.idempotency_key).version == 4
    assert item.send_after == clock() + 10 and item.attempts == 0
    assert item.payload == {
        "bodyText": "Thanks <Bob>!\n\nTalk soon",
        "bodyHtml": "<p>Thanks &lt;Bob&gt;!</p>\n<p>Talk soon</p>",
        "fromMailboxAddress": "john@ours.test",  # the thread's own mailbox
    }
    # durable: another connection to the same file sees the committed row
    other = open_db(conn.execute("PRAGMA database_list").fetchone()["file"])
    assert ob.get(other, item.id) == item
    other.close()


def test_sender_precedence(conn, clock):
    """A reply goes from the user's choice, else its thread's mailbox; never the config's
    default. A new message from --from, else the default, else it is refused."""
    explicit = ob.queue_reply(conn, "thr_1", "x", from_mailbox="me@ours.test")
    assert explicit.payload["fromMailboxAddress"] == "me@ours.test"
    own = ob.queue_reply(conn, "thr_1", "x")
    assert own.payload["fromMailboxAddress"] == "john@ours.test"
    unknown = ob.queue_reply(conn, "thr_2", "x")  # thread mailbox unknown: learned before sending
    assert "fromMailboxAddress" not in unknown.payload and unknown.sender is None
    fwd = ob.queue_forward(conn, "thr_2", "boss@ours.test", "fyi")
    assert fwd.sender is None
    assert len({explicit.idempotency_key, own.idempotency_key, unknown.idempotency_key}) == 3

    assert (
        ob.queue_new(conn, "a@them.test", "S", "B", from_mailbox="me@ours.test", default_from="cfg@ours.test").sender
        == "me@ours.test"
    )
    assert ob.queue_new(conn, "a@them.test", "S", "B", default_from="cfg@ours.test").sender == "cfg@ours.test"
    before = ob.counts(conn)["scheduled"]
    with pytest.raises(ob.OutboxRefused, match=r"needs a sender.*no mailbox is known"):
        ob.queue_new(conn, "a@them.test", "S", "B")
    conn.executemany(
        "INSERT INTO mailboxes (address, source) VALUES (?, 'messages')", [("john@ours.test",), ("sarah@ours.test",)]
    )
    with pytest.raises(ob.OutboxRefused) as refused:
        ob.queue_new(conn, "a@them.test", "S", "B")
    assert "known mailboxes: john@ours.test, sarah@ours.test" in str(refused.value)
    assert "\n" not in str(refused.value)
    assert ob.counts(conn)["scheduled"] == before


def test_edit_gives_a_fresh_key_and_requeues_a_failed_item(conn, clock):
    item = ob.queue_reply(conn, "thr_2", "helo", undo_seconds=0, now=clock())
    conn.execute(
        "UPDATE outbox SET state = 'failed', last_error = 'the server said no', attempts = 1 WHERE id = ?", (item.id,)
    )
    clock.advance(60)
    mended = ob.edit(conn, item.id, body_text="hello", from_mailbox="sarah@ours.test", now=clock())
    assert mended.state == "scheduled" and mended.send_after == clock() and mended.last_error is None
    assert mended.idempotency_key != item.idempotency_key and mended.attempts == 0
    assert mended.payload == {"bodyText": "hello", "bodyHtml": "<p>hello</p>", "fromMailboxAddress": "sarah@ours.test"}
    assert ob.edit(conn, item.id, now=clock()) == mended  # nothing to change: unchanged, same key
    draft = ob.save_draft(conn, "reply", "thr_1", {"bodyText": "d"})
    assert ob.edit(conn, draft.id, body_text="dd").state == "draft"

    intent = ob.queue_intent(conn, "thr_1", "neutral")
    for bad, why in (
        (dict(item_id=intent.id, body_text="x"), "only a reply"),
        (dict(item_id=item.id, body_text=" \n"), "empty"),
        (dict(item_id=item.id, from_mailbox="nobody"), "not a mailbox"),
        (dict(item_id=999, body_text="x"), "no outbox item"),
    ):
        with pytest.raises(ob.OutboxRefused, match=why):
            ob.edit(conn, **bad)
    conn.execute("UPDATE outbox SET state = 'accepted' WHERE id = ?", (item.id,))
    with pytest.raises(ob.OutboxRefused, match="accepted"):
        ob.edit(conn, item.id, body_text="too late")
    assert ob.get(conn, item.id).payload["bodyText"] == "hello"
    assert ob.reopen(conn, item.id) is None and ob.reopen(conn, intent.id) is None  # only failed messages


def test_reopen_turns_a_failed_message_into_a_draft_with_a_fresh_key(conn):
    item = ob.queue_forward(conn, "thr_1", "boss@ours.test", "fyi", undo_seconds=0)
    conn.execute("UPDATE outbox SET state = 'failed', attempts = 2, last_error = 'no' WHERE id = ?", (item.id,))
    draft = ob.reopen(conn, item.id)
    assert (draft.state, draft.attempts, draft.last_error, draft.payload) == ("draft", 0, None, item.payload)
    assert draft.idempotency_key != item.idempotency_key


def test_reply_to_unsubscribed_needs_force_and_empty_body_is_refused(conn):
    with pytest.raises(ob.OutboxRefused, match="unsubscribe"):
        ob.queue_reply(conn, "thr_unsub", "one more thing")
    assert ob.counts(conn)["scheduled"] == 0
    assert ob.queue_reply(conn, "thr_unsub", "sorry", force=True).state == "scheduled"
    with pytest.raises(ob.OutboxRefused, match="empty"):
        ob.queue_reply(conn, "thr_1", " \n ")


def test_forward_and_new_payloads(conn):
    fwd = ob.queue_forward(conn, "thr_1", "boss@ours.test")
    assert fwd.payload == {"toAddress": "boss@ours.test", "fromMailboxAddress": "john@ours.test"}
    new = ob.queue_new(conn, "x@them.test", "Hi\nthere", "Body", default_from="cfg@ours.test")
    assert new.thread_id is None
    assert new.payload == {
        "toAddress": "x@them.test",
        "subject": "Hi there",
        "bodyText": "Body",
        "bodyHtml": "<p>Body</p>",
        "fromMailboxAddress": "cfg@ours.test",
    }


def test_undo_message_back_to_draft_then_edit_and_schedule(conn, clock):
    item = ob.queue_reply(conn, "thr_1", "first", undo_seconds=10, now=clock())
    clock.advance(3)
    draft = ob.undo(conn, item.id, now=clock())
    assert draft.state == "draft" and draft.send_after is None
    edited = ob.save_draft(conn, "reply", "thr_1", {"bodyText": "second"}, draft_id=item.id)
    assert edited.payload["bodyHtml"] == "<p>second</p>"
    assert edited.idempotency_key != item.idempotency_key  # a key belongs to one body
    again = ob.schedule_draft(conn, item.id, 10, now=clock())
    assert again.state == "scheduled" and again.send_after == clock() + 10
    # too late once the dispatcher took it
    conn.execute("UPDATE outbox SET state = 'sending' WHERE id = ?", (item.id,))
    assert ob.undo(conn, item.id) is None and ob.cancel(conn, item.id) is None
    assert ob.get(conn, item.id).state == "sending"


def test_intent_is_optimistic_and_undo_reverts(conn, clock):
    item = ob.queue_intent(conn, "thr_1", "not_interested", now=clock())
    assert intent_of(conn, "thr_1") == "not_interested"
    assert item.prev_value == "interested" and item.payload == {"replyIntent": "not_interested"}
    undone = ob.undo(conn, item.id, now=clock())
    assert undone.state == "cancelled"
    assert intent_of(conn, "thr_1") == "interested"


def test_changing_intent_twice_in_the_window_sends_one_and_undo_goes_to_the_original(conn):
    first = ob.queue_intent(conn, "thr_2", "neutral")
    second = ob.queue_intent(conn, "thr_2", "interested")
    assert ob.get(conn, first.id).state == "cancelled"
    assert second.prev_value is None  # the server's value before both (unclassified)
    assert [i.id for i in ob.list_items(conn, ["scheduled"])] == [second.id]
    ob.undo(conn, second.id)
    assert intent_of(conn, "thr_2") is None


def test_revert_never_clobbers_a_newer_value(conn):
    item = ob.queue_intent(conn, "thr_1", "neutral")
    conn.execute("UPDATE threads SET reply_intent = 'bounced' WHERE id = 'thr_1'")
    ob.cancel(conn, item.id)
    assert intent_of(conn, "thr_1") == "bounced"


def test_retry_keys(conn):
    rejected = ob.queue_reply(conn, "thr_1", "a")
    gave_up = ob.queue_reply(conn, "thr_2", "b")
    conn.execute("UPDATE outbox SET state='failed', attempts=3, last_error='400: bad' WHERE id=?", (rejected.id,))
    conn.execute(
        "UPDATE outbox SET state='failed', attempts=9, last_error=? WHERE id=?",
        (ob.GAVE_UP_PREFIX + " 9 attempts: timeout", gave_up.id),
    )
    r1, r2 = ob.retry(conn, rejected.id), ob.retry(conn, gave_up.id)
    assert r1.state == r2.state == "scheduled" and r1.attempts == 0 and r1.last_error is None
    assert r1.idempotency_key != rejected.idempotency_key  # the server said no: the key is spent
    assert r2.idempotency_key == gave_up.idempotency_key  # maybe performed: keep the key
    assert ob.retry(conn, r1.id) is None  # only failed items


def test_retry_of_failed_intent_reapplies_it(conn):
    item = ob.queue_intent(conn, "thr_1", "neutral")
    conn.execute("UPDATE outbox SET state='failed', last_error='404' WHERE id=?", (item.id,))
    conn.execute("UPDATE threads SET reply_intent='interested' WHERE id='thr_1'")  # reverted
    ob.retry(conn, item.id)
    assert intent_of(conn, "thr_1") == "neutral"


def test_listing_pending_and_counts(conn):
    a = ob.queue_reply(conn, "thr_1", "a")
    b = ob.queue_intent(conn, "thr_1", "neutral")
    c = ob.queue_reply(conn, "thr_2", "c")
    ob.cancel(conn, c.id)
    d = ob.save_draft(conn, "reply", "thr_1", {"bodyText": "draft"})
    assert [i.id for i in ob.pending_for_thread(conn, "thr_1")] == [a.id, b.id, d.id]
    assert ob.pending_for_thread(conn, "thr_2") == []
    assert ob.counts(conn) == {
        "draft": 1,
        "scheduled": 2,
        "sending": 0,
        "accepted": 0,
        "sent": 0,
        "failed": 0,
        "cancelled": 1,
    }
    assert [i.id for i in ob.list_items(conn)] == [a.id, b.id, c.id, d.id]


def test_a_failed_transaction_leaves_nothing(conn, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ob, "_insert", boom)
    with pytest.raises(RuntimeError):
        ob.queue_intent(conn, "thr_1", "neutral")
    assert intent_of(conn, "thr_1") == "interested" and ob.list_items(conn) == []


def test_view_counts_follow_the_optimistic_intent(conn):
    def count(intent):
        row = conn.execute("SELECT full_count FROM view_counts WHERE kind='intent' AND key=?", (intent,)).fetchone()
        return row[0] if row else 0

    before = count("interested"), count("neutral")
    item = ob.queue_intent(conn, "thr_1", "neutral")
    assert (count("interested"), count("neutral")) == (before[0] - 1, before[1] + 1)
    ob.undo(conn, item.id)
    assert (count("interested"), count("neutral")) == before
