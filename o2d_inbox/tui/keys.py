"""The actions table (o2d_inbox/keymap.py) as Textual sees it: Bindings per context, the
help screen's sections, the palette's entries and key hints that follow the user's keymap.

A node's ``BINDINGS`` is ``bindings("<context>")``; every Binding carries the table's id, so
the keymap (App.set_keymap) rebinds it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.binding import Binding, BindingType

from o2d_inbox import keymap
from o2d_inbox.keymap import ACTIONS, GROUPS

__all__ = ["bindings", "help_sections", "key_for", "palette_entries"]

PaletteEntry = tuple[str, str, Callable[[], Any]]


def _binding(action: keymap.Action) -> Binding:
    return Binding(
        action.keys, action.action, action.description, show=action.show, id=action.id or None, priority=action.priority
    )


def bindings(context: str) -> list[BindingType]:
    """The Bindings of the node where ``context`` applies, in table order."""
    return [_binding(a) for a in keymap.actions_for(context)]


def user_keymap(app: Any) -> dict[str, str]:
    """The keymap the user configured (binding id -> keys); {} for an app without one."""
    return dict(getattr(app, "keymap", None) or {})


def key_for(app: Any, action_id: str, *, every: bool = False) -> str:
    """The key the user presses for ``action_id`` in ``app`` ('e', or what the keymap says)."""
    return keymap.key_for(action_id, user_keymap(app), every=every)


def help_sections() -> list[tuple[str, list[Binding]]]:
    """Every key, by help section (the help screen shows each binding's keys after the keymap)."""
    return [(group, [_binding(a) for a in ACTIONS if a.group == group and a.in_help and a.keys]) for group in GROUPS]


def palette_entries(app: Any, nodes: dict[str, Any]) -> list[PaletteEntry]:
    """(name, help, run) for every action with a palette name; ``nodes`` maps a context to the
    node its action runs on (the key, from the keymap, ends the help)."""
    entries: list[PaletteEntry] = []
    for action in ACTIONS:
        if action.palette is None or action.context not in nodes:
            continue
        help_text = action.palette_help
        if action.id:
            hint = f"key {key_for(app, action.id, every=True)}"
            help_text = f"{help_text} · {hint}" if help_text else hint
        entries.append((action.palette, help_text, partial(app.run_action, action.action, nodes[action.context])))
    return entries
