"""stats_days (schema.py, kept by triggers) stays equal to a GROUP BY over the threads whoever
writes them: syncs (their own bulk and batched writes), local intent overrides, local states,
deletes and a re-sync; and the figures read from it equal the same figures counted row by
row over the threads."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from o2d_inbox.cache import local
from o2d_inbox.cache.schema import STATS_RECOUNT_SQL
from o2d_inbox.cache.stats import MAX_DAYS, NO_CAMPAIGN, StatsFilter, compute, day_label
from o2d_inbox.outbox import queue as ob

DAY = 86400
#: UTC, whole hours either side, half and quarter hours, both date-line edges
OFFSETS = (0, 3600, -5 * 3600, 19800, 20700, 8 * 3600, -12 * 3600, 14 * 3600)


def stats_days_are_right(conn) -> bool:
    """stats_days equals a recount from scratch (no empty bucket left behind)."""
    kept = {r[:5]: r[5] for r in conn.execute("SELECT * FROM stats_days")}
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS sd_check AS SELECT * FROM stats_days WHERE 0")
    conn.execute("DELETE FROM sd_check")
    conn.execute(STATS_RECOUNT_SQL.replace("INSERT INTO stats_days", "INSERT INTO sd_check", 1))
    fresh = {r[:5]: r[5] for r in conn.execute("SELECT * FROM sd_check")}
    return kept == fresh and sum(fresh.values()) == conn.execute("SELECT count(*) FROM threads").fetchone()[0]


def _in_buckets(f: StatsFilter, campaign, mailbox, intent) -> bool:
    """Whether a thread of this campaign, mailbox and intent is one ``f``'s buckets hold."""
    return (
        (f.campaign is None or campaign == (None if f.campaign == NO_CAMPAIGN else f.campaign))
        and (f.mailbox is None or mailbox == f.mailbox)
        and (f.intent is None or (intent or "unclassified") == f.intent)
    )


def _selected(conn, f: StatsFilter):
    """(campaign, mailbox, intent, last_ts) of the threads ``f`` selects, by reading every row."""
    for c, m, i, rel, ts in conn.execute("SELECT campaign_id, mailbox, reply_intent, relevant, last_ts FROM threads"):
        if (f.since is not None and ts < f.since) or (f.relevant and not rel):
            continue
        if _in_buckets(f, c, m, i):
            yield c, m, i, ts


def _brute(conn, f: StatsFilter) -> dict[tuple, int]:
    """(campaign, mailbox, intent) -> threads."""
    out: dict[tuple, int] = {}
    for c, m, i, _ in _selected(conn, f):
        key = (c or NO_CAMPAIGN, m, i or "unclassified")
        out[key] = out.get(key, 0) + 1
    return out


def _expected(brute: dict[tuple, int]) -> dict:
    by_intent: dict[str, int] = {}
    by_campaign: dict[str, dict[str, int]] = {}
    by_mailbox: dict[str, dict[str, int]] = {}
    for (c, m, i), n in brute.items():
        by_intent[i] = by_intent.get(i, 0) + n
        by_campaign.setdefault(c, {})[i] = by_campaign.get(c, {}).get(i, 0) + n
        if m is not None:
            by_mailbox.setdefault(m, {})[i] = by_mailbox.get(m, {}).get(i, 0) + n
    return {"intent": by_intent, "campaign": by_campaign, "mailbox": by_mailbox}


def _by_day(conn, f: StatsFilter, now: int, utc_offset: int) -> dict[str, dict[str, int]]:
    """Threads per local day and intent, row by row (the last MAX_DAYS days up to today)."""
    today = (now + utc_offset) // DAY
    out: dict[str, dict[str, int]] = {}
    for _, _, i, ts in _selected(conn, f):
        day = (ts + utc_offset) // DAY
        if today - MAX_DAYS < day <= today:
            per = out.setdefault(day_label(day), {})
            per[i or "unclassified"] = per.get(i or "unclassified", 0) + 1
    return out


def _oldest_waiting(conn, f: StatsFilter) -> tuple[str, int] | None:
    """The Needs-reply queue's head (relevant threads first on a tie), row by row."""
    best = None
    for tid, ts, c, m, i, rel, needs, done, snoozed in conn.execute(
        "SELECT id, last_ts, campaign_id, mailbox, reply_intent, relevant, needs_reply, local_done, "
        "local_snoozed_until FROM threads"
    ):
        if not needs or done or snoozed is not None or (f.relevant and not rel) or not _in_buckets(f, c, m, i):
            continue
        if best is None or (ts, -rel, tid) < best:
            best = (ts, -rel, tid)
    return (best[2], best[0]) if best else None


