"""What the user typed, made ready to send: a clean bodyText and a safe bodyHtml.

    clean_body(text) -> str      line endings normalised to \\n, control characters dropped
                                 (tabs and newlines kept), trailing whitespace of the whole
                                 body removed. The bodyText that goes on the wire.
    text_to_html(text) -> str    the same text as HTML: every character escaped (the text is
                                 data, never markup), blank lines separate <p> paragraphs,
                                 single newlines become <br>. "" for an empty body.
    quote_text(attribution, original) -> str
                                 the quoted block as text: the attribution line, then the
                                 original's lines each after "> ".
    with_quote(text, attribution, original) -> (bodyText, bodyHtml)
                                 a reply with the message it answers quoted below it: the
                                 text as clean_body, a blank line, quote_text; the HTML as
                                 text_to_html plus the original in a <blockquote>.

Both are pure and deterministic: the outbox stores their result verbatim, so a re-send
under the same Idempotency-Key carries byte-identical bodies.
"""

from __future__ import annotations

import re

__all__ = ["clean_body", "text_to_html", "quote_text", "with_quote"]

# C0 controls except \t and \n, DEL, C1 controls. A pasted escape sequence would otherwise
# reach the recipient's mail client (and our own terminal when the sent message syncs back).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")


def clean_body(text: str | None) -> str:
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    return _CONTROLS.sub("", text).rstrip()


def text_to_html(text: str | None) -> str:
    import html  # here: its entity table costs ~1 ms, and the inbox's first frame sends nothing

    body = clean_body(text).strip("\n")
    if not body.strip():
        return ""
    paragraphs = _PARAGRAPH_BREAK.split(body)
    out = []
    for para in paragraphs:
        lines = [html.escape(line, quote=True) for line in para.split("\n")]
        out.append("<p>" + "<br>\n".join(lines) + "</p>")
    return "\n".join(out)


def quote_text(attribution: str, original: str) -> str:
    lines = clean_body(original).strip("\n").split("\n")
    return clean_body(attribution) + "\n" + "\n".join(f"> {line}".rstrip() for line in lines)


def with_quote(text: str, attribution: str, original: str) -> tuple[str, str]:
    import html

    body = clean_body(text).strip("\n")
    quoted = quote_text(attribution, original)
    html_body = text_to_html(body)
    html_quote = (
        '<div class="quote"><p>' + html.escape(clean_body(attribution), quote=True) + "</p>\n"
        "<blockquote>" + text_to_html(original) + "</blockquote></div>"
    )
    return (f"{body}\n\n{quoted}" if body else quoted), "\n".join(p for p in (html_body, html_quote) if p)
