"""`o2d-inbox export`: the leads to hand to sales, one row per thread, offline from the cache.

Rows and columns: cache/stats.py export_rows; formats and files: o2d_inbox/export.py (CSV,
RFC 4180 with formulas neutralised, or JSON Lines; ``--output`` written atomically, 0600).
Without ``--output`` the rows go to standard output; the count goes to standard error.
"""

from __future__ import annotations

import argparse
import sys

from o2d_inbox.cli import EXIT_OK


def run(args: argparse.Namespace) -> int:
    from o2d_inbox.cache.stats import export_rows
    from o2d_inbox.commands.stats import filter_of
    from o2d_inbox.config import load_config
    from o2d_inbox.context import open_cache
    from o2d_inbox.export import write

    config = load_config(args)
    conn = open_cache(config)  # migrates an older cache (a read-only one: CacheError, exit 6)
    try:
        n = write(export_rows(conn, filter_of(args)), args.format, args.output, sys.stdout)
    finally:
        conn.close()
    where = f" to {args.output}" if args.output else ""
    print(f"exported {n:,} thread{'s' if n != 1 else ''}{where}", file=sys.stderr)
    return EXIT_OK
