"""render/terminal.py: the output width, and word wrapping by terminal cells."""

from __future__ import annotations

import io

from o2d_inbox.render.terminal import MIN_WIDTH, terminal_width, wrap
from o2d_inbox.render.text import cell_len


def test_width_comes_from_COLUMNS_else_none_when_piped(monkeypatch):
    monkeypatch.setenv("COLUMNS", "72")
    assert terminal_width(io.StringIO()) == 72
    monkeypatch.setenv("COLUMNS", "3")
    assert terminal_width(io.StringIO()) == MIN_WIDTH
    for value in ("", "wide", "-5"):
        monkeypatch.setenv("COLUMNS", value)
        assert terminal_width(io.StringIO()) is None  # not a terminal: full lines


def test_wrap_breaks_between_words_only():
    text = "one two three four five six seven eight nine ten eleven twelve"
    out = wrap(text, 20).split("\n")
    assert all(cell_len(line) <= 20 for line in out)
    assert " ".join(out) == text


def test_wide_characters_count_two_cells():
    out = wrap("漢字 " * 12, 20).split("\n")
    assert all(cell_len(line) <= 20 for line in out) and len(out) == 3


def test_a_word_longer_than_the_line_is_cut_and_kept_whole():
    url = "https://example.com/" + "a" * 50
    out = wrap(f"see {url} now", 20).split("\n")
    assert all(cell_len(line) <= 20 for line in out)
    assert "".join(out).replace(" ", "") == f"see{url}now"


def test_quoted_lines_keep_their_prefix():
    out = wrap("> " + "quoted words here " * 4, 24).split("\n")
    assert len(out) > 1 and all(line.startswith("> ") for line in out)


def test_none_width_and_short_lines_are_unchanged():
    text = "a long line " * 20 + "\n\nshort"
    assert wrap(text, None) == text
    assert wrap("short\n\nlines", 20) == "short\n\nlines"
