"""The cache file itself: private modes, durable commits, local faults named, self-repair."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from datetime import datetime, timedelta, timezone

import pytest

from o2d_inbox.cache import local
from o2d_inbox.cache.db import CacheError, cache_error, open_db, transaction
from o2d_inbox.cache.lock import SyncLocked, WriterLock
from o2d_inbox.cache.repair import check, rebuild
from o2d_inbox.cache.schema import SCHEMA_VERSION
from o2d_inbox.cache.search import search, search_index_ok
from o2d_inbox.outbox import queue as ob
from tests.helpers import damage_table, make_read_only


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask_022():
    """The usual umask, under which SQLite on its own makes 0644 files and mkdir 0755."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def seed(conn, n: int = 3) -> None:
    conn.executemany(
        "INSERT INTO threads (id, subject, mailbox, prospect, last_ts) VALUES (?, ?, ?, ?, ?)",
        [(f"thr_{i}", f"Subject {i}", "me@ours.test", f"p{i}@them.test", 1_700_000_000 + i) for i in range(n)],
    )


# --- modes, durability ------------------------------------------------------------------------


def test_a_new_cache_its_wal_and_shm_and_its_new_folders_are_private(tmp_path, umask_022):
    path = tmp_path / "data" / "caches" / "cache.db"
    conn = open_db(path)
    seed(conn)  # a write, so the -wal and -shm exist while the connection is open
    assert {mode(path), mode(f"{path}-wal"), mode(f"{path}-shm")} == {0o600}
    assert mode(tmp_path / "data") == mode(tmp_path / "data" / "caches") == 0o700
    conn.close()


def test_an_older_world_readable_cache_and_side_files_are_tightened(tmp_path, umask_022):
    folder = tmp_path / "chosen"
    folder.mkdir(mode=0o755)
    path = folder / "cache.db"
    old = sqlite3.connect(path)
    old.execute("PRAGMA journal_mode=WAL")
    old.execute("CREATE TABLE t (x)")  # left open: its -wal and -shm stay, 0644 like the file
    assert mode(path) == mode(f"{path}-wal") == 0o644
    conn = open_db(path)
    assert {mode(path), mode(f"{path}-wal"), mode(f"{path}-shm")} == {0o600}
    assert mode(folder) == 0o755  # a folder the user chose is theirs
    conn.close()
    old.close()


def test_the_writer_lock_file_is_private(tmp_path, umask_022):
    with WriterLock(tmp_path / "cache.db"):
        assert mode(tmp_path / "cache.db.lock") == 0o600


def test_every_commit_is_synchronous_full(tmp_path):
    conn = open_db(tmp_path / "cache.db")
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    conn.close()
    ro = open_db(tmp_path / "cache.db", readonly=True)
    assert ro.execute("PRAGMA synchronous").fetchone()[0] == 2
    ro.close()


def test_a_new_cache_has_16k_pages_and_an_older_one_keeps_its_own(tmp_path):
    new = open_db(tmp_path / "new.db")
    assert new.execute("PRAGMA page_size").fetchone()[0] == 16384
    new.close()
    # a cache made before (SQLite's 4 KiB pages, WAL): opened, written and read as it is
    old = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    old.execute("PRAGMA page_size=4096")
    old.execute("PRAGMA journal_mode=WAL")
    old.close()
    conn = open_db(tmp_path / "old.db")
    with transaction(conn):
        conn.execute("INSERT INTO threads (id, subject) VALUES ('t1', 'hello')")
    assert conn.execute("PRAGMA page_size").fetchone()[0] == 4096
    conn.close()
    again = open_db(tmp_path / "old.db")
    assert again.execute("SELECT subject FROM threads").fetchall()[0][0] == "hello"
    assert again.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    again.close()


# --- disk full ------------------------------------------------------------------------------


def test_disk_full_names_the_file_and_keeps_every_committed_item(tmp_path):
    path = tmp_path / "cache.db"
    conn = open_db(path)
    seed(conn)
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # the disk fills up after a few items
    queued = []
    with pytest.raises(sqlite3.OperationalError) as info:
        for i in range(1000):
            queued.append(ob.queue_reply(conn, "thr_1", f"reply {i} " + "x" * 2000, undo_seconds=0).id)
    error = cache_error(info.value)
    assert error.kind == "full" and error.exit_code == 6
    assert str(path) in str(error) and "disk is full" in str(error) and "\n" not in str(error)
    assert not conn.in_transaction  # the failed item was rolled back whole
    conn.execute("PRAGMA max_page_count = 1073741823")  # space freed: the cache carries on
    assert [i.id for i in ob.list_items(conn)] == queued
    ob.queue_reply(conn, "thr_1", "after the disk was cleared", undo_seconds=0)
    conn.close()


