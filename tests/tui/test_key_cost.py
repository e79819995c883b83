"""What a key and the start cost: stepping through threads, switching queues and typing in a
text box never lay the screen out again, counts are read once and again only after the cache
changed, a repeated size lays nothing out, collection is back after the first frame, and the
queues sidebar (a Line-API view) answers keys and clicks as the OptionList it replaced did."""

from __future__ import annotations

from textual.screen import Screen

from o2d_inbox.cache import queries as q
from o2d_inbox.tui.app import build_app
from o2d_inbox.tui.text_box import TextBox
from tests.tui.harness import clock, config, layouts_counted, screen_lines, settle

SIZE = (160, 48)


def app_for(cache):
    return build_app(config(), conn=cache, clock=clock, sync_every=None)


def overflows(pane) -> bool:
    return pane.virtual_size.height > pane.scrollable_content_region.height


async def test_stepping_through_threads_never_lays_the_screen_out_again(cache, monkeypatch):
    """The pane's content grows and shrinks from thread to thread (its scrollbar is needed,
    then not): no `j` re-lays out the screen, and the pane always shows the thread."""
    app = app_for(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right_square_bracket")  # All: cached conversations, long and short
        await settle(pilot)
        layouts = layouts_counted(monkeypatch)
        seen = set()
        for _ in range(20):
            await pilot.press("j")
            await settle(pilot)
            assert app.shown_thread.id == app.threads.selected.id
            seen.add(overflows(app.pane))
        assert seen == {True, False}, "the walk should meet threads that fit the pane and threads that do not"
        assert layouts == []


async def test_a_long_thread_shows_its_scrollbar_and_a_short_one_hides_it(cache):
    """The pane keeps its scrollbar for good (no layout), drawn in the background's colour
    while the thread fits."""
    app = app_for(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        pane = app.pane
        looks = {}
        for _ in range(20):
            await pilot.press("j")
            await settle(pilot)
            looks[overflows(pane)] = pane.styles.scrollbar_color
        background = pane.styles.background
        assert looks[False] == background  # nothing to scroll: no bar to see
        assert looks[True] != background


async def test_a_queue_switch_counts_only_after_the_cache_changed(cache):
    """A switch reads no count while the cache is as it was (the counts on screen are its
    counts); after a change it reads them once, for the sidebar and the list alike."""
    app = app_for(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right_square_bracket")  # All
        await settle(pilot)
        counts: list[str] = []
        cache.set_trace_callback(lambda sql: counts.append(sql) if "COUNT(" in sql.upper() else None)
        try:
            expected = q.count(cache, q.View("needs"))
            one_count = len(counts)  # the statements of one count of Needs reply
            counts.clear()
            await pilot.press("left_square_bracket")  # back to Needs reply
            await settle(pilot)
            unchanged = len(counts)
            assert app.view.kind == "needs" and app.threads.count == expected
            # a thread put away behind the screen's back (a write the screen did not make)
            first = app.threads.row(0)
            cache.execute("UPDATE threads SET local_done = 1 WHERE id = ?", (first.id,))
            await pilot.press("right_square_bracket", "left_square_bracket")
            await settle(pilot)
        finally:
            cache.set_trace_callback(None)
        assert unchanged == 0, counts
        assert one_count and len(counts) == one_count, counts
        assert app.threads.count == expected - 1 == q.count(cache, q.View("needs"))
        assert app.sidebar.get_option("needs").prompt.plain.split()[-1] == f"{expected - 1:,}"


async def test_sidebar_keys_skip_headings_and_a_click_shows_the_queue(cache):
    app = app_for(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        sidebar = app.sidebar
        sidebar.focus()
        await pilot.press("end")
        last = sidebar.highlighted_option
        assert last.id and last.id.startswith("campaign:")
        headings = [i for i, o in enumerate(sidebar.options) if o.disabled]
        assert headings  # "Mailboxes", "Campaigns"
        for _ in range(len(sidebar.options)):
            await pilot.press("k")
            assert not sidebar.highlighted_option.disabled
        assert sidebar.highlighted == 0
        # a click on the All line (below the border, Needs reply, then All)
        await pilot.click(sidebar, offset=(3, 2))
        await settle(pilot)
        assert app.view.kind == "all"
        assert sidebar.highlighted_option.id == "all"
        assert app.focused is app.threads


async def test_the_start_counts_needs_reply_once(cache):
    """The sidebar and the list share the first read of the counts."""
    statements: list[str] = []
    cache.set_trace_callback(statements.append)
    q.count(cache, q.View("needs"))
    cache.set_trace_callback(None)
    needs = [sql for sql in statements if "COUNT(" in sql.upper()]  # the count's own statements
    assert needs
    seen: list[str] = []
    cache.set_trace_callback(lambda sql: seen.append(sql) if sql in needs else None)
    try:
        app = app_for(cache)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            shown = app.threads.count
    finally:
        cache.set_trace_callback(None)
    assert sorted(seen) == sorted(needs)
    assert shown == q.count(cache, q.View("needs"))


async def test_a_write_by_another_connection_is_counted_at_the_next_switch(tmp_path):
    """The sync writes through a connection of its own: the counts follow its writes."""
    from o2d_inbox.cache.db import open_db
    from tests.seed import seeded

    conn = seeded(tmp_path / "cache.db", 60)
    other = open_db(tmp_path / "cache.db")
    try:
        app = app_for(conn)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            before = app.threads.count
            first = app.threads.row(0)
            with other:
                other.execute("UPDATE threads SET local_done = 1 WHERE id = ?", (first.id,))
            await pilot.press("right_square_bracket", "left_square_bracket")
            await settle(pilot)
            assert app.threads.count == before - 1 == q.count(conn, q.View("needs"))
    finally:
        other.close()
        conn.close()


async def test_a_resize_to_the_size_on_screen_lays_nothing_out(cache, monkeypatch):
    """Textual repeats the terminal's size while the app starts; only a new size lays out."""
    from textual import events
    from textual.geometry import Size

    app = app_for(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        layouts: list[Size] = []
        original = Screen._refresh_layout

        def counted(self, size=None, scroll=False):
            layouts.append(size)
            return original(self, size, scroll)

        monkeypatch.setattr(Screen, "_refresh_layout", counted)
        app.screen.post_message(events.Resize(Size(*SIZE), Size(*SIZE)))
        await settle(pilot)
        assert layouts == []
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert layouts and app.screen.size == Size(120, 40)
        assert app.threads.region.right <= 120


async def test_garbage_collection_off_while_starting_is_back_after_the_first_frame(cache):
    """The TUI command starts with collection off (commands/app.py); the app turns it back
    on once the first frame is drawn, with what the start made set aside (gc.freeze)."""
    import gc

    app = app_for(cache)
    gc.unfreeze()  # what the test process set aside (tests/conftest.py): only the app's counts
    assert gc.get_freeze_count() == 0
    gc.disable()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert gc.isenabled()
            assert gc.get_freeze_count() > 0
    finally:
        gc.enable()
        gc.unfreeze()
        gc.collect()
        gc.freeze()  # as the test process had it


async def test_typing_in_the_search_box_lays_nothing_out_and_the_box_follows_the_cursor(cache, monkeypatch):
    """Each key typed changes the box's text width (tui/text_box.py): no layout of the screen
    for it, and a text longer than the box still scrolls sideways to show where one types."""
    app = app_for(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        layouts = layouts_counted(monkeypatch)
        for key in "zzqqxx":  # no thread matches: the list stays as short as it gets
            await pilot.press(key)
            await settle(pilot)
        assert layouts == []
        await pilot.press(*"abcdefghijklmnopqrstuvwxyz" * 3)
        await settle(pilot)
        box = app.screen.query_one("#filter", TextBox)
        assert box.value.endswith("zzqqxx" + "abcdefghijklmnopqrstuvwxyz" * 3)  # after the queue's own tokens
        assert box.scroll_x > 0
        assert any(line.rstrip(" │\n").endswith("uvwxyz") for line in screen_lines(app)[:4])
