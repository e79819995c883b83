"""Compose: drafts survive a restart, forward / new need a recipient, an unsubscribed
prospect is warned about on opening and asks first, ctrl+e hands the text to $EDITOR and reads
it back; Tab typed fast; the prospect's message shown and quoted below the reply (as the
server receives it); signatures per mailbox; unfilled merge fields refused; send-and-next /
send-and-done."""

from __future__ import annotations

import contextlib
import sys

import pytest
from textual.widgets import Input, Select, Static, TextArea

from o2d_inbox.cache import local, queries
from o2d_inbox.cache.db import open_db
from o2d_inbox.outbox import queue as outbox
from o2d_inbox.render.compose import quote_text
from o2d_inbox.render.quote import attribution, split_quoted
from o2d_inbox.tui.app import build_app
from o2d_inbox.tui.compose import DRAFT_SAVE_DELAY, ComposeScreen, ConfirmScreen, Sent
from tests.seed import seeded
from tests.tui.harness import (
    FakeClock,
    app_with_outbox,
    clock,
    config,
    running,
    screen_lines,
    settle,
    type_burst,
    until,
)

SIZE = (160, 48)


@pytest.fixture(autouse=True)
def config_home(tmp_path, monkeypatch):
    """Signature and template files come from here (never the real ~/.config)."""
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home / "o2d-inbox"


def make(conn, **over):
    return build_app(config(undo_seconds=over.pop("undo_seconds", 5), **over), conn=conn, clock=clock, sync_every=None)


@pytest.fixture
def inbox(cache):
    """The inbox over the seeded cache, settled at SIZE (``over``: config fields, as for
    make): ``async with inbox(**over) as (app, pilot)``."""
    return lambda **over: running(make(cache, **over), SIZE)


@pytest.fixture
def cache_file(tmp_path):
    """A cache file of 60 seeded threads, closed: a test opens it (again, for a restart)."""
    path = tmp_path / "cache.db"
    conn = seeded(path, 60)
    conn.close()
    return path


async def test_a_draft_survives_a_restart_and_r_resumes_it(cache_file):
    conn = open_db(cache_file)
    app = make(conn)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        thread = app.shown_thread
        await pilot.press("r", *"half-written thou")
        await pilot.pause(DRAFT_SAVE_DELAY + 0.3)  # the debounced save; no esc, no send: a "crash"
    conn.close()

    conn = open_db(cache_file)
    [draft] = outbox.list_items(conn)
    assert (draft.kind, draft.state, draft.thread_id) == ("reply", "draft", thread.id)
    # what the user wrote, then the prospect's last message quoted below it
    written, quoted = draft.payload["bodyText"].split("\n\n", 1)
    assert written == "half-written thou"
    assert quoted.startswith("On ") and f"{thread.prospect} wrote:\n> " in quoted
    app = make(conn)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.shown_thread.id == thread.id
        assert any("draft" in line for line in app.pane.text_lines)  # the pane shows it pending
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ComposeScreen)
        assert app.screen.query_one(TextArea).text == "half-written thou"
        await pilot.press(*"ght")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ComposeScreen)
        [again] = outbox.list_items(conn)
        assert again.id == draft.id and again.payload["bodyText"] == "half-written thought\n\n" + quoted
        assert again.idempotency_key != draft.idempotency_key  # a key belongs to one body
    conn.close()


async def test_an_untouched_compose_leaves_nothing_and_an_emptied_draft_is_discarded(cache, inbox):
    async with inbox() as (app, pilot):
        await pilot.press("r", "escape")
        await pilot.pause()
        assert outbox.list_items(cache) == []
        await pilot.press("r", *"x")
        await pilot.press("escape")
        await pilot.pause()
        [draft] = outbox.list_items(cache)
        await pilot.press("r", "backspace", "escape")
        await pilot.pause()
        assert outbox.get(cache, draft.id).state == "cancelled"


