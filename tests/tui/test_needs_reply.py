"""Needs reply holds what a reply is for, on a simulator world synced into a file cache.

The definition (cache/queries.py needs_reply_sql) is checked against the obvious Python one;
the queue, its sidebar count and `o2d-inbox threads --needs-reply` (run as a user runs it)
agree; a thread with a reply queued leaves at once, and comes back when the reply is undone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone

from o2d_inbox.cache import local
from o2d_inbox.cache import queries as q
from o2d_inbox.cache.db import open_db
from o2d_inbox.outbox import queue as outbox
from o2d_inbox.sync.engine import SyncEngine
from tests.helpers import make_client, make_sim

REPLY_WORTHY = ("interested", "neutral", None)


def _obvious(conn, *, relevant: bool) -> list[str]:
    """Needs reply the slow, obvious way: interested first, then the oldest wait."""
    replied = {
        r[0]
        for r in conn.execute(
            "SELECT thread_id FROM outbox WHERE kind = 'reply'"
            " AND state IN ('scheduled', 'sending', 'accepted', 'sent')"
        )
    }
    found = [q.thread(conn, r[0]) for r in conn.execute("SELECT id FROM threads")]
    keep = [
        t
        for t in found
        if t.needs_reply
        and t.reply_intent in REPLY_WORTHY
        and not t.local_done
        and t.local_snoozed_until is None
        and t.id not in replied
        and (t.relevant or not relevant)
    ]
    keep.sort(key=lambda t: (REPLY_WORTHY.index(t.reply_intent), t.last_ts, t.id))
    return [t.id for t in keep]


def _cli(conn_path, *args: str) -> subprocess.CompletedProcess:
    home = conn_path.parent / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("O2D_INBOX_", "OUTREACH2DAY_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "cfg"),
        XDG_DATA_HOME=str(home / "data"),
        O2D_INBOX_CACHE=str(conn_path),
        COLUMNS="160",
    )
    return subprocess.run(
        [sys.executable, "-m", "o2d_inbox", "threads", *args], env=env, capture_output=True, text=True, timeout=60
    )


def _listed(conn, view) -> list[str]:
    return [t.id for t in q.rows(conn, view, 0, 100_000)]


async def test_needs_reply_is_what_a_reply_is_for_and_the_cli_lists_the_same(tmp_path):
    path = tmp_path / "cache.db"
    conn = open_db(path)
    client = make_client(make_sim())
    try:
        await SyncEngine(conn, client, page_limit=50).sync()
        _check_world(conn, path)
    finally:
        await client.aclose()
        conn.close()


def _check_world(conn, path) -> None:
    intents = {r[0] for r in conn.execute("SELECT reply_intent FROM threads WHERE needs_reply = 1")}
    assert {"interested", "out_of_office", "not_interested"} <= intents, "the world must hold each kind"

    needs = _listed(conn, q.View("needs"))
    assert needs == _obvious(conn, relevant=True) and needs
    rows = {t.id: t for t in q.rows(conn, q.View("needs"), 0, 100_000)}
    assert {t.reply_intent for t in rows.values()} <= set(REPLY_WORTHY)
    first_other = next(i for i, tid in enumerate(needs) if rows[tid].reply_intent != "interested")
    assert all(rows[tid].reply_intent == "interested" for tid in needs[:first_other])

    # put one away, reply to another: both leave the queue at once, the counts follow
    done, replied = needs[0], needs[1]
    local.mark_done(conn, done)
    item = outbox.queue_reply(conn, replied, "Thanks, Tuesday works.", undo_seconds=10, force=True)
    after = _listed(conn, q.View("needs"))
    assert done not in after and replied not in after and after == _obvious(conn, relevant=True)
    for relevant in (True, False):
        view = q.View("needs", relevant=relevant)
        assert q.sidebar_counts(conn, relevant)[("needs", None)] == q.count(conn, view) == len(_listed(conn, view))

    # `threads --needs-reply` lists exactly the queue, in its order
    for flags, view in ((("--relevant",), q.View("needs")), ((), q.View("needs", relevant=False))):
        done_cli = _cli(path, "--needs-reply", *flags, "--json")
        assert done_cli.returncode == 0, done_cli.stderr
        assert [json.loads(line)["id"] for line in done_cli.stdout.splitlines()] == _listed(conn, view)

    # undone within the undo window: the reply is a draft again, the thread waits again
    outbox.undo(conn, item.id)
    assert replied in _listed(conn, q.View("needs"))


def test_a_reply_before_the_prospects_last_message_does_not_hide_the_thread(cache):
    """ "Since the prospect's last message": an older reply does not answer a newer message."""
    tid = _listed(cache, q.View("needs"))[0]
    last_ts = q.thread(cache, tid).last_ts
    outbox.queue_reply(cache, tid, "Earlier answer", undo_seconds=0, now=last_ts - 3600, force=True)
    assert tid in _listed(cache, q.View("needs"))
    outbox.queue_reply(cache, tid, "Answer", undo_seconds=0, now=last_ts + 60, force=True)
    assert tid not in _listed(cache, q.View("needs"))


def test_each_sort_lists_the_same_threads_in_its_order(cache):
    by = {s: q.rows(cache, q.View("needs", sort=s), 0, 100_000) for s in q.SORTS}
    assert {t.id for t in by["oldest"]} == {t.id for t in by["newest"]} == {t.id for t in by["intent"]}
    assert [t.key for t in by["oldest"]] == sorted(t.key for t in by["oldest"])
    assert [t.key for t in by["newest"]] == sorted((t.key for t in by["newest"]), reverse=True)
    assert [t.id for t in by["intent"]] == [t.id for t in q.rows(cache, q.View("needs"), 0, 100_000)]
    everything = q.rows(cache, q.View("all", relevant=False, sort="intent"), 0, 100_000)
    order = [*q.INTENT_ORDER]
    ranks = [order.index(t.reply_intent) if t.reply_intent in order else len(order) for t in everything]
    assert ranks == sorted(ranks) and len(set(ranks)) > 3
    assert len(everything) == q.count(cache, q.View("all", relevant=False))


def test_snoozed_lists_the_soonest_wake_first(cache):
    ids = [r[0] for r in cache.execute("SELECT id FROM threads ORDER BY id LIMIT 5")]
    for n, tid in enumerate(ids):  # later threads wake sooner
        local.snooze(cache, tid, datetime(2026, 7, 10 - n, tzinfo=timezone.utc))
    listed = [t.id for t in q.rows(cache, q.View("snoozed", relevant=False), 0, 10)]
    assert listed == ids[::-1]
    snoozed = q.View("snoozed", relevant=False)
    first = q.rows(cache, snoozed, 0, 2)
    paged = first + q.rows(cache, snoozed, 2, 3, after=first[-1].key)
    assert [t.id for t in paged] == listed
    assert q.position(cache, q.View("snoozed", relevant=False), q.thread(cache, ids[0])) == 4


def test_needs_reply_plans_are_covering_index_ranges(cache):
    """Each intent of Needs reply is one range of the open-queue index (migration 13): the
    list never reads a row it does not show, the count never reads the table."""
    for view in (q.View("needs"), q.View("needs", relevant=False), q.View("needs", sort="newest")):
        sql, params = q._ordered_keys_sql(cache, view, None)
        plan = " | ".join(r[3] for r in cache.execute(f"EXPLAIN QUERY PLAN {sql} LIMIT 50", params))
        assert "TEMP B-TREE" not in plan, plan
        assert plan.count("COVERING INDEX ix_threads_needs_open (needs_reply=? AND relevant=? AND reply_intent") == (
            3 if view.relevant else 6
        ), plan


def test_the_count_reads_the_replied_threads_from_the_outbox_side(cache):
    """Needs reply's count: waiting threads on the index, less the replied ones looked up by rowid
    (never one outbox probe per waiting thread)."""
    for _, where, params in q._ranges(q.View("needs"), None, replied=True):
        plan = " | ".join(
            r[3]
            for r in cache.execute(f"EXPLAIN QUERY PLAN SELECT COUNT(*) FROM threads NOT INDEXED WHERE {where}", params)
        )
        assert "SEARCH threads USING INTEGER PRIMARY KEY (rowid=?)" in plan and "SCAN" not in plan, plan
