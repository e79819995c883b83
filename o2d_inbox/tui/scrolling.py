"""Resizing a Line-API view's content without re-laying out the screen.

Assigning ``virtual_size`` asks Textual for a layout of the whole screen (every widget placed
again, 10–40 ms at 160×48): the thread list paid it on every queue switch and the
conversation pane on every thread it showed, so on every `j`. Both views have a size fixed by
CSS, so their content height only decides their scrollbars; the screen needs a new layout
only when a scrollbar appears or goes (Textual's scrollbar reactives ask for it themselves).
"""

from __future__ import annotations

from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.widget import Widget

__all__ = ["set_virtual_size"]


def set_virtual_size(view: ScrollView, size: Size, *, repaint: bool = True) -> None:
    """``view.virtual_size = size``, with a screen layout only if the scrollbars change
    (``repaint=False``: the lines shown stay as drawn; the scrollbar is redrawn)."""
    if size == view.virtual_size:
        return
    view.set_reactive(Widget.virtual_size, size)
    view._scroll_update(size)  # scrollbar visibility, sizes and the scroll offset's bounds
    if repaint:
        view.refresh()
