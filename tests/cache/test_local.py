"""Local states (done / snoozed / note): what the queues and their counts show, undo, wake-up,
and that sync (incremental and full reconcile) keeps them while a new prospect message
brings a put-away thread back."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from o2d_inbox.cache import local, queries
from o2d_inbox.cache.local import LOCAL_OPEN_SQL
from tests.helpers import counts_are_right

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def _seed(conn, n: int = 6) -> list[str]:
    """n threads needing a reply (alternately 'neutral' / unclassified), one irrelevant."""
    rows = [(f"t{i}", 1000 + i, 1 if i else 0, 1, "neutral" if i % 2 else None) for i in range(n)]
    conn.executemany(
        "INSERT INTO threads (id, last_ts, relevant, needs_reply, reply_intent) VALUES (?, ?, ?, ?, ?)", rows
    )
    return [r[0] for r in rows]


def _counts(conn) -> dict[tuple[str, str], int]:
    return {(r[0], r[1]): r[3] for r in conn.execute("SELECT * FROM view_counts") if r[3]}


def _needs(conn) -> int:
    """The Needs reply count as the sidebar shows it (every thread, relevant or not)."""
    return queries.count(conn, queries.View("needs", relevant=False))


def _open_needs(conn) -> list[str]:
    """The needs queue as queries.py lists it once it adds LOCAL_OPEN_SQL (oldest first)."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT id FROM threads INDEXED BY ix_threads_needs_open WHERE needs_reply = 1 "
            f"AND relevant = 1 AND {LOCAL_OPEN_SQL} ORDER BY last_ts, id"
        )
    ]


def test_done_and_snooze_leave_needs_and_intent_queues_with_counts(conn):
    ids = _seed(conn)
    assert _needs(conn) == 6
    done = local.mark_done(conn, ids[1:3])
    assert done.thread_ids == ["t1", "t2"]
    snoozed = local.snooze(conn, ["t3", "missing"], T0 + timedelta(days=2))
    assert snoozed.thread_ids == ["t3"]  # unknown ids are ignored
    assert _open_needs(conn) == ["t4", "t5"]  # t0 is irrelevant
    c = _counts(conn)
    assert _needs(conn) == 3 and c[("all", "")] == 6
    assert ("needs", "") not in c  # counted on its index, never kept in view_counts
    assert c[("intent", "neutral")] == 1  # t5 (t1, t3 put away)
    assert c[("intent", "")] == 2  # t0, t4
    assert c[("done", "")] == 2 and c[("snoozed", "")] == 1
    assert counts_are_right(conn)
    assert local.get_local(conn, "t3").snoozed_until == T0 + timedelta(days=2)
    assert local.get_local(conn, "t1").done and local.get_local(conn, "nope") is None


def test_undo_restores_exact_previous_values(conn):
    _seed(conn)
    local.snooze(conn, ["t1"], T0)
    local.set_note(conn, "t1", "call after lunch")
    change = local.mark_done(conn, ["t1", "t2"])  # done clears t1's snooze
    assert local.get_local(conn, "t1") == local.LocalState(True, None, "call after lunch")
    local.set_note(conn, "t1", "edited later")  # not part of the change: undo keeps it
    assert local.undo_local(conn, change) == 2
    assert local.get_local(conn, "t1") == local.LocalState(False, T0, "edited later")
    assert local.get_local(conn, "t2") == local.LocalState(False, None, None)
    assert counts_are_right(conn)


def test_note_set_and_cleared(conn):
    _seed(conn, 2)
    local.set_note(conn, "t1", "  budget in Q3  \n")
    assert local.get_local(conn, "t1").note == "  budget in Q3"
    change = local.set_note(conn, "t1", "   ")
    assert local.get_local(conn, "t1").note is None
    local.undo_local(conn, change)
    assert local.get_local(conn, "t1").note == "  budget in Q3"


def test_wake_due_brings_expired_snoozes_back_unread(conn):
    _seed(conn)
    conn.execute("UPDATE threads SET unread = 0")
    local.snooze(conn, ["t1"], T0 + timedelta(hours=1))
    local.snooze(conn, ["t2"], T0 + timedelta(days=3))
    assert local.next_wake(conn) == T0 + timedelta(hours=1)
    assert local.wake_due(conn, T0) == 0
    assert local.wake_due(conn, T0 + timedelta(hours=2)) == 1
    assert "t1" in _open_needs(conn) and "t2" not in _open_needs(conn)
    assert conn.execute("SELECT unread FROM threads WHERE id = 't1'").fetchone()[0] == 1
    assert local.next_wake(conn) == T0 + timedelta(days=3)
    assert counts_are_right(conn)


