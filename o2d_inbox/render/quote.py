"""Split a reply body into what the sender wrote now and the history it quotes (headless).

The quoted part starts at the first attribution or forwarded-header block:
- "On <date>, <name> wrote:" (also wrapped over up to three lines, and the common French,
  German, Spanish, Portuguese, Italian and Dutch forms);
- "-----Original Message-----" (any dashes/spacing), "Begin forwarded message:",
  "---------- Forwarded message ---------";
- an Outlook header block: "From: …" followed within four lines by "Sent: …" or "Date: …"
  (optionally preceded by a "______" rule, which goes with it);
and otherwise at the trailing run of "> " lines. Everything from there on is history.
"> " lines followed by new text (inline answers) are left in the new part: folding them would
hide the answers.

``attribution(who, when)`` is the line our own reply puts above the message it quotes
("On Tue, 2 Jun 2026 at 14:30, sarah@acme.com wrote:"); render.compose puts the two below
the reply.
"""

from __future__ import annotations

import re
from datetime import datetime

__all__ = ["split_quoted", "attribution"]

_ATTRIBUTION_END = re.compile(r"(wrote|a écrit|schrieb|escribió|escreveu|ha scritto|schreef)\s*:\s*$", re.IGNORECASE)
_ATTRIBUTION_START = re.compile(r"^\s*(on|le|am|el|em|il|op)\s", re.IGNORECASE)
_SEPARATOR = re.compile(
    r"^\s*(-{2,}\s*(original message|forwarded message|ursprüngliche nachricht|message d'origine)"
    r"\s*-{2,}|begin forwarded message:)\s*$",
    re.IGNORECASE,
)
_FROM = re.compile(r"^\s*\*?(from|von|de|da)\s*:\*?\s", re.IGNORECASE)
_SENT = re.compile(r"^\s*\*?(sent|date|gesendet|envoyé|enviado|inviato)\s*:\*?\s", re.IGNORECASE)
_RULE = re.compile(r"^\s*_{10,}\s*$")
_QUOTED = re.compile(r"^\s*>")


def _next_is_quoted(lines: list[str], i: int) -> bool:
    for line in lines[i + 1 :]:
        if line.strip():
            return bool(_QUOTED.match(line))
    return False


def _history_start(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if _SEPARATOR.match(line):
            return i
        if _ATTRIBUTION_START.match(line):
            for j in range(i, min(i + 3, len(lines))):
                if _ATTRIBUTION_END.search(lines[j]):
                    return i
                if not lines[j].strip():
                    break
        elif _ATTRIBUTION_END.search(line) and _next_is_quoted(lines, i):
            # "John Smith <john@x> wrote:" without "On": only when quoted lines follow,
            # so "here is what I wrote:" in new text is not taken for history
            return i
        if _FROM.match(line) and any(_SENT.match(after) for after in lines[i + 1 : i + 5]):
            return i - 1 if i > 0 and _RULE.match(lines[i - 1]) else i
    # trailing "> " run (blank lines inside it allowed)
    start = None
    for i in range(len(lines) - 1, -1, -1):
        if _QUOTED.match(lines[i]):
            start = i
        elif lines[i].strip():
            break
    return start


def split_quoted(text: str | None) -> tuple[str, str]:
    """(new part, quoted history). Both without surrounding blank lines; history may be ""."""
    if not text:
        return "", ""
    lines = text.split("\n")
    start = _history_start(lines)
    if start is None:
        return text.strip("\n").rstrip(), ""
    new = "\n".join(lines[:start]).strip("\n").rstrip()
    quoted = "\n".join(lines[start:]).strip("\n").rstrip()
    return new, quoted


def attribution(who: str | None, when: datetime | None) -> str:
    """The line above a quoted message. The date is shown as the message carries it (its own
    offset), so the same draft always produces the same bytes."""
    who = (who or "").strip() or "you"
    if when is None:
        return f"{who} wrote:"
    return f"On {when:%a}, {when.day} {when:%b %Y} at {when:%H:%M}, {who} wrote:"
