"""Compose: ctrl+t inserts a filled reply template (tui/templates_picker.py), and a suppressed
recipient shows a warning line and asks before sending (outbox/compliance.py)."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static, TextArea

from o2d_inbox.cache import queries as q
from o2d_inbox.outbox import queue as outbox
from o2d_inbox.templates import fill, load_templates, templates_for
from o2d_inbox.tui.app import build_app
from o2d_inbox.tui.compose import ComposeScreen, ConfirmScreen
from o2d_inbox.tui.templates_picker import TemplatePicker
from tests.tui.harness import clock, config, settle

SIZE = (160, 48)


@pytest.fixture(autouse=True)
def config_home(tmp_path, monkeypatch):
    """The user's template files come from here (never the real ~/.config)."""
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home / "o2d-inbox"


def make(conn, **over):
    return build_app(config(undo_seconds=5, **over), conn=conn, clock=clock, sync_every=None)


def interested_thread(conn) -> q.ThreadRow:
    """An interested thread whose prospect has a first name in the address."""
    for row in q.rows(conn, q.View("intent", "interested"), 0, 50):
        if row.prospect and "." in row.prospect.split("@")[0]:
            return row
    raise AssertionError("seed has no such thread")


async def open_reply(app, pilot, thread):
    app.action_show_queue("intent:interested")
    await settle(pilot)
    while app.threads.selected.id != thread.id:
        await pilot.press("j")
    await settle(pilot)
    await pilot.press("r")
    await settle(pilot)
    assert isinstance(app.screen, ComposeScreen)


async def test_ctrl_t_inserts_the_filled_template_and_ctrl_s_sends_exactly_it(cache):
    thread = interested_thread(cache)
    first_name = thread.prospect.split(".")[0].capitalize()
    app = make(cache, from_mailbox="john@cooloutreach.io")
    async with app.run_test(size=SIZE) as pilot:
        await open_reply(app, pilot, thread)
        await pilot.press("ctrl+t")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, TemplatePicker)
        offered = templates_for(load_templates(), "interested")
        assert [t.name for t, _ in picker.choices] == [t.name for t in offered]
        assert picker.choices[-1][0].intent == "any"  # the intent's own first, then 'any'
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ComposeScreen)
        text = app.screen.query_one("#body", TextArea).text
        # sender_name: the From mailbox's first name; a generic one (sales@) falls back to the config's
        sender = "Amy" if thread.mailbox.startswith("amy@") else "John"
        expected = fill(offered[0], thread=thread, sender_name=sender)
        assert text.endswith(sender)
        assert text == expected and f"Hi {first_name}," in text and "{" not in text
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, ComposeScreen)
    [item] = [i for i in outbox.list_items(cache) if i.kind == "reply"]
    assert item.state == "scheduled" and item.thread_id == thread.id
    assert item.payload["bodyText"].split("\n\nOn ", 1)[0] == expected  # the quote follows


async def test_a_user_template_file_is_offered_filled_and_esc_inserts_nothing(cache, config_home):
    folder = config_home / "templates" / "interested"
    folder.mkdir(parents=True)
    (folder / "mine.txt").write_text("# [bold]Mine[/]\nHello {first_name} at {company}! {unknown}\n")
    thread = interested_thread(cache)
    app = make(cache)
    async with app.run_test(size=SIZE) as pilot:
        await open_reply(app, pilot, thread)
        await pilot.press(*"typed first")
        await pilot.press("ctrl+t")
        await settle(pilot)
        names = [t.name for t, _ in app.screen.choices]
        assert names[0] == "[bold]Mine[/]"  # a title is text, shown as written
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.query_one("#body", TextArea).text == "typed first"
        await pilot.press("ctrl+t")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        text = app.screen.query_one("#body", TextArea).text
        assert text.startswith("typed first")  # inserted at the cursor, nothing lost
        assert "Hello " + thread.prospect.split(".")[0].capitalize() in text
        assert "{unknown}" in text  # an unknown field stays visible


async def test_template_key_is_in_help_and_the_palette(cache):
    app = make(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        ids = {b.id for _, bindings in app.help_sections() for b in bindings}
        assert "compose.template" in ids
        names = [name for name, _, _ in app.palette_commands()]
        assert "Insert a reply template" in names
        run = next(cb for name, _, cb in app.palette_commands() if name == "Insert a reply template")
        await pilot.press("r")
        await settle(pilot)
        run()  # from the palette, with compose open: the picker opens
        await settle(pilot)
        assert isinstance(app.screen, TemplatePicker)


def suppress(conn, email):
    conn.execute(
        "INSERT INTO suppression_status (email, suppressed, reason, checked_at) VALUES (?, 1, 'unsubscribed', 0)",
        (email.lower(),),
    )


async def test_a_suppressed_prospect_shows_a_warning_and_asks_before_sending(cache):
    thread = interested_thread(cache)
    suppress(cache, thread.prospect)
    app = make(cache)
    async with app.run_test(size=SIZE) as pilot:
        await open_reply(app, pilot, thread)
        warning = app.screen.query_one("#compose-warning", Static)
        assert warning.display and thread.prospect in str(warning.render())
        assert "suppression list" in str(warning.render())
        await pilot.press(*"hello", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ComposeScreen)
        assert all(i.state == "draft" for i in outbox.list_items(cache))
        await pilot.press("ctrl+s", "y")
        await settle(pilot)
        assert not isinstance(app.screen, ComposeScreen)
        assert [i.state for i in outbox.list_items(cache)] == ["scheduled"]


async def test_a_new_message_warns_once_the_to_field_names_a_suppressed_address(cache):
    suppress(cache, "gone@example.com")
    app = make(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        warning = app.screen.query_one("#compose-warning", Static)
        assert not warning.display
        await pilot.press(*"Gone@Example.com")
        await settle(pilot)
        assert app.screen.query_one("#to", Input).value == "Gone@Example.com"
        assert warning.display and "gone@example.com" in str(warning.render())
        await pilot.press("backspace")
        await settle(pilot)
        assert not warning.display


class SuppressionClient:
    """Only what compose asks: GET /campaigns/suppressions/status (the dispatcher finds nothing due)."""

    def __init__(self, suppressed: set[str]) -> None:
        self.suppressed, self.asked = suppressed, []

    async def suppression_status(self, email):
        from types import SimpleNamespace

        self.asked.append(email)
        return SimpleNamespace(email=email, suppressed=email in self.suppressed, reason="complaint")


async def test_compose_asks_the_server_and_caches_its_answer(cache):
    from o2d_inbox.outbox.compliance import cached_suppression
    from tests.tui.harness import FakeEngine

    thread = interested_thread(cache)
    client = SuppressionClient({thread.prospect.lower()})
    app = build_app(
        config(undo_seconds=5), conn=cache, clock=clock, sync_every=None, client=client, engine=FakeEngine(cache)
    )
    async with app.run_test(size=SIZE) as pilot:
        app.action_show_queue("intent:interested")
        for _ in range(50):
            await pilot.pause(0.02)
            if app.shown_thread is not None:
                break
        while app.threads.selected.id != thread.id:
            await pilot.press("j")
        await pilot.pause(0.1)
        await pilot.press("r")
        for _ in range(100):
            await pilot.pause(0.02)
            warning = app.screen.query("#compose-warning")
            if warning and warning.first().display:
                break
        assert client.asked == [thread.prospect.lower()]
        text = str(app.screen.query_one("#compose-warning", Static).render())
        assert "suppression list (complaint)" in text
        assert cached_suppression(cache, thread.prospect).suppressed  # offline next time
