"""Compliance: which addresses a thread offers to suppress, local suppression through the outbox,
and the server's suppression answer cached for offline use."""

from __future__ import annotations

from o2d_inbox.outbox import compliance
from o2d_inbox.outbox import queue as outbox


def test_suppression_candidates_and_local_suppression(conn):
    conn.execute("INSERT INTO mailboxes (address, source) VALUES ('john@cooloutreach.com', 'config')")
    conn.execute(
        "INSERT INTO threads (id, prospect, mailbox, reply_intent) VALUES "
        "('u1', 'Sarah.Chen@Acme-Corp.com', 'john@cooloutreach.com', 'unsubscribe')"
    )
    conn.execute("INSERT INTO threads (id, last_from, needs_reply) VALUES ('u2', 'tom@initech.io', 1)")
    conn.execute("INSERT INTO threads (id, last_from, needs_reply) VALUES ('u3', 'john@cooloutreach.com', 0)")
    assert compliance.suppression_candidates(conn, "u1") == ["sarah.chen@acme-corp.com"]
    assert compliance.suppression_candidates(conn, "u2") == ["tom@initech.io"]
    assert compliance.suppression_candidates(conn, "u3") == []  # only us in it
    assert compliance.suppression_candidates(conn, "missing") == []

    assert not compliance.is_suppressed_locally(conn, "sarah.chen@acme-corp.com")
    item = outbox.queue_suppress(conn, ["sarah.chen@acme-corp.com"], "unsubscribe", thread_id="u1")
    assert compliance.is_suppressed_locally(conn, "SARAH.CHEN@acme-corp.com")
    assert compliance.suppression_candidates(conn, "u1") == []  # offered once
    assert "asked to be removed" in compliance.suppression_warning(conn, "sarah.chen@acme-corp.com")
    outbox.cancel(conn, item.id)
    assert not compliance.is_suppressed_locally(conn, "sarah.chen@acme-corp.com")
    assert compliance.suppression_warning(conn, "sarah.chen@acme-corp.com") is None


async def test_refresh_suppression_caches_the_servers_answer(conn, client):
    await client.add_suppressions(["gone@globex.com"], "unsubscribe", idempotency_key="k-1")
    state = await compliance.refresh_suppression(conn, client, "Gone@Globex.com", now=100.0)
    assert (state.email, state.suppressed, state.checked_at) == ("gone@globex.com", True, 100.0)
    assert (await compliance.refresh_suppression(conn, client, "ok@globex.com")).suppressed is False
    # offline afterwards: the cache answers
    assert compliance.is_suppressed(conn, "gone@globex.com")
    assert not compliance.is_suppressed(conn, "ok@globex.com")
    assert compliance.suppression_warning(conn, "gone@globex.com").startswith(
        "gone@globex.com is on the suppression list"
    )
    assert compliance.cached_suppression(conn, "nobody@x.com") is None
