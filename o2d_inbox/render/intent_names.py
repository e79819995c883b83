"""What a user may type for a reply intent: the stored value, the list's 3-letter badge, the
sidebar's label and common abbreviations (``intent:ooo``, ``int``, ``not``, ``unsub``,
``bounce``). Headless: search (cache/search.py) and the command line read it.

    intent_value("ooo") -> "out_of_office";  intent_value("unc") -> None (unclassified)
    intent_value("bogus") raises UnknownIntent (a ValueError naming the value, one line)
"""

from __future__ import annotations

#: stored value (None: unclassified) -> the names a user may type for it (lower-case; "-",
#: "_" and spaces are the same). The first three are the value, the list badge and the label.
NAMES: dict[str | None, tuple[str, ...]] = {
    "interested": ("interested", "int", "interested", "interest", "hot"),
    "neutral": ("neutral", "neu", "neutral"),
    "out_of_office": ("out_of_office", "ooo", "out of office", "oof", "away", "ooto"),
    "not_interested": ("not_interested", "not", "not interested", "notint", "ni"),
    "bounced": ("bounced", "bnc", "bounced", "bounce", "bounces"),
    "unsubscribe": ("unsubscribe", "uns", "unsubscribe", "unsub", "unsubscribed", "optout", "opt out"),
    None: ("unclassified", "unc", "unclassified", "none", "null"),
}


class UnknownIntent(ValueError):
    """Not a name of any intent; the message is one line for the user."""


def _fold(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


_BY_NAME: dict[str, str | None] = {_fold(name): value for value, names in NAMES.items() for name in names}


def intent_value(text: str) -> str | None:
    """The stored intent ``text`` names (None: unclassified): an exact name, else the one
    intent whose value or label starts with it (``interes``). Raises UnknownIntent."""
    key = _fold(text)
    if key in _BY_NAME:
        return _BY_NAME[key]
    if key:
        found = {value for name, value in _BY_NAME.items() if name.startswith(key)}
        if len(found) == 1:
            return found.pop()
    known = ", ".join(names[1] for names in NAMES.values())
    raise UnknownIntent(f"unknown intent {text!r} (one of {known}, or the full name)")
