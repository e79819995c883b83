"""Local cache faults at the command line: one line naming the file, exit 6, reading still works,
and `o2d-inbox cache rebuild` recovers a damaged cache without losing the outbox."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from o2d_inbox.cache.db import open_db
from o2d_inbox.cli import EXIT_CACHE, main
from o2d_inbox.outbox import queue as ob
from tests.helpers import damage_table, make_read_only

READING = (["threads"], ["show", "thr_1"], ["search", "pricing"], ["outbox"], ["outbox", "--json"])


def steady(stdout: str) -> str:
    """Output without the outbox's ages, which move with the clock."""
    return re.sub(r'( \d+[smhd] |"age_seconds": \d+)', "", stdout)


@pytest.fixture
def cache(home) -> Path:
    """A cache with one thread, its message, many other messages and one queued reply."""
    path = home.root / "caches" / "work.db"
    conn = open_db(path)
    conn.execute(
        "INSERT INTO threads (id, subject, mailbox, prospect, last_ts, last_date, last_from) "
        "VALUES ('thr_1', 'Pricing question', 'me@ours.test', 'p@them.test', 1700000000, "
        "'2023-11-14T22:13:20Z', 'p@them.test')"
    )
    conn.executemany(
        "INSERT INTO messages (id, thread_id, subject, body_text, ts) VALUES (?, ?, ?, ?, ?)",
        [(f"m{i}", "thr_1", "Pricing question", "Can we talk pricing? " * 50, i) for i in range(300)],
    )
    ob.queue_reply(conn, "thr_1", "Sure, Tuesday works for me.", undo_seconds=0)
    conn.close()
    return path


def one_line(result, *words: str) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]
    return lines[0]


@pytest.mark.slow
@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_cache_can_be_read_and_a_write_says_why(cli, cache, request, what):
    before = {tuple(args): steady(cli(*args, "--cache", str(cache)).stdout) for args in READING}
    make_read_only(cache if what == "file" else cache.parent, request)
    for args in READING:
        result = cli(*args, "--cache", str(cache))
        assert result.returncode == 0, result.stderr
        assert steady(result.stdout) == before[tuple(args)] and result.stdout
    result = cli("reply", "thr_1", "--body", "Another answer", "--cache", str(cache))
    assert result.returncode == EXIT_CACHE
    one_line(result, str(cache), "read-only", "nothing was saved")
    assert "Another answer" not in cli("outbox", "--cache", str(cache)).stdout
    doctor = cli("doctor", "--demo", "--cache", str(cache))
    assert doctor.returncode == EXIT_CACHE
    assert any(line.startswith("✗ cache") and "reading works" in line for line in doctor.stdout.splitlines())
    if what == "folder":  # nowhere to put a fresh cache: refused whole, the old one untouched
        rebuilt = cli("cache", "rebuild", "--cache", str(cache))
        assert rebuilt.returncode == EXIT_CACHE
        one_line(rebuilt, str(cache), "read-only")
        assert cli("threads", "--cache", str(cache)).stdout == before[("threads",)]


@pytest.mark.slow
def test_a_damaged_cache_is_named_then_rebuilt_keeping_the_outbox(cli, cache):
    [item] = [json.loads(line) for line in cli("outbox", "--json", "--cache", str(cache)).stdout.splitlines()]
    damage_table(cache, "messages")

    result = cli("show", "thr_1", "--cache", str(cache))
    assert result.returncode == EXIT_CACHE
    one_line(result, str(cache), "damaged", "o2d-inbox cache rebuild")
    check = cli("cache", "check", "--cache", str(cache))
    assert check.returncode == EXIT_CACHE
    one_line(check, str(cache), "damaged", "cache rebuild")
    doctor = cli("doctor", "--demo", "--cache", str(cache))
    assert doctor.returncode == EXIT_CACHE
    assert any(line.startswith("✗ cache") and "damaged" in line for line in doctor.stdout.splitlines())

    rebuilt = cli("cache", "rebuild", "--cache", str(cache))
    assert rebuilt.returncode == 0, rebuilt.stderr
    [export] = cache.parent.glob("work.db.outbox-*.json")
    [broken] = cache.parent.glob("work.db.broken-*[0-9TZ]")
    assert str(export) in rebuilt.stdout and str(broken) in rebuilt.stdout
    assert "Sure, Tuesday works for me." in export.read_text()
    [after] = [json.loads(line) for line in cli("outbox", "--json", "--cache", str(cache)).stdout.splitlines()]
    assert (after["id"], after["idempotency_key"], after["state"]) == (
        item["id"],
        item["idempotency_key"],
        item["state"],
    )
    assert cli("cache", "check", "--cache", str(cache)).returncode == 0
    assert cli("threads", "--cache", str(cache)).stdout == ""  # until the next sync


