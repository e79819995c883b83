"""The links of a message, safe to offer for opening in a browser. Headless.

    find_links(text=None, html=None) -> [Link]
        http(s) and mailto links written in the text, then the hrefs of the HTML's <a>
        elements (with their link text); each URL once, in order of appearance.
    links_of(messages) -> [Link]
        the same over several messages (anything with body_text / body_html), deduplicated.

What comes out is safe to hand to a browser and to draw:
- only http, https (with a host) and mailto (with an address) survive; javascript:, data:,
  file:, vbscript: and every other scheme are dropped;
- whitespace and control characters inside a URL are removed first, as browsers do (so
  "java\\nscript:" is seen for what it is), and a URL longer than MAX_URL is dropped;
- ``Link.text`` (the link's words, or the URL itself) and ``Link.url`` are plain text
  through safe_line: never markup, never escape sequences. A link whose words name another
  address than its target is shown with both, so the user sees where it really goes.
At most MAX_LINKS links are returned.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from o2d_inbox.render.text import safe_line

__all__ = ["Link", "find_links", "links_of", "MAX_LINKS", "MAX_URL"]

MAX_LINKS = 200
MAX_URL = 2048
MAX_HTML_CHARS = 500_000  # of a body parsed for links

_IN_TEXT = re.compile(r"(?:https?://|mailto:)[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\"»”’"  # sentence punctuation after a URL is not part of it
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")


@dataclass(frozen=True)
class Link:
    url: str  # http(s) or mailto, safe to open and to draw
    text: str  # what the message calls it (or the URL), safe to draw


_CLOSERS = {")": "(", "]": "[", "}": "{"}  # a closing bracket and its opener


def _trim(url: str) -> str:
    """A URL found in running text, without the punctuation that ends its sentence; a
    closing bracket stays only when the URL opened one ("…/Foo_(bar)")."""
    while url:
        last = url[-1]
        if last in _TRAILING or last in _CLOSERS and url.count(last) > url.count(_CLOSERS[last]):
            url = url[:-1]
        else:
            break
    return url


def _safe_url(raw: str | None) -> str | None:
    """The URL as a browser would read it when it is http(s) with a host or mailto with an
    address; None for anything else."""
    url = _INVISIBLE.sub("", raw or "")
    if not url or len(url) > MAX_URL:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an invalid IPv6 host
        return None
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        if not parts.hostname:
            return None
    elif scheme == "mailto":
        if "@" not in parts.path:
            return None
    else:
        return None
    return scheme + url[len(parts.scheme) :]


class _Anchors(HTMLParser):
    """(href, text) of every <a href> in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self._open: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = next((v for k, v in attrs if k == "href" and v), None)
            if href is not None:
                self._open.append((href, []))

    def handle_data(self, data: str) -> None:
        for _, words in self._open:
            words.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open:
            href, words = self._open.pop()
            self.found.append((href, " ".join("".join(words).split())))

    def close(self) -> None:
        super().close()
        while self._open:  # an <a> never closed still links
            href, words = self._open.pop(0)
            self.found.append((href, " ".join("".join(words).split())))


def _label(url: str, words: str) -> str:
    words = safe_line(words).strip()
    shown = safe_line(url)
    if not words or words == shown or words.rstrip("/") == shown.rstrip("/"):
        return shown
    return words


def find_links(text: str | None = None, html: str | None = None) -> list[Link]:
    return links_of([_Body(text, html)])


@dataclass(frozen=True)
class _Body:
    body_text: str | None
    body_html: str | None


def links_of(messages: Iterable[Any]) -> list[Link]:
    found: dict[str, Link] = {}

    def add(raw: str, words: str = "") -> None:
        url = _safe_url(raw)
        if url is not None and url not in found and len(found) < MAX_LINKS:
            found[url] = Link(url=safe_line(url), text=_label(url, words))

    for message in messages:
        for match in _IN_TEXT.finditer(getattr(message, "body_text", None) or ""):
            add(_trim(match.group(0)))
        html = getattr(message, "body_html", None)
        if html:
            parser = _Anchors()
            try:
                parser.feed(html[:MAX_HTML_CHARS])
                parser.close()
            except Exception:  # noqa: BLE001 - a broken body gives what was read so far
                pass
            for href, words in parser.found:
                add(href.strip(), words)
    return list(found.values())