def test_naive_datetime_refused(conn):
    _seed(conn, 2)
    with pytest.raises(ValueError):
        local.snooze(conn, ["t1"], datetime(2026, 1, 1))


def test_bulk_many_ids_one_transaction(conn):
    conn.executemany(
        "INSERT INTO threads (id, last_ts, needs_reply) VALUES (?, ?, 1)", [(f"b{i}", i) for i in range(1200)]
    )
    change = local.mark_done(conn, [f"b{i}" for i in range(1200)])
    assert len(change) == 1200 and _counts(conn)[("done", "")] == 1200
    assert _needs(conn) == 0
    local.undo_local(conn, change)
    assert _needs(conn) == 1200
    assert counts_are_right(conn)


def test_a_failed_bulk_write_changes_nothing(conn):
    _seed(conn)
    conn.execute(
        "CREATE TEMP TRIGGER boom BEFORE UPDATE OF local_done ON threads "
        "WHEN NEW.id = 't4' BEGIN SELECT RAISE(ABORT, 'boom'); END"
    )
    with pytest.raises(Exception, match="boom"):
        local.mark_done(conn, ["t1", "t4"])
    assert not local.get_local(conn, "t1").done
    assert counts_are_right(conn)


def test_deleting_a_put_away_thread_keeps_counts(conn):
    _seed(conn)
    local.mark_done(conn, ["t1"])
    local.snooze(conn, ["t2"], T0)
    conn.execute("DELETE FROM threads WHERE id IN ('t1', 't2')")
    assert counts_are_right(conn)
    assert ("done", "") not in _counts(conn)


def test_prospect_writing_again_brings_done_and_snoozed_back(conn):
    _seed(conn)
    local.mark_done(conn, ["t1"])
    local.snooze(conn, ["t2"], T0)
    local.mark_done(conn, ["t3"])
    conn.execute("UPDATE threads SET message_count = message_count + 1 WHERE id IN ('t1', 't2')")
    # our own reply grows t3 but leaves nothing to answer: it stays done
    conn.execute("UPDATE threads SET message_count = message_count + 1, needs_reply = 0 WHERE id = 't3'")
    assert local.get_local(conn, "t1") == local.LocalState(False, None, None)
    assert local.get_local(conn, "t2").snoozed_until is None
    assert local.get_local(conn, "t3").done
    assert counts_are_right(conn)


async def test_sync_and_full_reconcile_keep_local_states(engine, conn, sim):
    await engine.sync()
    ids = [
        r[0]
        for r in conn.execute(
            f"SELECT id FROM threads WHERE {queries.needs_reply_sql()} AND relevant = 1 ORDER BY last_ts LIMIT 4"
        )
    ]
    assert len(ids) == 4
    local.mark_done(conn, ids[:2])
    local.snooze(conn, [ids[2]], T0 + timedelta(days=30))
    local.set_note(conn, ids[3], "met at SaaStr")
    before = {tid: local.get_local(conn, tid) for tid in ids}
    needs_before = _needs(conn)

    await engine.sync(full=True)
    await engine.sync()
    assert {tid: local.get_local(conn, tid) for tid in ids} == before
    assert _needs(conn) == needs_before
    assert counts_are_right(conn)

    # the prospect writes again in a done thread: the next sync brings it back to needs reply
    sim.add_inbound_reply(ids[0])
    await engine.sync()
    assert local.get_local(conn, ids[0]).done is False
    assert local.get_local(conn, ids[1]).done is True
    assert _needs(conn) == needs_before + 1
    assert counts_are_right(conn)
    await engine.sync(full=True)
    assert counts_are_right(conn)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT rowid, last_ts, id FROM threads INDEXED BY ix_threads_needs_open WHERE needs_reply = ? "
        "AND relevant = ? AND reply_intent = 'neutral' AND {open} AND (last_ts, id) > (?, ?) ORDER BY last_ts, id",
        "SELECT rowid, last_ts, id FROM threads INDEXED BY ix_threads_intent_open WHERE reply_intent = ? "
        "AND relevant = ? AND {open} AND (last_ts, id) < (?, ?) ORDER BY last_ts DESC, id DESC",
    ],
)
def test_open_queue_pages_are_read_from_the_index_alone(conn, sql):
    """The page query queries.py runs with LOCAL_OPEN_SQL: one covering range, no sort."""
    plan = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql.format(open=LOCAL_OPEN_SQL), (1, 1, 0, ""))]
    assert len(plan) == 1 and "USING COVERING INDEX" in plan[0], plan


def test_change_summary_for_notices(conn):
    _seed(conn, 4)
    assert local.mark_done(conn, ["t1", "t2", "t3"]).summary == "3 threads marked done"
    assert local.snooze(conn, "t1", T0).summary == "1 thread snoozed"
