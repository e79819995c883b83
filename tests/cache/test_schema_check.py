"""`cache check` and `doctor` compare the cache's schema with a new cache's (sqlite-utils'
introspection): a missing index or trigger is named, and `cache check` makes it again."""

from __future__ import annotations

import json

import pytest

from o2d_inbox import cli
from o2d_inbox.cache import queries, writes
from o2d_inbox.cache.db import open_db
from o2d_inbox.cache.queries import View
from o2d_inbox.cache.repair import check, missing_objects
from o2d_inbox.cache.search import search


@pytest.fixture(autouse=True)
def _own_home(tmp_path, monkeypatch):
    """The command reads no config or key of the machine it runs on."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "OUTREACH2DAY_API_KEY", "O2D_INBOX_CACHE"):
        monkeypatch.delenv(name, raising=False)


def _cache(path):
    conn = open_db(path)
    conn.executemany(
        "INSERT INTO threads (id, subject, last_ts, needs_reply) VALUES (?, ?, ?, 1)",
        [(f"t{i}", f"pricing question {i}", 1700000000 + i) for i in range(5)],
    )
    return conn


def test_a_complete_cache_lacks_nothing(tmp_path):
    conn = _cache(tmp_path / "cache.db")
    assert missing_objects(conn) == []
    health = check(conn)
    assert health.ok and health.missing == health.restored == []


def test_cache_check_restores_a_lost_trigger_and_index_and_what_they_kept(tmp_path, capsys):
    path = tmp_path / "cache.db"
    conn = _cache(path)
    conn.execute("DROP TRIGGER trg_view_counts_ins")
    conn.execute("DROP TRIGGER trg_search_threads_ins")
    conn.execute("DROP INDEX ix_threads_all")
    conn.execute("INSERT INTO threads (id, subject, last_ts, needs_reply) VALUES ('late', 'pricing late', 1, 1)")
    assert missing_objects(conn) == [
        "index ix_threads_all",
        "trigger trg_search_threads_ins",
        "trigger trg_view_counts_ins",
    ]
    conn.close()

    assert cli.main(["cache", "check", "--cache", str(path)]) == 0
    out = capsys.readouterr().out
    assert "restored index ix_threads_all, trigger trg_search_threads_ins, trigger trg_view_counts_ins" in out

    conn = open_db(path)
    assert missing_objects(conn) == []
    assert queries.count(conn, View("needs", relevant=False)) == 6  # the late thread counted again
    assert "late" in {t.id for t in search(conn, "late")}  # and found again
    conn.execute("INSERT INTO threads (id, subject, last_ts, needs_reply) VALUES ('after', 'x', 2, 1)")
    assert queries.count(conn, View("needs", relevant=False)) == 7  # kept by the trigger from now on


def test_a_lost_column_needs_a_rebuild(tmp_path, capsys):
    path = tmp_path / "cache.db"
    _cache(path).execute("ALTER TABLE outbox DROP COLUMN accepted_at")
    assert cli.main(["cache", "check", "--cache", str(path)]) == 6
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "lacks column outbox.accepted_at" in err and "cache rebuild" in err


def test_what_a_first_sync_set_aside_is_not_missing(tmp_path):
    """A first sync's bulk load drops the search triggers and list indexes until its walk
    ends (a killed walk restores them when the next sync finishes it)."""
    conn = _cache(tmp_path / "cache.db")
    with writes.transaction(conn):
        saved = writes.bulk_begin(conn)
        writes.set_state(conn, "bulk_triggers", json.dumps(saved))
    assert saved and missing_objects(conn) == []


def test_doctor_names_what_is_missing_and_the_command_that_restores_it(tmp_path, capsys):
    path = tmp_path / "cache.db"
    _cache(path).execute("DROP TRIGGER trg_local_counts_upd")
    assert cli.main(["doctor", "--demo", "--cache", str(path)]) == 6
    out, err = capsys.readouterr()
    assert "lacks trigger trg_local_counts_upd: run `o2d-inbox cache check`, which restores them" in err
    assert cli.main(["cache", "check", "--cache", str(path)]) == 0
    capsys.readouterr()
    assert cli.main(["doctor", "--demo", "--cache", str(path)]) == 0


def test_a_file_with_no_schema_at_all_lacks_every_table(tmp_path):
    """(An empty file, say: `cache rebuild` checks the old file before replacing it.)"""
    import sqlite3

    conn = sqlite3.connect(tmp_path / "empty.db")
    missing = missing_objects(conn)
    assert "table threads" in missing and "trigger trg_view_counts_ins" in missing
