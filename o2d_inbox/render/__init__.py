"""Untrusted text made safe for a terminal, and HTML turned into text. Headless (no Textual).

The interface (the other layers code against these):

    render.text.safe_line(s: str | None) -> str
        One display line: control chars (C0, C1, DEL), ANSI/OSC escape sequences, bidi
        overrides/isolates (U+202A-202E, U+2066-2069), zero-width chars removed or made
        visible; newlines/tabs -> spaces. The result is plain text: callers render it with
        rich.text.Text (never as markup).
    render.text.safe_text(s: str | None) -> str      same, multi-line (keeps \\n, tabs -> spaces)
    render.text.cell_len(s: str) -> int               terminal cells (wide chars count 2)
    render.text.fit(s: str, width: int) -> str        cut to `width` cells with "…", padded to width
    render.html.html_to_text(html: str, *, max_chars: int = 200_000) -> str
        html2text with scripts/styles dropped, size-capped (input beyond the cap is cut and a
        note appended), never recursing without bound on deeply nested markup.
    render.quote.split_quoted(text: str) -> tuple[str, str]
        (new part, quoted history) of a reply body: "> " lines, "On … wrote:" blocks.
    render.dates.relative(ts: datetime, now: datetime) -> str     "3m", "2h", "Jun 1", "2025-12-03"
"""