def test_a_commit_that_fails_rolls_back_and_raises_its_own_error(tmp_path):
    conn = open_db(tmp_path / "cache.db")
    seed(conn)
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(sqlite3.OperationalError, match="full"), transaction(conn):
        conn.execute("INSERT INTO threads (id, subject) VALUES ('big', ?)", ("y" * 100_000,))
    assert not conn.in_transaction
    assert conn.execute("SELECT count(*) FROM threads").fetchone()[0] == 3
    conn.close()


# --- versions -------------------------------------------------------------------------------


def test_a_cache_from_a_newer_version_is_refused_in_one_line(tmp_path):
    path = tmp_path / "cache.db"
    conn = open_db(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(CacheError) as info:
        open_db(path)
    assert info.value.kind == "version" and str(path) in str(info.value)
    assert "upgrade o2d-inbox" in str(info.value)


def test_a_read_only_cache_that_needs_a_migration_says_so(tmp_path, request):
    path = tmp_path / "cache.db"
    conn = open_db(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    conn.close()
    make_read_only(path, request)
    with pytest.raises(CacheError) as info:
        open_db(path)
    assert info.value.kind == "read-only" and str(path) in str(info.value)
    assert "needs an update" in str(info.value) and "writable" in str(info.value)


# --- the search index -------------------------------------------------------------------------


async def test_a_broken_search_index_rebuilds_itself_on_the_next_search(conn, engine):
    await engine.sync(full=True, messages=True)
    before = [t.id for t in search(conn, "the", limit=500)]
    assert before
    for table in ("search_threads_data", "search_messages_data"):
        conn.execute(f"UPDATE {table} SET block = randomblob(length(block)) WHERE id > 10")
    assert not search_index_ok(conn)
    assert [t.id for t in search(conn, "the", limit=500)] == before
    assert search_index_ok(conn)


async def test_cache_check_finds_and_rebuilds_a_broken_search_index(conn, engine):
    await engine.sync(full=True, messages=False)
    assert check(conn).ok and not check(conn).search_rebuilt
    conn.execute("UPDATE search_threads_data SET block = randomblob(length(block)) WHERE id > 10")
    health = check(conn)
    assert health.ok and health.search_rebuilt
    assert search_index_ok(conn)


# --- rebuild ----------------------------------------------------------------------------------


def _outbox_world(path):
    """A cache with one outbox item in each state, local states, messages; returns the items."""
    conn = open_db(path)
    seed(conn, 6)
    items = {}
    for state in ("scheduled", "sending", "accepted", "failed", "sent", "cancelled", "draft"):
        item = ob.queue_reply(conn, "thr_1", f"the {state} one", undo_seconds=0)
        conn.execute("UPDATE outbox SET state = ?, operation_id = ? WHERE id = ?", (state, f"op_{state}", item.id))
        items[state] = ob.get(conn, item.id)
    local.mark_done(conn, ["thr_2"])
    local.snooze(conn, ["thr_3"], datetime.now(timezone.utc) + timedelta(days=2))
    local.set_note(conn, "thr_4", "call back in March")
    conn.executemany(
        "INSERT INTO messages (id, thread_id, body_text, ts) VALUES (?, ?, ?, ?)",
        [(f"m{i}", f"thr_{i % 6}", "body " * 200, i) for i in range(400)],
    )
    conn.close()  # the last connection: checkpointed, no -wal left
    return items


def _kept(items):
    return {s: i for s, i in items.items() if s not in ("sent", "cancelled")}


def _assert_carried(path, items):
    conn = open_db(path)
    after = {i.id: i for i in ob.list_items(conn)}
    assert set(after) == {i.id for i in _kept(items).values()}
    for item in _kept(items).values():
        got = after[item.id]
        assert (got.state, got.idempotency_key, got.payload, got.operation_id) == (
            item.state,
            item.idempotency_key,
            item.payload,
            item.operation_id,
        )
    assert local.get_local(conn, "thr_2").done
    assert local.get_local(conn, "thr_3").snoozed_until is not None
    assert local.get_local(conn, "thr_4").note == "call back in March"
    assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 0  # the sync refills
    assert conn.execute("SELECT count(*) FROM sync_state").fetchone()[0] == 0  # a full walk next
    newer = ob.queue_reply(conn, "thr_1", "queued after the rebuild", undo_seconds=0)
    assert newer.id > max(i.id for i in items.values())  # no old id is given again
    conn.close()


def test_rebuild_keeps_unsent_items_with_their_keys_and_the_local_states(tmp_path):
    path = tmp_path / "cache.db"
    items = _outbox_world(path)
    done = rebuild(path, stamp="T1")
    assert (done.outbox, done.threads, done.export) == (5, 3, None)  # sound: nothing to export
    assert done.broken == tmp_path / "cache.db.broken-T1"
    _assert_carried(path, items)
    assert mode(path) == 0o600
    old = open_db(done.broken, readonly=True)  # kept whole, sent history included
    assert old.execute("SELECT count(*) FROM outbox").fetchone()[0] == 7
    old.close()


def test_rebuild_of_a_damaged_cache_exports_the_readable_outbox_first(tmp_path):
    path = tmp_path / "cache.db"
    items = _outbox_world(path)
    assert damage_table(path, "messages") > 1
    conn = open_db(path)
    assert not check(conn).ok
    conn.close()
    done = rebuild(path, stamp="T2")
    assert done.export == tmp_path / "cache.db.outbox-T2.json"
    assert mode(done.export) == 0o600
    exported = json.loads(done.export.read_text())
    assert {r["idempotency_key"] for r in exported["outbox"]} == {i.idempotency_key for i in _kept(items).values()}
    assert "the failed one" in done.export.read_text()  # the text the user wrote
    _assert_carried(path, items)
    assert not (tmp_path / "cache.db.rebuilding-T2").exists()


def test_rebuild_waits_for_no_one_it_refuses_while_a_sync_holds_the_cache(tmp_path):
    path = tmp_path / "cache.db"
    _outbox_world(path)
    with WriterLock(path), pytest.raises(SyncLocked):
        rebuild(path, stamp="T3")
    assert not (tmp_path / "cache.db.broken-T3").exists()
    assert ob.list_items(open_db(path))  # untouched


def test_a_write_that_meets_a_broken_search_index_points_to_cache_check(tmp_path):
    conn = open_db(tmp_path / "cache.db")
    conn.executemany(
        "INSERT INTO threads (id, subject, last_ts, last_snippet) VALUES (?, ?, ?, ?)",
        [(f"t{i}", f"subject {i}", 1_700_000_000 + i, "words " * 40) for i in range(2000)],
    )
    conn.execute("UPDATE search_threads_data SET block = randomblob(length(block)) WHERE id > 10")
    with pytest.raises(sqlite3.DatabaseError) as info:  # what a sync's next page would do
        conn.execute("UPDATE threads SET subject = 'renamed' WHERE id = 't5'")
        conn.executemany(
            "INSERT INTO threads (id, subject, last_ts) VALUES (?, ?, ?)",
            [(f"n{i}", "new", 1_800_000_000 + i) for i in range(500)],
        )
    error = cache_error(info.value)
    assert error.kind == "damaged" and "search index" in str(error) and "cache check" in str(error)
    assert check(conn).search_rebuilt  # what `cache check` does
    conn.execute("UPDATE threads SET subject = 'renamed' WHERE id = 't5'")
    assert [t.id for t in search(conn, "renamed")] == ["t5"]
    conn.close()


def test_rebuild_reads_the_outbox_row_by_row_around_a_damaged_page(tmp_path):
    path = tmp_path / "cache.db"
    conn = open_db(path)
    seed(conn)
    keys = [
        ob.queue_reply(conn, "thr_1", f"reply {i}: " + "text " * 300, undo_seconds=0).idempotency_key
        for i in range(120)
    ]
    conn.close()
    assert damage_table(path, "outbox", one_leaf=True) == 1
    done = rebuild(path, stamp="T4")
    assert done.export is not None and 0 < done.outbox < len(keys)
    assert any("unreadable" in p for p in done.problems)
    exported = {r["idempotency_key"] for r in json.loads(done.export.read_text())["outbox"]}
    conn = open_db(path)
    carried = [i.idempotency_key for i in ob.list_items(conn)]
    conn.close()
    assert set(carried) == exported and set(carried) < set(keys)
