"""The inbox's one-line header: workspace (and triage tally, selection) on the left, sync ·
outbox · connection on the right; the right side shortens before the left is cut."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

__all__ = ["HeaderBar"]


class HeaderBar(Widget):
    """One line: workspace on the left, sync · outbox · connection on the right."""

    DEFAULT_CSS = """
    HeaderBar { height: 1; background: $panel; color: $foreground; }
    """

    def __init__(self, left: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.left = left
        self.right = self.compact = Text()

    def set_right(self, right: Text, compact: Text | None = None) -> None:
        self.right = right
        self.compact = compact or right
        self.refresh()

    def render(self) -> Text:
        width = self.size.width
        for left, right in ((" · " + self.left, self.right), ("", self.right),
                            ("", self.compact)):
            text = Text(" ")
            text.append("o2d-inbox", style="bold")
            text.append(left)
            pad = width - text.cell_len - right.cell_len - 1
            if pad >= 1:
                text.append(" " * pad)
                text.append_text(right)
                return text
        return text
