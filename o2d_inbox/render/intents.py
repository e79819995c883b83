"""How a reply intent looks: a glyph and a short label (never colour alone) and a theme colour.

The colour is a theme variable ``intent-<name>`` (see themes/*.toml), so the light theme
picks its own. Unknown server values get the neutral look under their own name, made safe
(render.text.safe_line): an intent is server text like any other, escapes included.
"""

from __future__ import annotations

from dataclasses import dataclass

from o2d_inbox.render.text import safe_line


@dataclass(frozen=True)
class IntentLook:
    key: str  # the stored value, "unclassified" for NULL
    glyph: str
    short: str  # 3 letters, for the thread list badge
    label: str  # for the sidebar, help, palette
    variable: str  # theme variable holding the colour


_LOOKS = [
    IntentLook("interested", "★", "int", "interested", "intent-interested"),
    IntentLook("neutral", "·", "neu", "neutral", "intent-neutral"),
    IntentLook("out_of_office", "◷", "ooo", "out of office", "intent-out-of-office"),
    IntentLook("not_interested", "✕", "not", "not interested", "intent-not-interested"),
    IntentLook("bounced", "↯", "bnc", "bounced", "intent-bounced"),
    IntentLook("unsubscribe", "⊘", "uns", "unsubscribe", "intent-unsubscribe"),
    IntentLook("unclassified", "?", "unc", "unclassified", "intent-unclassified"),
]
INTENTS: dict[str, IntentLook] = {look.key: look for look in _LOOKS}
ORDER = [look.key for look in _LOOKS]

# Colours used when the active theme does not define the intent variables.
FALLBACK_COLOURS = {
    "intent-interested": "#3fb950",
    "intent-neutral": "#8b949e",
    "intent-out-of-office": "#d29922",
    "intent-not-interested": "#f85149",
    "intent-bounced": "#db6d28",
    "intent-unsubscribe": "#bc8cff",
    "intent-unclassified": "#58a6ff",
}


def look(intent: str | None) -> IntentLook:
    if intent is None:
        return INTENTS["unclassified"]
    found = INTENTS.get(intent)
    if found is not None:
        return found
    label = safe_line(intent.replace("_", " ")) or "?"
    return IntentLook(intent, "·", label[:3].lower(), label, "intent-neutral")