def _check_figures(conn, now: int) -> int:
    """Filters of each kind the cache has, all time and from the middle of a day: the figures
    (by_day at several UTC offsets) equal the row-by-row counts. Returns how many filters were compared."""
    campaigns = [r[0] or NO_CAMPAIGN for r in conn.execute("SELECT DISTINCT campaign_id FROM threads")]
    mailboxes = [r[0] for r in conn.execute("SELECT DISTINCT mailbox FROM threads WHERE mailbox IS NOT NULL")]
    intents = [r[0] or "unclassified" for r in conn.execute("SELECT DISTINCT reply_intent FROM threads")]
    newest = conn.execute("SELECT max(last_ts) FROM threads").fetchone()[0]
    filters = [StatsFilter()]
    for since in (None, newest - 2 * DAY - 3 * 3600, newest - 40 * DAY + 7):
        filters += [StatsFilter(since=since, relevant=True)]
        filters += [StatsFilter(since=since, campaign=c) for c in campaigns[:3]]
        filters += [StatsFilter(since=since, mailbox=m) for m in mailboxes[:2]]
        filters += [StatsFilter(since=since, intent=i) for i in intents[:3]]
        filters += [StatsFilter(since=since, campaign=campaigns[0], mailbox=mailboxes[0], relevant=True)]
    for f in filters:
        for utc_offset in OFFSETS:
            by_day = compute(conn, f, now=now, utc_offset=utc_offset).by_day
            assert list(by_day)[-1] == day_label((now + utc_offset) // DAY)
            assert {d: v for d, v in by_day.items() if v} == _by_day(conn, f, now, utc_offset), (f, utc_offset)
        stats = compute(conn, f, now=now)
        brute = _brute(conn, f)
        figures = {"intent": stats.by_intent, "campaign": stats.by_campaign, "mailbox": stats.by_mailbox}
        assert figures == _expected(brute), f
        assert stats.threads == sum(brute.values())
        r, oldest = stats.response, _oldest_waiting(conn, f)
        assert (r.oldest_waiting_thread, r.oldest_waiting_seconds) == (
            (oldest[0], now - oldest[1]) if oldest else (None, None)
        ), f
        interested = "SELECT count(*) FROM threads WHERE campaign_id = ? AND reply_intent = 'interested'"
        for c in stats.campaigns:
            assert c.interested_all_time == conn.execute(interested, (c.id,)).fetchone()[0]
    return len(filters)


async def test_stats_days_never_drift(engine, conn, sim):
    await engine.sync()
    assert stats_days_are_right(conn)
    now = int(sim.now().timestamp()) + 60
    assert _check_figures(conn, now) > 20

    # local intent overrides through the outbox, one of them undone, and local states
    ids = sim.thread_ids()
    ob.queue_intent(conn, ids[0], "interested", undo_seconds=0)
    ob.queue_intent(conn, ids[1], "unclassified", undo_seconds=0)
    undone = ob.queue_intent(conn, ids[2], "not_interested", undo_seconds=60)
    ob.undo(conn, undone.id)
    local.mark_done(conn, [ids[3], ids[4]])
    local.snooze(conn, ids[5], datetime.now(timezone.utc) + timedelta(days=1))
    assert stats_days_are_right(conn)

    # new replies move threads to another day; a new thread; a reclassification and a deletion
    # on the server, which the full re-sync brings
    sim.advance(3 * DAY)
    sim.add_inbound_reply(ids[10])
    sim.add_inbound_reply(ids[3])  # a done thread comes back (its local state changes too)
    sim.add_inbound_reply()
    await engine.sync()
    assert stats_days_are_right(conn)
    sim.set_intent_server_side(ids[20], "interested")
    sim.delete_thread(ids[21])
    await engine.sync(full=True)
    assert stats_days_are_right(conn)
    assert conn.execute("SELECT 1 FROM threads WHERE id = ?", (ids[21],)).fetchone() is None

    # any other writer: a mailbox learned, relevance, a row deleted and one inserted by hand
    conn.execute("UPDATE threads SET mailbox = 'new@ours.test' WHERE id = ?", (ids[30],))
    conn.execute("UPDATE threads SET relevant = 1 - relevant, last_ts = last_ts - 5 * 86400 WHERE id = ?", (ids[31],))
    conn.execute("DELETE FROM threads WHERE id = ?", (ids[32],))
    conn.execute("INSERT INTO threads (id, last_ts, needs_reply) VALUES ('local-only', 1700000000, 1)")
    assert stats_days_are_right(conn)
    assert _check_figures(conn, int(sim.now().timestamp()) + 60) > 20
    # and while a first sync's bulk load has the stats indexes dropped: slower, the same figures
    conn.execute("DROP INDEX ix_threads_stats_waiting")
    conn.execute("DROP INDEX ix_threads_stats_day")
    assert _check_figures(conn, int(sim.now().timestamp()) + 60) > 20


def test_a_window_starting_mid_day_counts_only_its_part_of_that_day(conn):
    """Threads of the same UTC day before and after ``since``: only the later ones count."""
    day = 19_700 * DAY
    conn.executemany(
        "INSERT INTO threads (id, last_ts, reply_intent, campaign_id, mailbox) VALUES (?, ?, ?, 'c1', 'me@ours.test')",
        [("early", day + 3600, "interested"), ("late", day + 20 * 3600, "interested"), ("next", day + DAY, None)],
    )
    stats = compute(conn, StatsFilter(since=day + 12 * 3600), now=day + 2 * DAY)
    assert stats.by_intent == {"interested": 1, "unclassified": 1}
    assert stats.by_campaign == {"c1": {"interested": 1, "unclassified": 1}}
    stats = compute(conn, StatsFilter(since=day), now=day + 2 * DAY)  # a whole day: the table alone
    assert stats.by_intent == {"interested": 2, "unclassified": 1}


def test_cache_check_recounts_them_when_a_trigger_was_lost(tmp_path):
    from o2d_inbox.cache.db import open_db
    from o2d_inbox.cache.repair import check

    conn = open_db(tmp_path / "cache.db")
    conn.execute("INSERT INTO threads (id, last_ts, reply_intent) VALUES ('a', 1700000000, 'interested')")
    conn.execute("DROP TRIGGER trg_stats_days_ins")
    conn.execute("INSERT INTO threads (id, last_ts, reply_intent) VALUES ('late', 1700000000, 'interested')")
    assert not stats_days_are_right(conn)
    assert check(conn).restored == ["trigger trg_stats_days_ins"]
    assert stats_days_are_right(conn)
    conn.execute("INSERT INTO threads (id, last_ts) VALUES ('after', 1700086400)")
    assert stats_days_are_right(conn)  # kept by the trigger again
    conn.close()
