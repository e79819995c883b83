"""Triage at speed in the app: done, snooze (OOO date), note, bulk selection, rapid triage with
undo, and the unsubscribe → suppression offer (what the simulator receives).

Fixed clocks throughout (a FakeClock where time must pass); the seeded cache's Needs-reply
queue is oldest first."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

import pytest

from o2d_inbox.cache import local, queries
from o2d_inbox.cache.writes import refresh_counts
from o2d_inbox.outbox import queue as outbox
from o2d_inbox.render.ooo import wake_time
from o2d_inbox.tui.app import build_app
from o2d_inbox.tui.compose import ConfirmScreen
from o2d_inbox.tui.intent_picker import NUMBERED
from o2d_inbox.tui.snooze import NoteScreen, SnoozeScreen, proposed_return
from tests.seed import NOW
from tests.tui.harness import FakeClock, app_with_outbox, config, intent_of, notices, settle, type_burst, until

SIZE = (160, 48)


make = partial(app_with_outbox, undo_seconds=10)


def sidebar_count(app, option_id: str) -> str:
    return app.sidebar.get_option(option_id).prompt.plain.split()[-1]


def header(app) -> str:
    return app.query_one("#header").left


def unclassify_all(conn) -> None:
    """Every thread unclassified, so any number key changes every thread."""
    conn.execute("UPDATE threads SET reply_intent = NULL")
    refresh_counts(conn)


async def test_done_hides_a_thread_from_needs_reply_and_e_brings_it_back(cache):
    app = make(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first, second = app.threads.row(0), app.threads.row(1)
        before = app.threads.count
        assert sidebar_count(app, "needs") == f"{before:,}" and sidebar_count(app, "done") == "0"
        await pilot.press("e")
        await settle(pilot)
        assert app.threads.count == before - 1
        assert app.threads.selected.id == second.id  # the next thread slid up
        assert sidebar_count(app, "needs") == f"{before - 1:,}" and sidebar_count(app, "done") == "1"
        assert local.get_local(cache, first.id).done
        assert "1 thread marked done · u to undo" in notices(app)
        # the Done queue shows it; e there toggles it back
        app.action_show_queue("done")
        await settle(pilot)
        assert app.threads.count == 1 and app.threads.selected.id == first.id
        assert any("✓ done" in line for line in app.pane.text_lines)
        await pilot.press("e")
        await settle(pilot)
        assert app.threads.count == 0 and sidebar_count(app, "needs") == f"{before:,}"


async def test_snooze_proposes_the_out_of_office_return_date_and_wakes(cache):
    clock = FakeClock()
    app = make(cache, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        thread = app.threads.selected
        cache.execute(
            "UPDATE threads SET last_snippet = ? WHERE id = ?",
            ("I am out of the office and back on June 10. Regards", thread.id),
        )
        await pilot.press("s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SnoozeScreen)
        assert screen.choices[0].proposed and "Back on Wed 10 Jun" in screen.choices[0].label
        # "In a week" would be Wed 10 Jun 8:00 too: one moment is offered once (snooze_times.py)
        assert [c.label.split()[0] for c in screen.choices[1:]] == ["Tomorrow", "Next"]
        await pilot.press("1")
        await settle(pilot)
        expected = wake_time(date(2026, 6, 10), tz=NOW.astimezone().tzinfo)
        assert local.get_local(cache, thread.id).snoozed_until == expected
        assert app.threads.selected.id != thread.id and sidebar_count(app, "snoozed") == "1"
        # the Snoozed queue shows when it wakes (June 3, noon → June 10 morning: 6 days and some)
        app.action_show_queue("snoozed")
        await settle(pilot)
        assert app.threads.row(0).id == thread.id
        assert app.threads.render_line(0).text.rstrip().endswith("→6d")
        app.action_show_queue("needs")
        await settle(pilot)
        # the date passes: the app's wake check puts it back in Needs reply, unread
        clock.now = expected + timedelta(minutes=1)
        app.inbox.triage.wake_check()
        await settle(pilot)
        assert local.get_local(cache, thread.id).snoozed_until is None
        assert sidebar_count(app, "snoozed") == "0"
        assert app.threads.row(0).id == thread.id and app.threads.row(0).unread


@pytest.mark.parametrize("size", [(120, 40), (160, 48)])
async def test_an_out_of_office_thread_offers_its_snooze_in_the_pane(cache, size):
    app = make(cache)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        thread = app.threads.selected
        cache.execute(
            "UPDATE threads SET reply_intent = 'out_of_office', last_snippet = ? WHERE id = ?",
            ("I am out of the office and back on June 10. Regards", thread.id),
        )
        cache.execute("UPDATE threads SET messages_fetched_count = 0 WHERE id = ?", (thread.id,))
        app.action_show_queue("intent:out_of_office")
        await settle(pilot)
        app.threads.move_to_thread(thread.id)
        await settle(pilot)
        assert app.shown_thread.id == thread.id
        pane = " ".join(" ".join(app.pane.text_lines).split())  # wrapped in a narrow pane
        assert "◷ back on Wed 10 Jun · s snoozes it until then" in pane
        assert "messages not cached yet" in pane  # the other note stays
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SnoozeScreen) and "Back on Wed 10 Jun" in app.screen.choices[0].label


def test_proposed_return_reads_the_last_prospect_message_before_the_snippet(cache):
    thread = queries.thread(cache, "t0000000")
    messages = queries.messages(cache, thread.id)
    last = next(m for m in reversed(messages) if m.is_incoming)
    cache.execute(
        "UPDATE messages SET body_text = ? WHERE id = ?", ("Auto-reply: I'm away until Monday 8 June.", last.id)
    )
    assert proposed_return(thread, queries.messages(cache, thread.id)) == date(2026, 6, 8)


async def test_note_is_saved_and_shown_in_the_conversation_header(cache):
    app = make(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        thread = app.shown_thread
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NoteScreen)
        await pilot.press(*"call after Q3 [b]budget[/b]", "ctrl+s")
        await settle(pilot)
        assert local.get_local(cache, thread.id).note == "call after Q3 [b]budget[/b]"
        assert any("✎ call after Q3 [b]budget[/b]" in line for line in app.pane.text_lines), app.pane.text_lines[:6]
        # the note survives leaving and coming back
        await pilot.press("j", "k")
        await settle(pilot)
        assert any("✎ call after Q3" in line for line in app.pane.text_lines)


async def test_bulk_select_three_with_space_and_v_then_one_intent_each(cache):
    unclassify_all(cache)
    app = make(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rows = [app.threads.row(i).id for i in range(4)]
        key = NUMBERED[0]
        assert sidebar_count(app, f"intent:{key}") == "0"
        await pilot.press("space", "j", "v")  # row 0, then the range 0..2
        await settle(pilot)
        assert app.threads.selection == set(rows[:3])
        assert "3 selected" in header(app)
        assert all("✓" in app.threads.render_line(y).text[:2] for y in range(3))
        assert "✓" not in app.threads.render_line(3).text[:2]
        await pilot.press("1")
        await settle(pilot)
        items = outbox.list_items(cache, ["scheduled"])
        assert sorted(i.thread_id for i in items if i.kind == "intent") == sorted(rows[:3])
        assert all(intent_of(cache, t) == key for t in rows[:3]) and intent_of(cache, rows[3]) is None
        assert sidebar_count(app, f"intent:{key}") == "3"
        assert not app.threads.selection and "selected" not in header(app)
        assert "3 selected threads → interested · u to undo" in notices(app)
        # one u takes the whole bulk action back
        await pilot.press("u")
        await settle(pilot)
        assert all(intent_of(cache, t) is None for t in rows[:3])
        assert sidebar_count(app, f"intent:{key}") == "0"
        assert not outbox.list_items(cache, ["scheduled"])


async def test_bulk_done_and_esc_clears_a_selection(cache):
    app = make(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = app.threads.count
        await pilot.press("space", "escape")
        assert not app.threads.selection
        await pilot.press("space", "space", "e")
        await settle(pilot)
        assert app.threads.count == before - 2 and sidebar_count(app, "done") == "2"
        assert "Marked 2 selected threads done · u to undo" in notices(app)


async def test_rapid_triage_moves_on_after_each_key_and_u_restores_everything(cache):
    unclassify_all(cache)
    app = make(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rows = [app.threads.row(i).id for i in range(4)]
        await pilot.press("T")
        await settle(pilot)
        assert "TRIAGE · triaged 0" in header(app)
        await pilot.press("1")
        await settle(pilot)
        assert intent_of(cache, rows[0]) == NUMBERED[0]
        assert app.threads.selected.id == rows[1] and app.shown_thread.id == rows[1]
        await pilot.press("e")
        await settle(pilot)
        assert local.get_local(cache, rows[1]).done
        assert app.threads.selected.id == rows[2] and app.shown_thread.id == rows[2]
        await pilot.press("3")
        await settle(pilot)
        assert intent_of(cache, rows[2]) == NUMBERED[2]
        assert app.threads.selected.id == rows[3]
        assert "triaged 3 · 1 done · 1 interested · 1 out of office" in header(app)
        await pilot.press("u")
        await settle(pilot)
        assert intent_of(cache, rows[2]) is None and app.threads.selected.id == rows[2]
        await pilot.press("u")
        await settle(pilot)
        assert not local.get_local(cache, rows[1]).done and app.threads.selected.id == rows[1]
        await pilot.press("u")
        await settle(pilot)
        assert intent_of(cache, rows[0]) is None and app.threads.selected.id == rows[0]
        assert "TRIAGE · triaged 0" in header(app)
        assert not outbox.list_items(cache, ["scheduled"])
        await pilot.press("u")  # nothing of ours left: the outbox's own answer
        assert notices(app)[-1] == "Nothing to undo"


async def test_undo_of_an_intent_already_sent_queues_the_previous_value(cache):
    unclassify_all(cache)
    clock = FakeClock()
    app = make(cache, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        thread = app.shown_thread
        await pilot.press("1")
        await settle(pilot)
        item = outbox.list_items(cache, ["scheduled"])[0]
        cache.execute("UPDATE outbox SET state = 'sent' WHERE id = ?", (item.id,))  # as the dispatcher would
        await pilot.press("u")
        await settle(pilot)
        assert intent_of(cache, thread.id) is None
        back = [i for i in outbox.list_items(cache, ["scheduled"]) if i.kind == "intent"]
        assert len(back) == 1 and back[0].payload == {"replyIntent": None}


# --- compliance, against the simulator -----------------------------------------------------


def suppressions(sim) -> list:
    return [r for r in sim.request_log if r[0] == "POST" and r[1].startswith("/campaigns/suppressions")]


async def test_unsubscribe_offers_suppression_and_the_server_receives_it_once(world):
    sim, client, conn = world
    app = make(conn, client=client, undo_seconds=0)
    unsubscribe = str(NUMBERED.index("unsubscribe") + 1)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.last_synced is not None and app.shown_thread is not None, "sync")
        app.inbox.set_view(queries.View("all"))  # an unsubscribe leaves Needs reply; All keeps the thread on screen
        await until(pilot, lambda: app.view.kind == "all" and app.shown_thread is not None, "the All queue")
        assert app.shown_thread.id == app.threads.selected.id  # the thread on screen is the list's
        while app.shown_thread.reply_intent == "unsubscribe":
            await pilot.press("j")
            await pilot.pause()
        thread = app.shown_thread
        await pilot.press(unsubscribe)
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the suppression offer")
        await pilot.press("y")
        await until(pilot, lambda: len(suppressions(sim)) == 1, "the suppression request")
        await until(pilot, lambda: not outbox.list_items(conn, ["scheduled", "sending"]), "the outbox to drain")
        # back and forth again: the address is already suppressed by us, nothing more is offered
        if app.shown_thread.id != thread.id:  # the cursor may have moved on with the sync's reload
            app.threads.move_to(queries.position(conn, app.view, queries.thread(conn, thread.id)))
        await until(pilot, lambda: app.shown_thread is not None and app.shown_thread.id == thread.id, "the thread")
        await pilot.press("1", unsubscribe)
        await pilot.pause(0.1)  # (settle would wait on the dispatcher worker, which runs on)
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.pause(0.2)
        assert len(suppressions(sim)) == 1
        assert intent_of(conn, thread.id) == "unsubscribe"


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_rapid_triage_goes_on_below_a_thread_the_intent_sort_moved_away(cache, size):
    """Needs reply is sorted by intent: a thread re-classified neutral moves down to the
    neutral group; triage goes on with the thread that was below it, not below its new place."""
    app = make(cache)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert app.view.order == "intent"
        first, second = app.threads.row(0), app.threads.row(1)
        assert first.reply_intent == "interested" and second.reply_intent == "interested"
        await pilot.press("T", "2")
        await settle(pilot)
        assert intent_of(cache, first.id) == "neutral"
        assert app.threads.cursor == 0 and app.threads.selected.id == second.id
        assert app.shown_thread.id == second.id
        assert str(app.pane.border_title) == (second.prospect or second.last_from)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_e_twice_in_one_burst_puts_away_two_threads(cache, size):
    """The second `e` acts on the thread the first one brought on screen, even when both keys
    arrive before the list has told the screen about its move (was: the first thread done,
    then brought back)."""
    app = make(cache)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        first, second, third = (app.threads.row(i) for i in range(3))
        type_burst(app, ["e", "e"])
        await settle(pilot)
        assert local.get_local(cache, first.id).done and local.get_local(cache, second.id).done
        assert app.shown_thread.id == app.threads.selected.id == third.id
        assert str(app.pane.border_title) == (third.prospect or third.last_from)


async def test_a_key_right_after_changing_queue_acts_on_the_new_queues_thread(cache):
    app = make(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        needs_first = app.threads.row(0)
        all_first = queries.rows(cache, queries.View("all"), 0, 1)[0]
        assert all_first.id != needs_first.id
        type_burst(app, ["right_square_bracket", "e"])  # Needs reply -> All, then done
        await settle(pilot)
        assert app.view.kind == "all"
        state = local.get_local(cache, needs_first.id)
        assert not (state and state.done)  # not the thread of the queue left behind
        done = [tid for (tid,) in cache.execute("SELECT id FROM threads WHERE local_done = 1")]
        assert done == [all_first.id]


async def test_bulk_unsubscribe_offers_once_for_every_prospect(cache):
    unclassify_all(cache)
    app = make(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        unsubscribe = str(NUMBERED.index("unsubscribe") + 1)
        await pilot.press("space", "space", unsubscribe)
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        items = [i for i in outbox.list_items(cache, ["scheduled"]) if i.kind == "suppress"]
        assert len(items) == 2 and all(len(i.payload["emails"]) == 1 for i in items)


# --- snapshots ---------------------------------------------------------------------------


def test_snapshot_rapid_triage(snap_compare, cache):
    """Rapid triage after 1, e: the tally in the header, the cursor and preview on the next thread."""
    unclassify_all(cache)

    async def run(pilot):
        await settle(pilot)
        await pilot.press("T", "1", "e")
        await settle(pilot)
        pilot.app.clear_notifications()
        await settle(pilot)

    assert snap_compare(make(cache), terminal_size=SIZE, run_before=run)


def test_snapshot_bulk_selection(snap_compare, cache):
    """Three rows selected (✓ and tinted), the header says 3 selected, the cursor on the third."""

    async def run(pilot):
        await settle(pilot)
        await pilot.press("space", "j", "v", "j")
        await settle(pilot)

    assert snap_compare(make(cache), terminal_size=SIZE, run_before=run)


async def test_triage_keys_are_in_help_and_palette_and_rebindable_by_id(cache):
    app = build_app(config(keymap={"thread.done": "x"}), conn=cache, clock=FakeClock(), sync_every=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        ids = {b.id for _, bindings in app.help_sections() for b in bindings}
        assert {
            "thread.done",
            "thread.snooze",
            "thread.note",
            "thread.select",
            "thread.select_range",
            "app.triage",
            "snooze.pick_1",
            "note.save",
        } <= ids
        names = [name for name, _, _ in app.palette_commands()]
        assert {"Queue: Done", "Queue: Snoozed", "Rapid triage mode", "Snooze …"} <= set(names)
        first = app.threads.selected.id
        await pilot.press("x")
        await settle(pilot)
        assert local.get_local(cache, first).done


async def test_rapid_triage_on_a_narrow_terminal_shows_the_conversation(cache):
    app = make(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        first, second = app.threads.row(0).id, app.threads.row(1).id
        await pilot.press("T")
        await settle(pilot)
        assert app.screen.has_class("-reading") and app.pane.display
        assert app.shown_thread.id == first
        await pilot.press("e")
        await settle(pilot)
        assert app.shown_thread.id == second and "TRIAGE · triaged 1 · 1 done" in header(app)
        await pilot.press("T")
        await settle(pilot)
        assert not app.screen.has_class("-reading") and app.focused is app.threads


@pytest.mark.parametrize("key", ["s", "n"])
async def test_snooze_and_note_dialogs_keep_the_inbox_in_sight(cache, key):
    """Like every dialog: the inbox stays visible (dimmed) and the box sits right of the
    sidebar; the snooze hint names the keys that exist."""
    app = make(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SnoozeScreen if key == "s" else NoteScreen)
        assert screen.styles.background.a < 1
        assert screen.children[0].region.x >= app.sidebar.region.right > 0
        if key == "s":
            hint = str(screen.query("Static").last().render())
            assert f"1–{len(screen.choices) + 1} " in hint  # the last one: a typed date / time
        await pilot.press("escape")
