"""A dispatcher process killed with SIGKILL at random points, restarted: every message is
delivered exactly once and none is lost (counted by the simulator, which runs in this process)."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from o2d_inbox.cache.db import open_db
from o2d_inbox.outbox import queue as ob

REPO = Path(__file__).resolve().parents[2]
FLUSH = [sys.executable, "-m", "o2d_inbox", "outbox", "flush", "--wait", "--timeout", "60"]


def wait_for_activity(conn, proc, since: float, timeout: float = 20.0) -> None:
    """Until the process has written to the outbox (it is past start-up and working)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if conn.execute("SELECT 1 FROM outbox WHERE updated_at > ? LIMIT 1", (since,)).fetchone():
            return
        time.sleep(0.005)


@pytest.mark.slow
def test_sigkill_and_restart_delivers_each_message_exactly_once(tmp_path, sim_server, cli_env):
    rng = random.Random(20261126)
    # latency makes requests be in flight when the kill lands; drops after the server acted
    # make the survivor's answers ambiguous too
    server = sim_server(latency=0.05, op_step_seconds=0.05, drop_after_rate=0.15, seed=9)
    snap = server.sim.thread_snapshot()
    threads = [t for t, v in snap.items() if v["replyIntent"] != "unsubscribe"][:5]
    in_flight_at_kill = kills = 0
    all_keys: set[str] = set()
    for trial in range(3):
        cache = tmp_path / f"trial{trial}.db"
        env = cli_env(server, cache)
        conn = open_db(cache)
        queued = [ob.queue_reply(conn, threads[k % 5], f"trial {trial} reply {k}", undo_seconds=0) for k in range(8)]
        queued += [
            ob.queue_new(
                conn,
                f"lead{trial}.{k}@them.test",
                "Hi",
                f"trial {trial} new {k}",
                undo_seconds=0,
                from_mailbox="john@cooloutreach.com",
            )
            for k in range(2)
        ]
        keys = {i.idempotency_key for i in queued}
        all_keys |= keys
        # a random moment after the process's first write: kill 1 mostly lands while
        # requests are in flight, kill 2 while re-sending or polling operations
        for spread in (0.3, 1.2):
            started = time.time()
            proc = subprocess.Popen(FLUSH, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_for_activity(conn, proc, started)
            time.sleep(rng.uniform(0, spread))
            if proc.poll() is None:
                proc.kill()  # SIGKILL, by its own pid
                kills += 1
            proc.wait(10)
            states = ob.counts(conn)
            in_flight_at_kill += states["sending"] + states["accepted"]
        final = subprocess.run(FLUSH, env=env, cwd=REPO, capture_output=True, text=True, timeout=90)
        assert final.returncode == 0, final.stderr
        assert [i.state for i in ob.list_items(conn)] == ["sent"] * 10
        conn.close()
        assert {k: server.sim.deliveries.get(k) for k in keys} == {k: 1 for k in keys}

    assert set(server.sim.deliveries) == all_keys  # nothing else reached the server
    assert len(server.sim.sent_messages) == 30
    assert kills >= 4 and in_flight_at_kill > 0  # the kills really landed mid-send or mid-poll
