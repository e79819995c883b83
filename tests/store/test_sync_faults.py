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
from store_helpers import API_KEY, WORKSPACE, cached_snapshot

from o2d_inbox.simulator import BAD_NETWORK, ServedInThread, SimConfig, Simulator
from o2d_inbox.store.db import open_db

pytestmark = pytest.mark.slow


def test_one_full_sync_completes_under_the_fault_mix(tmp_path):
    sim = Simulator(SimConfig(threads=1500, seed=5, **BAD_NETWORK))
    home = tmp_path / "home"
    cache = tmp_path / "cache.db"
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "cfg"),
           "XDG_DATA_HOME": str(home / "data"), "OUTREACH2DAY_API_KEY": API_KEY,
           "O2D_INBOX_WORKSPACE": str(WORKSPACE), "O2D_INBOX_CACHE": str(cache)}
    with ServedInThread(sim) as served:
        env["O2D_INBOX_BASE_URL"] = served.url
        run = subprocess.run([sys.executable, "-m", "o2d_inbox", "sync", "--full"], env=env,
                             capture_output=True, text=True, timeout=120)
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
