"""Dialogs over the inbox: the inbox stays visible, dimmed, and the dialog sits right of
the sidebar (whose counts it would otherwise cut)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from textual import events
from textual.color import Color, ColorParseError
from textual.css.scalar import Unit


def see_through(screen) -> None:
    """Dim the inbox under a modal instead of hiding it (app.tcss paints every Screen opaque,
    and app CSS outranks a widget's DEFAULT_CSS, so this is set inline)."""
    background = screen.app.theme_variables.get("background") or "black"
    try:
        screen.styles.background = Color.parse(background).with_alpha(0.6)
    except ColorParseError:  # a theme with an odd value: keep the opaque default
        pass
    beside_sidebar(screen)


def beside_sidebar(screen) -> None:
    """Centre the dialog right of the sidebar: laid over it, the dialog's edge cut the counts
    in two ("454" showed as "4") with nothing to tell them from real ones. A margin on the
    dialog, not a padding on the screen (that shifts the inbox drawn under it); recomputed
    on every resize (SeeThrough), as the sidebar comes and goes with the width."""
    dialog = next(iter(screen.children), None)
    if dialog is None:
        return
    if not hasattr(dialog, "_o2d_max_width"):
        dialog._o2d_max_width = dialog.styles.max_width  # its own, before any squeezing
    sidebar = next(iter(screen.app.screen_stack[0].query("#queues")), None)
    edge = sidebar.region.right if sidebar is not None and sidebar.display and sidebar.region.width else 0
    room = screen.app.size.width - edge - 4
    dialog.styles.margin = (0, 0, 0, edge)
    widest = dialog._o2d_max_width
    if widest is None or widest.unit != Unit.CELLS or widest.value > room:
        dialog.styles.max_width = room
    else:
        dialog.styles.max_width = widest


class _Screen(Protocol):
    """What SeeThrough needs of the screen it is mixed into."""

    def call_after_refresh(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> bool: ...


class SeeThrough:
    """For modal screens over the inbox (with see_through on mount): placed again after
    every resize, once the inbox under them has laid itself out for the new width."""

    def on_resize(self: _Screen, event: events.Resize) -> None:
        self.call_after_refresh(beside_sidebar, self)
