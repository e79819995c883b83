"""The link picker: the links of the message(s) on screen (render/links.py), one to open.

``LinkPicker(links)`` lists each link's words and, under them, where it really goes. enter
(or `1`–`9`) opens the chosen one with ``app.open_url`` (the terminal's / system's browser)
and closes; `c` copies its URL to the terminal clipboard (``app.copy_to_clipboard``); esc
closes. Dismissed with the opened URL, or None.

Everything shown is plain text (render/links.py made it safe); only http(s) and mailto
links ever reach this screen.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from o2d_inbox.render.links import Link
from o2d_inbox.tui.dialog import SeeThrough, see_through

__all__ = ["LinkPicker"]


class LinkPicker(SeeThrough, ModalScreen[str | None]):
    BINDINGS = [
        *[Binding(str(n), f"open({n - 1})", f"open link {n}", show=False, id=f"links.open_{n}") for n in range(1, 10)],
        Binding("c", "copy", "Copy the URL", id="links.copy"),
        Binding("j", "move(1)", "Down", show=False, id="links.down"),
        Binding("k", "move(-1)", "Up", show=False, id="links.up"),
        Binding("escape,q", "close", "Close", id="links.close"),
    ]

    DEFAULT_CSS = """
    LinkPicker { align: center middle; }
    LinkPicker > Vertical {
        width: 90; max-width: 95%; height: auto; max-height: 85%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    LinkPicker OptionList, LinkPicker OptionList:focus {
        height: auto; max-height: 100%; border: none; background: $surface; padding: 0;
    }
    LinkPicker Static { color: $text-muted; }
    """

    def __init__(self, links: list[Link], title: str = "Links") -> None:
        super().__init__()
        self.links = list(links)
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text(f"{self.title_text} · {len(self.links)}")
            if not self.links:
                yield Static(Text("No links in this conversation."), id="links-empty")
            else:
                yield OptionList(
                    *[Option(self._prompt(n, link), id=str(n - 1)) for n, link in enumerate(self.links, 1)], id="links"
                )
            yield Static(Text("enter / 1–9 opens in the browser · c copies · esc closes"))

    @staticmethod
    def _prompt(n: int, link: Link) -> Text:
        prompt = Text(f"{n if n < 10 else ' '}  ", style="bold")
        prompt.append(link.text)
        if link.text != link.url:
            prompt.append(f"\n↳ {link.url}", style="dim")  # where it really goes
        return prompt

    def on_mount(self) -> None:
        see_through(self)
        if self.links:
            self.query_one(OptionList).focus()

    def _highlighted(self) -> Link | None:
        if not self.links:
            return None
        index = self.query_one(OptionList).highlighted
        return self.links[index] if index is not None else None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_open(int(event.option.id or 0))

    def action_open(self, index: int) -> None:
        if 0 <= index < len(self.links):
            url = self.links[index].url
            self.app.open_url(url)
            self.dismiss(url)

    def action_copy(self) -> None:
        link = self._highlighted()
        if link is not None:
            self.app.copy_to_clipboard(link.url)
            self.notify(f"Copied {link.url}", timeout=2, markup=False)

    def action_move(self, step: int) -> None:
        if self.links:
            options = self.query_one(OptionList)
            options.action_cursor_down() if step > 0 else options.action_cursor_up()

    def action_close(self) -> None:
        self.dismiss(None)
