"""The sync's cache work runs on a writer thread (sync/writer.py): pages keep arriving while a
batch is written, the caller's connection reads meanwhile, and a write that fails ends the
sync with SQLite's own error and nothing committed after it."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import pytest

from o2d_inbox.cache import writes
from o2d_inbox.sync import engine as sync_module
from o2d_inbox.sync.engine import K_WALK, SyncEngine
from tests.helpers import cached_snapshot, counts_are_right


def page_requests(sim) -> int:
    return sum(1 for method, path, _, _ in sim.request_log if (method, path) == ("GET", "/threads"))


def wait_for(condition, tries: int = 2000) -> bool:
    """Polls ``condition`` from the writer thread (a bound on tries, not a speed limit)."""
    for _ in range(tries):
        if condition():
            return True
        time.sleep(0.005)
    return False


async def test_pages_keep_arriving_while_a_batch_is_written(conn, client, sim, monkeypatch):
    """The second batch's write is held inside its transaction: meanwhile the event loop
    receives and queues the next pages (three more requests), and the caller's connection
    (the TUI's) reads the first batch without waiting for the writer."""
    monkeypatch.setattr(sync_module, "COMMIT_THREADS", 25)  # a batch per page
    real = writes.upsert_threads
    loop_thread = threading.get_ident()
    seen: dict[str, object] = {}
    held, read = threading.Event(), threading.Event()

    def held_second_batch(c, threads, **kw):
        seen.setdefault("thread", threading.get_ident())
        if "requests" not in seen:
            seen["requests"] = 0
            return real(c, threads, **kw)
        if not held.is_set():
            held.set()
            # On the event loop's thread (no writer) nothing could arrive meanwhile.
            wait_for(lambda: page_requests(sim) >= 5)
            seen["requests"] = page_requests(sim)
            wait_for(read.is_set)
        return real(c, threads, **kw)

    monkeypatch.setattr(writes, "upsert_threads", held_second_batch)
    sync = asyncio.ensure_future(SyncEngine(conn, client, page_limit=25).sync())
    for _ in range(2000):
        if seen.get("requests"):
            break
        await asyncio.sleep(0.005)
    assert conn.execute("SELECT count(*) FROM threads").fetchone()[0] == 25  # the first batch, committed
    read.set()
    result = await sync
    assert seen["thread"] != loop_thread
    assert seen["requests"] >= 5  # pages 3 and 4 received and queued, page 5 in flight
    assert result.full and cached_snapshot(conn) == sim.thread_snapshot() and counts_are_right(conn)


async def test_a_failed_write_ends_the_sync_and_nothing_after_it_is_committed(conn, client, sim, monkeypatch):
    """The third batch cannot be written (the disk filled up): the sync ends with SQLite's
    error (cli.py names the file, exit 6), the walk's progress stays at the two batches that
    were committed, no later batch is written, and the next sync resumes from there."""
    monkeypatch.setattr(sync_module, "COMMIT_THREADS", 25)
    real, calls = writes.upsert_threads, []

    def full_at_the_third(c, threads, **kw):
        calls.append(len(threads))
        if len(calls) == 3:
            raise sqlite3.OperationalError("database or disk is full")
        return real(c, threads, **kw)

    monkeypatch.setattr(writes, "upsert_threads", full_at_the_third)
    with pytest.raises(sqlite3.OperationalError, match="disk is full"):
        await SyncEngine(conn, client, page_limit=25).sync()
    assert len(calls) == 3  # the batches queued after it were refused, not written
    cached = {r[0] for r in conn.execute("SELECT id FROM threads")}
    assert cached == set(sim.thread_ids()[:50])
    assert writes.get_json_state(conn, K_WALK)["threads"] == 50

    monkeypatch.setattr(writes, "upsert_threads", real)  # space freed
    result = await SyncEngine(conn, client, page_limit=25).sync()
    assert result.full and cached_snapshot(conn) == sim.thread_snapshot() and counts_are_right(conn)


async def test_the_writer_counts_only_the_time_its_caller_waited_for_it(tmp_path):
    """CacheWriter.waited is what the bulk load decides by (our writes setting the walk's
    pace): nothing while the queue has room, the wait for the oldest job once it is full,
    and the whole job when it runs inline (an in-memory cache)."""
    from o2d_inbox.cache.db import open_db
    from o2d_inbox.sync.writer import MAX_PENDING, CacheWriter

    conn = open_db(tmp_path / "cache.db")
    writer = CacheWriter.open(conn)
    release = threading.Event()
    try:
        for _ in range(MAX_PENDING):
            await writer.submit(lambda c: release.wait(30))
        assert not release.is_set()  # both queued and returned while the first still runs
        queued_only = writer.waited
        threading.Timer(0.05, release.set).start()
        await writer.submit(lambda c: None)  # the queue is full: waits until the first job ends
        assert release.is_set() and writer.waited > queued_only
    finally:
        release.set()
        await writer.close()
        conn.close()

    memory = open_db(":memory:")
    inline = CacheWriter.open(memory)
    await inline.submit(lambda c: time.sleep(0.01))
    assert inline.waited >= 0.01
    await inline.close()
    memory.close()


def stats_requests(sim) -> int:
    return sum(1 for method, path, _, _ in sim.request_log if method == "GET" and path.endswith("/stats"))


async def test_the_walks_end_runs_on_the_writer_while_campaign_stats_are_fetched(conn, client, sim, monkeypatch):
    """After a bulk load, building the list indexes and the search index takes the writer
    seconds: the campaigns' stats are requested meanwhile (held here until they all were),
    and written after it."""
    from tests.helpers import search_index_whole, thread_indexes

    monkeypatch.setattr(sync_module, "BULK_WAITED", 0.0)  # the writer counts as the slower side
    monkeypatch.setattr(sync_module, "COMMIT_THREADS", 10)
    fresh_indexes = thread_indexes(conn)
    real, seen = writes.bulk_end, {}

    def bulk_end(c, saved):
        seen["requests"] = wait_for(lambda: stats_requests(sim) == len(sim.campaigns)) and stats_requests(sim)
        seen["stored"] = conn.execute("SELECT count(*) FROM campaign_stats").fetchone()[0]
        real(c, saved)

    monkeypatch.setattr(writes, "bulk_end", bulk_end)
    result = await SyncEngine(conn, client, page_limit=10).sync()
    assert seen == {"requests": len(sim.campaigns), "stored": 0}
    assert result.full and not result.campaigns_failed
    rows = dict(conn.execute("SELECT campaign_id, sends_sent FROM campaign_stats").fetchall())
    assert rows == {c["id"]: sim.campaign_stats(sim.primary, c["id"])["sends"]["sent"] for c in sim.campaigns}
    assert thread_indexes(conn) == fresh_indexes and search_index_whole(conn)
    assert writes.get_json_state(conn, K_WALK) is None


async def test_a_key_rejected_after_the_last_page_still_ends_the_walk(conn, client, sim, monkeypatch):
    """The campaigns are asked for once every page is stored: a key revoked by then ends the
    sync with its error, and the walk's end (indexes, search, what was not seen) has run."""
    from o2d_inbox.api.errors import AuthError
    from tests.helpers import search_index_whole, thread_indexes

    monkeypatch.setattr(sync_module, "BULK_WAITED", 0.0)
    monkeypatch.setattr(sync_module, "COMMIT_THREADS", 10)
    fresh_indexes = thread_indexes(conn)

    async def revoked():
        raise AuthError("the API key was revoked", status=401)

    monkeypatch.setattr(client, "list_campaigns", revoked)
    with pytest.raises(AuthError):
        await SyncEngine(conn, client, page_limit=10).sync()
    assert writes.get_json_state(conn, K_WALK) is None and writes.get_state(conn, "bulk_triggers") is None
    assert thread_indexes(conn) == fresh_indexes and search_index_whole(conn)
    assert cached_snapshot(conn) == sim.thread_snapshot() and counts_are_right(conn)


async def test_a_walk_deletes_the_threads_it_did_not_see_with_their_messages(engine, conn, sim):
    from tests.helpers import search_index_whole

    await engine.sync(messages=True)
    gone = sim.thread_ids()[7]
    assert conn.execute("SELECT count(*) FROM messages WHERE thread_id = ?", (gone,)).fetchone()[0] > 0
    sim.delete_thread(gone)
    result = await engine.sync(full=True)
    assert result.removed == 1
    assert conn.execute("SELECT count(*) FROM messages WHERE thread_id = ?", (gone,)).fetchone()[0] == 0
    assert cached_snapshot(conn) == sim.thread_snapshot() and counts_are_right(conn) and search_index_whole(conn)


async def test_a_bulk_load_builds_search_where_fts5_refuses_its_memory_setting(conn, client, sim, monkeypatch):
    """The search index is rebuilt with more of FTS5's terms held in memory (writes.FTS_HASH_BYTES);
    an FTS5 that refuses the setting (here: a value it rejects) builds it as it would anyway."""
    from tests.helpers import search_index_whole

    monkeypatch.setattr(sync_module, "BULK_WAITED", 0.0)
    monkeypatch.setattr(sync_module, "COMMIT_THREADS", 25)
    monkeypatch.setattr(writes, "FTS_HASH_BYTES", 0)
    result = await SyncEngine(conn, client, page_limit=25).sync()
    assert result.full and search_index_whole(conn) and cached_snapshot(conn) == sim.thread_snapshot()
    assert writes.get_state(conn, "bulk_triggers") is None
