"""`o2d-inbox sync --full` as a user runs it, against a simulator on a real port with the fault
mix of a bad network: 20 % 5xx, 5 % dropped connections, 5 % truncated JSON, 20 ms latency and
a real rate limit of 5 requests/s (burst 2) answered with 429 + Retry-After (the simulator's
BAD_NETWORK). Before retries were bounded by time and 429s paced the client, about 40 % of
such runs ended with exit 4 or 5."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import pytest

from o2d_inbox.cache.db import open_db
from o2d_inbox.simulator import BAD_NETWORK, ServedInThread, SimConfig, Simulator
from tests.helpers import API_KEY, WORKSPACE, cached_snapshot

pytestmark = pytest.mark.slow


def test_one_full_sync_completes_under_the_fault_mix(tmp_path):
    sim = Simulator(SimConfig(threads=1500, seed=5, **BAD_NETWORK))
    home = tmp_path / "home"
    cache = tmp_path / "cache.db"
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "cfg"),
        "XDG_DATA_HOME": str(home / "data"),
        "OUTREACH2DAY_API_KEY": API_KEY,
        "O2D_INBOX_WORKSPACE": str(WORKSPACE),
        "O2D_INBOX_CACHE": str(cache),
    }
    with ServedInThread(sim) as served:
        env["O2D_INBOX_BASE_URL"] = served.url
        run = subprocess.run(
            [sys.executable, "-m", "o2d_inbox", "sync", "--full"], env=env, capture_output=True, text=True, timeout=120
        )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr and "never retrieved" not in run.stderr
    assert "synced (full reconcile): 1,500 new" in run.stdout
    conn = open_db(cache)
    try:
        assert cached_snapshot(conn) == sim.thread_snapshot()  # exactly the server's threads
    finally:
        conn.close()
    # the faults really happened, and the client slowed down to the server's rate
    statuses = Counter(status for _, _, _, status in sim.request_log)
    assert statuses[0] and statuses[429] and sum(n for s, n in statuses.items() if s >= 500)
    assert statuses[429] < statuses[200]


def test_the_progress_line_says_what_it_waits_for():
    """On a terminal the line is redrawn with the client's wait and without it once it ends;
    a plain log gets the wait as a line of its own, and nothing before the first progress."""
    import io

    from o2d_inbox.commands.sync import ProgressPrinter
    from o2d_inbox.sync.engine import SyncProgress

    now = [0.0]
    term = io.StringIO()
    tty = ProgressPrinter(term, tty=True, clock=lambda: now[0])
    tty(SyncProgress("threads", 400, None))
    tty.waiting("rate limited, resuming in 4 s")
    assert term.getvalue().endswith("\r\x1b[2Kthreads   400    (rate limited, resuming in 4 s)")
    tty.waiting(None)
    assert term.getvalue().endswith("\r\x1b[2Kthreads   400  ")

    log = io.StringIO()
    plain = ProgressPrinter(log, tty=False, every=2.0, clock=lambda: now[0])
    plain.waiting("connection problem, retrying in 2 s")  # nothing shown yet: stays quiet
    plain.waiting(None)
    assert log.getvalue() == ""
    plain(SyncProgress("threads", 200, None))
    now[0] += 3
    plain.waiting("server error, retrying in 2 s")
    plain.waiting(None)
    plain.waiting("server error, retrying in 3 s")  # within `every` of the last line
    assert log.getvalue().splitlines() == ["threads   200  ", "threads   200  67/s  (server error, retrying in 2 s)"]


def test_patience_comes_from_the_flag_the_environment_or_the_file(tmp_path):
    import argparse

    from o2d_inbox.config import ConfigError, load_config

    toml = tmp_path / "config.toml"
    toml.write_text("patience_seconds = 45\n")
    env = {"HOME": str(tmp_path)}
    assert load_config(argparse.Namespace(), env).patience_seconds == 300.0
    assert load_config(argparse.Namespace(config=str(toml)), env).patience_seconds == 45.0
    assert (
        load_config(argparse.Namespace(config=str(toml)), {**env, "O2D_INBOX_PATIENCE": "20"}).patience_seconds == 20.0
    )
    assert (
        load_config(
            argparse.Namespace(config=str(toml), patience=5.0), {**env, "O2D_INBOX_PATIENCE": "20"}
        ).patience_seconds
        == 5.0
    )
    for bad in ("soon", "-1", "nan"):
        with pytest.raises(ConfigError, match="O2D_INBOX_PATIENCE must be"):
            load_config(argparse.Namespace(), {**env, "O2D_INBOX_PATIENCE": bad})
    toml.write_text('patience_seconds = "long"\n')
    with pytest.raises(ConfigError, match="'patience_seconds' must be a number"):
        load_config(argparse.Namespace(config=str(toml)), env)