async def test_unsubscribed_prospect_asks_before_sending(cache, inbox):
    async with inbox() as (app, pilot):
        app.action_show_queue("intent:unsubscribe")
        await settle(pilot)
        thread = app.shown_thread
        assert thread.reply_intent == "unsubscribe"
        await pilot.press("r", *"One last note")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, ComposeScreen)
        assert [i.state for i in outbox.list_items(cache)] == ["draft"]
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert not isinstance(app.screen, (ComposeScreen, ConfirmScreen))
        [item] = outbox.list_items(cache)
        assert (item.state, item.thread_id, item.payload["bodyText"]) == ("scheduled", thread.id, "One last note")


async def test_forward_and_new_need_a_recipient_and_use_the_chosen_mailbox(cache, inbox):
    async with inbox() as (app, pilot):
        thread = app.shown_thread
        await pilot.press("f")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ComposeScreen) and screen.focused is screen.query_one("#to", Input)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ComposeScreen) and outbox.list_items(cache) == []
        await pilot.press(*"boss@ours.test")
        await pilot.press("ctrl+s")
        await pilot.pause()
        [fwd] = outbox.list_items(cache)
        assert (fwd.kind, fwd.state, fwd.thread_id, fwd.recipient) == (
            "forward",
            "scheduled",
            thread.id,
            "boss@ours.test",
        )
        assert "bodyText" not in fwd.payload and fwd.payload["fromMailboxAddress"] == thread.mailbox

        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        other = next(m for m in screen.mailboxes if m != screen.query_one("#from", Select).value)
        screen.query_one("#from", Select).value = other
        screen.query_one("#to", Input).value = "lead@them.test"
        screen.query_one("#subject", Input).value = "Hello there"
        screen.query_one(TextArea).text = "Short note."
        await pilot.click("#send")
        await pilot.pause()
        new = outbox.list_items(cache)[-1]
        assert (new.kind, new.state, new.thread_id) == ("new", "scheduled", None)
        assert new.payload["toAddress"] == "lead@them.test" and new.payload["subject"] == "Hello there"
        assert new.payload["bodyText"] == "Short note." and new.payload["fromMailboxAddress"] == other
        assert new.payload["bodyHtml"] == "<p>Short note.</p>"


async def test_ctrl_e_hands_the_text_to_the_editor(cache, tmp_path, monkeypatch, inbox):
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys\np = sys.argv[1]\ntext = open(p).read()\n"
        "open(p, 'w').write(text.upper() + '\\n-- sent from my editor\\n')\n"
    )
    monkeypatch.setenv("VISUAL", f"{sys.executable} {script}")
    async with inbox() as (app, pilot):
        monkeypatch.setattr(app, "suspend", contextlib.nullcontext)  # headless: nothing to hand over
        await pilot.press("r", *"draft text")
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert app.screen.query_one(TextArea).text == "DRAFT TEXT\n-- sent from my editor"
        [draft] = outbox.list_items(cache)
        assert draft.payload["bodyText"] == "DRAFT TEXT\n-- sent from my editor"
        monkeypatch.setenv("VISUAL", "false")  # an editor that fails leaves the text alone
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert app.screen.query_one(TextArea).text == "DRAFT TEXT\n-- sent from my editor"


async def _write_a_reply(pilot):
    await settle(pilot)
    await pilot.press("r", *"Hi there,", "enter", "enter", *"Tuesday at 10 works. Talk soon!")
    await settle(pilot)
    pilot.app.screen.query_one(TextArea).cursor_blink = False
    pilot.app.clear_notifications()
    await pilot.pause(DRAFT_SAVE_DELAY + 0.2)
    await settle(pilot)


def test_snapshot_compose_reply(snap_compare, cache):
    """The reply modal over the inbox: title with prospect and subject, From select, the
    prospect's last message above the text (quoted below it when sent), the text, Send."""
    assert snap_compare(make(cache), terminal_size=SIZE, run_before=_write_a_reply)


def test_snapshot_compose_reply_80x24(snap_compare, cache):
    """At 80×24 the prospect's message starts folded (ctrl+o shows it) so the editor keeps its rows."""
    assert snap_compare(make(cache), terminal_size=(80, 24), run_before=_write_a_reply)


