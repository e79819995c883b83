"""The outbox in the app: reply / intent / undo / outbox screen, and what the server receives.

Outbox time is the app's clock: a FakeClock here, so the undo window passes when a test
says so and nothing waits on the wall clock; the dispatcher looks every 20 ms."""

from __future__ import annotations

from textual.widgets import DataTable, TextArea

from o2d_inbox.api.errors import BadRequestError
from o2d_inbox.cache import queries
from o2d_inbox.cache.lock import WriterLock
from o2d_inbox.outbox import queue as outbox
from o2d_inbox.tui.app import build_app
from o2d_inbox.tui.compose import ComposeScreen, ConfirmScreen
from o2d_inbox.tui.intent_picker import NUMBERED, IntentPicker
from o2d_inbox.tui.outbox_screen import OutboxScreen
from tests.tui.harness import FakeClock, app_with_outbox, config, intent_of, notices, settle, until

SIZE = (160, 48)


make = app_with_outbox


# --- the simulator world ---------------------------------------------------------------------


async def synced(pilot) -> None:
    app = pilot.app
    await until(pilot, lambda: app.last_synced is not None and app.shown_thread is not None, "the first sync")


async def quiet(pilot) -> None:
    """Let message fetches finish before the app closes (one landing mid-shutdown is an
    app.py race, not what these tests are about)."""
    app = pilot.app
    await until(pilot, lambda: all(w.is_finished for w in app.workers if w.group != "outbox"), "fetches")
    await pilot.pause(0.05)


async def to_thread(pilot, ok) -> None:
    """Move the cursor to the first thread for which ok(thread) holds."""
    app = pilot.app
    for _ in range(app.threads.count):
        if ok(app.shown_thread):
            return
        await pilot.press("j")
        await pilot.pause()
    raise AssertionError("no such thread in the queue")


async def test_reply_undo_then_send_reaches_the_server_once(world):
    sim, client, conn = world
    clock = FakeClock()
    app = make(conn, clock, client)
    async with app.run_test(size=SIZE) as pilot:
        await synced(pilot)
        app.action_show_queue("all")
        await pilot.pause()
        await to_thread(pilot, lambda t: t.reply_intent != "unsubscribe" and t.mailbox)
        thread = app.shown_thread
        await pilot.press("r")
        assert isinstance(app.screen, ComposeScreen)
        await pilot.press(*"Thanks, Tuesday works")
        await pilot.press("ctrl+s")
        await pilot.pause()
        [item] = outbox.list_items(conn)
        assert (item.kind, item.state, item.thread_id) == ("reply", "scheduled", thread.id)
        assert item.payload["bodyText"] == "Thanks, Tuesday works"
        assert item.payload["fromMailboxAddress"] == thread.mailbox
        assert item.send_after == clock().timestamp() + 5
        bar = app.query_one("#undo-bar")
        assert bar.display and "Reply queued · sending in 5 s · u to undo" in bar.text.plain
        assert any("reply queued" in line for line in app.pane.text_lines)

        # u: back to draft, compose reopens with the text; nothing left the machine
        await pilot.press("u")
        await pilot.pause()
        assert outbox.get(conn, item.id).state == "draft"
        assert isinstance(app.screen, ComposeScreen)
        assert app.screen.query_one(TextArea).text == "Thanks, Tuesday works"
        await pilot.press("end", *" at 10")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert outbox.get(conn, item.id).state == "scheduled"
        clock.advance(3)
        app.wake_outbox()
        await pilot.pause(0.1)
        assert sim.sent_messages == []  # still inside the undo window
        clock.advance(3)
        app.wake_outbox()
        await until(pilot, lambda: sim.sent_messages, "the server to receive the reply")
        [sent] = sim.sent_messages
        assert sent["thread_id"] == thread.id and sent["kind"] == "reply"
        # the reply, then the prospect's message it answers, quoted (tui/compose.py)
        assert sent["body_text"].split("\n\nOn ", 1)[0] == "Thanks, Tuesday works at 10"
        assert sent["from_email"] == thread.mailbox
        assert "Tuesday works at 10" in sent["body_html"]
        key = outbox.get(conn, item.id).idempotency_key
        clock.advance(2)
        app.wake_outbox()
        await until(pilot, lambda: outbox.get(conn, item.id).state == "sent", "the operation to finish")
        assert sim.deliveries == {key: 1}
        await until(
            pilot,
            lambda: any(m.startswith("Reply to ") and m.endswith(" sent") for m in notices(app)),
            "the sent notice",
        )
        assert not app.query_one("#undo-bar").display
        await quiet(pilot)


