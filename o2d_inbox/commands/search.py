"""`o2d-inbox search QUERY`: full-text search of the cache (cache/search.py), offline.

The output is that of `o2d-inbox threads`: the same table, or with --json the same thread
objects as JSON Lines (its serializer, imported), newest first. A query that cannot be
understood is searched as plain words, never an error.
"""

from __future__ import annotations

import argparse
import sys

from o2d_inbox.cli import EXIT_OK
from o2d_inbox.commands.threads import probe, thread_json, thread_table_line
from o2d_inbox.config import load_config


def run(args: argparse.Namespace) -> int:
    import json

    from o2d_inbox.context import open_cache
    from o2d_inbox.cache.search import search

    config = load_config(args)
    probe(config)
    conn = open_cache(config)
    try:
        rows = search(conn, args.query, limit=max(0, int(args.limit or 0)))
    finally:
        conn.close()
    out = sys.stdout
    for row in rows:
        out.write((json.dumps(thread_json(row)) if args.json else thread_table_line(row)) + "\n")
    if not rows:
        print("no cached threads match", file=sys.stderr)
    return EXIT_OK