async def test_the_sidebar_counts_stay_whole_while_compose_is_open(cache_file):
    conn = open_db(cache_file)
    app = make(conn)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        sidebar = app.sidebar
        prompts = [
            str(o.prompt.plain if hasattr(o.prompt, "plain") else o.prompt).rstrip() for o in sidebar.options if o.id
        ]
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ComposeScreen)
        screen = "\n".join(screen_lines(app))
        counted = [p for p in prompts if p.split()[-1][0].isdigit()]
        assert counted and all(p in screen for p in counted), [p for p in counted if p not in screen]
    conn.close()


# --- typing fast -----------------------------------------------------------------------------


async def test_a_quick_tab_moves_to_the_next_field_before_the_next_keys(inbox):
    async with inbox() as (app, pilot):
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        assert screen.focused is screen.query_one("#to", Input)
        type_burst(app, [*"lead@soylentfoods.com", "tab", *"SUBJ", "tab", *"Body", "shift+tab", *"ECT"])
        await settle(pilot)
        assert screen.query_one("#to", Input).value == "lead@soylentfoods.com"
        assert screen.query_one("#subject", Input).value == "SUBJECT"
        assert screen.query_one(TextArea).text == "Body"


# --- the prospect's message, quoted below the reply -------------------------------------------


def incoming_thread(conn):
    """A thread whose last word is the prospect's, with its messages cached, not unsubscribed."""
    for (tid,) in conn.execute(
        "SELECT id FROM threads WHERE needs_reply = 1 AND relevant = 1 "
        "AND messages_fetched_count > 0 "
        "AND coalesce(reply_intent, '') != 'unsubscribe' AND id != 't0000003' "
        "ORDER BY last_ts DESC"
    ):
        return queries.thread(conn, tid)
    raise AssertionError("seed has no such thread")


async def open_thread(app, pilot, thread) -> None:
    app.action_show_queue("all")
    await settle(pilot)
    for _ in range(app.threads.count):
        if app.threads.selected.id == thread.id:
            break
        await pilot.press("j")
    await settle(pilot)
    assert app.shown_thread.id == thread.id


async def test_the_prospects_message_stays_visible_and_ctrl_o_hides_it(cache, inbox):
    thread = incoming_thread(cache)
    last = [m for m in queries.messages(cache, thread.id) if m.is_incoming][-1]
    new_part = split_quoted(last.body_text)[0]
    async with inbox() as (app, pilot):
        await open_thread(app, pilot, thread)
        await pilot.press("r")
        await settle(pilot)
        screen = app.screen
        shown = screen.query_one("#original-text", Static)
        assert shown.display and str(shown.render()) == new_part  # their words, not the history
        head = str(screen.query_one("#original-head", Static).render())
        assert f"{thread.prospect} wrote" in head and "quoted below your reply" in head
        await pilot.press(*"Sounds good", "ctrl+o")
        await settle(pilot)
        assert not shown.display and "ctrl+o shows" in str(screen.query_one("#original-head", Static).render())
        assert screen.query_one(TextArea).text == "Sounds good"  # ctrl+o is not typed
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert shown.display


async def test_the_server_receives_the_reply_with_the_prospects_message_quoted_below(world):
    sim, client, conn = world
    app = app_with_outbox(conn, FakeClock(), client)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.last_synced is not None and app.shown_thread is not None, "the first sync")
        app.action_show_queue("all")
        await pilot.pause(0.05)  # not settle: the dispatcher worker never completes
        for _ in range(app.threads.count):
            thread = app.shown_thread
            if thread.needs_reply and thread.reply_intent not in ("unsubscribe", "out_of_office"):
                break
            await pilot.press("j")
            await pilot.pause(0.05)
        await until(
            pilot, lambda: any(m.is_incoming for m in queries.messages(conn, thread.id)), "the thread's messages"
        )
        last = [m for m in queries.messages(conn, thread.id) if m.is_incoming][-1]
        await pilot.press("r")
        await pilot.pause(0.05)
        await pilot.press(*"Tuesday at 10 works.")
        await pilot.press("ctrl+s")
        await pilot.pause(0.05)
        app.clock.advance(6)
        app.wake_outbox()
        await until(pilot, lambda: sim.sent_messages, "the server to receive the reply")
        [sent] = sim.sent_messages
        quoted = quote_text(attribution(last.from_email, last.date), split_quoted(last.body_text)[0])
        assert sent["body_text"] == "Tuesday at 10 works.\n\n" + quoted
        assert quoted.split("\n")[1].startswith("> ")
        html = sent["body_html"]
        assert html.index("Tuesday at 10 works.") < html.index("<blockquote>")
        await until(pilot, lambda: all(w.is_finished for w in app.workers if w.group != "outbox"), "fetches")
        await pilot.pause(0.05)


