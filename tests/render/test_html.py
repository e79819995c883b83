"""html_to_text: readable text, nothing hostile through, bounded work on pathological input."""

import time

from o2d_inbox.render.html import MAX_NESTING, TRUNCATED_NOTE, html_to_text

MAIL = """<html><head><title>Title text</title>
<style>p { color: red }</style><script>alert('head')</script></head>
<body><h1>Quick question</h1>
<p>Hi <b>John</b>, see <a href="https://example.com/p?a=1&amp;b=2">our pricing</a>.</p>
<img src="https://tracker.example/pixel.gif" alt="LOGO">
<script>document.write('evil')</script>
<table><tr><td>cell one</td><td>cell two</td></tr><tr><td>row two</td></tr></table>
<div>line a</div><div>line b</div>
<ul><li>first</li><li>second</li></ul>
<p>1. not markdown - *literal* [bold red]x[/] &lt;b&gt;</p>
</body></html>"""


def test_readable_text_with_links_and_no_scripts_styles_images():
    text = html_to_text(MAIL)
    assert "Quick question" in text
    assert "Hi John, see [our pricing][1]." in text
    assert "[1]: https://example.com/p?a=1&b=2" in text
    assert "cell one cell two\nrow two" in text
    assert "line a\nline b" in text
    assert "* first" in text and "* second" in text
    assert "1. not markdown - *literal* [bold red]x[/] <b>" in text  # no "\." escapes
    for gone in ("alert", "evil", "color", "Title text", "LOGO", "pixel", "<script"):
        assert gone not in text


def test_escape_sequences_in_entities_and_raw_text_are_removed():
    text = html_to_text("<p>a&#x1b;[31mred&#27;]0;t&#7; \x1b]0;pwned\x07b \u202eevil</p>")
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "pwned" not in text


def test_3000_level_nesting_is_flattened_and_fast():
    for tag in ("div", "blockquote", "ul", "ol", "span", "table"):
        inner = "<li>x" if tag in ("ul", "ol") else "x"
        html = (f"<{tag}>{inner}" * 3000) + (f"</{tag}>" * 3000)
        start = time.perf_counter()
        text = html_to_text(html)
        elapsed = time.perf_counter() - start
        print(f"3000 x <{tag}>: {elapsed * 1000:.0f} ms, {len(text)} chars")
        assert text.count("x") == 3000
        # indentation stops growing at the cap (deeper levels are flattened)
        indents = [len(line) - len(line.lstrip(" >*0123456789.")) for line in text.splitlines()]
        assert max(indents) <= 4 * MAX_NESTING + 4
        assert len(text) < 5 * len(html)  # linear (uncapped it was 9 MB: quadratic)


def test_quoted_nesting_capped_at_max_levels():
    html = "<blockquote>q" * 20 + "</blockquote>" * 20
    deepest = max(line.count(">") for line in html_to_text(html).splitlines())
    assert deepest == MAX_NESTING


def test_parser_stalling_inputs_finish():
    # html.parser alone needs seconds to minutes for several of these.
    for html in ("<!--" * 50_000, "</" * 100_000, "&" * 200_000, "<![CDATA[" * 20_000, "<script>" * 25_000):
        start = time.perf_counter()
        text = html_to_text(html)
        print(f"{html[:9]!r}: {(time.perf_counter() - start) * 1000:.0f} ms")
        assert "\x1b" not in text


def test_lone_angle_brackets_and_ampersands_are_text():
    assert html_to_text("<p>a < b && c > d</p>") == "a < b && c > d"


def test_size_cap_cuts_and_says_so():
    html = "<p>" + "word " * 100 + "</p>"
    text = html_to_text(html, max_chars=50)
    assert text.endswith(TRUNCATED_NOTE)
    assert text.count("word") < 15
    assert not html_to_text("<p>short</p>", max_chars=50).endswith(TRUNCATED_NOTE)


def test_empty_and_none():
    assert html_to_text(None) == "" and html_to_text("") == ""
    assert html_to_text("<html><body></body></html>") == ""
