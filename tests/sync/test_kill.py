"""A sync killed with SIGKILL at random moments, then resumed, converges on an intact cache
(whether the first walk stayed live or turned into a bulk load, which depends on how fast
this machine serves pages: the search index and the dropped indexes come back. The bulk
load's own resume is pinned down in test_sync, where the mode is deterministic)."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import time

import pytest

from o2d_inbox.cache.migrations import ensure_schema
from tests.helpers import (
    API_KEY,
    WORKSPACE,
    cached_snapshot,
    counts_are_right,
    make_sim,
    search_index_whole,
    serve_simulator,
    stop,
    thread_indexes,
)

pytestmark = pytest.mark.slow

THREADS = 1000
SEED = 5


def test_sigkill_then_resume_converges(tmp_path):
    proc, url = serve_simulator(threads=THREADS, seed=SEED)
    cache = tmp_path / "cache.db"
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "OUTREACH2DAY_API_KEY": API_KEY,
        "O2D_INBOX_BASE_URL": url,
        "O2D_INBOX_WORKSPACE": str(WORKSPACE),
        "O2D_INBOX_CACHE": str(cache),
    }
    argv = [sys.executable, "-m", "o2d_inbox", "sync", "--messages"]
    rng = random.Random(2024)
    # Kill points: in the middle of the thread walk, in the middle of the messages, at random.
    moments = [
        "SELECT 1 FROM sync_state WHERE key = 'walk' AND value NOT LIKE '%\"threads\":0,%'",
        "SELECT 1 FROM messages LIMIT 1",
        None,
    ]
    phases = []
    try:
        for moment in moments:
            child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if moment is None:
                time.sleep(rng.uniform(0.3, 2.0))
            else:
                wait_until(cache, moment, child)
            if child.poll() is None:
                child.kill()  # SIGKILL: no cleanup of any kind
                phases.append(state(cache))
            child.wait()
        final = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    finally:
        stop(proc)
    # the kills really hit a walk in progress and a message fetch
    assert any(walk for walk, _ in phases) and any(msgs for _, msgs in phases), phases
    assert final.returncode == 0, final.stderr

    conn = sqlite3.connect(cache)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    expected = make_sim(threads=THREADS, seed=SEED).thread_snapshot()  # same seed, same world
    assert cached_snapshot(conn) == expected
    stored = dict(conn.execute("SELECT thread_id, count(*) FROM messages GROUP BY thread_id").fetchall())
    assert stored == {t: s["message_count"] for t, s in expected.items()}
    assert counts_are_right(conn)
    assert conn.execute("SELECT count(*) FROM sync_state WHERE key = 'walk'").fetchone()[0] == 0
    assert search_index_whole(conn)
    fresh = sqlite3.connect(":memory:")
    ensure_schema(fresh)
    assert thread_indexes(conn) == thread_indexes(fresh)
    conn.close()


def wait_until(cache, sql: str, child, timeout: float = 30.0) -> None:
    """Poll the cache (a reader, as the TUI would be) until ``sql`` returns a row."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.poll() is None:
        try:
            conn = sqlite3.connect(f"file:{cache}?mode=ro", uri=True, timeout=1)
            try:
                if conn.execute(sql).fetchone():
                    return
            finally:
                conn.close()
        except sqlite3.Error:
            pass  # not created yet
        time.sleep(0.002)


def state(cache) -> tuple[bool, int]:
    """(a walk is in progress, messages stored) right after a kill."""
    conn = sqlite3.connect(cache, timeout=5)
    try:
        walk = conn.execute("SELECT 1 FROM sync_state WHERE key = 'walk'").fetchone() is not None
        return walk, conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    finally:
        conn.close()
