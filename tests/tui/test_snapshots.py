"""Pictures of the inbox app (fixed clock, seeded cache, no network, no cursor blink).

Update after a deliberate change: pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest

from o2d_inbox.api.errors import NetworkError
from o2d_inbox.tui.app import build_app
from tests.seed import seeded
from tests.tui.harness import FakeEngine, clock, config, settle

SIZE = (160, 48)


@pytest.fixture
def snap_cache():
    conn = seeded(":memory:", 300)
    yield conn
    conn.close()


def make(conn, **kw):
    return build_app(kw.pop("cfg", None) or config(), conn=conn, clock=clock, sync_every=None, **kw)


def test_main_screen(snap_compare, snap_cache):
    """Home is Needs reply, oldest first; counts, intent glyph+colour, preview pane, offline header."""
    assert snap_compare(make(snap_cache), terminal_size=SIZE, run_before=settle)


def test_all_queue_full_feed(snap_compare, snap_cache):
    """The All queue with the full feed (t): newest first, title says Full feed, counts grow."""

    async def run(pilot):
        await pilot.press("right_square_bracket", "t", "j", "j")
        await settle(pilot)

    assert snap_compare(make(snap_cache), terminal_size=SIZE, run_before=run)


def test_intent_queue_opened_thread(snap_compare, snap_cache):
    """The 'interested' queue with a thread opened: pane focused, conversation from the cache."""

    async def run(pilot):
        await pilot.pause()  # the inbox screen composes after the app is ready
        pilot.app.action_show_queue("intent:interested")
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(make(snap_cache), terminal_size=SIZE, run_before=run)


def test_help_screen(snap_compare, snap_cache):
    """? lists every key with its description and binding id (the keymap's vocabulary)."""
    assert snap_compare(make(snap_cache), terminal_size=SIZE, press=["question_mark"], run_before=settle)


def test_command_palette(snap_compare, snap_cache):
    """ctrl+p opens the palette and 'queue' finds the queue-switching commands."""

    async def run(pilot):
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"queue")
        await pilot.pause(0.5)
        await settle(pilot)

    assert snap_compare(make(snap_cache), terminal_size=SIZE, run_before=run)


def test_offline(snap_compare, snap_cache):
    """Network down: header says offline and an uncached thread says so in the pane, no error."""
    engine = FakeEngine(
        snap_cache, sync_error=NetworkError("connection refused"), fetch_error=NetworkError("connection refused")
    )

    async def run(pilot):
        await settle(pilot)
        app = pilot.app
        app.threads.move_to(next(i for i in range(app.threads.count) if not app.threads.row(i).messages_cached))
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(make(snap_cache, engine=engine), terminal_size=SIZE, run_before=run)


def test_hostile_content(snap_compare, snap_cache):
    """Markup in subject/body shows literally, escapes/bidi are gone, wide chars keep columns."""

    async def run(pilot):
        await pilot.press("right_square_bracket", "t", "j", "j", "j", "enter")
        await settle(pilot)

    assert snap_compare(make(snap_cache), terminal_size=SIZE, run_before=run)


def test_narrow_80x24(snap_compare, snap_cache):
    """80×24: no sidebar, no side pane; the list keeps who, subject, badge, count and age."""
    assert snap_compare(make(snap_cache), terminal_size=(80, 24), run_before=settle)


def test_narrow_reading(snap_compare, snap_cache):
    """80×24 after enter: the conversation takes the whole width (escape goes back)."""
    assert snap_compare(make(snap_cache), terminal_size=(80, 24), press=["enter"], run_before=settle)


def test_light_theme(snap_compare, snap_cache):
    """The light theme: same layout, its own intent colours and a pale cursor."""
    assert snap_compare(make(snap_cache, cfg=config(theme="o2d-light")), terminal_size=SIZE, run_before=settle)