def test_a_full_disk_is_one_line_naming_the_cache_with_exit_6(home, cache, monkeypatch, capsys):
    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(ob, "queue_reply", full)
    code = main(["reply", "thr_1", "--body", "hello", "--cache", str(cache)])
    assert code == EXIT_CACHE
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(cache) in err and "disk is full" in err
    assert "free some space" in err


def test_a_reply_read_from_stdin_that_cannot_be_queued_is_kept_in_a_file(home, cache, monkeypatch, capsys, tmp_path):
    import io

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(ob, "queue_reply", full)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO("Tuesday at 3 works.\nAnna\n"))
    assert main(["reply", "thr_1", "--body-file", "-", "--cache", str(cache)]) == EXIT_CACHE
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "disk is full" in err and "your text is kept in" in err
    kept = Path(err.rsplit("your text is kept in ", 1)[1])
    assert kept.read_text() == "Tuesday at 3 works.\nAnna\n"
    assert kept.stat().st_mode & 0o077 == 0


def test_a_folder_that_cannot_be_created_is_a_cache_error(home, capsys):
    blocker = home.root / "not-a-folder"
    blocker.write_text("a file where the cache's folder should be")
    code = main(["outbox", "--cache", str(blocker / "cache.db")])
    assert code == EXIT_CACHE
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(blocker) in err


def test_cache_path_and_check(cli, cache):
    assert cli("cache", "path", "--cache", str(cache)).stdout.strip() == str(cache)
    result = cli("cache", "check", "--cache", str(cache))
    assert result.returncode == 0 and result.stdout.strip() == f"{cache}: ok"
    missing = cli("cache", "rebuild", "--cache", str(cache.parent / "none.db"))
    assert missing.returncode == 2
    one_line(missing, "none.db", "no cache")


def test_a_disk_that_fills_up_during_a_sync_stops_it_cleanly_with_exit_6(home, monkeypatch, capsys):
    from o2d_inbox.cache import writes
    from o2d_inbox.context import DEMO_THREADS

    path = home.root / "demo-cache.db"
    real, pages = writes.upsert_threads, []

    def upsert_until_full(*args, **kwargs):
        if len(pages) == 2:
            raise sqlite3.OperationalError("database or disk is full")
        pages.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(writes, "upsert_threads", upsert_until_full)
    assert main(["sync", "--demo", "--cache", str(path)]) == EXIT_CACHE
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert str(path) in err and "disk is full" in err and "free some space" in err
    conn = open_db(path)
    kept = conn.execute("SELECT count(*) FROM threads").fetchone()[0]
    conn.close()
    assert 0 < kept < DEMO_THREADS  # the pages committed before the disk filled up

    monkeypatch.setattr(writes, "upsert_threads", real)  # space freed: the next sync finishes
    assert main(["sync", "--demo", "--cache", str(path)]) == 0
    conn = open_db(path)
    # every seeded thread; the demo world (one per process, its clock running since an earlier
    # test may have made it) can have grown by a live reply meanwhile
    assert conn.execute("SELECT count(*) FROM threads").fetchone()[0] >= DEMO_THREADS
    conn.close()
