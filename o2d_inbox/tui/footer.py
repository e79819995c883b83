"""The key footer: one widget that draws the keys on show as a single line of text.

Textual's Footer is a container of ~15 FooterKey widgets that it recomposes (and the whole
screen lays out again) after every bindings signal, i.e. every focus change; each recompose
also left its dead keys bound to the Footer for good (Textual issue #6666). This Footer reads
the same source (the screen's active bindings, which follow the actions table and the user's
keymap), keeps the same look (key, then description; the command palette's key on the right
behind a thin rule) and only repaints itself when the keys on show change: no widgets, no
layout. A click on a key presses it, as Textual's footer does.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget

__all__ = ["Footer"]


class _Key(NamedTuple):
    key: str
    display: str
    description: str
    enabled: bool


class Footer(Widget, can_focus=False):
    """The keys of the focused context, drawn as one line; repainted, never re-laid out."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"footer--key", "footer--description", "footer--rule"}
    DEFAULT_CSS = """
    Footer {
        dock: bottom;
        height: 1;
        width: 1fr;
        color: $footer-foreground;
        background: $footer-background;
        .footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .footer--rule {
            color: $foreground 20%;
        }
    }
    """

    _look_pending = False
    _looked = False  # the keys were looked up at least once
    _keys: tuple[_Key, ...] = ()
    _palette: _Key | None = None
    _spans: tuple[tuple[int, int, str], ...] = ()  # (start, end, key) of each drawn key, for clicks

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen) -> None:
        # several signals come together (focus, then screen); one look after the next refresh
        if self.is_attached and screen is self.screen and not self._look_pending:
            self._look_pending = True
            self.call_after_refresh(self._look)

    def _look(self) -> None:
        self._look_pending = False
        if not self.is_attached:
            return
        keys, palette = self._shown()
        self._looked = True
        if (keys, palette) != (self._keys, self._palette):
            self._keys, self._palette = keys, palette
            self.refresh()

    def _shown(self) -> tuple[tuple[_Key, ...], _Key | None]:
        """The shown bindings (one per action, in order) and the palette's, as the user's keys."""
        app = self.app
        palette_key = app.COMMAND_PALETTE_BINDING if app.ENABLE_COMMAND_PALETTE else None
        keys: list[_Key] = []
        actions: set[str] = set()
        palette: _Key | None = None
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            shown = _Key(binding.key, app.get_key_display(binding), binding.description, active.enabled)
            if key == palette_key:
                palette = shown
            if binding.show and binding.action not in actions:
                actions.add(binding.action)
                keys.append(shown)
        return tuple(keys), palette

    def _label(self, key: _Key) -> Text:
        key_style = self.get_component_rich_style("footer--key")
        text = Text.assemble((f" {key.display} ", key_style))
        if key.description:
            text.append(f"{key.description} ", self.get_component_rich_style("footer--description"))
        if not key.enabled:
            text.stylize(Style(dim=True))
        return text

    def _palette_label(self, key: _Key) -> Text:
        """The palette's key, right-aligned behind a thin rule, drawn tighter (as Textual does)."""
        text = Text.assemble(
            ("▏", self.get_component_rich_style("footer--rule")),
            (key.display, self.get_component_rich_style("footer--key")),
            (f" {key.description}", self.get_component_rich_style("footer--description")),
            " ",
        )
        if not key.enabled:
            text.stylize(Style(dim=True))
        return text

    def render(self) -> Text:
        if not self._looked:
            # The first frame comes before the first bindings signal (the focus is set as the
            # screen mounts): the keys as they are now, rather than a blank line for two frames.
            self._keys, self._palette = self._shown()
            self._looked = True
        width = self.size.width
        line = Text(no_wrap=True, overflow="crop", end="")
        spans: list[tuple[int, int, str]] = []
        right = Text(end="")
        if self._palette is not None:
            right = self._palette_label(self._palette)
        room = max(0, width - right.cell_len)
        for key in self._keys:
            start = line.cell_len
            if start >= room:
                break
            line.append_text(self._label(key))
            spans.append((start, min(line.cell_len, room), key.key))
        line.truncate(room, pad=True)  # the last key that does not fit is cut, as Textual's was
        if self._palette is not None and right.cell_len <= width:
            spans.append((line.cell_len, line.cell_len + right.cell_len, self._palette.key))
            line.append_text(right)
        self._spans = tuple(spans)
        return line

    def key_at(self, x: int) -> str | None:
        """The key drawn at column ``x`` (None between keys)."""
        return next((key for start, end, key in self._spans if start <= x < end), None)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        key = self.key_at(event.x)
        if key is None:
            return
        if any(k.key == key and k.enabled for k in (*self._keys, self._palette) if k is not None):
            self.app.simulate_key(key)
        else:
            self.app.bell()
