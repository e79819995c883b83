"""`o2d-inbox sync --full` on a bad network: how often one command completes.

    .venv/bin/python benchmarks/bench_faults.py                 # 10 runs, 1,500 threads
    .venv/bin/python benchmarks/bench_faults.py --runs 20 --threads 3000
    .venv/bin/python benchmarks/bench_faults.py --code /path/to/other/checkout   # compare

Each run serves a fresh simulator (its own seed) with the BAD_NETWORK fault mix (20 % 5xx,
5 % dropped connections, 5 % truncated JSON, 20 ms latency, a rate limit of 5 requests/s with
burst 2 answered by 429 + Retry-After) on a real 127.0.0.1 port, and runs `o2d-inbox sync
--full` into an empty cache as a subprocess (with ``--code``, that checkout's o2d_inbox).
Prints each run's exit code, seconds, requests, 429s, 5xx and drops seen by the server, and
whether the cache then equals the server's threads; then the completion rate (exit 0 on the
first command), the median duration of completed runs, and the median 429 count. Asserts
nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from o2d_inbox.cache.db import open_db  # noqa: E402
from o2d_inbox.simulator import BAD_NETWORK, ServedInThread, SimConfig, Simulator  # noqa: E402

KEY = "ot2d_benchmark_key_0123456789"
WS = 42


def one_run(seed: int, threads: int, code: Path, tmp: Path) -> dict:
    sim = Simulator(SimConfig(threads=threads, seed=seed, **BAD_NETWORK))
    cache = tmp / f"cache-{seed}.db"
    env = {
        **os.environ,
        "HOME": str(tmp),
        "XDG_CONFIG_HOME": str(tmp / "cfg"),
        "XDG_DATA_HOME": str(tmp / "data"),
        "OUTREACH2DAY_API_KEY": KEY,
        "O2D_INBOX_WORKSPACE": str(WS),
        "O2D_INBOX_CACHE": str(cache),
        "PYTHONPATH": str(code),
    }
    with ServedInThread(sim) as served:
        env["O2D_INBOX_BASE_URL"] = served.url
        started = time.perf_counter()
        run = subprocess.run(
            [sys.executable, "-m", "o2d_inbox", "sync", "--full"],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            cwd=tmp,
        )
        seconds = time.perf_counter() - started
    statuses = Counter(status for _, _, _, status in sim.request_log)
    equal = False
    if run.returncode == 0:
        conn = open_db(cache)
        cached = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, reply_intent, message_count FROM threads")}
        conn.close()
        equal = cached == {t: (s["replyIntent"], s["message_count"]) for t, s in sim.thread_snapshot().items()}
    last = (run.stderr.strip().splitlines() or [""])[-1]
    return {
        "exit": run.returncode,
        "seconds": seconds,
        "requests": len(sim.request_log),
        "429": statuses[429],
        "5xx": sum(n for s, n in statuses.items() if s >= 500),
        "drops": statuses[0],
        "equal": equal,
        "traceback": "Traceback" in run.stderr,
        "error": last if run.returncode else "",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1500)
    ap.add_argument("--code", type=Path, default=ROOT, help="checkout whose o2d_inbox syncs")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="o2d-bench-faults-") as tmp:
        for i in range(args.runs):
            row = one_run(1000 + i, args.threads, args.code.resolve(), Path(tmp))
            rows.append(row)
            print(
                f"run {i + 1:>2}: exit {row['exit']}  {row['seconds']:6.1f} s  "
                f"{row['requests']:>4} requests  {row['429']:>3} x 429  {row['5xx']:>3} x 5xx  "
                f"{row['drops']:>2} drops  cache==server {row['equal']}"
                + ("  TRACEBACK" if row["traceback"] else "")
                + (f"  [{row['error'][:90]}]" if row["error"] else ""),
                flush=True,
            )
    done = [r for r in rows if r["exit"] == 0 and r["equal"]]
    print(
        f"\ncompleted in one command: {len(done)}/{len(rows)} ({100 * len(done) / len(rows):.0f} %)"
        f"; tracebacks: {sum(r['traceback'] for r in rows)}"
    )
    if done:
        print(
            f"median of completed runs: {statistics.median(r['seconds'] for r in done):.1f} s, "
            f"{statistics.median(r['requests'] for r in done):.0f} requests, "
            f"{statistics.median(r['429'] for r in done):.0f} x 429"
        )
    print(f"median 429s over all runs: {statistics.median(r['429'] for r in rows):.0f}")


if __name__ == "__main__":
    main()
