"""A key acts on the thread on screen, at every width the inbox is used at.

Two defects made a key act on a thread the user was not looking at: `space` in the reader
selected the thread (and moved the pane on), so `e` then marked another thread done; and at
80×24 the reader kept the previous thread's body under the new thread's title, so `r`
replied to a thread whose text was not the one on screen."""

from __future__ import annotations

import re

import pytest

from o2d_inbox.cache import local
from tests.tui.harness import app_with_outbox, notices, running, settle

SIZES = [(80, 24), (120, 40), (160, 48)]


@pytest.fixture
def inbox(cache):
    """The inbox over the seeded cache, settled at the size given (an undo window of 10 s):
    ``async with inbox(size) as (app, pilot)``."""
    return lambda size: running(app_with_outbox(cache, undo_seconds=10), size)


def give_conversation(conn, thread_id: str, word: str, lines: int = 120) -> None:
    """One long message, every line naming ``word``: tells the threads' bodies apart and is
    taller than the pane at every size."""
    body = "\n".join(f"{word} line {n}" for n in range(lines))
    conn.execute("DELETE FROM messages WHERE thread_id = ?", (thread_id,))
    conn.execute(
        "INSERT INTO messages (id, thread_id, from_email, to_emails, cc_emails, subject, ts, "
        "body_text, is_incoming, folder) VALUES (?, ?, 'p@example.com', '[]', '[]', 's', 1, ?, 1, "
        "'INBOX')",
        (f"{thread_id}-long", thread_id, body),
    )
    conn.execute("UPDATE threads SET message_count = 1, messages_fetched_count = 1 WHERE id = ?", (thread_id,))


async def read_the_first_of_two(app, pilot, conn):
    """The first two threads of the list get long bodies (FIRST, SECOND); enter opens the
    first in the reader. Returns their rows."""
    first, second = app.threads.row(0), app.threads.row(1)
    give_conversation(conn, first.id, "FIRST")
    give_conversation(conn, second.id, "SECOND")
    app.threads.load(keep_anchor=True)
    await pilot.press("enter")
    await settle(pilot)
    return first, second


def body_words(app) -> set[str]:
    """The words the pane's body lines name (FIRST, SECOND)."""
    return {m.group(1) for line in app.pane.text_lines for m in [re.search(r"(FIRST|SECOND) line", line)] if m}


def done(conn, thread_id: str) -> bool:
    state = local.get_local(conn, thread_id)
    return bool(state and state.done)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_space_in_the_reader_pages_down_and_e_acts_on_the_thread_read(cache, inbox, size):
    async with inbox(size) as (app, pilot):
        first, second = await read_the_first_of_two(app, pilot, cache)
        assert app.focused is app.pane and body_words(app) == {"FIRST"}
        top = app.pane.scroll_y
        await pilot.press("space")
        await settle(pilot)
        assert app.pane.scroll_y > top  # paged down
        assert not app.threads.selection and "selected" not in app.query_one("#header").left
        assert app.shown_thread.id == first.id and body_words(app) == {"FIRST"}
        await pilot.press("e")
        await settle(pilot)
        assert done(cache, first.id) and not done(cache, second.id)
        assert "1 thread marked done · u to undo" in notices(app)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_an_action_on_a_selection_says_how_many_threads_it_touches(cache, inbox, size):
    async with inbox(size) as (app, pilot):
        rows = [app.threads.row(i) for i in range(4)]
        await pilot.press("space", "space", "space")  # the cursor steps down as it selects
        await settle(pilot)
        assert app.threads.selection == {r.id for r in rows[:3]}
        assert "3 selected" in app.query_one("#header").left
        marked = [line for line in (app.threads.render_line(y).text for y in range(3)) if "✓" in line]
        assert len(marked) == 3  # the rows show it
        await pilot.press("enter")  # reads the fourth; the selection stays, and says so
        await settle(pilot)
        assert app.shown_thread.id == rows[3].id and "3 selected" in app.query_one("#header").left
        await pilot.press("e")
        await settle(pilot)
        assert [done(cache, r.id) for r in rows] == [True, True, True, False]
        assert "Marked 3 selected threads done · u to undo" in notices(app)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_reader_shows_the_highlighted_thread_and_r_replies_to_it(cache, inbox, size):
    from o2d_inbox.tui.compose import ComposeScreen

    async with inbox(size) as (app, pilot):
        first, second = await read_the_first_of_two(app, pilot, cache)
        assert body_words(app) == {"FIRST"}
        await pilot.press("escape", "j", "enter")
        await settle(pilot)
        assert app.shown_thread.id == second.id
        assert body_words(app) == {"SECOND"}  # the body, not only the title
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ComposeScreen) and app.screen.thread.id == second.id


async def test_a_selection_ends_with_its_queue_and_the_header_says_so(inbox):
    async with inbox((160, 48)) as (app, pilot):
        await pilot.press("space", "space")
        await settle(pilot)
        assert "2 selected" in app.query_one("#header").left
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert not app.threads.selection and "selected" not in app.query_one("#header").left