async def test_a_resumed_draft_shows_only_what_was_written_and_sends_one_quote(cache, inbox):
    thread = incoming_thread(cache)
    async with inbox() as (app, pilot):
        await open_thread(app, pilot, thread)
        await pilot.press("r", *"First try", "escape")
        await settle(pilot)
        [draft] = outbox.list_items(cache)
        assert draft.payload["bodyText"].count(" wrote:\n> ") == 1
        await pilot.press("r")
        await settle(pilot)
        assert app.screen.query_one(TextArea).text == "First try"
        await pilot.press(*" again", "ctrl+s")
        await settle(pilot)
        [item] = outbox.list_items(cache)
        written, quoted = item.payload["bodyText"].split("\n\n", 1)
        assert written == "First try again" and quoted.count(" wrote:\n> ") == 1


# --- signatures ------------------------------------------------------------------------------


def write_signatures(config_home, files: dict[str, str]) -> None:
    folder = config_home / "signatures"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)


async def test_the_mailbox_signature_goes_below_and_swaps_with_from(config_home, inbox):
    write_signatures(
        config_home, {"default.txt": "Best,\n{sender_name}", "amy@growthlane.co.txt": "Cheers,\nAmy · Growth Lane"}
    )
    async with inbox(from_mailbox="john@cooloutreach.io") as (app, pilot):
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        body = screen.query_one(TextArea)
        assert body.text == "\n\nBest,\nJohn"  # default.txt, {sender_name} from john@
        assert body.cursor_location == (0, 0)  # the user writes above it
        screen.query_one("#from", Select).value = "amy@growthlane.co"
        await settle(pilot)
        assert body.text == "\n\nCheers,\nAmy · Growth Lane"
        body.focus()
        await pilot.press(*"Hello")
        assert body.text == "Hello\n\nCheers,\nAmy · Growth Lane"
        body.text = body.text.replace("Cheers", "Thanks")  # edited: the user's own now
        screen.query_one("#from", Select).value = "sales@cooloutreach.io"
        await settle(pilot)
        assert body.text == "Hello\n\nThanks,\nAmy · Growth Lane"
        await pilot.press("escape")
        await settle(pilot)


