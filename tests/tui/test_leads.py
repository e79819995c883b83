"""Stats, export and copy reached from the inbox (tui/lead_actions.py, the leads.* keys)."""

from __future__ import annotations

import csv

from textual.widgets import Input, Static

from o2d_inbox.tui.export_dialog import ExportDialog
from o2d_inbox.tui.stats_screen import StatsScreen
from tests.tui.harness import FakeEngine, app_with_outbox, config, notices, settle


def title(app) -> str:
    return str(app.screen.query_one("#stats-title", Static).render())


async def test_stats_key_opens_the_stats_of_the_queue_on_screen(cache):
    app = app_with_outbox(cache)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        app.action_show_queue("intent:interested")
        await settle(pilot)
        await pilot.press("percent_sign")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, StatsScreen)
        assert screen.stats.filter.intent == "interested" and screen.stats.filter.relevant
        interested = cache.execute(
            "SELECT COUNT(*) FROM threads WHERE reply_intent = 'interested' AND relevant = 1 AND last_ts >= ?",
            (int(app.clock().timestamp()) - 30 * 86400,),
        ).fetchone()[0]
        assert f"{interested:,} threads" in title(app) and "interested" in title(app)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.inbox
        app.inbox.action_toggle_relevant()  # the full feed: the stats follow
        await settle(pilot)
        await pilot.press("percent_sign")
        await settle(pilot)
        assert "full feed" in title(app)


async def test_open_stats_are_recomputed_when_a_sync_finishes(cache):
    from o2d_inbox.tui.app import build_app

    def a_reply_arrives(conn):
        conn.execute(
            "UPDATE threads SET reply_intent = 'interested', last_ts = ? WHERE id = "
            "(SELECT id FROM threads WHERE reply_intent IS NOT 'interested' AND relevant = 1 LIMIT 1)",
            (int(app.clock().timestamp()) - 60,),
        )
        from o2d_inbox.cache.writes import refresh_counts

        refresh_counts(conn)
        return 0

    engine = FakeEngine(cache, on_sync=a_reply_arrives)
    app = build_app(config(), conn=cache, engine=engine, clock=app_with_outbox(cache).clock, sync_every=None)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("percent_sign")
        await settle(pilot)
        before = app.screen.stats.by_intent.get("interested", 0)
        app.sync()
        await settle(pilot)
        assert isinstance(app.screen, StatsScreen)
        assert app.screen.stats.by_intent.get("interested", 0) == before + 1


async def test_the_palette_offers_stats_and_export(cache):
    app = app_with_outbox(cache)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        names = {name: help_text for name, help_text, _ in app.palette_commands()}
        assert "key %" in names["Reply stats"]
        assert "key X" in names["Export leads …"]
        await dict((n, run) for n, _, run in app.palette_commands())["Reply stats"]()
        await settle(pilot)
        assert isinstance(app.screen, StatsScreen)


async def test_export_writes_the_selection_and_says_how_many(cache, tmp_path):
    app = app_with_outbox(cache)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        chosen = {app.threads.row(0).id, app.threads.row(1).id}
        await pilot.press("space", "space", "X")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ExportDialog) and set(dialog.ids) == chosen
        box = dialog.query_one("#export-path", Input)
        assert box.value.endswith(".csv")
        box.value = str(tmp_path / "two.csv")
        await pilot.press("enter")
        await settle(pilot)
        with open(tmp_path / "two.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert {r["thread_id"] for r in rows} == chosen
        assert any("Exported 2 threads" in n for n in notices(app))


async def test_export_without_a_selection_is_the_queue(cache, tmp_path):
    app = app_with_outbox(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.action_show_queue("intent:interested")
        await settle(pilot)
        await pilot.press("X")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ExportDialog) and dialog.ids is None
        assert dialog.view.kind == "intent" and dialog.view.key == "interested"
        dialog.query_one("#export-path", Input).value = str(tmp_path / "q.csv")
        await pilot.press("enter")
        await settle(pilot)
        with open(tmp_path / "q.csv", newline="") as fh:
            assert len(list(csv.DictReader(fh))) == app.threads.count


async def test_copy_the_address_and_the_thread_id(cache, monkeypatch):
    app = app_with_outbox(cache)
    copied: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
        await settle(pilot)
        cache.execute(
            "UPDATE threads SET prospect = 'sarah.chen@wonkaretail.com' WHERE id = ?", (app.threads.row(0).id,)
        )
        app.threads.reread()
        await app.inbox.show_thread(app.threads.row(0))
        shown = app.shown_thread
        await pilot.press("y")
        await pilot.press("Y")
        await settle(pilot)
        assert copied == ["sarah.chen@wonkaretail.com", shown.id]
        assert any("Copied address: sarah.chen@wonkaretail.com" in n for n in notices(app))
        assert any(f"Copied thread id: {shown.id}" in n for n in notices(app))


def give_messages(conn, thread_id: str) -> None:
    """An older message of ours with one link, then the prospect's reply with two."""
    conn.execute("DELETE FROM messages WHERE thread_id = ?", (thread_id,))
    rows = [
        (f"{thread_id}-a", "me@o2d.test", 1, "Our deck: https://o2d.example/deck", 0),
        (
            f"{thread_id}-b",
            "sarah@acme.com",
            2,
            "Sure. Book me here: https://cal.example.com/sarah. Or see https://acme.example/about",
            1,
        ),
    ]
    for mid, sender, ts, body, incoming in rows:
        conn.execute(
            "INSERT INTO messages (id, thread_id, from_email, to_emails, cc_emails, subject, ts, body_text, "
            "is_incoming, folder) VALUES (?, ?, ?, '[]', '[]', 's', ?, ?, ?, 'INBOX')",
            (mid, thread_id, sender, ts, body, incoming),
        )
    conn.execute("UPDATE threads SET message_count = 2, messages_fetched_count = 2 WHERE id = ?", (thread_id,))


async def test_the_link_picker_offers_the_conversation_links_and_opens_one(cache, monkeypatch):
    from o2d_inbox.tui.links import LinkPicker

    app = app_with_outbox(cache)
    opened: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        monkeypatch.setattr(app, "open_url", lambda url, **kw: opened.append(url))
        await settle(pilot)
        give_messages(cache, app.threads.row(0).id)
        app.threads.load(keep_anchor=True)
        await pilot.press("enter")  # the reader, full width at 80 columns
        await settle(pilot)
        await pilot.press("L")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, LinkPicker)
        assert [link.url for link in picker.links] == [
            "https://cal.example.com/sarah",
            "https://acme.example/about",
            "https://o2d.example/deck",
        ]
        await pilot.press("1")
        await settle(pilot)
        assert opened == ["https://cal.example.com/sarah"] and app.screen is app.inbox


async def test_no_links_is_said_not_an_empty_picker(cache):
    app = app_with_outbox(cache)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("L")
        await settle(pilot)
        assert app.screen is app.inbox
        assert "No links in this conversation" in notices(app)
