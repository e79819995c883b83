"""Keyboard and mouse flows of the inbox app, driven by Pilot on a seeded in-memory cache."""

from __future__ import annotations

from o2d_inbox.api.errors import NetworkError
from o2d_inbox.cache import queries as q
from o2d_inbox.cache.writes import refresh_counts
from o2d_inbox.tui.app import build_app
from o2d_inbox.tui.help import HelpScreen
from tests.tui.harness import FakeEngine, clock, config, settle

SIZE = (160, 48)


def app_for(cache, **kw):
    return build_app(kw.pop("cfg", None) or config(), conn=cache, clock=clock, sync_every=None, **kw)


def ids(app, n=5):
    return [app.threads.row(i).id for i in range(n)]


async def test_home_is_needs_reply_oldest_first_relevant(cache):
    app = app_for(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        expected = q.rows(cache, q.View("needs"), 0, 5)
        assert ids(app) == [t.id for t in expected]
        assert app.threads.count == q.count(cache, q.View("needs"))
        assert "Needs reply · Relevant" in str(app.threads.border_title)
        assert app.focused is app.threads
        assert app.shown_thread.id == expected[0].id  # the pane previews the selection


async def test_jk_g_G_pages_and_enter(cache):
    app = app_for(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "j", "down", "k")
        assert app.threads.cursor == 2
        await pilot.press("G")
        assert app.threads.cursor == app.threads.count - 1
        assert app.threads.scroll_y > 0  # the last row is on screen
        await pilot.press("g")
        assert app.threads.cursor == 0 and app.threads.scroll_y == 0
        await pilot.press("pagedown")
        assert app.threads.cursor > 20
        await pilot.press("j", "enter")
        await settle(pilot)
        assert app.shown_thread.id == app.threads.selected.id
        assert app.focused is app.pane or app.pane in app.focused.ancestors


async def test_open_marks_read(cache):
    first = q.rows(cache, q.View("needs"), 0, 1)[0]
    cache.execute("UPDATE threads SET unread = 1 WHERE id = ?", (first.id,))
    app = app_for(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.threads.selected.unread
        await pilot.press("enter")
        await settle(pilot)
        assert not q.thread(cache, first.id).unread
        assert not app.threads.row(0).unread


async def test_tab_cycles_sidebar_list_pane(cache):
    app = app_for(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        seen = []
        for _ in range(3):
            await pilot.press("tab")
            focused = app.focused
            seen.append(next(w.id for w in [focused, *focused.ancestors] if w.id in ("queues", "threads", "pane")))
        assert seen == ["pane", "queues", "threads"]
        await pilot.press("shift+tab")
        assert app.focused is app.sidebar


async def test_sidebar_enter_switches_queue(cache):
    app = app_for(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.sidebar.focus()
        await pilot.press("j", "enter")  # Needs reply -> All
        await settle(pilot)
        assert app.view.kind == "all"
        assert app.threads.count == q.count(cache, q.View("all"))
        assert ids(app) == [t.id for t in q.rows(cache, q.View("all"), 0, 5)]
        assert app.focused is app.threads


async def test_brackets_walk_queues_and_t_toggles_full_feed(cache):
    app = app_for(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert app.view == q.View("intent", "interested")
        await pilot.press("t")
        await settle(pilot)
        full = q.View("intent", "interested", relevant=False)
        assert app.view == full and app.threads.count == q.count(cache, full)
        assert "Full feed" in str(app.threads.border_title)
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert app.view == q.View("needs", relevant=False)


async def test_search_narrows_and_escape_clears(cache):
    from o2d_inbox.cache.search import search_count

    app = app_for(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right_square_bracket")  # All: nothing prefilled
        await pilot.press("slash", *"acme", "enter")
        await settle(pilot)
        assert app.inbox.search.source is not None and app.inbox.search.source.query == "acme"
        assert app.threads.count == search_count(cache, "acme", relevant=True) < q.count(cache, q.View("all"))
        await pilot.press("slash", "escape")
        await settle(pilot)
        assert app.inbox.search.source is None and app.view == q.View("all")
        assert app.threads.count == q.count(cache, q.View("all"))


async def test_help_lists_every_key_and_closes(cache):
    app = app_for(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        shown = {b.id for _, bindings in app.screen.sections for b in bindings}
        assert {
            "thread.down",
            "thread.open",
            "app.sync",
            "app.toggle_relevant",
            "app.filter",
            "app.quit",
            "app.help",
            "app.command_palette",
        } <= shown
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_keymap_rebinds_by_id(cache):
    app = app_for(cache, cfg=config(keymap={"thread.down": "n", "app.help": "f1"}))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        assert app.threads.cursor == 1
        await pilot.press("j")  # no longer bound
        assert app.threads.cursor == 1
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        table_text = " ".join(str(c) for c in app.screen.sections)
        assert "thread.down" in table_text


async def test_quit(cache):
    app = app_for(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_click_selects_row(cache):
    app = app_for(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.click("#threads", offset=(10, 4))  # border is row 0
        await settle(pilot)
        assert app.threads.cursor == 3
        assert app.shown_thread.id == app.threads.row(3).id


async def test_narrow_drops_sidebar_then_pane_and_enter_reads_full_width(cache):
    app = app_for(cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.sidebar.display or app.sidebar.region.width == 0
        assert app.pane.region.width == 0
        await pilot.press("enter")
        await settle(pilot)
        assert app.pane.region.width >= 78 and app.threads.region.width == 0
        await pilot.press("escape")
        await settle(pilot)
        assert app.focused is app.threads and app.threads.region.width >= 78


async def test_sync_keeps_selection_when_new_threads_arrive(cache):
    def arrive(conn):
        newest = conn.execute("SELECT MAX(last_ts) FROM threads").fetchone()[0]
        conn.executemany(
            "INSERT INTO threads (id, subject, last_from, last_ts, relevant, needs_reply, message_count) "
            "VALUES (?, 'fresh', 'x@y.z', ?, 1, 0, 1)",
            [(f"new{i}", newest + 100 + i) for i in range(5)],
        )
        refresh_counts(conn)
        return 5

    engine = FakeEngine(cache, on_sync=arrive)
    app = app_for(cache, engine=engine)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)  # the startup sync
        await pilot.press("right_square_bracket")  # All, newest first: new threads go on top
        await pilot.press(*"jjjjjjjjjjjj")
        await pilot.press("pagedown")
        before_id, before_line = app.threads.selected.id, app.threads.cursor - app.threads.scroll_y
        count = app.threads.count
        engine.on_sync = _more
        await pilot.press("R")
        await settle(pilot)
        assert app.threads.count == count + 3
        assert app.threads.selected.id == before_id
        assert app.threads.cursor - app.threads.scroll_y == before_line
        assert app.last_synced == clock()
        assert "3 new above" in str(app.threads.border_subtitle)
        await pilot.press("g")
        assert app.threads.row(0).id == "more2" and not app.threads.border_subtitle


def _more(conn):
    newest = conn.execute("SELECT MAX(last_ts) FROM threads").fetchone()[0]
    conn.executemany(
        "INSERT INTO threads (id, subject, last_from, last_ts, relevant, needs_reply, message_count) "
        "VALUES (?, 'fresher', 'x@y.z', ?, 1, 0, 1)",
        [(f"more{i}", newest + 100 + i) for i in range(3)],
    )
    refresh_counts(conn)
    return 3


async def test_offline_sync_and_uncached_thread_say_so(cache):
    engine = FakeEngine(
        cache, sync_error=NetworkError("connection refused"), fetch_error=NetworkError("connection refused")
    )
    app = app_for(cache, engine=engine)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.sync_state == "offline"
        assert "offline" in app.status_text().plain
        uncached = next(i for i in range(app.threads.count) if not app.threads.row(i).messages_cached)
        app.threads.move_to(uncached)
        await pilot.press("enter")
        await settle(pilot)
        assert engine.fetched[-1] == app.threads.selected.id  # enter tried the network
        assert "offline" in " ".join(app.pane.text_lines)
        assert app.is_running  # nothing failed


async def test_open_fetches_uncached_messages(cache):
    engine = FakeEngine(cache)
    app = app_for(cache, engine=engine)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        uncached = next(i for i in range(app.threads.count) if not app.threads.row(i).messages_cached)
        app.threads.move_to(uncached)
        await pilot.press("enter")
        await settle(pilot)
        assert app.shown_thread.messages_cached
        assert "fetched body 1" in " ".join(app.pane.text_lines)


async def test_sync_error_becomes_status_not_a_crash(cache):
    from o2d_inbox.api.errors import ServerError

    engine = FakeEngine(cache, sync_error=ServerError("503 upstream unavailable"))
    app = app_for(cache, engine=engine)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.sync_state == "error"
        assert "sync failed: 503 upstream unavailable" in app.status_text().plain
        assert app.is_running


async def test_palette_lists_actions_and_runs_one(cache):
    app = app_for(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        names = [name for name, _, _ in app.palette_commands()]
        assert {"Sync now", "Queue: All", "Toggle relevant / full feed", "Help: keys", "Quit"} <= set(names)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"Queue: All")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert app.view.kind == "all"


async def test_light_theme_from_config(cache):
    app = app_for(cache, cfg=config(theme="o2d-light"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "o2d-light"
        assert app.theme_variables["intent-interested"] == "#1e7a3a"


async def test_hostile_row_is_literal_clean_and_aligned(cache):
    from rich.cells import cell_len

    app = app_for(cache)
    async with app.run_test(size=(260, 48)) as pilot:  # wide: the whole subject fits
        await settle(pilot)
        app.action_show_queue("all")
        await pilot.press("t")
        await settle(pilot)
        index = next(i for i in range(20) if app.threads.row(i).id == "t0000003")
        hostile, plain = (app.threads.render_line(y) for y in (index, index + 1))
        assert "Re: [bold red]URGENT[/] pricing red evil 日本語テスト" in hostile.text  # shown, not applied
        assert not any(ch in hostile.text for ch in "\x1b\x07\u202e\u202c")
        width = app.threads.scrollable_content_region.width
        assert hostile.cell_length == plain.cell_length == width

        def badge_cell(text):  # where the intent badge starts, in terminal cells
            at = min(
                i
                for i, ch in enumerate(text)
                if ch in "★·◷✕↯⊘?" and text[i + 1] == " " and text[i + 2 : i + 5].isalpha() and i > 20
            )
            return cell_len(text[:at])

        assert badge_cell(hostile.text) == badge_cell(plain.text)


async def test_sync_key_does_not_restart_a_running_sync(cache):
    import asyncio

    gate = asyncio.Event()

    class Slow(FakeEngine):
        async def sync(self, **kw):
            self.syncs += 1
            await gate.wait()
            return await super().sync(**kw)

    engine = Slow(cache)
    app = app_for(cache, engine=engine)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.sync_state == "syncing"
        await pilot.press("R", "R")
        assert engine.syncs == 1
        assert "syncing" in app.status_text().plain
        gate.set()
        await settle(pilot)
        assert app.sync_state == "idle" and "synced just now" in app.status_text().plain


async def test_the_status_says_what_a_stalled_sync_waits_for(cache):
    """The client publishes its wait (a 429's Retry-After, a retry's backoff); the header
    shows it while the sync runs and drops it when the wait ends."""
    import asyncio

    gate = asyncio.Event()

    class Waiting:
        waiting: str | None = None
        on_wait = None

    client = Waiting()

    class Slow(FakeEngine):
        async def sync(self, **kw):
            await gate.wait()
            return await super().sync(**kw)

    app = app_for(cache, engine=Slow(cache), client_factory=lambda: client)
    async with app.run_test(size=(200, 48)) as pilot:
        try:
            await pilot.pause()
            assert app.client is client and app.sync_state == "syncing"
            client.waiting = "rate limited, resuming in 4 s"
            client.on_wait(client.waiting)
            await pilot.pause()
            assert "syncing" in app.status_text().plain
            assert "(rate limited, resuming in 4 s)" in app.status_text().plain
            client.waiting = None
            client.on_wait(None)
        finally:
            gate.set()  # the sync ends whatever happened: the app can exit
        for _ in range(20):
            await pilot.pause()
            if app.sync_state == "idle":
                break
        assert app.sync_state == "idle" and "rate limited" not in app.status_text().plain


async def test_search_on_a_file_cache_runs_off_the_ui_thread(tmp_path):
    from o2d_inbox.cache.search import search
    from tests.seed import seeded

    conn = seeded(tmp_path / "cache.db", 300)
    app = app_for(conn)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right_square_bracket", "slash", *"globe")  # each key a new search
        await pilot.press("x", "enter")
        await settle(pilot)
        assert app.inbox.search.source.query == "globex" and app._reader_conn is not None
        assert app.threads.count > 0
        assert [app.threads.row(i).id for i in range(app.threads.count)] == [
            t.id for t in search(conn, "globex", relevant=True, limit=1000)
        ]
    conn.close()


async def test_keys_typed_right_after_slash_go_into_the_filter(cache):
    from textual import events

    app = app_for(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key, char in [("slash", "/"), ("a", "a"), ("c", "c"), ("m", "m"), ("e", "e")]:
            app.post_message(events.Key(key, char))  # one burst, as a fast typist sends it
        await pilot.pause(0.4)
        await settle(pilot)
        assert app.query_one("#filter").value == "is:needs-reply is:open acme"  # after the queue's token
        assert app.inbox.search.source.query == "is:needs-reply is:open acme"


async def test_a_dialog_follows_the_sidebar_when_the_terminal_is_resized(cache):
    """A dialog sits right of the sidebar; narrowed, the sidebar goes (on the inbox, not on
    the dialog's screen) and the dialog centres in the whole width; widened, both come back."""
    from o2d_inbox.tui.intent_picker import IntentPicker

    app = app_for(cache)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, IntentPicker)
        box = app.screen.children[0]
        assert box.region.x >= app.sidebar.region.right > 0

        await pilot.resize_terminal(100, 30)
        await settle(pilot)
        assert app.screen_stack[0].has_class("-no-sidebar") and not app.screen.has_class("-no-sidebar")
        assert app.sidebar.region.width == 0
        assert abs(box.region.x - (100 - box.region.right)) <= 1  # centred in the whole width

        await pilot.resize_terminal(160, 40)
        await settle(pilot)
        assert app.sidebar.region.width > 0
        assert box.region.x >= app.sidebar.region.right
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, IntentPicker)


async def test_a_worker_message_arriving_while_the_app_closes_is_ignored(cache):
    """A messages fetch or a sync that ends just as the app closes still posts its message;
    the inbox's widgets are gone by then: nothing to update, and no crash."""
    from o2d_inbox.sync.engine import SyncResult
    from o2d_inbox.tui.messages import MessagesFetched, SyncFinished, SyncProgressed

    app = app_for(cache)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.screen_stack[0].remove_children()  # what shutting down does to them
        await app.on_messages_fetched(MessagesFetched("t0000001", 2))
        app.on_sync_progressed(SyncProgressed("threads", 200, None))
        await app.on_sync_finished(SyncFinished(SyncResult(new=3)))
        assert app.sync_state == "idle"


async def test_a_client_factory_is_called_once_after_the_first_frame(tmp_path, monkeypatch):
    """The CLI hands the app a factory: the inbox paints from the cache first, then builds
    the client (httpx, pydantic, a TLS context: ~0.1 s) and syncs with it."""
    from o2d_inbox.api.client import UniboxClient
    from o2d_inbox.cache.db import open_db
    from o2d_inbox.simulator import EXAMPLE_KEY, SimConfig, Simulator
    from o2d_inbox.tui.thread_list import ThreadList

    painted = []
    original = ThreadList.render_line

    def render_line(self, y):
        painted.append(y)
        return original(self, y)

    monkeypatch.setattr(ThreadList, "render_line", render_line)
    sim = Simulator(SimConfig(threads=30, seed=3, hostile=False))
    conn = open_db(tmp_path / "cache.db")
    calls = []

    def factory():
        calls.append(len(painted))
        return UniboxClient("http://sim.test", EXAMPLE_KEY, 42, transport=sim.transport(), max_retries=0)

    app = build_app(config(), conn=conn, client_factory=factory, clock=clock, sync_every=None)
    assert app.online and app.sync_state == "idle" and calls == []
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):
            await pilot.pause(0.02)
            if app.sync_state == "idle" and app.last_synced is not None:
                break
        assert len(calls) == 1 and calls[0] > 0  # once, after rows were painted
        assert conn.execute("SELECT count(*) FROM threads").fetchone()[0] == 30
    conn.close()


async def test_needs_reply_is_counted_after_the_first_frame_then_shown(monkeypatch):
    """Needs reply's count (read from an index: ~25 ms on a million threads) waits for the
    first frame: that frame shows the first rows with "…" where the count goes (never a 0),
    and the count arrives right after, in the sidebar and the list's title."""
    from tests.seed import seeded
    from tests.tui.harness import frames_written, screen_lines

    conn = seeded(":memory:", 800)  # Needs reply fills more than the list's first page
    needs = q.count(conn, q.View("needs"))
    first = q.rows(conn, q.View("needs"), 0, 1)[0]
    app = app_for(conn)
    frames = frames_written(app, monkeypatch)
    seen: list[tuple[int, list[str]]] = []  # (frames written, the screen) when Needs reply is counted
    count = q.count

    def counting(conn, view):
        if view.kind == "needs" and not seen:
            seen.append((len(frames), screen_lines(app)))
        return count(conn, view)

    monkeypatch.setattr(q, "count", counting)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        after = screen_lines(app)
    conn.close()
    assert needs > 64 and seen
    written, before = seen[0]
    assert written >= 1  # counted once a frame was out, not before
    assert any(first.subject_display in line for line in before)  # the first rows are there
    assert any("Needs reply · Relevant · …" in line for line in before)
    sidebar = next(line for line in before if "▸ Needs reply" in line)
    assert sidebar.split("▸ Needs reply")[1].split("│")[0].strip() == "…"
    assert any(f"Needs reply · Relevant · {needs}" in line for line in after)
    sidebar = next(line for line in after if "▸ Needs reply" in line)
    assert sidebar.split("▸ Needs reply")[1].split("│")[0].strip() == str(needs)


async def test_a_key_before_the_count_arrives_counts_the_queue_itself(monkeypatch):
    """`G` typed before Needs reply was counted goes to its real last thread, not to the
    end of the first page the list had."""
    from o2d_inbox.tui.inbox import InboxScreen
    from tests.seed import seeded

    conn = seeded(":memory:", 800)
    needs = q.count(conn, q.View("needs"))
    last = q.rows(conn, q.View("needs"), needs - 1, 1)[0]
    monkeypatch.setattr(InboxScreen, "_count_after_first_frame", lambda self: None)  # not yet
    app = app_for(conn)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not app.threads.counted
        await pilot.press("G")
        assert app.threads.counted and app.threads.cursor == needs - 1
        assert app.shown_thread.id == last.id
        assert app.threads.virtual_size.height == needs  # the scrollbar spans the whole queue
    conn.close()


def test_the_inbox_imports_without_the_client_stack():
    """What the first frame waits for: neither httpx nor pydantic (the client brings them),
    nor what only a search, a finished sync, quitting, an unsubscribe or a message body
    (the quote patterns) use."""
    import subprocess
    import sys

    later = ("httpx", "pydantic", "o2d_inbox.cache.search", "o2d_inbox.tui.alerts", "o2d_inbox.tui.quit_dialog")
    later += ("o2d_inbox.outbox.compliance", "html", "o2d_inbox.render.quote")
    code = f"import sys, o2d_inbox.tui.app; print(sorted(m for m in {later!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


async def test_the_inbox_engine_follows_the_config(tmp_path):
    """The TUI's sync honours reconcile_minutes and knows the configured sender as ours,
    exactly as ``o2d-inbox sync`` does (both come from context.make_engine)."""
    import time

    from o2d_inbox.api.client import UniboxClient
    from o2d_inbox.cache.db import open_db
    from o2d_inbox.cache.writes import known_mailboxes, set_state
    from o2d_inbox.simulator import EXAMPLE_KEY, SimConfig, Simulator
    from o2d_inbox.sync.engine import K_LAST_FULL

    sim = Simulator(SimConfig(threads=30, seed=3, hostile=False))
    conn = open_db(tmp_path / "cache.db")
    async with UniboxClient("http://sim.test", EXAMPLE_KEY, 42, transport=sim.transport(), max_retries=0) as client:
        app = build_app(
            config(reconcile_minutes=5, from_mailbox="Rep@Ours.Example"),
            conn=conn,
            client=client,
            clock=clock,
            sync_every=None,
        )
        engine = app.engine
        assert "rep@ours.example" in known_mailboxes(conn)
        assert (await engine.sync()).full  # the first sync walks every page
        # the last walk 10 minutes ago: due after 5 minutes, not after the default 60
        set_state(conn, K_LAST_FULL, str(time.time() - 600))
        conn.commit()
        assert (await engine.sync()).full
    conn.close()
