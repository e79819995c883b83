"""Going straight to a queue: `'` then one key (n Needs reply, a All, 1–7 an intent in the
sidebar's order, d Done, s Snoozed; esc cancels).

A two-key chord such as Gmail's `g i` does not fit Textual's bindings (one key, one action) and
`g` is already "first thread"; so the first key opens this one-line prompt, which takes the
next key whatever it is. The intent digits are the ones that set that intent, so `'1` goes to
the queue `1` sends a thread to. Result: a view id for the inbox's show_queue, or None.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.color import Color
from textual.screen import ModalScreen
from textual.widgets import Static

from o2d_inbox.keymap import actions_for, keys_of
from o2d_inbox.tui.keys import bindings, key_for, user_keymap

__all__ = ["GoToScreen"]


class GoToScreen(ModalScreen[str | None]):
    BINDINGS = bindings("goto")

    DEFAULT_CSS = """
    GoToScreen { align: center bottom; }
    GoToScreen > Static { width: 100%; height: auto; background: $accent 30%; padding: 0 1; margin-bottom: 2; }
    """

    def compose(self) -> ComposeResult:
        parts = [f"{key_for(self.app, a.id)} {a.description}" for a in actions_for("goto") if a.in_help]
        yield Static(Text("Go to: " + " · ".join(parts) + " · esc cancels"), id="go-to-hint")

    def on_mount(self) -> None:
        # the list stays in sight while the next key is awaited (app.tcss paints every Screen
        # opaque and outranks DEFAULT_CSS: set inline)
        self.styles.background = Color(0, 0, 0, 0)

    def action_go(self, option_id: str | None) -> None:
        self.dismiss(option_id)

    def on_key(self, event: events.Key) -> None:
        # any other key ends the prompt rather than doing something unexpected later
        keymap = user_keymap(self.app)
        if not any(key.strip() == event.key for a in actions_for("goto") for key in keys_of(a.id, keymap).split(",")):
            event.stop()
            self.dismiss(None)
