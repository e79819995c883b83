"""`/` searches the cache (cache/search.py) and shows the hits as a queue (tui/search.py)."""

from __future__ import annotations

import pytest

from o2d_inbox.cache import queries as q
from o2d_inbox.cache.search import search, search_count
from o2d_inbox.tui.app import build_app
from o2d_inbox.tui.conversation import ConversationView
from tests.seed import NOW, seeded
from tests.tui.harness import clock, config, settle, type_burst

SIZE = (160, 48)


@pytest.fixture
def file_cache(tmp_path):
    """A cache file: the app searches on its second connection, in a thread (as in real use)."""
    conn = seeded(tmp_path / "cache.db", 300)
    yield conn
    conn.close()


def app_for(conn):
    return build_app(config(), conn=conn, clock=clock, sync_every=None)


def shown_ids(app) -> list[str]:
    return [app.threads.row(i).id for i in range(app.threads.count)]


async def test_from_and_word_show_the_matching_threads_and_count(file_cache):
    app = app_for(file_cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right_square_bracket")  # All: the box opens empty
        await pilot.press("slash")
        assert app.inbox.search_box.value == ""
        await pilot.press(*"from:sarah pricing", "enter")
        await settle(pilot)
        expected = search(file_cache, "from:sarah pricing", relevant=True, limit=1000, now=NOW)
        assert expected and shown_ids(app) == [t.id for t in expected]
        n = search_count(file_cache, "from:sarah pricing", relevant=True, now=NOW)
        assert app.threads.count == n
        assert str(app.threads.border_title) == f"Search: from:sarah pricing · {n}"
        # what the user sees: every row is one of Sarah's threads
        assert all("sarah" in (t.prospect or "") for t in expected)


async def test_escape_restores_the_queue_where_the_cursor_was(file_cache):
    app = app_for(file_cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "j", "j")
        before = app.threads.selected.id
        title = str(app.threads.border_title)
        await pilot.press("slash", *"acme", "enter")
        await settle(pilot)
        assert str(app.threads.border_title).startswith("Search: is:needs-reply is:open acme · ")
        await pilot.press("escape")
        await settle(pilot)
        assert app.inbox.search.source is None and not app.inbox.search_box.display
        assert app.view == q.View("needs")
        assert str(app.threads.border_title) == title
        assert app.threads.selected.id == before


async def test_enter_moves_to_the_results_then_j_enter_opens_one(file_cache):
    app = app_for(file_cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right_square_bracket", "slash", *"globex", "enter")
        await settle(pilot)
        assert app.focused is app.threads
        await pilot.press("j", "enter")
        await settle(pilot)
        second = search(file_cache, "globex", relevant=True, limit=2, now=NOW)[1]
        assert app.shown_thread.id == second.id
        assert isinstance(app.focused, ConversationView) or app.pane in app.focused.ancestors


async def test_results_page_lazily_past_the_first_page(file_cache):
    app = app_for(file_cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right_square_bracket", "slash", *"thanks", "enter")
        await settle(pilot)
        expected = search(file_cache, "thanks", relevant=True, limit=1000, now=NOW)
        assert len(expected) > 64 * 2  # the worker read one page; the rest is paged on demand
        assert app.threads.count == len(expected)
        await pilot.press("G")
        await settle(pilot)
        assert app.threads.selected.id == expected[-1].id
        assert shown_ids(app) == [t.id for t in expected]


async def test_intent_queue_prefills_its_token_and_deleting_it_searches_everything(file_cache):
    app = app_for(file_cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.action_show_queue("intent:interested")
        await settle(pilot)
        await pilot.press("slash")
        assert app.inbox.search_box.value == "intent:interested is:open "
        await pilot.press(*"acme", "enter")
        await settle(pilot)
        narrowed = shown_ids(app)
        assert narrowed == [
            t.id for t in search(file_cache, "intent:interested is:open acme", relevant=True, limit=1000, now=NOW)
        ]
        assert all(app.threads.row(i).reply_intent == "interested" for i in range(app.threads.count))
        await pilot.press("slash", "home", *["delete"] * len("intent:interested is:open "), "enter")
        await settle(pilot)
        assert app.inbox.search_box.value == "acme"
        everywhere = shown_ids(app)
        assert set(narrowed) < set(everywhere)
        assert everywhere == [t.id for t in search(file_cache, "acme", relevant=True, limit=1000, now=NOW)]


async def test_relevant_toggle_searches_the_full_feed(file_cache):
    app = app_for(file_cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right_square_bracket", "slash", *"acme", "enter")
        await settle(pilot)
        relevant = app.threads.count
        await pilot.press("t")
        await settle(pilot)
        assert app.threads.count == search_count(file_cache, "acme", relevant=None, now=NOW) > relevant
        assert "Full feed" in str(app.threads.border_title)


@pytest.mark.parametrize("query", ['"', "NEAR(", "*", 'from:" intent: "a AND OR (', "\x1b[2J"])
async def test_hostile_queries_show_no_error(file_cache, query):
    app = app_for(file_cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right_square_bracket", "slash")
        app.inbox.search_box.value = query
        await pilot.press("enter")
        await settle(pilot)
        assert app.inbox.search.source is not None or not query.strip()
        assert not [n for n in app._notifications if n.severity != "information"]
        assert app.is_running
        assert "\x1b" not in str(app.threads.border_title)


async def test_in_memory_cache_searches_on_the_one_connection(cache):
    app = app_for(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"acme", "enter")
        await settle(pilot)
        assert shown_ids(app) == [
            t.id for t in search(cache, "is:needs-reply is:open acme", relevant=True, limit=1000, now=NOW)
        ]


def test_snapshot_search_results_queue(snap_compare, file_cache):
    """A search from the Interested queue: prefilled intent token + word, titled Search: … · N."""

    async def run(pilot):
        await settle(pilot)
        pilot.app.action_show_queue("intent:interested")
        await pilot.press("slash", *"re", "enter", "j")
        await settle(pilot)

    assert snap_compare(app_for(file_cache), terminal_size=SIZE, run_before=run)


async def test_past_the_capped_count_the_list_grows_as_the_cursor_nears_its_end(tmp_path):
    from o2d_inbox.cache.search import COUNT_CAP

    conn = seeded(tmp_path / "big.db", COUNT_CAP + 150, messages_for=0)
    app = app_for(conn)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right_square_bracket", "slash", *"thanks", "enter")
        await settle(pilot)
        assert str(app.threads.border_title).endswith(f"· {COUNT_CAP:,}+")
        assert app.threads.count == COUNT_CAP + 1
        await pilot.press("G")
        await settle(pilot)
        assert app.threads.count > COUNT_CAP + 1
        await pilot.press("G")
        await settle(pilot)
        expected = search(conn, "thanks", relevant=True, limit=5000, now=NOW)
        assert app.threads.count == len(expected) > COUNT_CAP
        assert app.threads.selected.id == expected[-1].id
    conn.close()


async def test_an_opened_result_shows_its_campaign_name(file_cache):
    app = app_for(file_cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right_square_bracket", "slash", *"campaign:agencies", "enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.shown_thread.campaign_id == "c-agency"
        assert any("campaign: Agencies EU" in line for line in app.pane.text_lines)


async def test_the_prefilled_search_leaves_out_what_the_queue_put_away(file_cache):
    """Done and snoozed threads are out of Needs reply: the search it prefills agrees."""
    from datetime import timedelta

    from o2d_inbox.cache import local

    hits = [t.id for t in search(file_cache, "is:needs-reply acme", relevant=True, limit=1000, now=NOW)]
    assert len(hits) >= 3
    local.mark_done(file_cache, hits[0])
    local.snooze(file_cache, hits[1], NOW + timedelta(days=3))
    app = app_for(file_cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = [app.threads.row(i).id for i in range(app.threads.count)]
        await pilot.press("slash", *"acme", "enter")
        await settle(pilot)
        shown = shown_ids(app)
        assert shown == hits[2:] and set(shown) <= set(queue)


def marked(app) -> list[str]:
    """The text the pane shows in the match style (a search's words)."""
    match = app.pane.get_component_rich_style("conversation--match")
    return [
        segment.text
        for strip in app.pane._lines
        for segment in strip
        if segment.style is not None and segment.style.bgcolor == match.bgcolor and segment.text.strip()
    ]


async def test_the_words_searched_for_are_highlighted_in_the_conversation(file_cache):
    tid = file_cache.execute("SELECT id FROM threads WHERE relevant = 1 ORDER BY last_ts DESC LIMIT 1").fetchone()[0]
    file_cache.execute("DELETE FROM messages WHERE thread_id = ?", (tid,))
    file_cache.execute(
        "INSERT INTO messages (id, thread_id, from_email, to_emails, cc_emails, subject, ts, body_text, is_incoming, "
        "folder) VALUES (?, ?, 'p@acme.com', '[]', '[]', 's', 1, ?, 1, 'INBOX')",
        (f"{tid}-m", tid, "The Zephyrine plan: zephyrine pricing, not the unzephyrine one. [b]Next week[/b] works."),
    )
    file_cache.execute("UPDATE threads SET message_count = 1, messages_fetched_count = 1 WHERE id = ?", (tid,))
    file_cache.commit()
    app = app_for(file_cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right_square_bracket", "slash", *'zephyrine "next week"', "enter")
        await settle(pilot)
        app.threads.move_to_thread(tid)
        await settle(pilot)
        assert app.shown_thread.id == tid
        assert marked(app) == ["Zephyrine", "zephyrine", "Next week"]  # whole words, any case; not inside one
        await pilot.press("escape")
        await settle(pilot)
        assert marked(app) == []


@pytest.mark.parametrize(
    "query, said",
    [
        ("is:bogus", "unknown filter is:bogus"),
        ("pricing before:soon", "before: needs a date"),
        ("intent:maybe", "maybe"),
        ("frm:tom", "did you mean from:?"),
    ],
)
async def test_an_unreadable_filter_is_said_in_the_search_bar_not_answered_with_nothing(file_cache, query, said):
    app = app_for(file_cache)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("right_square_bracket")  # All
        await settle(pilot)
        before = (app.threads.count, str(app.threads.border_title))
        await pilot.press("slash")
        # typed in one go: a pause mid-typing would search a readable start of it ("pricing")
        type_burst(app, [*query, "enter"])
        await settle(pilot)
        box = app.inbox.search_box
        assert said in str(box.border_subtitle) and box.has_class("-error")
        assert app.focused is box  # to mend it
        assert (app.threads.count, str(app.threads.border_title)) == before  # not an empty list
        for _ in query:
            await pilot.press("backspace")
        await pilot.press(*"is:unread", "enter")
        await settle(pilot)
        assert not box.border_subtitle and not box.has_class("-error")
        assert str(app.threads.border_title).startswith("Search: is:unread · ")


async def test_the_intent_names_the_list_shows_search_that_intent(file_cache):
    app = app_for(file_cache)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("right_square_bracket", "slash", *"intent:ooo", "enter")
        await settle(pilot)
        assert app.threads.count == search_count(file_cache, "intent:out_of_office", relevant=True, now=NOW) > 0
        assert {app.threads.row(i).reply_intent for i in range(app.threads.count)} == {"out_of_office"}
