"""`o2d-inbox cache check | path | rebuild`: the local cache file itself (cache/repair.py).

- check: SQLite's quick_check, the schema and the search index's own check; a broken search
  index is rebuilt on the spot (it is a copy of the cached threads and messages), a missing
  index or trigger is made again (and what it kept, counts or search, rebuilt). Exit 0 when
  sound, 6 when the file is damaged or lacks a table or column (the line says to rebuild).
- path: the cache file this configuration uses.
- rebuild: a fresh cache keeping the outbox's unsent items and the local states (done,
  snoozed, notes); the old file stays as <name>.broken-<time>, and when it was damaged what
  could be read of the outbox is exported to <name>.outbox-<time>.json first. The next sync
  fetches the threads again. Works offline; refuses while another o2d-inbox syncs or sends.
"""

from __future__ import annotations

import argparse

from o2d_inbox.cli import EXIT_CACHE, EXIT_OK, EXIT_USAGE, fail
from o2d_inbox.config import load_config


def run(args: argparse.Namespace) -> int:
    from o2d_inbox.context import cache_path

    config = load_config(args)
    path = cache_path(config)
    if args.action == "path":
        print(path)
        return EXIT_OK
    if not path.exists():
        return fail(f"no cache at {path} yet (`o2d-inbox sync` creates it)", EXIT_USAGE)
    if args.action == "check":
        return _check(config, path)
    return _rebuild(path)


def _check(config, path) -> int:
    from o2d_inbox.cache.repair import check, listed
    from o2d_inbox.context import open_cache

    conn = open_cache(config)
    try:
        health = check(conn)
    finally:
        conn.close()
    if not health.ok:
        return fail(
            f"{path} is damaged ({health.summary}): run `o2d-inbox cache rebuild` (it keeps the outbox's unsent items)",
            EXIT_CACHE,
        )
    if health.unrepaired:
        return fail(
            f"{path} lacks {listed(health.unrepaired)}: run `o2d-inbox cache rebuild` "
            "(it keeps the outbox's unsent items)",
            EXIT_CACHE,
        )
    print(
        f"{path}: ok"
        + (f"; restored {listed(health.restored)}" if health.restored else "")
        + ("; the search index was damaged and has been rebuilt" if health.search_rebuilt else "")
    )
    return EXIT_OK


def _rebuild(path) -> int:
    from o2d_inbox.cache.lock import SyncLocked
    from o2d_inbox.cache.repair import rebuild, summarize
    from o2d_inbox.render.text import safe_line

    try:
        done = rebuild(path)
    except SyncLocked:
        return fail(
            f"{path} is in use by another o2d-inbox (syncing or sending): close it, then "
            "run `o2d-inbox cache rebuild` again; nothing was changed",
            EXIT_CACHE,
        )
    if done.export is not None:
        print(
            f"the old cache was damaged: its outbox ({done.outbox} unsent item(s)) and local states "
            f"were exported to {done.export}"
        )
    if done.problems:
        print(f"the old file's damage: {safe_line(summarize(done.problems))}")
    print(
        f"rebuilt {path}: kept {done.outbox} unsent outbox item(s) and {done.threads} thread(s) "
        f"with a local state; the old file is {done.broken}"
    )
    print("run `o2d-inbox sync` to fetch the threads again")
    return EXIT_OK
