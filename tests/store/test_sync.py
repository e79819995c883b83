"""The sync engine against the in-process simulator: what ends up in the cache."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from store_helpers import (cached_snapshot, counts_are_right, make_client, make_sim, search_index_whole,
                           search_triggers, thread_indexes)

from o2d_inbox.api.errors import NetworkError
from o2d_inbox.store import queries
from o2d_inbox.store.db import open_db
from o2d_inbox.store.search import search
from o2d_inbox.store import sync as sync_module
from o2d_inbox.store.writes import is_automated, mailbox_candidates
from o2d_inbox.store.sync import SyncEngine, SyncLocked


async def test_full_sync_equals_the_server(engine, conn, sim):
    result = await engine.sync()
    assert result.full and result.new == len(sim.thread_ids()) and result.removed == 0
    assert cached_snapshot(conn) == sim.thread_snapshot()
    assert counts_are_right(conn)
    # list order is the server's (newest first)
    ids = [r[0] for r in conn.execute("SELECT id FROM threads ORDER BY last_ts DESC, id DESC")]
    assert ids == sim.thread_ids()


async def test_incremental_picks_up_new_replies(engine, conn, sim):
    await engine.sync()
    some = sim.thread_ids()[40]
    conn.execute("UPDATE threads SET unread = 0")
    sim.add_inbound_reply(some)
    created = sim.add_inbound_reply()  # a new conversation
    result = await engine.sync()
    assert not result.full
    assert (result.new, result.changed, result.removed) == (1, 1, 0)
    assert cached_snapshot(conn) == sim.thread_snapshot()
    unread = {r[0] for r in conn.execute("SELECT id FROM threads WHERE unread = 1")}
    assert unread == {some, created}
    assert counts_are_right(conn)


async def test_intent_change_and_deletion_need_the_full_reconcile(engine, conn, sim):
    await engine.sync()
    changed, gone = sim.thread_ids()[5], sim.thread_ids()[7]
    before = sim.thread_snapshot()[changed]["replyIntent"]
    after = "not_interested" if before != "not_interested" else "interested"
    sim.set_intent_server_side(changed, after)
    sim.delete_thread(gone)

    quick = await engine.sync()  # updatedSince only reports new messages: neither shows
    assert not quick.full
    assert cached_snapshot(conn)[changed]["replyIntent"] == before
    assert gone in cached_snapshot(conn)

    full = await engine.sync(full=True)
    assert full.full and full.removed == 1 and full.changed >= 1
    assert cached_snapshot(conn) == sim.thread_snapshot()
    assert counts_are_right(conn)


async def test_a_reconcile_runs_by_itself_when_due(conn, client, sim):
    now = [1000.0]
    engine = SyncEngine(conn, client, page_limit=50, reconcile_every=timedelta(hours=1),
                        clock=lambda: now[0])
    await engine.sync()
    sim.delete_thread(sim.thread_ids()[3])
    assert not (await engine.sync()).full
    now[0] += 3601
    result = await engine.sync()
    assert result.full and result.removed == 1
    assert cached_snapshot(conn) == sim.thread_snapshot()


async def test_faults_on_the_wire_still_converge(tmp_path):
    sim = make_sim(threads=150, fail_rate=0.2, drop_rate=0.05, rate_limit_rate=0.05,
                   retry_after=0.01, latency=0.0005, latency_jitter=0.001, malformed_rate=0.03)
    conn = open_db(tmp_path / "faults.db")
    async with make_client(sim, max_retries=12) as client:
        engine = SyncEngine(conn, client, page_limit=20)
        result = await engine.sync(messages=True)
        for _ in range(3):  # a thread whose retries all failed is fetched by the next sync
            if not result.failed:
                break
            result = await engine.sync(messages=True)
        assert client.stats.retries > 0  # the faults really happened
    assert cached_snapshot(conn) == sim.thread_snapshot()
    stored = dict(conn.execute("SELECT thread_id, count(*) FROM messages GROUP BY thread_id").fetchall())
    assert stored == {t: s["message_count"] for t, s in sim.thread_snapshot().items()}
    assert counts_are_right(conn)
    conn.close()


@pytest.mark.parametrize("skew", [timedelta(hours=-7), timedelta(hours=9)])
async def test_a_skewed_client_clock_loses_nothing(tmp_path, skew):
    """The server's clock is hours away from ours: the watermark comes from its dates."""
    sim = make_sim(threads=80, clock=lambda: datetime.now(timezone.utc) + skew)
    conn = open_db(tmp_path / "skew.db")
    async with make_client(sim) as client:
        engine = SyncEngine(conn, client, page_limit=30)
        await engine.sync()
        sim.advance(30)
        replied = sim.add_inbound_reply(sim.thread_ids()[60])
        created = sim.add_inbound_reply()
        result = await engine.sync()
    assert not result.full and (result.new, result.changed) == (1, 1)
    assert cached_snapshot(conn) == sim.thread_snapshot()
    assert {replied, created} <= set(cached_snapshot(conn))
    conn.close()