async def test_intent_keys_move_the_thread_and_patch_once(world):
    sim, client, conn = world
    clock = FakeClock()
    app = make(conn, clock, client)
    async with app.run_test(size=SIZE) as pilot:
        await synced(pilot)
        await to_thread(pilot, lambda t: t.reply_intent not in ("interested", "bounced"))
        thread = app.shown_thread
        before = queries.sidebar_counts(conn, True)
        await pilot.press("1")  # interested
        await pilot.pause()
        assert intent_of(conn, thread.id) == "interested"
        after = queries.sidebar_counts(conn, True)
        assert after[("intent", "interested")] == before[("intent", "interested")] + 1
        await pilot.press("5")  # changed my mind inside the window: bounced
        await pilot.pause()
        assert intent_of(conn, thread.id) == "bounced"
        await quiet(pilot)
        counts = queries.sidebar_counts(conn, True)
        assert counts[("intent", "interested")] == before[("intent", "interested")]
        assert counts[("intent", "bounced")] == before[("intent", "bounced")] + 1
        assert "Intent change → ↯ bounced queued" in app.query_one("#undo-bar").text.plain
        clock.advance(10)
        app.wake_outbox()
        await until(pilot, lambda: sim.thread_snapshot()[thread.id]["replyIntent"] == "bounced", "the PATCH")
        await until(
            pilot,
            lambda: outbox.counts(conn)["scheduled"] == 0 and outbox.counts(conn)["sending"] == 0,
            "the item to finish",
        )
        patches = [r for r in sim.request_log if r[0] == "PATCH"]
        assert len(patches) == 1 and thread.id in patches[0][1]
        assert intent_of(conn, thread.id) == "bounced"
        await quiet(pilot)


async def test_failed_intent_reverts_with_a_notice(world):
    sim, client, conn = world
    clock = FakeClock()
    app = make(conn, clock, client)
    async with app.run_test(size=SIZE) as pilot:
        await synced(pilot)
        await to_thread(pilot, lambda t: t.reply_intent != "neutral")
        thread = app.shown_thread
        old = thread.reply_intent
        rejected = []

        async def reject(thread_id, intent, *, idempotency_key):
            # The server refuses this override (deleting the thread on the server instead
            # raced the pane's own message fetch, whose 404 rightly drops the thread).
            rejected.append((thread_id, intent, idempotency_key))
            raise BadRequestError(
                f"PATCH /threads/{thread_id}/reply-intent: HTTP 400 invalid_intent: not allowed for this thread",
                status=400,
            )

        client.set_reply_intent = reject
        await pilot.press("2")  # neutral
        await pilot.pause()
        assert intent_of(conn, thread.id) == "neutral"
        clock.advance(10)
        app.wake_outbox()
        await until(
            pilot,
            lambda: any(m.startswith("Intent override failed:") and m.endswith(", reverted") for m in notices(app)),
            "the failure notice",
        )
        assert intent_of(conn, thread.id) == old
        assert queries.thread(conn, thread.id).reply_intent == old
        assert [(t, i) for t, i, _ in rejected] == [(thread.id, "neutral")]
        await quiet(pilot)


