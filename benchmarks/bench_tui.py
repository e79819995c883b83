"""TUI benchmark on a 1,000,000-thread cache (160×48, headless). Prints figures, asserts nothing.

    .venv/bin/python benchmarks/bench_tui.py             # 1,000,000 threads, 5 rounds
    .venv/bin/python benchmarks/bench_tui.py --threads 100000 --rounds 3

The cache is built once with executemany of synthetic rows (tests/seed.py) and kept in
the temp dir between runs. Every figure is the median of --rounds fresh processes, and within a process the median of
several samples (a stray one, e.g. catching the previous action's last frame, cannot move it):
- start → rows: from spawning `python` to the thread list's first painted row
  (imports, cache open, app mount, counts, first page, first frame);
- queue switch: Needs reply → All → each intent → … (14 switches): from the action to the end
  of the first compositor pass that shows the new list (count + first page + repaint), and to
  the last pass (the pane's preview of the first thread settled);
- jump: G on All (the last of 1,000,000 rows: OFFSET walks the index), JUMPS times, each
  from the top (g) after the screen has settled;
- open: enter on a cached thread (messages query, pane layout, repaint), 6 threads, same two
  figures;
- RSS: peak resident set of the process after all of the above.
Targets: start ≤ 0.5 s, queue switch ≤ 50 ms, open ≤ 30 ms, RSS ≤ 100 MB.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.gettempdir()) / "o2d-bench"
SIZE = (160, 48)


def _seed_module():
    spec = importlib.util.spec_from_file_location("tui_seed", ROOT / "tests" / "seed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_cache(n: int) -> Path:
    from o2d_inbox.cache.db import PAGE_SIZE, open_db
    from o2d_inbox.cache.schema import SCHEMA_VERSION

    path = TMP / f"tui-{n}-v{SCHEMA_VERSION}-p{PAGE_SIZE}.db"
    if path.exists():
        conn = open_db(path)
        have = conn.execute("SELECT COUNT(*) FROM threads").fetchone()[0]
        conn.close()
        if have == n:
            return path
        path.unlink()
    TMP.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    conn = open_db(path)
    _seed_module().seed_cache(conn, n, messages_for=5000, hostile=False)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("ANALYZE")
    conn.close()
    print(
        f"built {n:,}-thread cache in {time.perf_counter() - started:.1f} s: {path} "
        f"({path.stat().st_size / 1e6:.0f} MB)"
    )
    return path


JUMPS = 7  # G samples per process

CHILD = r"""
import asyncio, json, statistics, sys, time
from benchmarks.memory import peak_rss_mb
spawned = float(sys.argv[2])
JUMPS = int(sys.argv[3])
from o2d_inbox.config import Config
from o2d_inbox.cache.db import open_db
from o2d_inbox.cache.queries import View
from o2d_inbox.tui import thread_list
from o2d_inbox.tui.app import build_app

out = {}
original = thread_list.ThreadList.render_line

def render_line(self, y):
    strip = original(self, y)
    # a row drawn (not `self.count`: the first frame draws before Needs reply is counted)
    if "start" not in out and y == 0 and self.row(0) is not None:
        out["start"] = time.time() - spawned
    return strip

thread_list.ThreadList.render_line = render_line
conn = open_db(sys.argv[1])
app = build_app(Config(), conn=conn, sync_every=None)

renders = []

def hook(screen):
    # the end of each compositor pass: when a change is actually on the (headless) screen
    original = screen._compositor_refresh
    def timed():
        original()
        renders.append(time.perf_counter())
    screen._compositor_refresh = timed

async def measure(pilot, action):
    renders.clear()
    t = time.perf_counter()
    result = action()
    if asyncio.iscoroutine(result):
        await result
    await pilot.pause()
    await pilot.pause()
    if not renders:
        return 0.0, 0.0
    return renders[0] - t, renders[-1] - t  # first frame with the change, last frame (settled)

async def main():
    async with app.run_test(size=(160, 48)) as pilot:
        while "start" not in out:
            await asyncio.sleep(0.001)
        await pilot.pause()
        hook(app.screen)
        firsts, lasts = [], []
        for option in ["all", "intent:interested", "intent:neutral", "intent:unclassified",
                       "mailbox:john@cooloutreach.io", "campaign:c-q4", "needs"] * 2:
            first, last = await measure(pilot, lambda: app.action_show_queue(option))
            firsts.append(first)
            lasts.append(last)
        out["switch"] = statistics.median(firsts)
        out["switch_settled"] = statistics.median(lasts)
        app.action_show_queue("all")
        await pilot.pause()
        jumps = []
        for _ in range(JUMPS):
            await pilot.press("g")
            await pilot.pause()
            await pilot.pause()
            jump, _ = await measure(pilot, app.threads.action_last)
            jumps.append(jump)
        out["jump"] = statistics.median(jumps)
        await pilot.press("g")
        await pilot.pause()
        firsts, lasts = [], []
        for i in range(6):
            app.threads.move_to(i)
            await pilot.pause()
            await pilot.pause()
            row = app.threads.selected
            assert row.messages_cached
            first, last = await measure(pilot, lambda: app.inbox.open_thread(row))
            firsts.append(first)
            lasts.append(last)
            app.threads.focus()
        out["open"] = statistics.median(firsts)
        out["open_settled"] = statistics.median(lasts)
        out["rss_mb"] = peak_rss_mb()

asyncio.run(main())
print(json.dumps(out))
"""


def one_round(path: Path) -> dict:
    # Python as users run it: writing and reusing bytecode caches (an environment with
    # PYTHONDONTWRITEBYTECODE set would recompile this package's modules at every start).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    spawned = time.time()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), repr(spawned), str(JUMPS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    if proc.returncode != 0:
        raise SystemExit(f"child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    path = build_cache(args.threads)
    one_round(path)  # warm the OS page cache: we measure the app, not the disk
    rounds = [one_round(path) for _ in range(args.rounds)]

    def med(key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    print(
        f"\nTUI on {args.threads:,} threads, 160x48, median of {args.rounds} processes "
        f"(each: 14 switches, {JUMPS} jumps, 6 opens)"
    )
    print(f"  start -> first rows painted  {med('start') * 1000:7.0f} ms   (target ≤ 500)")
    print(
        f"  queue switch: list on screen {med('switch') * 1000:7.1f} ms   (target ≤ 50); "
        f"pane settled {med('switch_settled') * 1000:.1f} ms"
    )
    print(f"  G: row {args.threads:,} on screen {med('jump') * 1000:5.1f} ms")
    print(
        f"  open a cached thread: shown  {med('open') * 1000:7.1f} ms   (target ≤ 30); "
        f"settled {med('open_settled') * 1000:.1f} ms"
    )
    print(f"  peak RSS                     {med('rss_mb'):7.0f} MB   (target ≤ 100)")


if __name__ == "__main__":
    main()
