"""The `i` picker: the six reply intents (numbered as in the sidebar) and "clear"."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from o2d_inbox.keymap import CLEAR, NUMBERED
from o2d_inbox.tui.dialog import SeeThrough, see_through
from o2d_inbox.tui.intents import FALLBACK_COLOURS, INTENTS
from o2d_inbox.tui.keys import bindings

__all__ = ["CLEAR", "NUMBERED", "IntentPicker", "intent_colour"]  # NUMBERED, CLEAR: o2d_inbox/keymap.py


def intent_colour(app, key: str) -> str:
    variable = INTENTS[key].variable
    return app.theme_variables.get(variable) or FALLBACK_COLOURS[variable]


class IntentPicker(SeeThrough, ModalScreen[str | None]):
    """Returns the chosen intent key ('unclassified' clears), or None when closed."""

    BINDINGS = bindings("intent")

    DEFAULT_CSS = """
    IntentPicker { align: center middle; }
    IntentPicker > Vertical {
        width: 40; height: auto; border: round $primary; background: $surface; padding: 0 1;
    }
    IntentPicker OptionList, IntentPicker OptionList:focus {
        height: auto; border: none; background: $surface; padding: 0;
    }
    IntentPicker .hint { color: $text-muted; }
    """

    def __init__(self, current: str | None, title: str = "") -> None:
        super().__init__()
        self.current = current or CLEAR
        self.title_text = title

    def compose(self) -> ComposeResult:
        options = []
        for n, key in enumerate([*NUMBERED, CLEAR], 1):
            look = INTENTS[key]
            colour = intent_colour(self.app, key)
            number = "0" if key == CLEAR else str(n)
            prompt = Text(f"{number}  ")
            prompt.append(look.glyph, Style(color=colour, bold=True))
            prompt.append(" " + ("clear (unclassified)" if key == CLEAR else look.label), Style(color=colour))
            if key == self.current:
                prompt.append("  · current", Style(dim=True))
            options.append(Option(prompt, id=key))
        with Vertical() as box:
            box.border_title = Text("Reply intent" + (f" · {self.title_text}" if self.title_text else ""))
            yield OptionList(*options, id="intent-options")
            yield Static("1–6 / 0 or enter picks · esc closes", classes="hint")

    def on_mount(self) -> None:
        see_through(self)
        options = self.query_one(OptionList)
        keys = [*NUMBERED, CLEAR]
        options.highlighted = keys.index(self.current) if self.current in keys else 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_pick(self, key: str) -> None:
        self.dismiss(key)

    def action_close(self) -> None:
        self.dismiss(None)
