"""`o2d-inbox` (the inbox command) as it starts the TUI, with the TUI itself replaced: what
the process environment holds while the app runs, where programs it starts (an editor from
compose's ctrl+e) inherit it."""

from __future__ import annotations

import gc
import os

import pytest

from o2d_inbox import cli
from o2d_inbox.cache.db import open_db
from o2d_inbox.tui import app as tui_app


@pytest.fixture
def started(home, monkeypatch):
    """main(--cache …) on a cache without a key (offline); returns TEXTUAL_FPS as the app saw it."""
    cache = home.root / "work.db"
    open_db(cache).close()
    seen: list[str | None] = []

    class App:
        def run(self) -> None:
            seen.append(os.environ.get("TEXTUAL_FPS"))

    monkeypatch.setattr(tui_app, "build_app", lambda *args, **kwargs: App())

    def start() -> str | None:
        try:
            assert cli.main(["--cache", str(cache)]) == 0
        finally:
            gc.enable()  # the command starts with collection off; the real app turns it back on
        return seen[-1]

    return start


def test_the_frame_rate_the_inbox_asks_textual_for_is_not_passed_on(started, monkeypatch):
    monkeypatch.delenv("TEXTUAL_FPS", raising=False)
    assert started() is None
    assert "TEXTUAL_FPS" not in os.environ


def test_a_frame_rate_the_user_set_stays_theirs(started, monkeypatch):
    monkeypatch.setenv("TEXTUAL_FPS", "30")
    assert started() == "30"
