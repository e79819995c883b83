"""The outbox screen fits the terminal: no column past the right edge at 80×24, the
highlighted item's whole error below the table; pictures at 80×24 and 160×48."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static

from o2d_inbox.outbox import queue as outbox
from o2d_inbox.tui.outbox_screen import OutboxScreen
from tests.tui.harness import FakeClock, app_with_outbox, settle

ERROR = (
    "the server refused the sender jhon@cooloutreach.io: 400 invalid_from_mailbox · "
    "fromMailboxAddress is not a mailbox of this workspace"
)


def seed_outbox(conn, clock) -> None:
    ids = [r[0] for r in conn.execute("SELECT id FROM threads ORDER BY id LIMIT 3")]
    now = clock().timestamp()
    outbox.save_draft(conn, "reply", ids[0], {"bodyText": "half a thought"}, now=now - 7200)
    sent = outbox.queue_reply(conn, ids[2], "See you then", undo_seconds=0, now=now - 600)
    conn.execute("UPDATE outbox SET state = 'sent', attempts = 1 WHERE id = ?", (sent.id,))
    outbox.queue_forward(conn, ids[1], "boss@ours.test", "fyi", undo_seconds=600, now=now - 60)
    failed = outbox.queue_reply(conn, ids[1], "Thanks!", undo_seconds=0, now=now - 30)
    conn.execute("UPDATE outbox SET state = 'failed', attempts = 3, last_error = ? WHERE id = ?", (ERROR, failed.id))


async def open_outbox(pilot) -> OutboxScreen:
    await settle(pilot)
    await pilot.press("o")
    await settle(pilot)
    assert isinstance(pilot.app.screen, OutboxScreen)
    return pilot.app.screen


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 48)])
async def test_every_column_fits_and_the_error_is_whole_below(cache, size):
    clock = FakeClock()
    seed_outbox(cache, clock)
    app = app_with_outbox(cache, clock)
    async with app.run_test(size=size) as pilot:
        screen = await open_outbox(pilot)
        table = screen.query_one(DataTable)
        right = table.region.x + sum(c.get_render_width(table) for c in table.columns.values())
        assert right <= table.region.right  # nothing to scroll sideways to
        keys = [c.key.value for c in table.columns.values()]
        assert keys[:5] == ["id", "kind", "what", "state", "age"]
        assert ("error" in keys) == (size[0] >= 120)
        assert table.columns["what"].width >= 30  # who / what stays readable
        detail = screen.query_one("#outbox-detail", Static)
        assert detail.region.bottom <= size[1] - 1  # above the footer
        text = str(detail.render())
        assert "#4 reply" in text and "✕ failed · 3 tries" in text and ERROR in text.replace("\n", " ")


async def test_the_columns_follow_a_resize(cache):
    clock = FakeClock()
    seed_outbox(cache, clock)
    app = app_with_outbox(cache, clock)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_outbox(pilot)
        assert "error" in screen.query_one(DataTable).columns
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        table = screen.query_one(DataTable)
        assert "error" not in table.columns and table.row_count == 4


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_snapshot_outbox_screen_fits(snap_compare, cache, size):
    """The outbox at this size: every column on screen, the failed reply's whole error below."""
    clock = FakeClock()
    seed_outbox(cache, clock)

    async def run(pilot):
        await open_outbox(pilot)

    assert snap_compare(app_with_outbox(cache, clock), terminal_size=size, run_before=run)
