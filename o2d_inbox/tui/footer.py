"""The key footer, without the memory it would otherwise keep for good.

Textual's Footer recomposes on every focus change (the bindings shown change) and binds each
new FooterKey to its own ``compact`` reactive (``data_bind``). The binding is a watcher entry
stored on the Footer, and Textual only drops entries of removed widgets when ``compact``
itself changes, which it never does here: every open of a conversation (focus to the pane and
back) kept ~40 dead FooterKeys, ~0.8 MB, for the rest of the session. This Footer drops those
entries after each recompose, by the rule Textual applies itself (the watcher has closed).
Textual issue #6666.
"""

from __future__ import annotations

from textual.widgets import Footer as TextualFooter

__all__ = ["Footer"]


class Footer(TextualFooter):
    """Textual's Footer that lets go of the keys it replaced."""

    async def recompose(self) -> None:
        await super().recompose()
        self._drop_closed_watchers()

    def _drop_closed_watchers(self) -> None:
        # Textual keeps watchers in the observed object's "__watchers" dict (reactive._watch)
        watchers: dict[str, list] = getattr(self, "__watchers", {})
        for entries in watchers.values():
            entries[:] = [(node, callback) for node, callback in entries
                          if not (node._closing or node._closed)]
