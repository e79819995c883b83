"""Durability benchmark: what ``PRAGMA synchronous=FULL`` costs next to NORMAL (WAL mode).

    .venv/bin/python benchmarks/bench_durability.py [--threads N] [--rounds R] [--queue Q]

Prints figures, asserts nothing. Both settings run in the same process on the same disk,
alternating round by round (medians), on a cache file in the temp dir:
1. a full sync with messages of N threads from the in-process simulator (one transaction per
   page / message batch: the commits a sync makes);
2. Q outbox queue_reply calls in a loop (one commit each: what a user's send costs).
With WAL, NORMAL syncs the log only at checkpoints (a power cut can lose the last commits);
FULL syncs it at every commit.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from o2d_inbox.api.client import UniboxClient  # noqa: E402
from o2d_inbox.cache.db import open_db  # noqa: E402
from o2d_inbox.outbox import queue as ob  # noqa: E402
from o2d_inbox.simulator import SimConfig, Simulator  # noqa: E402
from o2d_inbox.sync.engine import SyncEngine  # noqa: E402


def _open(path: Path, mode: str):
    conn = open_db(path)
    conn.execute(f"PRAGMA synchronous={mode}")
    return conn


async def _sync(sim: Simulator, path: Path, mode: str) -> tuple[float, int]:
    conn = _open(path, mode)
    client = UniboxClient("http://sim.test", "ot2d_bench_key_0123456789", 42, transport=sim.transport())
    try:
        t = time.perf_counter()
        await SyncEngine(conn, client).sync(full=True, messages=True)
        seconds = time.perf_counter() - t
        n = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    finally:
        await client.aclose()
        conn.close()
    return seconds, n


def _queue(path: Path, mode: str, count: int) -> float:
    conn = _open(path, mode)
    thread_ids = [r[0] for r in conn.execute("SELECT id FROM threads LIMIT ?", (count,))]
    t = time.perf_counter()
    for i in range(count):
        ob.queue_reply(conn, thread_ids[i % len(thread_ids)], f"reply {i}", undo_seconds=0, force=True)
    seconds = time.perf_counter() - t
    conn.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--queue", type=int, default=300)
    args = parser.parse_args()
    sim = Simulator(SimConfig(threads=args.threads, seed=7))
    tmp = Path(tempfile.mkdtemp(prefix="o2d-durability-"))
    sync_s: dict[str, list[float]] = {"NORMAL": [], "FULL": []}
    queue_s: dict[str, list[float]] = {"NORMAL": [], "FULL": []}
    messages = 0
    try:
        for r in range(args.rounds):
            for mode in ("NORMAL", "FULL") if r % 2 == 0 else ("FULL", "NORMAL"):
                path = tmp / f"{mode}-{r}.db"
                seconds, messages = asyncio.run(_sync(sim, path, mode))
                sync_s[mode].append(seconds)
                queue_s[mode].append(_queue(path, mode, args.queue))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{args.threads} threads, {messages} messages, {args.rounds} rounds, temp dir {tempfile.gettempdir()}")
    for mode in ("NORMAL", "FULL"):
        s, q = statistics.median(sync_s[mode]), statistics.median(queue_s[mode])
        print(
            f"synchronous={mode:<6}  full sync with messages {s:6.2f} s   "
            f"{args.queue} queue_reply calls {q:6.3f} s ({q / args.queue * 1000:.2f} ms each)"
        )
    ratio = statistics.median(sync_s["FULL"]) / statistics.median(sync_s["NORMAL"])
    print(
        f"FULL / NORMAL: sync {ratio:.2f}x, queue "
        f"{statistics.median(queue_s['FULL']) / statistics.median(queue_s['NORMAL']):.2f}x"
    )


if __name__ == "__main__":
    main()
