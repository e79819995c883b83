"""The key footer: Textual's, rebuilt only when the keys it shows change, and without the
memory it would otherwise keep for good.

Textual's Footer recomposes (~15 FooterKey widgets, then a layout of the whole screen) after
every bindings signal: every focus change, and once more per signal when several come
together (five times while the inbox starts). This Footer coalesces the signals into one look
after the next refresh and recomposes only when the keys on show differ from those it drew.

Each recompose also binds each new FooterKey to the Footer's ``compact`` reactive
(``data_bind``). The binding is a watcher entry stored on the Footer, and Textual only drops
entries of removed widgets when ``compact`` itself changes, which it never does here: every
open of a conversation (focus to the pane and back) kept ~40 dead FooterKeys, ~0.8 MB, for the
rest of the session. This Footer drops those entries after each recompose, by the rule Textual
applies itself (the watcher has closed). Textual issue #6666.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer as TextualFooter

__all__ = ["Footer"]


class Footer(TextualFooter):
    """Textual's Footer that recomposes only for new keys and lets go of the keys it replaced."""

    _look_pending = False
    _drawn: tuple[Any, ...] | None = None

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._look_pending:
            self._look_pending = True
            self.call_after_refresh(self._recompose_if_changed)

    def _shown(self) -> tuple[Any, ...]:
        """What compose() draws from: the shown bindings (and the palette's), in order."""
        palette = self.app.COMMAND_PALETTE_BINDING
        return tuple(
            (key, active.binding, active.enabled, active.tooltip)
            for key, active in self.screen.active_bindings.items()
            if active.binding.show or key == palette
        )

    async def _recompose_if_changed(self) -> None:
        self._look_pending = False
        if self.is_attached and self._shown() != self._drawn:
            await self.recompose()

    async def recompose(self) -> None:
        self._drawn = self._shown() if self._bindings_ready else None
        await super().recompose()
        self._drop_closed_watchers()

    def _drop_closed_watchers(self) -> None:
        # Textual keeps watchers in the observed object's "__watchers" dict (reactive._watch)
        watchers: dict[str, list] = getattr(self, "__watchers", {})
        for entries in watchers.values():
            entries[:] = [(node, callback) for node, callback in entries if not (node._closing or node._closed)]
