"""Leads written out for sales, one row per thread: `o2d-inbox export` and the inbox's export.
Headless.

    write(rows, "csv" | "json", output=None | path, stdout) -> count
    write_file(rows, "csv" | "json", path) -> count   atomically: the whole file or none
    export_queue(conn, view, path) -> count          the rows of an inbox queue (or ``ids``)

Columns (cache/stats.py EXPORT_COLUMNS): thread_id, prospect_email, prospect_name, company,
mailbox, campaign_id, campaign_name, intent, last_reply_at, last_reply_snippet, note.

- ``--format csv`` (default): RFC 4180 by the csv module (a header row, CRLF line ends, quotes
  where needed). A value a spreadsheet would run as a formula (first character ``=``, ``+``,
  ``-``, ``@``, tab or CR) is written with a ``'`` in front, the OWASP advice: the prospect
  writes the snippet, and the note and names come from the same untrusted mail.
- ``--format json``: JSON Lines, one object per row (a stream: no size limit, each line
  parses alone, and ``jq`` / pandas read it), ASCII-escaped.

``--output FILE`` writes the file whole or not at all (a temporary file renamed at the end),
private (0600: prospects' addresses); without it the rows go to standard output.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from o2d_inbox.render.text import json_line

if TYPE_CHECKING:
    import sqlite3

    from o2d_inbox.cache.queries import View
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
        out.write(json_line(dict(zip(EXPORT_COLUMNS, row.values()))) + "\n")
        n += 1
    return n


WRITERS = {"csv": write_csv, "json": write_json_lines}


def write(rows: Iterator[ExportRow], fmt: str, output: str | os.PathLike | None, stdout: TextIO) -> int:
    """Write ``rows`` in ``fmt`` to ``output`` (atomically, 0600) or ``stdout``; returns the count."""
    if output is None:
        return WRITERS[fmt](rows, stdout)
    return write_file(rows, fmt, output)


def write_file(rows: Iterator[ExportRow], fmt: str, output: str | os.PathLike) -> int:
    """Write ``rows`` in ``fmt`` to the file ``output``, atomically (a whole file or none)."""
    write = WRITERS[fmt]
    path = Path(output).expanduser()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:  # name the file asked for, not the temporary one
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        with open(fd, "w", encoding="utf-8", newline="") as f:  # newline="": csv writes the CRLF
            n = write(rows, f)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return n


def format_for(path: str | os.PathLike) -> str:
    """'json' for a .json / .jsonl / .ndjson file, else 'csv'."""
    return "json" if Path(path).suffix.lower() in (".json", ".jsonl", ".ndjson") else "csv"


def queue_ids(conn: sqlite3.Connection, view: View, page: int = 5000) -> Iterator[str]:
    """Every thread id of an inbox queue, in its order (keyset pages of queries.rows)."""
    from o2d_inbox.cache import queries

    after = None
    while True:
        rows = queries.rows(conn, view, 0, page, after=after)
        yield from (r.id for r in rows)
        if len(rows) < page:
            return
        after = rows[-1].key


def export_queue(
    conn: sqlite3.Connection, path: str | os.PathLike, *, view: View | None = None, ids: Iterable[str] | None = None
) -> int:
    """Write the threads of ``view`` (or the given ``ids``: a selection) to ``path``, in the
    format its name says (format_for); returns how many rows."""
    from o2d_inbox.cache.stats import rows_for_ids

    if ids is not None:
        chosen = list(ids)
    elif view is not None:
        chosen = list(queue_ids(conn, view))
    else:
        raise TypeError("export_queue needs a view or ids")
    return write_file(rows_for_ids(conn, chosen), format_for(path), path)
