"""Shared pieces of the app tests: a fixed clock, a fake sync engine, a settle helper."""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from types import SimpleNamespace

from textual import events
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import WorkerCancelled, WorkerFailed

from o2d_inbox.config import Config
from tests.seed import NOW


def clock():
    return NOW


class FakeClock:
    """The app's clock where time must pass: starts at NOW, moves only when a test says so."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


async def until(pilot, condition, what: str, seconds: float = 5.0) -> None:
    """Let the app run until ``condition()`` holds; fail after ``seconds``."""
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def type_burst(app, keys) -> None:
    """Keys as a terminal delivers a fast typist's burst: all queued before any is handled
    (pilot.press waits for each key to be processed, which hides ordering races)."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


def screen_lines(app) -> list[str]:
    """The terminal as the user sees it (every layer composited), one string a row."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, text in re.findall(
        r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</text>', app.export_screenshot()
    ):
        rows.setdefault(float(y), []).append((float(x), html.unescape(text).replace("\xa0", " ")))
    lines = []
    for _, parts in sorted(rows.items()):
        line = ""
        for x, text in sorted(parts):  # Textual's SVG: a cell is 12.2 units wide, gaps are blanks
            line = line.ljust(round(x / 12.2)) + text
        lines.append(line)
    return lines


def layouts_counted(monkeypatch) -> list[Screen]:
    """From now on, every screen laid out again (a scroll alone, which only re-places what is
    visible, left out): the list to assert empty after keys that must not lay anything out."""
    layouts: list[Screen] = []
    original = Screen._refresh_layout

    def counted(self, size=None, scroll=False):
        if not scroll or self._layout_widgets:
            layouts.append(self)
        return original(self, size, scroll)

    monkeypatch.setattr(Screen, "_refresh_layout", counted)
    return layouts


def frames_written(app, monkeypatch) -> list:
    """From now on, every update ``app`` writes to its terminal, in order (each one's text:
    ``update.render_segments(app.console)``)."""
    frames: list = []
    display = app._display

    def written(screen, update):
        frames.append(update)
        return display(screen, update)

    monkeypatch.setattr(app, "_display", written)
    return frames


def notices(app) -> list[str]:
    return [n.message for n in app._notifications]


def intent_of(conn, thread_id):
    return conn.execute("SELECT reply_intent FROM threads WHERE id = ?", (thread_id,)).fetchone()[0]


def app_with_outbox(conn, clock=None, client=None, undo_seconds=5):
    """The app as the outbox and triage tests drive it: a fake clock, no periodic sync, the
    dispatcher looping fast."""
    from o2d_inbox.tui.app import build_app

    app = build_app(
        config(undo_seconds=undo_seconds), conn=conn, client=client, clock=clock or FakeClock(), sync_every=None
    )
    app.outbox_idle = 0.02
    app.outbox_poll_backoff = (1,)
    return app


def config(**over) -> Config:
    return Config(theme=over.pop("theme", "o2d-dark"), **over)


class FakeEngine:
    """Stands in for sync.engine.SyncEngine: scripted results and errors, no network."""

    def __init__(self, conn, *, sync_error=None, fetch_error=None, on_sync=None):
        self.conn = conn
        self.sync_error, self.fetch_error, self.on_sync = sync_error, fetch_error, on_sync
        self.syncs = 0
        self.fetched: list[str] = []

    async def sync(self, *, full=False, messages=False, progress=None):
        self.syncs += 1
        if progress is not None:
            progress(SimpleNamespace(phase="updates", done=0, total=None))
        if self.sync_error is not None:
            raise self.sync_error
        new = self.on_sync(self.conn) if self.on_sync else 0
        return SimpleNamespace(new=new or 0, changed=0, removed=0, messages=0, seconds=0.0, full=full)

    async def fetch_messages(self, thread_id: str) -> int:
        self.fetched.append(thread_id)
        if self.fetch_error is not None:
            raise self.fetch_error
        row = self.conn.execute(
            "SELECT message_count, prospect, mailbox, subject, last_ts FROM threads WHERE id = ?", (thread_id,)
        ).fetchone()
        for i in range(row[0]):
            self.conn.execute(
                "INSERT OR REPLACE INTO messages (id, thread_id, from_email, to_emails, cc_emails, "
                "subject, date_received, ts, body_text, is_incoming, folder) "
                "VALUES (?, ?, ?, ?, '[]', ?, NULL, ?, ?, 1, 'INBOX')",
                (
                    f"{thread_id}-f{i}",
                    thread_id,
                    row[1],
                    json.dumps([row[2]]),
                    row[3],
                    row[4] - (row[0] - i) * 60,
                    f"fetched body {i + 1}",
                ),
            )
        self.conn.execute("UPDATE threads SET messages_fetched_count = message_count WHERE id = ?", (thread_id,))
        return row[0]


async def settle(pilot) -> None:
    """Let workers and timers finish, and stop cursors blinking (deterministic pictures)."""
    await pilot.pause()
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
    # Each worker to its end. A worker allowed to fail (exit_on_error=False, e.g. a sync
    # against a server that is down) raises here until the app has taken it off its list,
    # which a busy machine can make later than this: the app shows the failure, the test
    # checks what it shows.
    for worker in list(pilot.app.workers):
        with suppress(WorkerFailed, WorkerCancelled):
            await worker.wait()
    await pilot.pause()


@asynccontextmanager
async def running(app, size: tuple[int, int]) -> AsyncIterator[tuple]:
    """``app`` run headless at ``size`` and settled after its first frame: (app, pilot)."""
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        yield app, pilot
