"""The daily loop without leaving the flow: j/k from the reader, mark unread and next unread,
select all, straight to a queue, send-and-next / send-and-done, and a replied thread that
stays read. Each key also works when the keymap moves it (binding ids from keymap.py)."""

from __future__ import annotations

import pytest

from o2d_inbox.cache import local, queries
from o2d_inbox.outbox import queue as outbox
from o2d_inbox.tui.app import build_app
from o2d_inbox.tui.compose import ComposeScreen
from o2d_inbox.tui.go_to import GoToScreen
from tests.tui.harness import FakeClock, app_with_outbox, config, notices, screen_lines, settle

SIZES = [(80, 24), (160, 48)]


def make(cache, keymap=None):
    return build_app(config(keymap=keymap or {}, undo_seconds=10), conn=cache, clock=FakeClock(), sync_every=None)


def pane_focused(app) -> bool:
    return app.focused is app.pane or (app.focused is not None and app.pane in app.focused.ancestors)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("keymap", [{}, {"conversation.next_thread": "l", "conversation.previous_thread": "h"}])
async def test_j_and_k_in_the_reader_read_the_next_and_previous_thread(cache, size, keymap):
    app = make(cache, keymap)
    down, up = ("l", "h") if keymap else ("j", "k")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        rows = [app.threads.row(i) for i in range(3)]
        await pilot.press("enter")
        await settle(pilot)
        assert pane_focused(app) and app.shown_thread.id == rows[0].id
        await pilot.press(down)
        await settle(pilot)
        assert pane_focused(app)  # still reading
        assert app.shown_thread.id == rows[1].id and app.threads.selected.id == rows[1].id
        assert str(app.pane.border_title) == (rows[1].prospect or rows[1].last_from)
        assert not queries.thread(cache, rows[1].id).unread  # read, as enter would
        await pilot.press(down, up)
        await settle(pilot)
        assert app.shown_thread.id == rows[1].id and app.threads.cursor == 1 and pane_focused(app)
        if size[0] < 100:
            assert app.screen.has_class("-reading")  # the reader stays full width


@pytest.mark.parametrize("keymap", [{}, {"thread.mark_unread": "w", "thread.next_unread": "b"}])
async def test_mark_unread_and_jump_to_the_next_unread(cache, keymap):
    cache.execute("UPDATE threads SET unread = 0")
    app = make(cache, keymap)
    mark, jump = ("w", "b") if keymap else ("U", "N")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        target = app.threads.row(5)
        for _ in range(5):
            await pilot.press("j")
        await pilot.press(mark)
        await settle(pilot)
        assert queries.thread(cache, target.id).unread
        assert "1 thread marked unread · u to undo" in notices(app)
        await pilot.press("g")  # back to the top, then the next unread is row 5
        await pilot.press(jump)
        await settle(pilot)
        assert app.threads.cursor == 5 and app.shown_thread.id == target.id
        await pilot.press(jump)
        await settle(pilot)
        assert "No unread thread below in this queue" in notices(app)
        await pilot.press("u")  # undo: read again
        await settle(pilot)
        assert not queries.thread(cache, target.id).unread


