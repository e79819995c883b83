"""Untrusted text made safe for a terminal: plain Unicode out, never escape sequences.

Everything that arrives from the network (subjects, bodies, names, addresses, error
messages) goes through safe_line()/safe_text() before it is measured or drawn. The result is
plain text for rich.text.Text / textual Content: callers never parse it as markup.

What is removed, and why:
- whole ANSI sequences (CSI ``ESC [ … final``, OSC/DCS/SOS/PM/APC strings up to BEL or ST,
  two-char ``ESC x``), so a body can neither recolour the screen, retitle the window,
  plant a hyperlink nor reprogram the terminal; then any stray C0/C1 control or DEL;
- bidi overrides/embeddings/isolates and marks (U+202A-202E, U+2066-2069, U+200E/F, U+061C):
  they can make "gpj.exe" read as "exe.jpg" and reorder the columns of the row that follows;
- zero-width and invisible characters (U+200B-200D, U+2060-2064, U+FEFF, U+180E, tag
  characters U+E0000-E007F) that hide text or break matching. A zero-width joiner *between
  two emoji* is kept: it is part of one emoji (rich measures the sequence as one 2-cell
  grapheme), elsewhere it is dropped;
- lone surrogates (undecodable input) become U+FFFD, so writing to the terminal never raises.
Carriage returns become newlines (a bare CR would let a line overwrite itself), U+2028/2029
become newlines, tabs become spaces. Accents, CJK, emoji and other normal text stay as they are.

JSON output (every ``--json`` and the JSON Lines export) keeps the text whole instead:
json_line() escapes everything outside printable ASCII as ``\\uXXXX``, which jq and every JSON
reader decode back, so a record printed on a terminal cannot carry a C1 control, a bidi
override or a lone surrogate (which would stop the output with an encoding error).
"""

from __future__ import annotations

import json
import re
from typing import Any

from rich.cells import cell_len as _rich_cell_len
from rich.cells import split_graphemes

__all__ = ["safe_line", "safe_text", "cell_len", "fit", "json_line", "ELLIPSIS"]

ELLIPSIS = "…"
TAB_SIZE = 4

# ESC-introduced sequences, longest forms first. String sequences (OSC ], DCS P, SOS X, PM ^,
# APC _) run to BEL, ST (ESC \) or C1 ST; `[^…]*` stops at the next ESC so a flood of
# unterminated openers stays linear. An unterminated one loses only its introducer: the rest
# shows as harmless text.
_ESCAPES = re.compile(
    r"""
      \x1b\[ [\x30-\x3f]* [\x20-\x2f]* [\x40-\x7e]        # CSI (colours, cursor moves, ...)
    | \x9b   [\x30-\x3f]* [\x20-\x2f]* [\x40-\x7e]        # 8-bit CSI
    | (?:\x1b[\]P^_X]|[\x9d\x90\x98\x9e\x9f]) [^\x07\x1b\x9c]* (?:\x07|\x1b\\|\x9c)   # OSC/DCS/...
    | \x1b [\x20-\x2f]* [\x30-\x7e]                       # other ESC sequences (ESC c, ESC ( B, ESC 7)
    """,
    re.VERBOSE,
)

# What is left after the sequences are gone. \n and \t are handled separately.
_CONTROLS = (
    "".join(chr(c) for c in range(0x00, 0x20) if chr(c) not in "\n\t")
    + "\x7f"
    + "".join(chr(c) for c in range(0x80, 0xA0))
)
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_INVISIBLE = "\u200b\u200c\u2060\u2061\u2062\u2063\u2064\ufeff\u180e"
_DROP = re.compile("[" + re.escape(_CONTROLS + _BIDI + _INVISIBLE) + "\U000e0000-\U000e007f]")
# Emoji-ish code points on either side of a joiner that we keep.
_PICTO = "\u2300-\u23ff\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff"
# Group 1 = a joiner inside an emoji sequence (kept); any other joiner matches without it.
_ZWJ = re.compile(f"((?<=[{_PICTO}\ufe0f\U0001f3fb-\U0001f3ff])\u200d(?=[{_PICTO}]))|\u200d")
_SURROGATES = re.compile("[\ud800-\udfff]")
_NEWLINES = re.compile("\r\n|[\r\u2028\u2029\x85\x0b\x0c]")
_TRAILING = re.compile(r"[ \t]+$", re.MULTILINE)
_WHITESPACE = re.compile(r"\s+")


def _clean(s: str) -> str:
    s = _SURROGATES.sub("\ufffd", s)
    s = _NEWLINES.sub("\n", s)  # before _DROP: NEL, VT, FF are C0/C1 but mean "new line"
    s = _ESCAPES.sub("", s)
    if "\u200d" in s:
        s = _ZWJ.sub(r"\1", s)
    return _DROP.sub("", s)


def safe_text(s: str | None) -> str:
    """Multi-line safe text: newlines kept (CR/CRLF normalised), tabs expanded, trailing
    spaces of each line dropped. None -> ""."""
    if not s:
        return ""
    s = _clean(str(s))
    if "\t" in s:
        s = s.expandtabs(TAB_SIZE)
    return _TRAILING.sub("", s)


def safe_line(s: str | None) -> str:
    """One display line: safe_text with every run of whitespace (newlines, tabs, NBSP...)
    folded into one space and the ends stripped. None -> ""."""
    if not s:
        return ""
    return _WHITESPACE.sub(" ", _clean(str(s))).strip()


def cell_len(s: str) -> int:
    """Terminal cells `s` occupies (wide CJK / emoji count 2), as rich and Textual measure it."""
    return _rich_cell_len(s)


def fit(s: str, width: int) -> str:
    """`s` cut to exactly `width` cells: "…" marks a cut, spaces pad. A wide character is never
    split: if only half of it would fit, a space takes its place. Expects safe_line() text."""
    if width <= 0:
        return ""
    spans, total = split_graphemes(s)
    if total <= width:
        return s + " " * (width - total)
    budget = width - 1  # room for the ellipsis
    used = 0
    end = 0
    for _start, stop, cells in spans:
        if used + cells > budget:
            break
        used += cells
        end = stop
    return s[:end] + ELLIPSIS + " " * (budget - used)


def json_line(value: Any) -> str:
    """One JSON Lines record (no newline), ASCII-escaped (see the module's docstring)."""
    return json.dumps(value, ensure_ascii=True)
