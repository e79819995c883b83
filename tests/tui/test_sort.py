"""The sort key: oldest wait / newest / by intent, for every queue the user goes to after
choosing it (Snoozed keeps its wake order, a search its own), and the header naming the
order in effect at every width. The key also works where the keymap moves it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from o2d_inbox.cache import local
from o2d_inbox.cache.queries import INTENT_ORDER
from o2d_inbox.tui.app import build_app
from tests.seed import NOW
from tests.tui.harness import FakeClock, config, notices, settle

SIZES = [(80, 24), (120, 40), (160, 48)]


def make(cache, keymap=None, **settings):
    return build_app(config(keymap=keymap or {}, **settings), conn=cache, clock=FakeClock(), sync_every=None)


def header(app) -> str:
    return app.query_one("#header").render().plain


def shown_rows(app, n=40):
    return [app.threads.row(i) for i in range(min(n, app.threads.count))]


def intent_rank(row) -> int:
    return INTENT_ORDER.index(row.reply_intent) if row.reply_intent in INTENT_ORDER else len(INTENT_ORDER)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("keymap", [{}, {"app.sort": "ctrl+o"}])
async def test_the_sort_key_cycles_the_order_and_the_header_says_which(cache, size, keymap):
    app = make(cache, keymap)
    key = "ctrl+o" if keymap else "O"
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app.action_show_queue("all")
        await settle(pilot)
        assert "newest" in header(app)
        ts = [r.last_ts for r in shown_rows(app)]
        assert ts == sorted(ts, reverse=True) and len(set(ts)) > 1

        await pilot.press(key)  # newest -> by intent
        await settle(pilot)
        assert app.view.sort == "intent" and "intent" in header(app)
        ranks = [intent_rank(r) for r in shown_rows(app, app.threads.count)]
        assert ranks == sorted(ranks) and len(set(ranks)) > 1
        assert "Sorted: by intent, newest first" in notices(app)

        await pilot.press(key)  # -> oldest wait first
        await settle(pilot)
        assert app.view.sort == "oldest" and "oldest" in header(app)
        ts = [r.last_ts for r in shown_rows(app)]
        assert ts == sorted(ts)
        assert app.shown_thread.id == app.threads.row(0).id  # the pane shows the new first row

        app.action_show_queue("intent:neutral")  # the chosen order follows to another queue
        await settle(pilot)
        assert app.view.sort == "oldest" and ("oldest" in header(app))
        ts = [r.last_ts for r in shown_rows(app)]
        assert ts == sorted(ts)
        assert len(header(app)) <= size[0] and "offline" in header(app)  # the right side stays

        await pilot.press(key)  # -> newest: back where All started
        await settle(pilot)
        assert app.view.sort == "newest"


async def test_needs_reply_starts_interested_first_and_the_key_moves_on_from_there(cache):
    app = make(cache)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert app.view.kind == "needs" and "sort: by intent" in header(app)  # its own order
        rows = shown_rows(app, app.threads.count)
        firsts = [r.reply_intent == "interested" for r in rows]
        assert firsts == sorted(firsts, reverse=True) and any(firsts) and not all(firsts)
        await pilot.press("O")
        await settle(pilot)
        assert "sort: oldest wait first" in header(app)
        ts = [r.last_ts for r in shown_rows(app, app.threads.count)]
        assert ts == sorted(ts) and [r.reply_intent for r in shown_rows(app, app.threads.count)] != [
            r.reply_intent for r in rows
        ]


async def test_snoozed_keeps_wake_order_whatever_the_sort(cache):
    ids = [r[0] for r in cache.execute("SELECT id FROM threads ORDER BY last_ts LIMIT 3")]
    for hours, tid in zip((30, 5, 80), ids, strict=True):  # wake order differs from age order
        local.snooze(cache, [tid], NOW + timedelta(hours=hours))
    app = make(cache)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        app.action_show_queue("all")
        await settle(pilot)
        await pilot.press("O", "O")  # newest -> intent -> oldest
        await settle(pilot)
        assert app.inbox.sort == "oldest"
        app.action_show_queue("snoozed")
        await settle(pilot)
        assert [r.id for r in shown_rows(app)] == [ids[1], ids[0], ids[2]]  # soonest wake first
        assert "sort: soonest wake first" in header(app)
        await pilot.press("O")
        await settle(pilot)
        assert "Snoozed stays in wake order: the soonest first" in notices(app)
        assert [r.id for r in shown_rows(app)] == [ids[1], ids[0], ids[2]] and app.inbox.sort == "oldest"


async def test_a_search_keeps_its_order_and_the_header_names_no_sort(cache):
    app = make(cache)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"re", "enter")
        await settle(pilot)
        assert app.inbox.search.source is not None and "sort:" not in header(app)
        await pilot.press("O")
        await settle(pilot)
        assert "Search hits keep their order; the sort applies to queues" in notices(app)
        await pilot.press("escape")  # back to the queue: its order is named again
        await settle(pilot)
        assert app.inbox.search.source is None and "sort: by intent" in header(app)


async def test_a_selection_stays_selected_when_the_order_changes(cache):
    app = make(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        picked = {app.threads.row(0).id, app.threads.row(1).id}
        await pilot.press("space", "space", "O")
        await settle(pilot)
        assert app.threads.selection == picked and "2 sel" in header(app)


async def test_by_intent_names_the_time_order_within_a_group(cache):
    app = make(cache)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert "sort: by intent, oldest wait first" in header(app)  # Needs reply's own
        app.action_show_queue("all")
        await pilot.press("O")
        await settle(pilot)
        assert "sort: by intent, newest first" in header(app)
        assert "Sorted: by intent, newest first" in notices(app)
        first = [r for r in shown_rows(app, app.threads.count) if r.reply_intent == app.threads.row(0).reply_intent]
        assert [r.last_ts for r in first] == sorted((r.last_ts for r in first), reverse=True)


async def test_the_chosen_sort_is_kept_in_the_config_file_and_used_at_the_next_start(cache, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('theme = "o2d-dark"  # mine\n')
    app = make(cache, settings_file=path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("O")  # Needs reply: by intent -> oldest wait first
        await settle(pilot)
        assert app.inbox.sort == "oldest"
    assert path.read_text() == 'theme = "o2d-dark"  # mine\nsort = "oldest"\n'

    again = make(cache, settings_file=path, sort="oldest")  # as load_config reads it back
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert again.view.kind == "needs" and "sort: oldest wait first" in header(again)
        ts = [r.last_ts for r in shown_rows(again, again.threads.count)]
        assert ts == sorted(ts) and len(set(ts)) > 1
