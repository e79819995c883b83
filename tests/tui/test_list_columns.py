"""The thread list's columns, read off the screen at the widths the inbox is used at: who
(name and company), a subject of at least MIN_SUBJECT cells wherever the sidebar is shown, a
snippet of the last message, the marks for a draft, a send on its way and a note."""

from __future__ import annotations

import pytest

from o2d_inbox.cache import local
from o2d_inbox.outbox import queue as outbox
from o2d_inbox.tui.thread_list import MIN_SUBJECT, NOTE_MARK
from tests.tui.harness import app_with_outbox, settle

SUBJECT = "Q3 pricing for the Wonka Retail rollout across all of our stores"
SNIPPET = "Happy to talk on Tuesday afternoon"


def dress(conn, thread_id: str, subject: str = SUBJECT) -> None:
    """A thread whose columns are known: prospect, subject and last message."""
    conn.execute(
        "UPDATE threads SET prospect = 'sarah.chen@wonkaretail.com', subject = ?, subject_display = ?, "
        "last_snippet = ? WHERE id = ?",
        (subject, subject, SNIPPET, thread_id),
    )


def line(app, thread_id: str) -> str:
    """The list's row of ``thread_id`` as the terminal shows it."""
    threads = app.threads
    index = threads.locate(thread_id, fallback=-1)
    y = index - int(threads.scroll_y)
    return "".join(segment.text for segment in threads.render_line(y))


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 48)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_row_names_the_person_company_subject_and_last_message(cache, size):
    app = app_with_outbox(cache)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        long, short = app.threads.row(0).id, app.threads.row(1).id
        dress(cache, long)
        dress(cache, short, "Pricing")
        app.threads.reread()
        await settle(pilot)
        assert "Sarah Chen · Wo" in line(app, long)
        assert SUBJECT[: MIN_SUBJECT - 1] in line(app, long)  # a long subject fills its column
        assert "Pricing — Happy to talk" in line(app, short)  # a short one leaves room for the message


@pytest.mark.parametrize("width", [100, 119, 120, 149, 150, 160, 200])
async def test_wherever_the_sidebar_shows_the_subject_keeps_its_cells(cache, width):
    app = app_with_outbox(cache)
    async with app.run_test(size=(width, 40)) as pilot:
        await settle(pilot)
        tid = app.threads.row(0).id
        dress(cache, tid)
        app.threads.reread()
        await settle(pilot)
        assert SUBJECT[: MIN_SUBJECT - 1] in line(app, tid), (width, line(app, tid))
        if width >= 150:
            assert app.sidebar.display and app.sidebar.region.width > 0


async def test_marks_for_a_draft_a_send_on_its_way_and_a_note(cache):
    app = app_with_outbox(cache, undo_seconds=600)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        app.action_show_queue("all")  # a replied thread leaves Needs reply: All keeps it
        await settle(pilot)
        drafted, queued, noted = (app.threads.row(i).id for i in range(3))
        before = {tid: line(app, tid) for tid in (drafted, queued, noted)}
        assert not any(mark in text for text in before.values() for mark in ("✎", "↑", NOTE_MARK))
        outbox.save_draft(cache, "reply", drafted, {"bodyText": "half written"})
        outbox.queue_reply(cache, queued, "Thanks!", from_mailbox="me@o2d.test", undo_seconds=600, force=True)
        local.set_note(cache, noted, "call back Friday")
        await app.inbox.outbox.refresh_views()  # what a compose closing or the dispatcher calls
        app.threads.load(keep_anchor=True)
        await settle(pilot)
        assert "✎" in line(app, drafted) and "↑" not in line(app, drafted)
        assert "↑" in line(app, queued)
        assert NOTE_MARK in line(app, noted)


async def test_a_draft_typed_in_compose_marks_its_row_when_compose_closes(cache):
    app = app_with_outbox(cache, undo_seconds=600)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        tid = app.shown_thread.id
        assert "✎" not in line(app, tid)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"Sounds good")
        await pilot.press("escape")  # closes; the draft is kept
        await settle(pilot)
        assert "✎" in line(app, tid)
