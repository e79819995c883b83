"""What the user typed, made ready to send: a clean bodyText and a safe bodyHtml.

    clean_body(text) -> str      line endings normalised to \\n, control characters dropped
                                 (tabs and newlines kept), trailing whitespace of the whole
                                 body removed. The bodyText that goes on the wire.
    text_to_html(text) -> str    the same text as HTML: every character escaped (the text is
                                 data, never markup), blank lines separate <p> paragraphs,
                                 single newlines become <br>. "" for an empty body.

Both are pure and deterministic: the outbox stores their result verbatim, so a re-send
under the same Idempotency-Key carries byte-identical bodies.
"""

from __future__ import annotations

import html
import re

__all__ = ["clean_body", "text_to_html"]

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
    body = clean_body(text).strip("\n")
    if not body.strip():
        return ""
    paragraphs = _PARAGRAPH_BREAK.split(body)
    out = []
    for para in paragraphs:
        lines = [html.escape(line, quote=True) for line in para.split("\n")]
        out.append("<p>" + "<br>\n".join(lines) + "</p>")
    return "\n".join(out)