async def test_an_untouched_compose_with_a_signature_leaves_no_draft(cache, config_home, inbox):
    write_signatures(config_home, {"default.txt": "-- \nJohn"})
    async with inbox() as (app, pilot):
        await pilot.press("r")
        await settle(pilot)
        assert app.screen.query_one(TextArea).text == "\n\n-- \nJohn"
        await pilot.press("ctrl+s")  # a signature alone is not a message
        await settle(pilot)
        assert isinstance(app.screen, ComposeScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert outbox.list_items(cache) == []


# --- merge fields ----------------------------------------------------------------------------


async def test_unfilled_merge_fields_are_shown_and_never_sent(cache, inbox):
    async with inbox() as (app, pilot):
        await pilot.press("r")
        await settle(pilot)
        screen = app.screen
        line = screen.query_one("#compose-fields", Static)
        assert not line.display
        screen.query_one(TextArea).text = "Hi {first_name}, how is {{ company }} doing?"
        await settle(pilot)
        assert line.display and "{first_name}, {{ company }}" in str(line.render())
        painted = screen.query_one(TextArea).get_line(0)
        assert any(span.style and "reverse" in str(span.style) for span in painted.spans)
        await pilot.press("space", "ctrl+s")  # typed just before: its draft save is pending
        await settle(pilot)
        assert isinstance(app.screen, ComposeScreen)  # refused
        assert all(i.state == "draft" for i in outbox.list_items(cache))
        await pilot.pause(DRAFT_SAVE_DELAY + 0.2)  # the typing's pending save does not hide it
        assert "Fill in or remove {first_name}, {{ company }} before sending" in str(
            screen.query_one("#compose-status", Static).render()
        )
        screen.query_one(TextArea).text = "Hi Sarah, how is Acme doing?"
        await settle(pilot)
        assert not line.display
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert [i.state for i in outbox.list_items(cache)] == ["scheduled"]


# --- send and then ---------------------------------------------------------------------------


@pytest.mark.parametrize("key, then", [("ctrl+s", "stay"), ("ctrl+n", "next"), ("ctrl+d", "done")])
async def test_send_keys_return_what_to_do_next(cache, key, then, inbox):
    thread = incoming_thread(cache)
    results: list = []
    async with inbox() as (app, pilot):
        app.push_screen(ComposeScreen(cache, "reply", thread=thread, undo_seconds=5), results.append)
        await settle(pilot)
        await pilot.press(*"On it", key)
        await settle(pilot)
        assert not isinstance(app.screen, ComposeScreen)
    [sent] = results
    assert isinstance(sent, Sent) and sent.then == then
    assert sent.item.state == "scheduled" and sent.item.thread_id == thread.id


async def test_send_and_done_on_a_new_message_stays(cache, inbox):
    results: list = []
    async with inbox(from_mailbox="john@cooloutreach.io") as (app, pilot):
        app.push_screen(ComposeScreen(cache, "new", default_from="john@cooloutreach.io"), results.append)
        await settle(pilot)
        await pilot.press(*"lead@them.test", "tab", *"Hello", "tab", *"Short note.", "ctrl+d")
        await settle(pilot)
    [sent] = results
    assert sent.then == "stay" and sent.item.kind == "new"


async def test_an_unsubscribed_prospect_is_named_as_soon_as_compose_opens(inbox):
    async with inbox() as (app, pilot):
        app.action_show_queue("intent:unsubscribe")
        await settle(pilot)
        thread = app.shown_thread
        await pilot.press("r")
        await settle(pilot)
        warning = app.screen.query_one("#compose-warning", Static)
        assert warning.display
        assert f"{thread.prospect} asked to be unsubscribed" in str(warning.render())
        await pilot.press("escape")


# --- keys typed right after r / f / c ---------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
@pytest.mark.parametrize(
    ("keys", "fields"),
    [
        (["r", *"jkjk e"], {"#body": "jkjk e"}),
        (["f", *"jk@e.com", "tab", *"eje"], {"#to": "jk@e.com", "#body": "eje"}),
        (["c", *"jk@e.com", "tab", *"eje", "tab", *"kj"], {"#to": "jk@e.com", "#subject": "eje", "#body": "kj"}),
    ],
)
async def test_keys_typed_right_after_r_f_c_all_reach_compose(cache, size, keys, fields):
    """r / f / c and what follows in one burst: every key lands in compose's fields, none in
    the list (j / k would move it, e would put a thread away)."""
    app = make(cache)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        cursor, shown = app.threads.cursor, app.shown_thread.id
        type_burst(app, keys)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ComposeScreen)
        for field, typed in fields.items():
            widget = screen.query_one(field)
            value = widget.text if isinstance(widget, TextArea) else widget.value
            assert value.startswith(typed), (field, value)
        assert app.threads.cursor == cursor and app.inbox.shown_thread.id == shown  # the list did not move
        state = local.get_local(cache, shown)
        assert not (state and state.done)


async def test_j_then_r_in_one_burst_replies_to_the_thread_j_went_to(cache):
    app = make(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        second = app.threads.row(1)
        type_burst(app, ["j", "r", *"Hi"])
        await settle(pilot)
        assert isinstance(app.screen, ComposeScreen) and app.screen.thread_id == second.id
        assert app.screen.query_one(TextArea).text.startswith("Hi")


async def test_r_in_the_search_box_is_text(cache):
    app = make(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"rfc")
        await settle(pilot)
        assert not isinstance(app.screen, ComposeScreen)
        assert app.query_one("#filter", Input).value.endswith("rfc")
