"""What the Line-API views (thread list, sidebar, conversation pane) share: resizing their
content without re-laying out the screen, and their own style looked up once, not per line.

Assigning ``virtual_size`` asks Textual for a layout of the whole screen (every widget placed
again, 10–40 ms at 160×48): the thread list paid it on every queue switch and the
conversation pane on every thread it showed, so on every `j`. Both views have a size fixed by
CSS, so their content height only decides their scrollbars; the screen needs a new layout
only when a scrollbar appears or goes (Textual's scrollbar reactives ask for it themselves).

``rich_style`` walks every ancestor's styles (~40 µs): asked for each line drawn, it was about
a tenth of the first frame's drawing. BaseStyle keeps it until the widget's next style update.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.widget import Widget

__all__ = ["BaseStyle", "set_virtual_size"]

# a plain mixin at run time: a Widget subclass in the views' bases would shadow ScrollView's
# class attributes (bindings, reactives, focus) with Widget's
if TYPE_CHECKING:
    _Mixin = Widget
else:
    _Mixin = object


class BaseStyle(_Mixin):
    """Mixed into a widget: its ``base_style`` (its ``rich_style``) is looked up once per
    style update and theme rather than for each line it draws."""

    _base: tuple[str, Style] | None = None

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base = None

    @property
    def base_style(self) -> Style:
        theme = self.app.theme
        if self._base is None or self._base[0] != theme:
            self._base = (theme, self.rich_style)
        return self._base[1]


def set_virtual_size(view: ScrollView, size: Size, *, repaint: bool = True) -> None:
    """``view.virtual_size = size``, with a screen layout only if the scrollbars change
    (``repaint=False``: the lines shown stay as drawn; the scrollbar is redrawn)."""
    if size == view.virtual_size:
        return
    view.set_reactive(Widget.virtual_size, size)
    view._scroll_update(size)  # scrollbar visibility, sizes and the scroll offset's bounds
    if repaint:
        view.refresh()
