"""Memory over a session: opening a conversation (Enter, Esc) keeps nothing alive for good."""

from __future__ import annotations

import gc

from textual.dom import DOMNode

from tests.tui.harness import clock, config  # registered by conftest.py


def live_nodes() -> int:
    gc.collect()
    return sum(1 for obj in gc.get_objects() if isinstance(obj, DOMNode))


async def test_opening_conversations_keeps_no_widgets_alive(cache):
    """Each open moves focus to the pane and back, which rebuilds the footer's keys; the keys
    it replaced must be freed (they used to stay, ~40 widgets and ~0.8 MB per open)."""
    from o2d_inbox.tui.app import build_app

    app = build_app(config(), conn=cache, clock=clock, sync_every=None)
    async with app.run_test(size=(160, 48)) as pilot:

        async def opens(n: int) -> None:
            for _ in range(n):
                await pilot.press("enter")
                await pilot.pause()
                assert app.focused is app.pane
                await pilot.press("escape", "j")
                await pilot.pause()

        await opens(2)  # caches and lazily built widgets settle
        before = live_nodes()
        await opens(8)
        after = live_nodes()
        # a leak of one footer's keys per open would be hundreds of nodes here
        assert after - before < 20, f"{after - before} widgets kept over 8 opens"