class TamperingClient:
    """Passes everything through, but spoils the cursor of the N-th page request (the real
    server then answers 400 invalid_cursor, as after a server restart)."""

    def __init__(self, inner, spoil_at: int) -> None:
        self.inner, self.spoil_at, self.calls = inner, spoil_at, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    async def threads_page(self, **kw):
        self.calls += 1
        if self.calls == self.spoil_at and kw.get("cursor"):
            kw["cursor"] = kw["cursor"][:-3] + "xyz"
        return await self.inner.threads_page(**kw)


async def test_a_rejected_cursor_restarts_the_walk(conn, client, sim):
    tampering = TamperingClient(client, spoil_at=3)
    engine = SyncEngine(conn, tampering, page_limit=25)
    result = await engine.sync()
    assert result.full
    assert cached_snapshot(conn) == sim.thread_snapshot()
    pages = -(-len(sim.thread_ids()) // 25)
    assert tampering.calls >= pages + 3  # two pages, the rejected one, then a whole walk


class FlakyClient(TamperingClient):
    """Fails with a network error on the N-th page request (a crash mid-walk)."""

    async def threads_page(self, **kw):
        self.calls += 1
        if self.calls == self.spoil_at:
            raise NetworkError("connection refused")
        return await self.inner.threads_page(**kw)


async def test_an_interrupted_walk_resumes_where_it_stopped(conn, client, sim):
    flaky = FlakyClient(client, spoil_at=4)
    with pytest.raises(NetworkError):
        await SyncEngine(conn, flaky, page_limit=25).sync()
    assert conn.execute("SELECT count(*) FROM threads").fetchone()[0] == 75  # 3 committed pages
    sim.delete_thread(sim.thread_ids()[100])  # gone while we were away

    counting = TamperingClient(client, spoil_at=0)
    result = await SyncEngine(conn, counting, page_limit=25).sync()
    assert result.full and result.removed == 0
    pages = -(-len(sim.thread_ids()) // 25)
    assert counting.calls <= pages - 3 + 2  # the rest of the walk (+ the catch-up pass)
    assert cached_snapshot(conn) == sim.thread_snapshot()
    assert counts_are_right(conn)


class DroppingClient(TamperingClient):
    """Message fetches start ``spoil_at`` times, then the network is gone; ``fetched``
    counts the ones that completed (others in flight are cancelled by the failure)."""

    def __init__(self, inner, spoil_at: int) -> None:
        super().__init__(inner, spoil_at)
        self.started = self.fetched = 0

    async def thread_messages(self, thread_id):
        if self.started >= self.spoil_at:
            raise NetworkError("connection refused")
        self.started += 1
        tm = await self.inner.thread_messages(thread_id)
        self.fetched += 1
        return tm


async def test_messages_fetched_before_a_failure_are_kept(conn, client, sim):
    """Messages are stored in batches; a sync that fails midway still stores every thread
    whose messages arrived, and the next sync fetches only the rest."""
    await SyncEngine(conn, client, page_limit=25).sync()
    dropping = DroppingClient(client, spoil_at=30)
    with pytest.raises(NetworkError):
        await SyncEngine(conn, dropping, page_limit=25).sync(messages=True)
    fetched = conn.execute("SELECT count(*) FROM threads WHERE messages_fetched_count IS NOT NULL").fetchone()[0]
    probed = fetched - dropping.fetched
    assert dropping.fetched > 0 and 0 < probed <= 2 * sync_module.MAILBOX_PROBES  # (the first sync's probes)
    counting = DroppingClient(client, spoil_at=10**6)
    await SyncEngine(conn, counting, page_limit=25).sync(messages=True)
    assert counting.fetched == len(sim.thread_ids()) - fetched
    stored = dict(conn.execute("SELECT thread_id, count(*) FROM messages GROUP BY thread_id").fetchall())
    assert stored == {t: s["message_count"] for t, s in sim.thread_snapshot().items()}


async def test_a_pending_intent_override_wins_until_it_lands(engine, conn, sim):
    await engine.sync()
    tid = sim.thread_ids()[2]
    server = sim.thread_snapshot()[tid]["replyIntent"]
    mine = "interested" if server != "interested" else "neutral"
    conn.execute("UPDATE threads SET reply_intent = ? WHERE id = ?", (mine, tid))
    conn.execute("INSERT INTO outbox (kind, thread_id, state, idempotency_key, payload, created_at, "
                 "updated_at) VALUES ('intent', ?, 'sending', 'k1', '{}', 0, 0)", (tid,))
    await engine.sync(full=True)
    await engine.fetch_messages(tid)
    assert cached_snapshot(conn)[tid]["replyIntent"] == mine
    conn.execute("UPDATE outbox SET state = 'sent'")
    await engine.sync(full=True)
    assert cached_snapshot(conn)[tid]["replyIntent"] == server
    assert counts_are_right(conn)


async def test_one_writer_per_cache(engine, conn, client, tmp_path):
    other = SyncEngine(open_db(tmp_path / "cache.db"), client)
    other._lock.acquire()
    try:
        with pytest.raises(SyncLocked):
            await engine.sync()
    finally:
        other._lock.release()
    assert (await engine.sync()).full


async def test_messages_learn_our_mailboxes_and_who_waits(engine, conn, sim):
    result = await engine.sync(messages=True)
    assert result.messages == sum(s["message_count"] for s in sim.thread_snapshot().values())
    learned = {r[0] for r in conn.execute("SELECT address FROM mailboxes")}
    assert learned and learned <= set(sim.mailboxes)
    # needs_reply is exactly "the newest message came in from the other side"
    for tid, needs, mailbox in conn.execute("SELECT id, needs_reply, mailbox FROM threads"):
        last = conn.execute("SELECT is_incoming, from_email, to_emails FROM messages WHERE thread_id = ? "
                            "ORDER BY ts DESC, id DESC LIMIT 1", (tid,)).fetchone()
        # … from a person: a bounce (mailer-daemon) waits for nobody
        assert needs == (last[0] and not is_automated(last[1])), tid
        assert mailbox in sim.mailboxes
    assert counts_are_right(conn)


async def test_opened_threads_stay_current(engine, conn, sim):
    await engine.sync()
    tid = sim.thread_ids()[10]
    n = await engine.fetch_messages(tid)
    assert n == sim.thread_snapshot()[tid]["message_count"]
    cached = {r[0] for r in conn.execute("SELECT DISTINCT thread_id FROM messages")}
    sim.add_inbound_reply(tid)
    sim.add_inbound_reply(sim.thread_ids()[50])  # never opened: its messages stay unfetched
    result = await engine.sync()
    assert result.messages == n + 1  # only the opened thread's messages were fetched again
    assert conn.execute("SELECT count(*) FROM messages WHERE thread_id = ?", (tid,)).fetchone()[0] == n + 1
    assert {r[0] for r in conn.execute("SELECT DISTINCT thread_id FROM messages")} == cached


@pytest.mark.parametrize("early", [False, True])
async def test_a_threads_only_sync_learns_our_mailboxes(engine, conn, sim, monkeypatch, early):
    """Without --messages, a few probes teach the cache our addresses: threads whose last
    message is ours do not wait for a reply (probed after the walk, or early in a long one)."""
    if early:
        monkeypatch.setattr(sync_module, "EARLY_PROBE_AFTER", 50)
    await engine.sync()
    learned = {r[0] for r in conn.execute("SELECT address FROM mailboxes")}
    assert learned and learned <= set(sim.mailboxes)
    ours = set(sim.mailboxes)
    wrong = [(tid, last, needs) for tid, last, needs in conn.execute(
        "SELECT id, lower(last_from), needs_reply FROM threads WHERE relevant = 1")
        if needs != (last not in ours and not is_automated(last))]
    assert wrong == []
    fetched = conn.execute("SELECT count(*) FROM threads WHERE messages_fetched_count IS NOT NULL").fetchone()[0]
    assert 0 < fetched <= 2 * sync_module.MAILBOX_PROBES


def test_a_probed_sender_is_no_candidate_again(conn):
    """Probing a sender's thread settles whether it is ours: it is not probed at every walk."""
    from o2d_inbox.api.models import Thread
    from o2d_inbox.store.writes import transaction, upsert_threads

    senders = ["pat@prospect.io"] * 3 + ["kim@prospect.io"] * 2
    threads = [Thread.model_validate({"id": f"t{i}", "message_count": 1, "last_message": {
        "from_email": who, "date_received": f"2026-03-0{i + 1}T10:00:00Z"}}) for i, who in enumerate(senders)]
    with transaction(conn):
        upsert_threads(conn, threads, walk_gen=1, synced_at="2026-03-09T00:00:00Z")
    assert [a for a, _ in mailbox_candidates(conn)] == ["pat@prospect.io", "kim@prospect.io"]
    conn.execute("UPDATE threads SET messages_fetched_count = 1 WHERE id = 't1'")  # pat's, probed
    assert [a for a, _ in mailbox_candidates(conn)] == ["kim@prospect.io"]


async def test_a_first_sync_bulk_loads_and_search_finds_everything(engine, conn, sim):
    """The first walk fills an empty cache without the search triggers and indexes it once at
    the end: afterwards the index is whole and the triggers keep it so."""
    await engine.sync(messages=True)
    assert search_index_whole(conn)
    assert conn.execute("SELECT 1 FROM sync_state WHERE key = 'bulk_triggers'").fetchone() is None
    tid = sim.thread_ids()[3]
    sim.add_inbound_reply(tid)
    await engine.sync(full=True, messages=True)  # a reconcile of a full cache: triggers all along
    assert search_index_whole(conn)
    subject = conn.execute("SELECT subject_display FROM threads WHERE id = ?", (tid,)).fetchone()[0]
    assert tid in {r.id for r in search(conn, f'"{subject}"', limit=1000)}


async def test_an_interrupted_bulk_load_restores_search_and_indexes_when_resumed(conn, client, sim):
    """In-process, the server's work is this process's: the walk is CPU-bound from the start
    and turns into a bulk load after its first pages (sync.BULK_PROBE_PAGES)."""
    fresh_indexes = thread_indexes(conn)
    assert {"ix_threads_all", "ix_threads_needs_open", "ix_threads_mailbox"} <= fresh_indexes
    flaky = FlakyClient(client, spoil_at=2 + sync_module.BULK_PROBE_PAGES)
    with pytest.raises(NetworkError):
        await SyncEngine(conn, flaky, page_limit=25).sync()
    # mid-walk: bulk mode (no search triggers, no list indexes), recorded with the walk
    assert search_triggers(conn) == set() and thread_indexes(conn) == set()
    # ...and the lists still answer, in list order, by scanning
    cached = [r[0] for r in conn.execute("SELECT id FROM threads ORDER BY last_ts DESC, id DESC")]
    assert len(cached) == 25 * (1 + sync_module.BULK_PROBE_PAGES)
    assert [t.id for t in queries.rows(conn, queries.View("all", relevant=False), 0, 100)] == cached
    page = queries.rows(conn, queries.View("all", relevant=False), 10, 5)
    assert [t.id for t in page] == cached[10:15]
    assert queries.position(conn, queries.View("all", relevant=False), page[0]) == 10
    needs = queries.View("needs")
    assert queries.count(conn, needs) == len(queries.rows(conn, needs, 0, 100))
    await SyncEngine(conn, client, page_limit=25).fetch_messages(sim.thread_ids()[1])  # the TUI opens one
    await SyncEngine(conn, client, page_limit=25).sync()
    assert search_index_whole(conn)
    assert thread_indexes(conn) == fresh_indexes
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert cached_snapshot(conn) == sim.thread_snapshot()
    assert counts_are_right(conn)


async def test_against_a_slow_server_the_first_walk_stays_live(conn, client, sim):
    """While this process mostly waits for pages, keeping indexes and search current costs
    the walk nothing: no bulk load, and search finds threads while the first sync runs."""
    fresh_indexes = thread_indexes(conn)
    sim.faults.latency = 0.03
    flaky = FlakyClient(client, spoil_at=5)
    with pytest.raises(NetworkError):
        await SyncEngine(conn, flaky, page_limit=25).sync()
    assert conn.execute("SELECT count(*) FROM threads").fetchone()[0] == 100
    assert thread_indexes(conn) == fresh_indexes and search_index_whole(conn)
    assert conn.execute("SELECT 1 FROM sync_state WHERE key = 'bulk_triggers'").fetchone() is None
    subject = conn.execute("SELECT subject_display FROM threads LIMIT 1").fetchone()[0]
    assert search(conn, f'"{subject}"', limit=5)
    sim.faults.latency = 0.0
    await SyncEngine(conn, client, page_limit=25).sync()
    assert cached_snapshot(conn) == sim.thread_snapshot() and search_index_whole(conn)


async def test_a_walk_into_a_full_cache_keeps_its_triggers(engine, conn, client, sim):
    await engine.sync()
    flaky = FlakyClient(client, spoil_at=3)
    with pytest.raises(NetworkError):
        await SyncEngine(conn, flaky, page_limit=25).sync(full=True)
    assert search_index_whole(conn)
