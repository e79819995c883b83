"""`o2d-inbox search QUERY`: full-text search of the cache (cache/search.py), offline.

The output is that of `o2d-inbox threads` (its printer, imported): the same table fitted to
the terminal, or with --json the same thread objects as JSON Lines, newest first; 50 threads
unless ``--limit N`` or ``--all`` (``--json``: all), and on stderr how many matched ("50 of
1,242 shown"; counted up to 1,000, then "1,000+"). A filter the query language cannot read
(``is:bogus``, ``before:garbage``, ``intent:bogus``) is a usage error: exit 2, one line.
"""

from __future__ import annotations

import argparse
import sys

from o2d_inbox.cli import EXIT_OK, EXIT_USAGE, fail
from o2d_inbox.commands.threads import UsageError, limit_of, print_threads, probe
from o2d_inbox.config import load_config


def run(args: argparse.Namespace) -> int:
    from o2d_inbox.cache.search import COUNT_CAP, SearchError, parse, search, search_count
    from o2d_inbox.context import open_cache

    try:
        limit = limit_of(args)
        query = parse(args.query)
    except (UsageError, SearchError) as exc:
        return fail(str(exc), EXIT_USAGE)
    config = load_config(args)
    probe(config)
    conn = open_cache(config)
    try:
        total = search_count(conn, query)
        more = total > COUNT_CAP
        if limit is None and more:  # everything: count past the cap by reading it
            rows = search(conn, query, limit=2**62)
            total, more = len(rows), False
        else:
            rows = search(conn, query, limit=min(total, limit or total))
    finally:
        conn.close()
    print_threads(rows, min(total, COUNT_CAP) if more else total, as_json=args.json, more=more)
    if not rows:
        print("no cached threads match", file=sys.stderr)
    return EXIT_OK
