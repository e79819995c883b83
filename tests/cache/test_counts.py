"""view_counts stay right whoever writes threads: the sync's own deltas or the triggers."""

from __future__ import annotations

from o2d_inbox.cache import writes
from o2d_inbox.cache.schema import COUNTS_BY_WRITER_KEY
from tests.helpers import counts_are_right


async def test_counts_follow_every_writer(engine, conn, sim):
    await engine.sync()
    assert counts_are_right(conn)
    assert writes.get_state(conn, COUNTS_BY_WRITER_KEY) is None  # never left behind
    before = dict(((r[0], r[1]), r[3]) for r in conn.execute("SELECT * FROM view_counts"))

    # another writer (the outbox's optimistic intent change, a TUI edit): the triggers count
    tid = sim.thread_ids()[0]
    conn.execute("UPDATE threads SET reply_intent = 'interested-elsewhere' WHERE id = ?", (tid,))
    assert counts_are_right(conn)
    assert (
        conn.execute(
            "SELECT full_count FROM view_counts WHERE kind = 'intent' AND key = 'interested-elsewhere'"
        ).fetchone()[0]
        == 1
    )
    conn.execute("DELETE FROM threads WHERE id = ?", (sim.thread_ids()[1],))
    conn.execute("INSERT INTO threads (id, relevant, needs_reply, mailbox) VALUES ('local', 1, 1, 'me@x')")
    assert counts_are_right(conn)

    # and the next sync (its own deltas) puts the server's truth back, counts included
    await engine.sync(full=True)
    assert counts_are_right(conn)
    after = dict(((r[0], r[1]), r[3]) for r in conn.execute("SELECT * FROM view_counts") if r[3])
    assert after == {k: v for k, v in before.items() if v}


def test_refresh_counts_rebuilds_from_scratch(conn):
    conn.execute("INSERT INTO threads (id, relevant, needs_reply, reply_intent) VALUES ('a', 1, 1, 'neutral')")
    conn.execute("UPDATE view_counts SET full_count = 99")
    assert not counts_are_right(conn)
    with writes.transaction(conn):
        writes.refresh_counts(conn)
    assert counts_are_right(conn)