async def test_a_failed_send_says_why_and_retry_sends_again(world):
    sim, client, conn = world
    clock = FakeClock()
    app = make(conn, clock, client, undo_seconds=0)
    async with app.run_test(size=SIZE) as pilot:
        await synced(pilot)
        await pilot.press("c")
        screen = app.screen
        screen.query_one("#to").value = "jane.bounce@them.test"
        screen.query_one("#subject").value = "Hello Jane"
        screen.query_one(TextArea).text = "Dear Jane, hello."
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, ComposeScreen)  # no sender configured: one must be chosen
        screen.query_one("#from").value = screen.mailboxes[0]  # a mailbox the sync learned
        await pilot.press("ctrl+s")
        await pilot.pause()
        app.wake_outbox()
        await until(pilot, lambda: sim.sent_messages, "the server to receive the message")
        clock.advance(2)
        app.wake_outbox()
        await until(
            pilot,
            lambda: any(
                m.startswith("Message to jane.bounce@them.test failed:") and "bounced" in m for m in notices(app)
            ),
            "the failure notice",
        )
        [item] = outbox.list_items(conn)
        assert item.state == "failed" and item.payload["bodyText"] == "Dear Jane, hello."
        await pilot.press("o")
        await pilot.pause()
        assert "✕ failed" in str(app.screen.query_one(DataTable).get_row_at(0)[3])
        await pilot.press("r")
        app.wake_outbox()
        await until(pilot, lambda: len(sim.sent_messages) == 2, "the retry to reach the server")
        assert [m["body_text"] for m in sim.sent_messages] == ["Dear Jane, hello."] * 2
        await quiet(pilot)


async def test_another_sender_is_a_notice_not_a_crash(world, tmp_path):
    sim, client, conn = world
    with WriterLock(f"{tmp_path / 'cache.db'}.outbox"):
        app = make(conn, FakeClock(), client)
        async with app.run_test(size=SIZE) as pilot:
            await until(
                pilot, lambda: any("Another o2d-inbox is sending" in m for m in notices(app)), "the busy notice"
            )
            assert app.is_running
            await quiet(pilot)


# --- offline (no client): intents, undo, the outbox screen ----------------------------------


