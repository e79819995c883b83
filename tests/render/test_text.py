"""safe_line / safe_text / cell_len / fit on hostile and ordinary text."""

import pytest

from o2d_inbox.render.text import cell_len, fit, safe_line, safe_text


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("a\x1b[31mred\x1b[0m b", "ared b"),  # SGR colour
        ("\x1b[2J\x1b[Hwiped", "wiped"),  # clear screen + cursor home
        ("x\x1b]0;pwned\x07y", "xy"),  # OSC window title, BEL-terminated
        ("x\x1b]0;pwned\x1b\\y", "xy"),  # OSC window title, ST-terminated
        ("\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", "click"),  # OSC 8 hyperlink
        ("a\x1bP+q544e\x1b\\b", "ab"),  # DCS (terminal query)
        ("a\x9b31mb", "ab"),  # 8-bit CSI
        ("a\x1bcb", "ab"),  # ESC c: full reset
        ("bell\x07 back\x08space del\x7f nul\x00", "bell backspace del nul"),
        ("c1\x85\x9fx", "c1 x"),  # NEL is a line break, other C1 dropped
        ("invoice_\u202egnp.exe", "invoice_gnp.exe"),  # RLO cannot reverse the tail
        ("\u2066isolate\u2069 \u202amark\u202c", "isolate mark"),
        ("pay\u200bpal\u200c \u2060x\ufeff", "paypal x"),  # zero-width chars
        ("hidden\U000e0041\U000e0042tag", "hiddentag"),  # Unicode tag characters
        ("[bold red]not markup[/]", "[bold red]not markup[/]"),  # markup stays literal text
        ("Crème brûlée 日本語 😀 Ωμέγα", "Crème brûlée 日本語 😀 Ωμέγα"),
        ("\ud800lone surrogate", "\ufffdlone surrogate"),
    ],
)
def test_safe_line_removes_what_a_terminal_would_act_on(raw, shown):
    assert safe_line(raw) == shown


def test_unterminated_osc_only_loses_its_introducer():
    # The text stays visible (it is data); only the ESC ] that would open the sequence goes.
    assert safe_line("before \x1b]0;title never ends") == "before 0;title never ends"


def test_flood_of_unterminated_sequences_is_linear():
    out = safe_text("\x1b]" * 50_000 + "end")
    assert "\x1b" not in out and out.endswith("end")


def test_safe_line_folds_whitespace():
    assert safe_line("  one\r\ntwo\n\n\tthree\u2028four   five ") == "one two three four five"


def test_safe_text_keeps_lines_and_expands_tabs():
    assert safe_text("a\r\nb\rc\n\td  \ne") == "a\nb\nc\n    d\ne"


def test_no_control_character_survives_any_byte():
    raw = "".join(chr(c) for c in range(0x00, 0xA0)) + "\u202e\u200b\ufeff"
    for out in (safe_line(raw), safe_text(raw)):
        assert all(ch in "\n" or (ord(ch) >= 0x20 and not 0x7F <= ord(ch) < 0xA0) for ch in out)
        assert not set(out) & set("\u202e\u200b\ufeff")


def test_zero_width_joiner_kept_only_inside_emoji():
    family = "👨\u200d👩\u200d👧"
    assert safe_line(family) == family
    assert cell_len(safe_line(family)) == 2
    assert safe_line("a\u200db") == "ab"


@pytest.mark.parametrize("empty", [None, ""])
def test_empty_and_none(empty):
    assert safe_line(empty) == "" and safe_text(empty) == ""


def test_cell_len_counts_wide_characters_twice():
    assert cell_len("abc") == 3
    assert cell_len("日本語") == 6
    assert cell_len("😀") == 2
    assert cell_len("e\u0301") == 1  # combining accent takes no cell


@pytest.mark.parametrize(
    "text, width, out",
    [
        ("abc", 6, "abc   "),
        ("abcdefgh", 5, "abcd…"),
        ("abcde", 5, "abcde"),
        ("日本語テキスト", 6, "日本… "),  # half a wide char never shows: a space takes its place
        ("日本語テキスト", 7, "日本語…"),
        ("a日本", 3, "a… "),
        ("abc", 1, "…"),
        ("abc", 0, ""),
        ("", 3, "   "),
    ],
)
def test_fit(text, width, out):
    assert fit(text, width) == out
    assert cell_len(fit(text, width)) == max(width, 0)


def test_fit_keeps_cjk_rows_aligned():
    rows = ["Sarah Chen", "陳莎拉 (Sarah)", "😀😀😀😀😀😀😀😀", "Ελένη Παπαδοπούλου"]
    widths = {cell_len(fit(r, 11) + "|") for r in rows}
    assert widths == {12}
