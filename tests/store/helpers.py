"""Helpers shared by the store tests (loaded by conftest.py as module ``store_helpers``)."""

from __future__ import annotations

import asyncio
import random

from o2d_inbox.api.client import UniboxClient

try:
    from o2d_inbox.simulator import SimConfig, Simulator
except ImportError:  # the package's re-exports land with the simulator helper's work
    from o2d_inbox.simulator.core import SimConfig, Simulator

API_KEY = "ot2d_store_tests_key_0123456789"
WORKSPACE = 42


async def no_wait(seconds: float) -> None:
    """Backoff and Retry-After waits skipped (the client still counts its retries)."""
    await asyncio.sleep(0)


def make_sim(threads: int = 120, **kwargs) -> Simulator:
    kwargs.setdefault("hostile", False)
    return Simulator(SimConfig(threads=threads, seed=kwargs.pop("seed", 11), **kwargs))


def make_client(sim: Simulator, **kwargs) -> UniboxClient:
    kwargs.setdefault("sleep", no_wait)
    kwargs.setdefault("max_retries", 8)
    kwargs.setdefault("rng", random.Random(3))
    return UniboxClient("http://sim.test", API_KEY, WORKSPACE, transport=sim.transport(), **kwargs)


def cached_snapshot(conn) -> dict[str, dict]:
    """The cache in the shape of Simulator.thread_snapshot()."""
    return {r[0]: {"replyIntent": r[1], "message_count": r[2]}
            for r in conn.execute("SELECT id, reply_intent, message_count FROM threads")}


def counts_are_right(conn) -> bool:
    """view_counts (kept by triggers) equal a recount from scratch."""
    from o2d_inbox.store.schema import RECOUNT_SQL

    kept = {(r[0], r[1]): (r[2], r[3]) for r in conn.execute("SELECT * FROM view_counts")
            if r[3] != 0}
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS vc_check AS SELECT * FROM view_counts WHERE 0")
    conn.execute("DELETE FROM vc_check")
    conn.execute(RECOUNT_SQL.replace("INSERT INTO view_counts", "INSERT INTO vc_check", 1))
    fresh = {(r[0], r[1]): (r[2], r[3]) for r in conn.execute("SELECT * FROM vc_check")}
    return kept == fresh
