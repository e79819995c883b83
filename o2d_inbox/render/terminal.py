"""Human output fitted to the terminal: its width, and text word-wrapped to it.

    terminal_width(stream=None) -> int | None
        $COLUMNS when set to a number, else the width of the terminal ``stream`` (stdout by
        default) is; None when the output is not a terminal: piped output keeps full lines,
        so a script or a pager gets every field whole.
    wrap(text, width) -> str
        every line wrapped at word boundaries to ``width`` cells (wide characters count 2);
        a word longer than a line is cut, since nothing else makes it fit. A quoted or
        indented line's prefix (spaces and ">") starts its continuation lines too.

Expects text already made safe (render.text.safe_text): it measures, it does not clean.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

from rich.cells import cell_len, split_graphemes

MIN_WIDTH = 20  # narrower than this, wrapping makes text harder to read, not easier


def terminal_width(stream: TextIO | None = None) -> int | None:
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return max(MIN_WIDTH, int(columns))
    stream = sys.stdout if stream is None else stream
    try:
        if not stream.isatty():
            return None
        return max(MIN_WIDTH, os.get_terminal_size(stream.fileno()).columns)
    except (AttributeError, OSError, ValueError):  # a replaced stream, a closed one
        return None


def wrap(text: str, width: int | None) -> str:
    if width is None:
        return text
    return "\n".join(out for line in text.split("\n") for out in _wrap_line(line, width))


def _wrap_line(line: str, width: int) -> list[str]:
    if cell_len(line) <= width:
        return [line]
    own = line[: len(line) - len(line.lstrip(" >"))]  # the quote marks and indent it starts with
    prefix = own if cell_len(own) <= width // 2 else ""  # a deep quote: keep room for the words
    out: list[str] = []
    current = own  # the first line keeps its own prefix
    used = cell_len(current)
    fresh = True  # nothing but the prefix on `current` yet
    for word in line[len(current) :].split(" "):
        size = cell_len(word)
        if not fresh and used + 1 + size <= width:
            current, used = f"{current} {word}", used + 1 + size
            continue
        if not fresh:
            out.append(current.rstrip())
            current, used = prefix, cell_len(prefix)
        while used + size > width:  # longer than a whole line (a URL): cut it
            head, word = _split_cells(word, width - used)
            out.append(current + head)
            current, used = prefix, cell_len(prefix)
            size = cell_len(word)
        current, used, fresh = current + word, used + size, False
    out.append(current.rstrip())
    return out


def _split_cells(word: str, cells: int) -> tuple[str, str]:
    """``word`` cut after at most ``cells`` cells (at least one character, so it ends)."""
    spans, _ = split_graphemes(word)
    used = end = 0
    for _start, stop, size in spans:
        if used + size > cells and end:
            break
        used, end = used + size, stop
    return word[:end], word[end:]