async def test_number_keys_follow_the_sidebar_order_and_i_picks(cache):
    app = make(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.inbox.set_view(queries.View("all"))  # an intent a reply is not for leaves Needs reply; All keeps it
        await settle(pilot)
        thread = app.shown_thread
        for n, key in enumerate(NUMBERED, 1):
            await pilot.press(str(n))
            await pilot.pause()
            if thread.reply_intent != key:
                assert intent_of(cache, thread.id) == key
            if isinstance(app.screen, ConfirmScreen):  # unsubscribe offers suppression (tui/triage.py)
                await pilot.press("n")
        # the sidebar's intent rows, top to bottom, are the numbers 1..6
        rows = [i.split(":", 1)[1] for i in app.sidebar.queue_ids() if i.startswith("intent:")]
        assert rows[:6] == NUMBERED
        await pilot.press("i")
        assert isinstance(app.screen, IntentPicker)
        await pilot.press("3")
        await pilot.pause()
        assert intent_of(cache, thread.id) == NUMBERED[2]
        await pilot.press("i", "0")  # clear
        await pilot.pause()
        assert intent_of(cache, thread.id) is None
        pending = [i for i in outbox.list_items(cache, ["scheduled"]) if i.kind == "intent"]
        assert len(pending) == 1 and pending[0].payload == {"replyIntent": None}
        assert pending[0].prev_value == thread.reply_intent  # undo goes back to what the server had
        await pilot.press("u")
        await pilot.pause()
        assert intent_of(cache, thread.id) == thread.reply_intent
        assert "Intent change undone" in notices(app)
        assert "○ offline" in app.status_text().plain


async def test_intent_moves_the_thread_out_of_its_queue(cache):
    app = make(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.action_show_queue("intent:neutral")
        await settle(pilot)
        count = app.threads.count
        thread = app.shown_thread
        await pilot.press("1")
        await pilot.pause()
        assert app.threads.count == count - 1
        assert app.shown_thread is not None and app.shown_thread.id != thread.id
        assert "1 pending" in app.status_text().plain


async def test_the_header_counts_only_what_will_be_sent_not_drafts(cache):
    app = make(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        thread = app.shown_thread
        outbox.save_draft(cache, "reply", thread.id, {"bodyText": "half a thought"})
        app.update_status()
        assert "outbox empty" in app.status_text().plain  # a draft leaves nothing
        item = outbox.save_draft(cache, "reply", app.threads.row(1).id, {"bodyText": "Tuesday works"})
        outbox.schedule_draft(cache, item.id, undo_seconds=5)
        assert "outbox 1 pending" in app.status_text().plain
        assert "✉ 1" in app.status_text(compact=True).plain
        outbox.cancel(cache, item.id)
        assert "outbox empty" in app.status_text().plain


async def test_outbox_screen_lists_retries_cancels_and_opens_drafts(cache):
    clock = FakeClock()
    app = make(cache, clock)
    ids = [r[0] for r in cache.execute("SELECT id FROM threads ORDER BY id LIMIT 3")]
    now = clock().timestamp()
    draft = outbox.save_draft(cache, "reply", ids[0], {"bodyText": "half a thought"}, now=now - 120)
    queued = outbox.queue_forward(cache, ids[1], "boss@ours.test", "fyi", undo_seconds=600, now=now - 60)
    failed = outbox.queue_new(
        cache,
        "jane.bounce@them.test",
        "Hi",
        "hello",
        undo_seconds=0,
        now=now - 30,
        from_mailbox="john@cooloutreach.com",
    )
    cache.execute(
        "UPDATE outbox SET state = 'failed', attempts = 1, last_error = ? WHERE id = ?",
        ("550 recipient address rejected (bounced)", failed.id),
    )
    held = outbox.queue_reply(cache, ids[2], "hello", undo_seconds=0, now=now - 10)
    cache.execute(
        "UPDATE outbox SET last_error = ? WHERE id = ?",  # as the dispatcher leaves it
        (f"{outbox.WAITING_FOR_MAILBOX} (offline)", held.id),
    )
    cache.execute("UPDATE threads SET mailbox = NULL WHERE id = ?", (ids[2],))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, OutboxScreen)
        table = screen.query_one(DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows[0][0] == str(held.id)
        assert rows[0][3] == "◌ waiting" and rows[0][6] == "waiting for the thread's mailbox (offline)"
        await pilot.press("j")
        rows = rows[1:]
        assert [r[0] for r in rows] == [str(failed.id), str(queued.id), str(draft.id)]  # newest first
        assert rows[0][3] == "✕ failed" and "bounced" in rows[0][6] and rows[0][5] == "1"
        assert rows[1][3] == "◌ queued" and "boss@ours.test" in rows[1][2] and rows[1][4] == "1m"
        assert rows[2][3] == "✎ draft" and rows[2][4] == "2m"
        # r retries the failed one (cursor on the first row)
        await pilot.press("r")
        await pilot.pause()
        assert outbox.get(cache, failed.id).state == "scheduled"
        # x cancels the queued forward
        await pilot.press("j", "x")
        await pilot.pause()
        assert outbox.get(cache, queued.id).state == "cancelled"
        assert "⊘ cancelled" in str(table.get_row_at(2)[3])
        # r on a non-failed item says why not
        await pilot.press("r")
        await pilot.pause()
        assert any("Only a failed item can be retried" in m for m in notices(app))
        # enter on the draft opens it in compose
        await pilot.press("j", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ComposeScreen)
        assert app.screen.query_one(TextArea).text == "half a thought"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, OutboxScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, OutboxScreen)


async def test_undo_with_nothing_queued_says_so(cache):
    app = make(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert "Nothing to undo" in notices(app)


async def test_keys_are_in_help_and_palette(cache):
    app = make(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        ids = {b.id for _, bindings in app.help_sections() for b in bindings}
        for wanted in (
            "thread.reply",
            "thread.forward",
            "app.compose_new",
            "thread.intent",
            *(f"thread.intent_{n}" for n in range(1, 7)),
            "app.undo",
            "app.outbox",
            "compose.send",
            "compose.editor",
            "outbox.retry",
            "outbox.cancel",
        ):
            assert wanted in ids
        names = [name for name, _, _ in app.palette_commands()]
        assert "Outbox" in names and "Reply to the thread" in names and "Set intent: ★ interested" in names


# --- pictures ----------------------------------------------------------------------------------


def test_snapshot_outbox_screen(snap_compare, cache):
    """The outbox screen with a draft, a queued forward, a failed new message and a sent reply."""
    clock = FakeClock()
    ids = [r[0] for r in cache.execute("SELECT id FROM threads ORDER BY id LIMIT 3")]
    now = clock().timestamp()
    outbox.save_draft(cache, "reply", ids[0], {"bodyText": "half a thought"}, now=now - 7200)
    sent = outbox.queue_reply(cache, ids[2], "See you then", undo_seconds=0, now=now - 600)
    cache.execute("UPDATE outbox SET state = 'sent', attempts = 1 WHERE id = ?", (sent.id,))
    outbox.queue_forward(cache, ids[1], "boss@ours.test", "fyi", undo_seconds=600, now=now - 60)
    failed = outbox.queue_new(
        cache,
        "jane.bounce@them.test",
        "Hi Jane",
        "hello",
        undo_seconds=0,
        now=now - 30,
        from_mailbox="john@cooloutreach.com",
    )
    cache.execute(
        "UPDATE outbox SET state = 'failed', attempts = 1, last_error = ? WHERE id = ?",
        ("550 5.1.1 <jane.bounce@them.test>: recipient address rejected (bounced)", failed.id),
    )

    async def run(pilot):
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)

    assert snap_compare(make(cache, clock), terminal_size=SIZE, run_before=run)


def test_snapshot_pending_reply(snap_compare, cache):
    """An opened thread with our reply queued under it (countdown) and the undo bar above the footer."""
    clock = FakeClock()

    async def run(pilot):
        await settle(pilot)
        thread = pilot.app.shown_thread
        outbox.queue_reply(
            cache, thread.id, "Tuesday 10:00 works for me.\nTalk soon,\nJohn", undo_seconds=7, now=clock().timestamp()
        )
        await pilot.press("enter")
        await pilot.app.inbox.outbox.refresh_views()
        await settle(pilot)

    assert snap_compare(make(cache, clock), terminal_size=SIZE, run_before=run)


async def test_the_keymap_rebinds_outbox_keys_by_id(cache):
    app = build_app(
        config(keymap={"thread.reply": "ctrl+r", "app.outbox": "O"}), conn=cache, clock=FakeClock(), sync_every=None
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await pilot.pause()
        assert not isinstance(app.screen, ComposeScreen)
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, ComposeScreen)
        await pilot.press("escape", "O")
        await pilot.pause()
        assert isinstance(app.screen, OutboxScreen)


async def test_reply_from_a_thread_of_unknown_mailbox_goes_from_it_not_the_configured_default(tmp_path):
    """From shows the thread's own mailbox once compose has learned it, never the configured
    from_mailbox; a server that requires a sender receives the reply from that mailbox."""
    import dataclasses

    from o2d_inbox.api.client import UniboxClient
    from o2d_inbox.cache.db import open_db
    from o2d_inbox.simulator import EXAMPLE_KEY, SimConfig, Simulator

    sim = Simulator(SimConfig(threads=30, seed=3, hostile=False, op_step_seconds=0.0, require_sender=True))
    client = UniboxClient("http://sim.test", EXAMPLE_KEY, 42, transport=sim.transport(), max_retries=0)
    conn = open_db(tmp_path / "cache.db")
    mailbox_of = sim.thread_mailboxes()
    wrong = "david@trycooloutreach.com"
    clock = FakeClock()
    app = build_app(config(undo_seconds=0, from_mailbox=wrong), conn=conn, client=client, clock=clock, sync_every=None)
    app.outbox_idle = 0.02
    async with app.run_test(size=SIZE) as pilot:
        await synced(pilot)
        app.action_show_queue("all")
        await pilot.pause()
        await to_thread(pilot, lambda t: t.reply_intent != "unsubscribe" and mailbox_of[t.id] != wrong)
        thread = dataclasses.replace(app.shown_thread, mailbox=None)  # as the cache may know it
        conn.execute("UPDATE threads SET mailbox = NULL WHERE id = ?", (thread.id,))
        app.inbox.outbox.open_compose("reply", thread)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ComposeScreen)
        select = screen.query_one("#from")
        await until(pilot, lambda: not select.is_blank(), "From to show the learned mailbox")
        assert select.value == mailbox_of[thread.id]
        screen.query_one(TextArea).text = "Works for me."
        await pilot.press("ctrl+s")
        await pilot.pause()
        app.wake_outbox()
        await until(pilot, lambda: sim.sent_messages, "the server to receive the reply")
        assert [(m["thread_id"], m["from_email"]) for m in sim.sent_messages] == [(thread.id, mailbox_of[thread.id])]
        await quiet(pilot)
    await client.aclose()
    conn.close()


async def test_enter_on_a_failed_message_reopens_it_to_mend(cache):
    """A reply the server refused for its sender opens in compose as a draft, From on the
    thread's own mailbox; sending it queues the mended reply under a fresh key."""
    clock = FakeClock()
    app = make(cache, clock)
    tid, mailbox = cache.execute(
        "SELECT id, mailbox FROM threads WHERE mailbox IS NOT NULL"
        " AND coalesce(reply_intent, '') != 'unsubscribe' LIMIT 1"
    ).fetchone()
    item = outbox.queue_reply(cache, tid, "Thnaks for the note", undo_seconds=0, now=clock().timestamp() - 60)
    cache.execute(
        "UPDATE outbox SET state = 'failed', attempts = 1, last_error = ?, payload = ? WHERE id = ?",
        (
            "the server refused the sender jhon@x.test: 400 invalid_from_mailbox",
            outbox.encode_payload({"bodyText": "Thnaks for the note"}),
            item.id,
        ),
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ComposeScreen)
        assert outbox.get(cache, item.id).state == "draft"
        assert screen.query_one(TextArea).text == "Thnaks for the note"
        assert screen.query_one("#from").value == mailbox
        screen.query_one(TextArea).text = "Thanks for the note"
        await pilot.press("ctrl+s")
        await pilot.pause()
        mended = outbox.get(cache, item.id)
        assert mended.state == "scheduled" and mended.idempotency_key != item.idempotency_key
        assert mended.payload["bodyText"].split("\n\nOn ", 1)[0] == "Thanks for the note"
        assert mended.payload["fromMailboxAddress"] == mailbox


async def test_compose_asks_the_apps_client_whether_its_recipient_is_suppressed(tmp_path):
    """A new message to an address the server has on its suppression list (and the cache has
    never heard of) shows the warning once compose has asked, through the app's own client."""
    from o2d_inbox.api.client import UniboxClient
    from o2d_inbox.cache.db import open_db
    from o2d_inbox.simulator import EXAMPLE_KEY, SimConfig, Simulator

    sim = Simulator(SimConfig(threads=5, seed=3, hostile=False, op_step_seconds=0.0))
    sim.suppressions[42]["gone@prospect.example"] = {"reason": "bounced", "createdAt": "2026-01-05T10:00:00Z"}
    client = UniboxClient("http://sim.test", EXAMPLE_KEY, 42, transport=sim.transport(), max_retries=0)
    app = build_app(config(), conn=open_db(tmp_path / "cache.db"), client=client, clock=FakeClock(), sync_every=None)
    async with app.run_test(size=SIZE) as pilot:
        await synced(pilot)
        app.inbox.outbox.open_compose("new")
        await until(pilot, lambda: isinstance(app.screen, ComposeScreen) and app.screen.ready.is_set(), "compose")
        warning = app.screen.query_one("#compose-warning")
        app.screen.query_one("#to").value = "Gone@prospect.example"
        await until(pilot, lambda: warning.display, "the suppression warning")
        assert "gone@prospect.example is on the suppression list (bounced)" in str(warning.render())
        await quiet(pilot)