@pytest.mark.parametrize("key", ["asterisk", "ctrl+a"])
async def test_select_all_selects_the_queue_and_one_key_acts_on_all(cache, key):
    app = app_with_outbox(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.action_show_queue("intent:bounced")
        await settle(pilot)
        count = app.threads.count
        assert count > 2
        await pilot.press(key)
        await settle(pilot)
        assert len(app.threads.selection) == count
        assert f"{count} sel" in app.query_one("#header").render().plain
        await pilot.press("e")
        await settle(pilot)
        assert app.threads.count == 0 and f"Marked {count} selected threads done · u to undo" in notices(app)


@pytest.mark.parametrize("size", SIZES)
async def test_apostrophe_then_a_key_goes_straight_to_a_queue(cache, size):
    app = make(cache)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("apostrophe")
        await settle(pilot)
        assert isinstance(app.screen, GoToScreen)
        assert "n Needs reply" in str(app.screen.query_one("#go-to-hint").render())
        await pilot.press("3")  # the third intent in the sidebar: out of office
        await settle(pilot)
        assert app.view.kind == "intent" and app.view.key == "out_of_office"
        await pilot.press("apostrophe", "a")
        await settle(pilot)
        assert app.view.kind == "all"
        await pilot.press("apostrophe", "x")  # not a queue key: nothing happens
        await settle(pilot)
        assert app.view.kind == "all" and not isinstance(app.screen, GoToScreen)
        await pilot.press("apostrophe", "n")
        await settle(pilot)
        assert app.view.kind == "needs"


@pytest.mark.parametrize("size", SIZES)
async def test_the_go_to_prompt_leaves_the_list_in_sight_and_names_every_queue(cache, size):
    app = make(cache)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        first = app.threads.row(0)
        await pilot.press("apostrophe")
        await settle(pilot)
        assert isinstance(app.screen, GoToScreen)
        shown = "\n".join(screen_lines(app))
        assert (first.subject_display or first.subject)[:20] in shown  # was: a blank screen
        assert "s Snoozed" in shown and "esc cancels" in shown  # the whole prompt, wrapped if need be


async def test_go_to_keys_follow_the_keymap(cache):
    app = make(cache, {"app.go_to": "ctrl+g", "go.all": "A"})
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+g", "A")
        await settle(pilot)
        assert app.view.kind == "all"


async def _compose_reply(pilot, text: str):
    app = pilot.app
    thread = app.shown_thread
    await pilot.press("r")
    assert isinstance(app.screen, ComposeScreen)
    await pilot.press(*text)
    return thread


@pytest.mark.parametrize("size", SIZES)
async def test_send_and_next_queues_the_reply_and_opens_the_next_thread(cache, size):
    app = app_with_outbox(cache, undo_seconds=10)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        following = app.threads.row(1)
        thread = await _compose_reply(pilot, "Tuesday works")
        await pilot.press("ctrl+n")
        await settle(pilot)
        [item] = outbox.list_items(cache, ["scheduled"])
        assert item.thread_id == thread.id and item.payload["bodyText"].startswith("Tuesday works")
        assert app.shown_thread.id == following.id and pane_focused(app)


async def test_send_and_done_puts_the_replied_thread_away(cache):
    app = app_with_outbox(cache, undo_seconds=10)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        before = app.threads.count
        thread = await _compose_reply(pilot, "Done here")
        await pilot.press("ctrl+d")
        await settle(pilot)
        [item] = outbox.list_items(cache, ["scheduled"])
        assert item.thread_id == thread.id
        assert local.get_local(cache, thread.id).done
        assert app.threads.count == before - 1 and app.shown_thread.id != thread.id
        assert "Sent and 1 thread marked done · u to undo" in notices(app)


async def test_a_sent_reply_leaves_the_thread_read(world):
    """Our own message coming back (message fetch, then a sync) is not news: the thread the
    user read and answered stays read."""
    from tests.tui.harness import until

    sim, client, conn = world
    clock = FakeClock()
    app = app_with_outbox(conn, clock, client, undo_seconds=1)
    async with app.run_test(size=(160, 48)) as pilot:
        await until(pilot, lambda: app.last_synced is not None and app.shown_thread is not None, "the first sync")
        app.action_show_queue("all")
        await pilot.pause()
        while app.shown_thread.reply_intent == "unsubscribe" or not app.shown_thread.mailbox:
            await pilot.press("j")
            await pilot.pause()
        thread = app.shown_thread
        await pilot.press("enter")
        await until(pilot, lambda: not queries.thread(conn, thread.id).unread, "the thread read")
        await _compose_reply(pilot, "Thanks, talk soon")
        await pilot.press("ctrl+s")
        await pilot.pause()

        def sent():  # the undo window, then the operation's polls, pass on the app's clock
            clock.advance(1)
            app.wake_outbox()
            return outbox.list_items(conn, ["sent"])

        await until(pilot, sent, "the reply sent", seconds=10)
        clock.advance(2)
        app.sync()
        await until(
            pilot,
            lambda: queries.thread(conn, thread.id).message_count > thread.message_count,
            "our message back in the cache",
            seconds=10,
        )
        await until(pilot, lambda: app.sync_state == "idle" and app.fetching is None, "sync and fetch done")
        assert not queries.thread(conn, thread.id).unread
        await until(pilot, lambda: all(w.is_finished for w in app.workers if w.group != "outbox"), "workers")
