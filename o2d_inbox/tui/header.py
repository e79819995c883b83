"""The inbox's one-line header: workspace, triage tally, sort and selection on the left, sync ·
outbox · connection on the right.

Everything on the left says something about what the keys act on now, so it fits before it
is cut: first the right side shortens (its compact form), then the left parts take their
short forms, the last first (the sort before the tally), then the workspace (the one part
that never changes in a session) goes, and only then is the rest cut with an ellipsis. A
left part is text or (full, short).
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from o2d_inbox.render.text import fit

__all__ = ["HeaderBar", "Part"]

Part = str | tuple[str, str]
BRAND = "o2d-inbox"


def _full(part: Part) -> str:
    return part if isinstance(part, str) else part[0]


def _short(part: Part) -> str:
    return part if isinstance(part, str) else part[1]


class HeaderBar(Widget):
    """One line: the workspace and what the keys act on (left), sync · outbox · connection (right)."""

    DEFAULT_CSS = """
    HeaderBar { height: 1; background: $panel; color: $foreground; }
    """

    def __init__(self, left: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.parts: list[Part] = [left]  # the first is the workspace
        self.right = self.compact = Text()

    @property
    def left(self) -> str:
        """The left side in full (what a wide terminal shows)."""
        return " · ".join(_full(p) for p in self.parts if _full(p))

    def set_left(self, parts: list[Part]) -> None:
        self.parts = parts
        self.refresh()

    def set_right(self, right: Text, compact: Text | None = None) -> None:
        self.right = right
        self.compact = compact or right
        self.refresh()

    def _lefts(self) -> list[str]:
        """The left side from the richest to the leanest: in full, then short from the last
        part back, then short without the workspace."""
        parts = self.parts
        forms = [[*map(_full, parts[:n]), *map(_short, parts[n:])] for n in range(len(parts), -1, -1)]
        forms.append(forms[-1][1:])
        return [" · ".join(s for s in form if s) for form in forms]

    def render(self) -> Text:
        width = self.size.width
        lefts = self._lefts()
        full, lean = lefts[0], lefts[-1]
        for left, right in ((full, self.right), *((left, self.compact) for left in lefts)):
            line = self._line(left, right, width)
            if line is not None:
                return line
        # still too wide: the lean left side cut to the room the compact right side leaves
        room = width - len(BRAND) - 1 - 3 - self.compact.cell_len - 2
        if room >= 8 and lean:
            line = self._line(fit(lean, room).rstrip(), self.compact, width)
            if line is not None:
                return line
        room = width - len(BRAND) - 1 - 3 - 1
        return self._line(fit(lean, room).rstrip() if room >= 4 and lean else "", Text(), width) or Text()

    @staticmethod
    def _line(left: str, right: Text, width: int) -> Text | None:
        """' o2d-inbox · left   right', or None when it does not fit in ``width``."""
        text = Text(" ")
        text.append(BRAND, style="bold")
        if left:
            text.append(" · " + left)
        pad = width - text.cell_len - right.cell_len - 1
        if pad < 1:
            return None
        text.append(" " * pad)
        text.append_text(right)
        return text
