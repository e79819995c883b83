"""`o2d-inbox export`: the leads to hand to sales, one row per thread, offline from the cache.

Columns (cache/stats.py EXPORT_COLUMNS): thread_id, prospect_email, prospect_name, company,
mailbox, campaign_id, campaign_name, intent, last_reply_at, last_reply_snippet, note.

- ``--format csv`` (default): RFC 4180 by the csv module (a header row, CRLF line ends, quotes
  where needed). A value a spreadsheet would run as a formula (first character ``=``, ``+``,
  ``-``, ``@``, tab or CR) is written with a ``'`` in front, the OWASP advice: the prospect
  writes the snippet, and the note and names come from the same untrusted mail.
- ``--format json``: JSON Lines, one object per row (a stream: no size limit, each line
  parses alone, and ``jq`` / pandas read it), ASCII-escaped.

``--output FILE`` writes the file whole or not at all (a temporary file renamed at the end),
private (0600: prospects' addresses); without it the rows go to standard output. The count
of rows goes to standard error either way.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from o2d_inbox.cli import EXIT_OK

if TYPE_CHECKING:
    from o2d_inbox.cache.stats import ExportRow

#: First characters that make a spreadsheet cell a formula (or, tab / CR, hide one).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """A cell's text, prefixed with ``'`` when a spreadsheet would otherwise execute it."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def write_csv(rows: Iterable[ExportRow], out: TextIO) -> int:
    from o2d_inbox.cache.stats import EXPORT_COLUMNS

    writer = csv.writer(out, dialect="excel", lineterminator="\r\n")  # RFC 4180
    writer.writerow(EXPORT_COLUMNS)
    n = 0
    for row in rows:
        writer.writerow([neutralise(v) for v in row.values()])
        n += 1
    return n


def write_json_lines(rows: Iterable[ExportRow], out: TextIO) -> int:
    from o2d_inbox.cache.stats import EXPORT_COLUMNS

    n = 0
    for row in rows:
        out.write(json.dumps(dict(zip(EXPORT_COLUMNS, row.values()))) + "\n")
        n += 1
    return n


WRITERS = {"csv": write_csv, "json": write_json_lines}


def export(rows: Iterator[ExportRow], fmt: str, output: str | os.PathLike | None, stdout: TextIO) -> int:
    """Write ``rows`` in ``fmt`` to ``output`` (atomically, 0600) or ``stdout``; returns the count."""
    write = WRITERS[fmt]
    if output is None:
        return write(rows, stdout)
    path = Path(output).expanduser()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:  # name the file asked for, not the temporary one
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        with io.open(fd, "w", encoding="utf-8", newline="") as f:  # newline="": csv writes the CRLF
            n = write(rows, f)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return n


def run(args: argparse.Namespace) -> int:
    from o2d_inbox.cache.stats import export_rows
    from o2d_inbox.commands.stats import filter_of
    from o2d_inbox.config import load_config
    from o2d_inbox.context import open_cache

    config = load_config(args)
    conn = open_cache(config, readonly=True)
    try:
        n = export(export_rows(conn, filter_of(args)), args.format, args.output, sys.stdout)
    finally:
        conn.close()
    where = f" to {args.output}" if args.output else ""
    print(f"exported {n:,} thread{'s' if n != 1 else ''}{where}", file=sys.stderr)
    return EXIT_OK
