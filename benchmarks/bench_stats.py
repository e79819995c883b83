"""Reply stats benchmark: every figure of the stats screen (cache/stats.py compute) on a large
cache. Prints figures, asserts nothing.

    .venv/bin/python benchmarks/bench_stats.py                      # 1,000,000 threads
    .venv/bin/python benchmarks/bench_stats.py --threads 100000 --messages-for 100000
    .venv/bin/python benchmarks/bench_stats.py --within-days 365    # every thread in the last year

The 1,000,000-thread cache is bench_tui.py's (tests/tui/seed.py rows, kept in the temp dir;
messages for the newest 5,000 threads). ``--messages-for N`` builds a cache of its own with
every message of the newest N threads, for the response figures, which read messages.
Its threads' ages: the newest 2,000 spread over the last ~2 years' first weeks, the rest
400 days and older, so "all" is the worst case (every thread in the window) and "30d" a small
window. ``--within-days N`` moves every thread's latest message into the last N days, evenly
(a copy of the cache): the worst case for by_day and the windows. Each figure is the median
of --rounds calls in one warm process (the screen recomputes in the running app); the target
is ≤ 200 ms for the whole screen.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_tui import TMP, _seed_module, build_cache  # noqa: E402


def build_with_messages(n: int, messages_for: int) -> Path:
    from o2d_inbox.cache.db import PAGE_SIZE, open_db
    from o2d_inbox.cache.schema import SCHEMA_VERSION

    path = TMP / f"stats-{n}-m{messages_for}-v{SCHEMA_VERSION}-p{PAGE_SIZE}.db"
    if path.exists():
        return path
    TMP.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    conn = open_db(path)
    _seed_module().seed_cache(conn, n, messages_for=messages_for, hostile=False)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("ANALYZE")
    conn.close()
    print(
        f"built {n:,}-thread cache with messages for {messages_for:,} in {time.perf_counter() - started:.1f} s: {path}"
    )
    return path


def build_within(n: int, days: int) -> Path:
    """A copy of the n-thread cache with every latest message spread over the last ``days``
    days (its search triggers dropped first: the figures do not read the search index)."""
    import shutil

    from o2d_inbox.cache.db import PAGE_SIZE, open_db
    from o2d_inbox.cache.schema import SCHEMA_VERSION

    path = TMP / f"stats-{n}-within{days}-v{SCHEMA_VERSION}-p{PAGE_SIZE}.db"
    if path.exists():
        return path
    started = time.perf_counter()
    building = path.with_suffix(".building")
    shutil.copyfile(build_cache(n), building)
    conn = open_db(building)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'trg_search_%'"):
        conn.execute(f'DROP TRIGGER "{name}"')
    newest = conn.execute("SELECT max(last_ts) FROM threads").fetchone()[0]
    conn.execute("UPDATE threads SET last_ts = ? - (rowid * ?) / ?", (newest, days * 86400, n))
    conn.execute("ANALYZE")
    conn.close()
    building.rename(path)
    print(f"built {n:,} threads within {days} days in {time.perf_counter() - started:.1f} s: {path}")
    return path


def timed(fn, rounds: int) -> tuple[float, object]:
    fn()  # warm: the page cache and SQLite's own
    times, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    from o2d_inbox.cache.db import open_db
    from o2d_inbox.cache.stats import StatsFilter, compute

    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1_000_000)
    parser.add_argument("--messages-for", type=int, default=0, help="build a cache with messages for N threads")
    parser.add_argument("--within-days", type=int, default=0, help="every thread in the last N days")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if args.messages_for:
        path = build_with_messages(args.threads, args.messages_for)
    elif args.within_days:
        path = build_within(args.threads, args.within_days)
    else:
        path = build_cache(args.threads)
    conn = open_db(path, readonly=True)
    now = conn.execute("SELECT max(last_ts) FROM threads").fetchone()[0] + 60
    campaign = conn.execute("SELECT id FROM campaigns ORDER BY id LIMIT 1").fetchone()[0]
    cached = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    print(f"\nstats on {args.threads:,} threads ({cached:,} cached messages), median of {args.rounds}")
    scenarios = [  # (name, filter, utc_offset): days are local days, local midnight off UTC's costs most
        ("30 days", StatsFilter(since=now - 30 * 86400), 0),
        ("30 days, relevant", StatsFilter(since=now - 30 * 86400, relevant=True), 0),
        ("30 days at UTC-5", StatsFilter(since=now - 30 * 86400), -5 * 3600),
        ("90 days, one campaign", StatsFilter(since=now - 90 * 86400, campaign=campaign), 0),
        ("all time", StatsFilter(), 0),
        ("all time, relevant", StatsFilter(relevant=True), 0),
        ("all time at UTC-5", StatsFilter(), -5 * 3600),
        ("all time at UTC+12", StatsFilter(), 12 * 3600),
        ("all time, one campaign", StatsFilter(campaign=campaign), 0),
        ("all time, interested", StatsFilter(intent="interested"), 0),
    ]
    for name, f, utc_offset in scenarios:
        seconds, stats = timed(lambda: compute(conn, f, now=now, utc_offset=utc_offset), args.rounds)
        print(
            f"  {name:<24} {seconds * 1000:7.1f} ms   {stats.threads:>9,} threads, "
            f"{len(stats.by_day):>3} days, {stats.response.measured:>7,} replies measured   (target ≤ 200)"
        )
    conn.close()


if __name__ == "__main__":
    main()
