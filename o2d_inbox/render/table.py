"""Rows of text cells as table lines that fit the terminal. Headless; used by every listing
of the command line (`threads`, `search`, `outbox`).

    output_width(stream) -> int | None     the width to fit, None: keep every field whole
    table(rows, columns, width) -> list[str]

On a terminal the lines fit its width (``shutil.get_terminal_size``, which honours
``COLUMNS``): the columns that may shrink are cut with "…", widest first, down to their
minimum; then the columns that may be left out go, in their order; ids (``cut=False``) are
never cut, so what `show` needs never wraps. Piped output keeps every field whole (a script
reads all of it), unless ``COLUMNS`` asks for a width. Cells must be safe text already
(render.text.safe_line): widths are terminal cells.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from o2d_inbox.render.text import cell_len, fit

GAP = "  "


@dataclass(frozen=True)
class Column:
    #: cells the column may shrink to (cut with "…")
    min: int = 8
    #: never wider than this (None: as wide as its widest cell)
    max: int | None = None
    #: False: never cut (ids)
    cut: bool = True
    #: 0: always shown; 1, 2, …: left out in this order when even the minimums do not fit
    drop: int = 0
    right: bool = False


def output_width(stream: TextIO) -> int | None:
    """The width lines must fit on ``stream``: the terminal's, else COLUMNS when set, else
    None (piped: whole fields)."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not tty and not os.environ.get("COLUMNS", "").strip().isdigit():
        return None
    return max(20, shutil.get_terminal_size().columns)


def _widths(rows: Sequence[Sequence[str]], columns: Sequence[Column], width: int | None) -> list[int | None]:
    """Each column's width, None for a column left out."""
    natural = [max((cell_len(r[i]) for r in rows), default=0) for i in range(len(columns))]
    if width is None:
        return list(natural)  # piped: every field whole
    capped = [n if c.max is None else min(n, c.max) for n, c in zip(natural, columns)]
    widths: list[int | None] = list(capped)

    def total() -> int:
        shown = [w for w in widths if w is not None]
        return sum(shown) + len(GAP) * (len(shown) - 1)

    for level in sorted({c.drop for c in columns}):
        # each level starts afresh: what leaving a column out frees goes to the others
        widths = [None if c.drop and c.drop <= level else w for w, c in zip(capped, columns)]
        while total() > width:  # one cell off the widest column that may still shrink
            shrinkable = [
                i
                for i, c in enumerate(columns)
                if c.cut and (w := widths[i]) is not None and w > min(c.min, natural[i])
            ]
            if not shrinkable:
                break
            widest = max(shrinkable, key=lambda i: widths[i] or 0)
            widths[widest] = (widths[widest] or 0) - 1
        if total() <= width:
            break
    return widths


def table(rows: Sequence[Sequence[str]], columns: Sequence[Column], width: int | None) -> list[str]:
    """``rows`` (one cell per column) as lines no wider than ``width`` (None: whole fields,
    aligned). The last shown column is not padded."""
    widths = _widths(rows, columns, width)
    shown = [i for i, w in enumerate(widths) if w is not None]
    lines = []
    for row in rows:
        cells = []
        for n, i in enumerate(shown):
            w = widths[i] or 0
            cell = row[i]
            if n == len(shown) - 1 and not columns[i].right:
                cells.append(fit(cell, w).rstrip() if cell_len(cell) > w else cell)
            elif columns[i].right:
                cells.append(" " * max(0, w - cell_len(cell)) + (fit(cell, w) if cell_len(cell) > w else cell))
            else:
                cells.append(fit(cell, w))
        lines.append(GAP.join(cells))
    return lines
