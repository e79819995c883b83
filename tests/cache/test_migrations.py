"""A new cache is created from the current schema in one step; a cache written by any older
format, upgraded step by step, ends up with exactly the same schema."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3

import pytest
from sqlite_utils import Database

from o2d_inbox.cache import queries
from o2d_inbox.cache.migrations import MIGRATIONS, ensure_schema
from o2d_inbox.cache.schema import SCHEMA_VERSION
from tests.cache.test_stats_days import stats_days_are_right
from tests.helpers import counts_are_right


def _connect() -> sqlite3.Connection:
    return sqlite3.connect(":memory:", isolation_level=None)


def _written_at(version: int) -> sqlite3.Connection:
    """A cache as an o2d-inbox of format ``version`` left it (its steps, one by one)."""
    conn = _connect()
    for number, step in enumerate(MIGRATIONS[:version], start=1):
        conn.execute("BEGIN")
        for statement in step:
            statement(conn) if callable(statement) else conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    return conn


def _sql(text: str | None) -> str:
    # SQLite keeps each statement's text as written: compare what it says, not its layout.
    text = re.sub(r"--[^\n]*", "", text or "")
    return re.sub(r"\s+", " ", text.replace("IF NOT EXISTS ", "")).strip()


def _shape(conn: sqlite3.Connection) -> dict:
    """Everything the schema is, by name, as sqlite-utils introspects it."""
    db = Database(conn)
    return {
        "tables": {
            t.name: [(c.name, c.type, c.notnull, c.default_value, c.is_pk) for c in t.columns] for t in db.tables
        },
        "indexes": {(t.name, i.name): (tuple(i.columns), i.unique, i.partial) for t in db.tables for i in t.indexes},
        "index_sql": {
            name: _sql(sql)
            for name, sql in conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            )
        },
        "views": {v.name: _sql(v.schema) for v in db.views},
        "triggers": {t.name: (t.table, _sql(t.sql)) for t in db.triggers},
        "version": conn.execute("PRAGMA user_version").fetchone()[0],
    }


#: The schema of each format, fingerprinted. Steps that name schema.py's objects would carry
#: an edit of one into the older formats' history too, where no real cache has it: a change
#: of the schema must come with a new step and format, and its fingerprint here.
FINGERPRINTS = {
    12: "0de7a50bf32dd173",
    13: "c1b4ab35ef6600a0",
    14: "a2ab66815c88b32b",
    15: "20754058978e8012",
    16: "18478641012159ba",
}
_FTS_SHADOW = re.compile(r"^search_\w+_(data|idx|docsize|config|content)$")  # FTS5's own, by SQLite version


def _fingerprint(shape: dict) -> str:
    kept = {**shape, "tables": {n: c for n, c in shape["tables"].items() if not _FTS_SHADOW.match(n)}}
    text = json.dumps({k: sorted(map(repr, v.items())) if isinstance(v, dict) else v for k, v in kept.items()})
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_the_schema_changes_only_with_a_new_format():
    conn = _connect()
    ensure_schema(conn)
    assert _fingerprint(_shape(conn)) == FINGERPRINTS[SCHEMA_VERSION]


@pytest.mark.parametrize("version", sorted(FINGERPRINTS))
def test_each_older_format_is_written_as_it_shipped(version):
    """The steps rebuild each format as released (an upgrade test starting from anything else
    would prove nothing about real caches)."""
    assert _fingerprint(_shape(_written_at(version))) == FINGERPRINTS[version]


def test_a_new_cache_is_the_current_schema_in_one_step():
    conn = _connect()
    ensure_schema(conn)
    shape = _shape(conn)
    assert shape["version"] == SCHEMA_VERSION == len(MIGRATIONS)
    assert {"threads", "messages", "outbox", "view_counts", "campaign_stats", "search_threads"} <= set(shape["tables"])
    ensure_schema(conn)  # at every open: nothing left to do
    assert _shape(conn) == shape


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_an_older_cache_is_upgraded_to_the_same_schema_as_a_new_one(version):
    fresh = _connect()
    ensure_schema(fresh)
    old = _written_at(version)
    ensure_schema(old)
    expected, got = _shape(fresh), _shape(old)
    for part in expected:
        assert got[part] == expected[part], part


def test_an_upgraded_cache_keeps_its_threads_outbox_and_counts():
    """The rows of a first-format cache survive every step, and the counts the triggers keep
    agree with a recount."""
    conn = _written_at(1)
    conn.executemany(
        "INSERT INTO threads (id, subject, last_ts, reply_intent, needs_reply, mailbox) VALUES (?, ?, ?, ?, ?, ?)",
        [
            ("t1", "pricing", 1700000000, "interested", 1, "me@ours.test"),
            ("t2", "not now", 1700000100, None, 0, "me@ours.test"),
        ],
    )
    conn.execute(
        "INSERT INTO outbox (kind, thread_id, state, idempotency_key, payload, created_at, updated_at) "
        "VALUES ('reply', 't1', 'accepted', 'key-1', '{}', 1, 1)"
    )
    ensure_schema(conn)
    db = Database(conn)
    assert [r["id"] for r in db["threads"].rows_where(order_by="id")] == ["t1", "t2"]
    (item,) = db["outbox"].rows
    assert item["idempotency_key"] == "key-1" and item["accepted_at"] is not None
    counts = {(r["kind"], r["key"]): r["full_count"] for r in db["view_counts"].rows}
    assert counts[("all", "")] == 2 and counts[("intent", "interested")] == 1 and ("needs", "") not in counts
    assert queries.count(conn, queries.View("needs", relevant=False)) == 1
    assert counts_are_right(conn)
    assert stats_days_are_right(conn)  # filled by step 14 from the threads cached before it
    assert [r[0] for r in conn.execute("SELECT rowid FROM search_threads WHERE search_threads MATCH 'pricing'")]


def test_the_needs_reply_row_goes_and_no_write_brings_it_back():
    """Format 14 kept a 'needs' row in view_counts that nothing read; 15 drops it and its
    upkeep, and every other count stays as the triggers kept it."""
    conn = _written_at(14)
    threads = [
        ("t1", 1700000000, "interested", 1, 1, 0),
        ("t2", 1700000100, None, 1, 0, 0),
        ("t3", 1700000200, "neutral", 0, 1, 0),
        ("t4", 1700000300, "interested", 1, 1, 1),  # done: out of the open queues
    ]
    conn.executemany(
        "INSERT INTO threads (id, last_ts, reply_intent, needs_reply, relevant, local_done) VALUES (?, ?, ?, ?, ?, ?)",
        threads,
    )
    before = {(r[0], r[1]): (r[2], r[3]) for r in conn.execute("SELECT * FROM view_counts")}
    assert before[("needs", "")] == (1, 2)  # t1 and t2 (t4 put away), as 14 kept it
    ensure_schema(conn)
    after = {(r[0], r[1]): (r[2], r[3]) for r in conn.execute("SELECT * FROM view_counts")}
    assert after == {k: v for k, v in before.items() if k != ("needs", "")}
    assert counts_are_right(conn)

    conn.execute("INSERT INTO threads (id, last_ts, needs_reply) VALUES ('t5', 1700000400, 1)")
    conn.execute("UPDATE threads SET needs_reply = 1 - needs_reply, reply_intent = 'neutral' WHERE id IN ('t1', 't3')")
    conn.execute("UPDATE threads SET local_done = 0 WHERE id = 't4'")
    conn.execute("DELETE FROM threads WHERE id = 't2'")
    assert conn.execute("SELECT count(*) FROM view_counts WHERE kind = 'needs'").fetchone()[0] == 0
    assert counts_are_right(conn)
    assert queries.count(conn, queries.View("needs", relevant=False)) == 3  # t3, t4, t5
