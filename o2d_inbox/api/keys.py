"""The API key: whether it can be sent at all, and what of it may be shown (never all of it:
errors, logs, doctor, repr). scrub_keys is the one rule for text that may contain a key."""

from __future__ import annotations

import re

from o2d_inbox.api.errors import AuthError


def checked_key(api_key: str | None) -> str:
    """The key as it will be sent, or AuthError (before any request: httpx would fail later
    with the header value in its message)."""
    api_key = (api_key or "").strip()
    if not api_key:
        raise AuthError("no API key: set OUTREACH2DAY_API_KEY")
    if not api_key.isascii() or not api_key.isprintable() or " " in api_key:
        raise AuthError(f"the API key {mask_key(api_key)} contains characters a header cannot carry")
    return api_key


def mask_key(key: str | None) -> str:
    """What may be shown of a key: the ``ot2d_`` prefix and the last 4 characters, at most;
    nothing of a short or foreign key."""
    if not key:
        return "(none)"
    if key.startswith("ot2d_") and len(key) >= len("ot2d_") + 12:
        return f"ot2d_…{key[-4:]}"
    if key.startswith("ot2d_"):
        return "ot2d_…"
    return "…"


# Anything that looks like a key, whoever wrote it (a server may echo a key back in a name or an
# error text, or one not quite ours). Case-blind: an upper-cased echo is still a key.
_KEYLIKE = re.compile(r"ot2d_[A-Za-z0-9_\-]+", re.IGNORECASE)
# A known key cut in two (a character the server slipped in became a space when the text was
# made safe) leaves pieces no pattern recognises; this many of its characters in a row are
# still too much of it. Random keys share no such run with ordinary words.
_FRAGMENT = 8
_WORD = re.compile(rf"[A-Za-z0-9_\-]{{{_FRAGMENT},}}")


def scrub_keys(text: str, *keys: str | None) -> str:
    """``text`` with each given key (whole, or any piece of _FRAGMENT characters of it) and
    every ``ot2d_…`` token masked as by mask_key. Apply it after safe_line: an invisible
    character or an escape sequence inside a key would otherwise hide it from the pattern."""
    for key in keys:
        if key:
            text = _WORD.sub(_fragment_masker(key), text.replace(key, mask_key(key)))
    return _KEYLIKE.sub(lambda m: mask_key(m.group(0)), text)


def _fragment_masker(key: str):
    from difflib import SequenceMatcher  # error paths only: kept out of every start-up

    secret = key.removeprefix("ot2d_").lower()

    def mask(match: re.Match[str]) -> str:
        word = match.group(0)
        common = SequenceMatcher(None, word.lower(), secret, autojunk=False).find_longest_match()
        return "…" if common.size >= _FRAGMENT else word

    return mask
