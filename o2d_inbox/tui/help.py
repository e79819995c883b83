"""The ? screen: every key the app answers to, as currently bound (keymap applied)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from o2d_inbox.tui.keys import bindings, user_keymap


def bound_keys(app, binding: Binding) -> str:
    """The keys of ``binding`` after the app's keymap, as the footer would show them."""
    keys = user_keymap(app).get(binding.id or "") or binding.key
    shown = []
    for key in keys.split(","):
        key = key.strip()
        shown.append(app.get_key_display(Binding(key, binding.action)))
    return " / ".join(shown)


class HelpScreen(ModalScreen[None]):
    BINDINGS = bindings("help")

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 76; max-width: 95%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, sections: list[tuple[str, list[Binding]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(justify="right", style="bold", min_width=14)
        table.add_column()
        table.add_column(style="dim")
        for title, section in self.sections:
            table.add_row(Text(title, style="underline"), "", "")
            for binding in section:
                table.add_row(bound_keys(self.app, binding), binding.description or binding.action, binding.id or "")
            table.add_row("", "", "")
        with VerticalScroll() as scroll:
            scroll.border_title = Text("Keys · esc closes · rebind by id in config.toml [keymap]")
            yield Static(table)
