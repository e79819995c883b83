"""A new interested reply found by a sync is said at once (who and what) and rings the bell,
as config.toml's ``alerts`` says; a theme chosen in the inbox is kept in config.toml."""

from __future__ import annotations

from types import SimpleNamespace

from o2d_inbox.tui import alerts
from o2d_inbox.tui.app import build_app
from tests.tui.harness import clock, config, settle

SUBJECT = "Re: pricing [b]for[/b] \x1b[31mQ3"


class Engine:
    """A sync that brings in one interested reply (and, with ``more``, others)."""

    def __init__(self, conn, more: int = 0) -> None:
        self.conn, self.more = conn, more

    async def sync(self, *, full=False, messages=False, progress=None):
        ids = [r[0] for r in self.conn.execute("SELECT id FROM threads ORDER BY id LIMIT ?", (1 + self.more,))]
        self.conn.execute(
            "UPDATE threads SET prospect = 'sarah.chen@wonkaretail.com', reply_intent = 'interested', "
            "subject = ?, subject_display = ? WHERE id = ?",
            (SUBJECT, SUBJECT, ids[0]),
        )
        return SimpleNamespace(new=0, changed=len(ids), removed=0, messages=0, seconds=0.0, full=full, interested=ids)

    async def fetch_messages(self, thread_id):
        return 0


def run(cache, mode, more=0):
    app = build_app(config(alerts=mode), conn=cache, engine=Engine(cache, more), clock=clock, sync_every=None)
    rung: list[bool] = []
    app.bell = lambda: rung.append(True)
    return app, rung


async def test_an_interested_reply_is_named_and_rings_the_bell(cache):
    app, rung = run(cache, "bell")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)  # the sync at start
        shown = [n for n in app._notifications if n.title == "New interested reply"]
        assert len(shown) == 1 and rung == [True]
        text = shown[0].message
        assert text.startswith("★ Interested reply from Sarah Chen <sarah.chen@wonkaretail.com>: Re: pricing")
        assert "[b]for[/b]" in text and "\x1b" not in text  # server text: as typed, never markup or escapes


async def test_many_replies_are_counted_after_the_first_few(cache):
    app, rung = run(cache, "bell", more=4)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        (shown,) = [n for n in app._notifications if n.title == "5 new interested replies"]
        lines = shown.message.splitlines()
        assert len(lines) == alerts.MAX_NAMED + 1 and lines[-1] == "… and 2 more interested replies"
        assert rung == [True]  # one bell for the sync, not one per reply


async def test_off_says_nothing(cache):
    app, rung = run(cache, "off")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert not [n for n in app._notifications if "interested" in (n.title or "")] and rung == []


async def test_notify_also_asks_the_terminal_for_a_desktop_notification(cache, monkeypatch):
    written: list[str] = []
    monkeypatch.setattr(alerts, "_write_to_terminal", lambda app, data: written.append(data))
    app, rung = run(cache, "notify")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert rung == [True] and len(written) == 1
        sequence = written[0]
        assert sequence.startswith("\x1b]9;o2d-inbox: ★ Interested reply from Sarah Chen") and sequence.endswith("\x07")
        assert "\x1b" not in sequence[1:] and "\x07" not in sequence[:-1]  # the subject's escape cannot end it


async def test_a_theme_chosen_in_the_palette_is_saved_in_the_config_file(cache, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('# mine\ntheme = "o2d-dark"  # at night\n[keymap]\n"thread.done" = "y"\n')
    app = build_app(config(settings_file=path), conn=cache, clock=clock, sync_every=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert path.read_text().count("o2d-dark") == 1  # starting is not choosing
        dict((n, run) for n, _, run in app.palette_commands())["Theme: o2d light"]()
        await settle(pilot)
    assert path.read_text() == '# mine\ntheme = "o2d-light"  # at night\n[keymap]\n"thread.done" = "y"\n'


async def test_a_config_made_in_code_is_never_written(cache, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    app = build_app(config(), conn=cache, clock=clock, sync_every=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.theme = "o2d-light"
        await settle(pilot)
    assert not list(tmp_path.rglob("*.toml"))
