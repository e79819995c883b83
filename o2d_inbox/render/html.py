"""HTML mail → readable plain text for the conversation pane (headless, no Textual).

html2text does the layout, but it sits on html.parser, which goes quadratic on some hostile
inputs (measured here: 50,000 × "<!--" took 18 s, 100,000 × "</" 3.6 s, 200,000 × "&" 1.5 s),
and its list/blockquote indentation makes a 3,000-level nesting produce 9 MB of text. So the
input is first rewritten by a linear pre-pass into a tiny, well-formed HTML subset:

- at most ``max_chars`` of input (the rest is cut and "[… truncated]" is appended);
- comments, <script>, <style>, <title>, <template>, <noscript>, <svg>, <head>-only tags and
  <!…>/<?…> declarations are removed with their contents; images are dropped;
- only structure survives: p, br, hr, ul/ol/li, dl/dt/dd, blockquote, pre, a[href];
  headings become paragraphs; div-like blocks become line breaks (webmail writes one <div>
  per line); table rows become lines and cells are separated by spaces
  (cold-email HTML is layout tables, not data);
- blockquote/list nesting is capped at MAX_NESTING levels (deeper levels are flattened);
- text is entity-decoded and re-escaped, so stray "<" and "&" can no longer stall the parser.

Links stay readable as reference links: "see [our pricing][1]" in the text and
"[1]: https://…" at the end (tracking URLs are long; inline they would bury the sentence).
The result goes through safe_text(): entities such as ``&#27;`` cannot smuggle escapes in.
"""

from __future__ import annotations

import html as _html
import re

import html2text

from o2d_inbox.render.text import safe_text

__all__ = ["html_to_text", "MAX_NESTING", "TRUNCATED_NOTE", "DEFAULT_MAX_CHARS"]

DEFAULT_MAX_CHARS = 200_000
MAX_NESTING = 8
TRUNCATED_NOTE = "[… truncated]"

# A start or end tag whose attributes contain no "<" or ">" (linear: stops at the next "<").
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)([^<>]*)>")
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)

# Removed together with everything up to their closing tag.
_RAW = frozenset({"script", "style", "title", "template", "noscript", "svg", "math", "object", "xml"})
_KEEP = frozenset({"p", "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "pre"})
_AS_PARAGRAPH = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_AS_DIV = frozenset(
    {
        "center",
        "section",
        "article",
        "header",
        "footer",
        "main",
        "nav",
        "aside",
        "address",
        "figure",
        "figcaption",
        "form",
        "fieldset",
        "caption",
        "table",
        "details",
        "summary",
        "div",
    }
)
_NESTED = frozenset({"blockquote", "ul", "ol", "dl"})
_BLANK_RUNS = re.compile(r"\n{3,}")


def _simplify(src: str) -> str:
    """The linear pre-pass described in the module docstring."""
    low = src.lower()
    n = len(src)
    out: list[str] = []
    nesting = 0  # open blockquote/list levels that were kept
    dropped: dict[str, int] = {}  # per tag: opened beyond the cap, whose close tags we skip
    i = 0

    def text(segment: str) -> None:
        if segment:
            out.append(_html.escape(_html.unescape(segment), quote=False))

    while i < n:
        j = src.find("<", i)
        if j < 0:
            text(src[i:])
            break
        text(src[i:j])
        if low.startswith("<!--", j):
            k = src.find("-->", j + 4)
            i = n if k < 0 else k + 3
            continue
        m = _TAG.match(src, j)
        if m is None:
            if low.startswith(("<!", "<?"), j):  # doctype, CDATA, processing instruction
                k = src.find(">", j)
                i = n if k < 0 else k + 1
            else:  # a lone "<" is text
                out.append("&lt;")
                i = j + 1
            continue
        i = m.end()
        closing, name, attrs = m.group(1) == "/", m.group(2).lower(), m.group(3)
        if name in _RAW:
            if not closing and not attrs.rstrip().endswith("/"):
                k = low.find("</" + name, i)
                if k < 0:
                    i = n
                else:
                    k = src.find(">", k)
                    i = n if k < 0 else k + 1
            continue
        if name in _NESTED:
            if closing:
                if dropped.get(name):
                    dropped[name] -= 1
                    continue
                nesting = max(0, nesting - 1)
            elif nesting >= MAX_NESTING:
                dropped[name] = dropped.get(name, 0) + 1
                continue
            else:
                nesting += 1
            out.append(f"<{'/' if closing else ''}{name}>")
        elif name in _KEEP:
            out.append(f"<{'/' if closing else ''}{name}>")
        elif name in _AS_PARAGRAPH:
            out.append("</p>" if closing else "<p>")
        elif name in _AS_DIV:
            # A line break, not a paragraph: webmail writes one <div> per line.
            if out and out[-1] != "<br>":
                out.append("<br>")
        elif name == "a":
            if closing:
                out.append("</a>")
            else:
                h = _HREF.search(attrs)
                href = "" if h is None else next(g for g in h.groups() if g is not None)
                href = _html.unescape(href).strip()
                out.append(f'<a href="{_html.escape(href)}">' if href else "<a>")
        elif name in ("br", "hr"):
            out.append(f"<{name}>")
        elif name == "tr" and closing:
            out.append("<br>")
        elif name in ("td", "th") and closing:
            out.append("  ")
        # anything else (span, font, b, img, meta, link, html, body, head, …): dropped, text kept
    return "".join(out)


class _Converter(html2text.HTML2Text):
    """html2text tuned for reading mail in a terminal."""

    def __init__(self) -> None:
        super().__init__(bodywidth=0)  # the widget wraps to its own width
        self.ignore_images = True
        self.ignore_emphasis = True
        self.ignore_tables = True
        self.inline_links = False
        self.links_each_paragraph = False
        self.unicode_snob = True
        self.single_line_break = False

    def handle_data(self, data: str, entity_char: bool = False) -> None:
        # We render plain text, not Markdown: skip html2text's "1\." / "\-" escaping.
        super().handle_data(data, True)


def html_to_text(html: str | None, *, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """Readable, terminal-safe text of an HTML body (see the module docstring). None -> ""."""
    if not html:
        return ""
    truncated = len(html) > max_chars
    if truncated:
        html = html[:max_chars]
    text = _Converter().handle(_simplify(html))
    text = _BLANK_RUNS.sub("\n\n", safe_text(text)).strip("\n")
    if truncated:
        text = f"{text}\n\n{TRUNCATED_NOTE}" if text else TRUNCATED_NOTE
    return text
