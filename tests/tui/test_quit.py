"""Quitting with something still in its undo window asks (send now / keep queued / don't send /
stay), and each answer does what it says: what the server receives, what the outbox keeps."""

from __future__ import annotations

import pytest

from o2d_inbox.outbox import queue as outbox
from o2d_inbox.tui.compose import ComposeScreen
from o2d_inbox.tui.quit_dialog import QuitScreen
from tests.tui.harness import FakeClock, app_with_outbox, settle, until

SIZES = [(80, 24), (160, 48)]


async def _reply_queued(pilot, text="See you Tuesday"):
    app = pilot.app
    await until(pilot, lambda: app.last_synced is not None and app.shown_thread is not None, "the first sync")
    app.action_show_queue("all")
    await pilot.pause()
    for _ in range(app.threads.count):  # a thread a reply may go to
        if app.shown_thread.reply_intent != "unsubscribe" and app.shown_thread.mailbox:
            break
        await pilot.press("j")
        await pilot.pause()
    thread = app.shown_thread
    await pilot.press("r")
    assert isinstance(app.screen, ComposeScreen)
    await pilot.press(*text)
    await pilot.press("ctrl+s")
    await pilot.pause()
    [item] = outbox.list_items(app.conn, ["scheduled"])
    return thread, item


async def test_q_without_anything_waiting_quits_at_once(cache):
    app = app_with_outbox(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0 and not any(isinstance(s, QuitScreen) for s in app.screen_stack)


@pytest.mark.parametrize("size", SIZES)
async def test_q_asks_and_send_now_reaches_the_server_before_quitting(world, size):
    sim, client, conn = world
    app = app_with_outbox(conn, FakeClock(), client, undo_seconds=30)
    async with app.run_test(size=size) as pilot:
        thread, item = await _reply_queued(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, QuitScreen)
        shown = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "1 item is still in the undo window" in shown and "Reply to" in shown
        assert "sending in 30 s" in shown
        assert sim.sent_messages == []
        await pilot.press("s")
        await until(pilot, lambda: not app.is_running, "the app to quit after sending", seconds=10)
    [sent] = sim.sent_messages
    assert sent["thread_id"] == thread.id and sent["body_text"] == "See you Tuesday"
    assert outbox.get(conn, item.id).state in ("accepted", "sent")


async def test_keep_queued_quits_and_leaves_the_item_for_the_next_launch(world, capsys):
    sim, client, conn = world
    app = app_with_outbox(conn, FakeClock(), client, undo_seconds=30)
    async with app.run_test(size=(80, 24)) as pilot:
        _, item = await _reply_queued(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, QuitScreen)
        await pilot.press("k")
        await pilot.pause()
    assert not app.is_running and sim.sent_messages == []
    assert outbox.get(conn, item.id).state == "scheduled"
    said = " ".join(capsys.readouterr().err.split())  # printed after the screen is gone
    assert "1 item kept queued; sent at the next launch or by `o2d-inbox outbox flush`" in said


async def test_dont_send_turns_it_back_into_a_draft_and_esc_stays(world):
    sim, client, conn = world
    app = app_with_outbox(conn, FakeClock(), client, undo_seconds=30)
    async with app.run_test(size=(160, 48)) as pilot:
        _, item = await _reply_queued(pilot, "Maybe not")
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("escape")  # stay
        await pilot.pause()
        assert app.is_running and not isinstance(app.screen, QuitScreen)
        assert outbox.get(conn, item.id).state == "scheduled"
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
    assert not app.is_running and sim.sent_messages == []
    kept = outbox.get(conn, item.id)
    # what was typed, above the quoted original when the thread's messages were cached by the
    # time compose opened (a background fetch: either may happen)
    assert kept.state == "draft" and kept.payload["bodyText"].partition("\n")[0] == "Maybe not"


async def test_the_dialog_counts_down_and_an_item_sent_meanwhile_leaves_it(world, monkeypatch, capsys):
    monkeypatch.setattr(QuitScreen, "TICK", 0.05)  # redraws often; the time shown is the app's clock
    sim, client, conn = world
    clock = FakeClock()
    app = app_with_outbox(conn, clock, client, undo_seconds=30)
    async with app.run_test(size=(80, 24)) as pilot:
        thread, item = await _reply_queued(pilot)
        await pilot.press("q")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, QuitScreen)

        def shown() -> str:
            return " ".join(str(w.render()) for w in screen.query("Static"))

        assert "sending in 30 s" in shown()
        clock.advance(12)
        await until(pilot, lambda: "sending in 18 s" in shown(), "the countdown")
        clock.advance(20)  # the window ends with the dialog still open: the reply goes
        await until(pilot, lambda: len(sim.sent_messages) == 1, "the reply to be sent")
        await until(pilot, lambda: "Nothing is left to take back" in shown(), "the dialog to say so")
        assert screen.query_one("#cancel").disabled
        await pilot.press("c")  # don't send: too late, the dialog stays and says why
        await pilot.pause()
        assert app.screen is screen and outbox.get(conn, item.id).state in ("accepted", "sent")
        await pilot.press("k")
        await pilot.pause()
    assert not app.is_running and sim.sent_messages[0]["thread_id"] == thread.id
    assert "kept queued" not in capsys.readouterr().err  # nothing was left to keep
