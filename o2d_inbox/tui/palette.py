"""The command palette's provider: every action the app has, searchable by name."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, Protocol, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider


class PaletteSource(Protocol):
    """The app this provider serves (tui/app.py): it lists the palette's commands."""

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]: ...


class InboxCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        return cast(PaletteSource, self.app).palette_commands()  # [(name, help, callable)]

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(callback), help=help_text)
