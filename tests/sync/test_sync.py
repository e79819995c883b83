"""The sync engine against the in-process simulator: what ends up in the cache."""

from __future__ import annotations

import asyncio
import gc
import sys
from datetime import datetime, timedelta, timezone

import pytest

from o2d_inbox.api.errors import AuthError, NetworkError, ServerError
from o2d_inbox.cache import local, queries
from o2d_inbox.cache.db import open_db
from o2d_inbox.cache.schema import LOCAL_ONLY_INDEXES
from o2d_inbox.cache.search import search
from o2d_inbox.sync import engine as sync_module
from o2d_inbox.sync.engine import SyncEngine
from tests.helpers import (
    cached_snapshot,
    counts_are_right,
    make_client,
    make_sim,
    search_index_whole,
    search_triggers,
    thread_indexes,
)


async def test_full_sync_equals_the_server(engine, conn, sim):
    result = await engine.sync()
    assert result.full and result.new == len(sim.thread_ids()) and result.removed == 0
    assert cached_snapshot(conn) == sim.thread_snapshot()
    assert counts_are_right(conn)
    # list order is the server's (newest first)
    ids = [r[0] for r in conn.execute("SELECT id FROM threads ORDER BY last_ts DESC, id DESC")]
    assert ids == sim.thread_ids()


async def test_incremental_picks_up_new_replies(engine, conn, sim):
    await engine.sync()
    some = sim.thread_ids()[40]
    conn.execute("UPDATE threads SET unread = 0")
    sim.add_inbound_reply(some)
    created = sim.add_inbound_reply()  # a new conversation
    result = await engine.sync()
    assert not result.full
    assert (result.new, result.changed, result.removed) == (1, 1, 0)
    assert cached_snapshot(conn) == sim.thread_snapshot()
    unread = {r[0] for r in conn.execute("SELECT id FROM threads WHERE unread = 1")}
    assert unread == {some, created}
    assert counts_are_right(conn)


async def test_intent_change_and_deletion_need_the_full_reconcile(engine, conn, sim):
    await engine.sync()
    changed, gone = sim.thread_ids()[5], sim.thread_ids()[7]
    before = sim.thread_snapshot()[changed]["replyIntent"]
    after = "not_interested" if before != "not_interested" else "interested"
    sim.set_intent_server_side(changed, after)
    sim.delete_thread(gone)

    quick = await engine.sync()  # updatedSince only reports new messages: neither shows
    assert not quick.full
    assert cached_snapshot(conn)[changed]["replyIntent"] == before
    assert gone in cached_snapshot(conn)

    full = await engine.sync(full=True)
    assert full.full and full.removed == 1 and full.changed >= 1
    assert cached_snapshot(conn) == sim.thread_snapshot()
    assert counts_are_right(conn)


async def test_a_reconcile_runs_by_itself_when_due(conn, client, sim):
    now = [1000.0]
    engine = SyncEngine(conn, client, page_limit=50, reconcile_every=timedelta(hours=1), clock=lambda: now[0])
    await engine.sync()
    sim.delete_thread(sim.thread_ids()[3])
    assert not (await engine.sync()).full
    now[0] += 3601
    result = await engine.sync()
    assert result.full and result.removed == 1
    assert cached_snapshot(conn) == sim.thread_snapshot()


async def test_faults_on_the_wire_still_converge(tmp_path):
    sim = make_sim(
        threads=150,
        fail_rate=0.2,
        drop_rate=0.05,
        rate_limit_rate=0.05,
        retry_after=0.01,
        latency=0.0005,
        latency_jitter=0.001,
        malformed_rate=0.03,
    )
    conn = open_db(tmp_path / "faults.db")
    async with make_client(sim, max_retries=12) as client:
        engine = SyncEngine(conn, client, page_limit=20)
        result = await engine.sync(messages=True)
        for _ in range(3):  # a thread whose retries all failed is fetched by the next sync
            if not result.failed:
                break
            result = await engine.sync(messages=True)
        assert client.stats.retries > 0  # the faults really happened
    assert cached_snapshot(conn) == sim.thread_snapshot()
    stored = dict(conn.execute("SELECT thread_id, count(*) FROM messages GROUP BY thread_id").fetchall())
    assert stored == {t: s["message_count"] for t, s in sim.thread_snapshot().items()}
    assert counts_are_right(conn)
    conn.close()


@pytest.mark.parametrize("skew", [timedelta(hours=-7), timedelta(hours=9)])
async def test_a_skewed_client_clock_loses_nothing(tmp_path, skew):
    """The server's clock is hours away from ours: the watermark comes from its dates."""
    sim = make_sim(threads=80, clock=lambda: datetime.now(timezone.utc) + skew)
    conn = open_db(tmp_path / "skew.db")
    async with make_client(sim) as client:
        engine = SyncEngine(conn, client, page_limit=30)
        await engine.sync()
        sim.advance(30)
        replied = sim.add_inbound_reply(sim.thread_ids()[60])
        created = sim.add_inbound_reply()
        result = await engine.sync()
    assert not result.full and (result.new, result.changed) == (1, 1)
    assert cached_snapshot(conn) == sim.thread_snapshot()
    assert {replied, created} <= set(cached_snapshot(conn))
    conn.close()


class TamperingClient:
    """Passes everything through, but spoils the cursor of the N-th page request (the real
    server then answers 400 invalid_cursor, as after a server restart)."""

    def __init__(self, inner, spoil_at: int) -> None:
        self.inner, self.spoil_at, self.calls = inner, spoil_at, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    async def threads_page_plain(self, **kw):
        self.calls += 1
        if self.calls == self.spoil_at and kw.get("cursor"):
            kw["cursor"] = kw["cursor"][:-3] + "xyz"
        return await self.inner.threads_page_plain(**kw)


async def test_a_rejected_cursor_restarts_the_walk(conn, client, sim):
    tampering = TamperingClient(client, spoil_at=3)
    engine = SyncEngine(conn, tampering, page_limit=25)
    result = await engine.sync()
    assert result.full
    assert cached_snapshot(conn) == sim.thread_snapshot()
    pages = -(-len(sim.thread_ids()) // 25)
    assert tampering.calls >= pages + 3  # two pages, the rejected one, then a whole walk


class FlakyClient(TamperingClient):
    """Fails with a network error on the N-th page request (a crash mid-walk)."""

    async def threads_page_plain(self, **kw):
        self.calls += 1
        if self.calls == self.spoil_at:
            raise NetworkError("connection refused")
        return await self.inner.threads_page_plain(**kw)


async def test_a_sync_leaves_the_process_settings_as_it_found_them(conn, client, sim):
    """While it runs a sync switches threads sooner (SWITCH_INTERVAL) and leaves the cycle
    collector alone; the switch interval is as it was afterwards, after a failed sync too."""
    before = (sys.getswitchinterval(), gc.get_threshold())
    during = []

    def progress(p):
        during.append((sys.getswitchinterval(), gc.get_threshold()))

    await SyncEngine(conn, client, page_limit=25).sync(progress=progress)
    assert during and set(during) == {(min(before[0], sync_module.SWITCH_INTERVAL), before[1])}
    assert (sys.getswitchinterval(), gc.get_threshold()) == before
    with pytest.raises(NetworkError):
        await SyncEngine(conn, FlakyClient(client, spoil_at=2), page_limit=25).sync(full=True)
    assert (sys.getswitchinterval(), gc.get_threshold()) == before


async def test_an_interrupted_walk_resumes_where_it_stopped(conn, client, sim):
    flaky = FlakyClient(client, spoil_at=4)
    with pytest.raises(NetworkError):
        await SyncEngine(conn, flaky, page_limit=25).sync()
    assert conn.execute("SELECT count(*) FROM threads").fetchone()[0] == 75  # 3 committed pages
    sim.delete_thread(sim.thread_ids()[100])  # gone while we were away

    counting = TamperingClient(client, spoil_at=0)
    result = await SyncEngine(conn, counting, page_limit=25).sync()
    assert result.full and result.removed == 0
    pages = -(-len(sim.thread_ids()) // 25)
    assert counting.calls <= pages - 3 + 2  # the rest of the walk (+ the catch-up pass)
    assert cached_snapshot(conn) == sim.thread_snapshot()
    assert counts_are_right(conn)


class DroppingClient(TamperingClient):
    """Message fetches start ``spoil_at`` times, then the server is gone for good: each later
    fetch fails as the real client does once its patience has run out (``refused`` counts
    them); ``fetched`` counts the ones that completed."""

    def __init__(self, inner, spoil_at: int) -> None:
        super().__init__(inner, spoil_at)
        self.started = self.fetched = self.refused = 0

    async def thread_messages(self, thread_id):
        if self.started >= self.spoil_at:
            self.refused += 1
            raise NetworkError("GET /threads/x/messages: could not connect", exhausted=True)
        self.started += 1
        tm = await self.inner.thread_messages(thread_id)
        self.fetched += 1
        return tm


async def test_messages_fetched_before_the_server_went_away_are_kept(conn, client, sim):
    """The server stops answering during the message prefetch: the sync still completes (its
    walk is done), keeps every thread whose messages arrived, stops asking once one request
    has used up the client's patience (instead of waiting that long for each thread), and
    counts the rest; the next sync fetches exactly those."""
    await SyncEngine(conn, client, page_limit=25).sync()
    dropping = DroppingClient(client, spoil_at=30)
    result = await SyncEngine(conn, dropping, page_limit=25).sync(messages=True)
    fetched = conn.execute("SELECT count(*) FROM threads WHERE messages_fetched_count IS NOT NULL").fetchone()[0]
    probed = fetched - dropping.fetched
    assert dropping.fetched > 0 and 0 < probed <= 2 * sync_module.MAILBOX_PROBES  # (the first sync's probes)
    assert result.failed == len(sim.thread_ids()) - fetched > 0
    assert 1 <= dropping.refused <= 8  # one per worker at most (message_concurrency)
    counting = DroppingClient(client, spoil_at=10**6)
    again = await SyncEngine(conn, counting, page_limit=25).sync(messages=True)
    assert counting.fetched == len(sim.thread_ids()) - fetched and again.failed == 0
    stored = dict(conn.execute("SELECT thread_id, count(*) FROM messages GROUP BY thread_id").fetchall())
    assert stored == {t: s["message_count"] for t, s in sim.thread_snapshot().items()}


class RefusingClient(TamperingClient):
    """Fails the messages of the threads in ``refuse`` (a server error for each, after the
    client's patience); everything else passes through. ``asked`` lists every fetch."""

    def __init__(self, inner, refuse: set[str], exc: type = ServerError) -> None:
        super().__init__(inner, 0)
        self.refuse, self.exc, self.asked = refuse, exc, []

    async def thread_messages(self, thread_id):
        self.asked.append(thread_id)
        if thread_id in self.refuse:
            raise self.exc(f"GET /threads/{thread_id}/messages: HTTP 503", status=503, exhausted=True)
        return await self.inner.thread_messages(thread_id)


async def test_messages_an_incremental_sync_failed_are_fetched_by_the_next_one(conn, client, sim):
    """Without --messages an incremental sync refreshes only the threads it saw move; one whose
    messages failed is remembered and fetched by the next sync even though nothing moves."""
    engine = SyncEngine(conn, client, page_limit=25)
    await engine.sync(messages=True)
    moved = sim.thread_ids()[10:13]
    for tid in moved:
        sim.add_inbound_reply(tid)
    refusing = RefusingClient(client, {moved[0]})
    result = await SyncEngine(conn, refusing, page_limit=25).sync()
    assert not result.full and result.failed == 1
    assert sorted(refusing.asked) == sorted(moved)  # each tried once; the other two stored
    counting = RefusingClient(client, set())
    again = await SyncEngine(conn, counting, page_limit=25).sync()
    assert not again.full and again.failed == 0 and counting.asked == [moved[0]]
    stored = dict(conn.execute("SELECT thread_id, count(*) FROM messages GROUP BY thread_id").fetchall())
    assert stored == {t: s["message_count"] for t, s in sim.thread_snapshot().items()}


async def test_failed_mailbox_probes_do_not_end_the_walk(conn, client, sim):
    """Every mailbox probe fails (the server dropped them until the client gave up): the walk
    still completes and the cache equals the server; the probes are counted as not fetched,
    and the next walk probes the same senders again."""
    refusing = RefusingClient(client, set(sim.thread_ids()), exc=NetworkError)
    result = await SyncEngine(conn, refusing, page_limit=25).sync()
    assert result.full and cached_snapshot(conn) == sim.thread_snapshot()
    probed = set(refusing.asked)
    assert 0 < len(probed) <= sync_module.MAILBOX_PROBES and result.failed == len(probed)
    counting = RefusingClient(client, set())
    again = await SyncEngine(conn, counting, page_limit=25).sync(full=True)
    assert again.failed == 0 and probed <= set(counting.asked)


async def test_a_rejected_key_in_a_probe_still_ends_the_sync(conn, client, sim):
    """Optional steps swallow failures of the server, not a key the server refuses."""
    refusing = RefusingClient(client, set(sim.thread_ids()), exc=AuthError)
    with pytest.raises(AuthError):
        await SyncEngine(conn, refusing, page_limit=25).sync()


class ProbeAwaitsTheWalk(TamperingClient):
    """A walk and its early mailbox probe that need each other: from its third page on, the
    walk's next page is answered only once a probe has asked for messages, and a probe's
    message request only once the walk has asked for another page. A probe that held the walk
    up would wait for ever (30 s, then the test fails)."""

    def __init__(self, inner, walk_pages: int) -> None:
        super().__init__(inner, 0)
        self.walk_pages, self.pages, self.asked = walk_pages, 0, 0
        self.moved = asyncio.Condition()
        self.waited = 0

    async def _until(self, ready) -> None:
        async with self.moved:
            self.moved.notify_all()
            await asyncio.wait_for(self.moved.wait_for(ready), 30)

    async def threads_page_plain(self, **kw):
        self.pages += 1
        await self._until(lambda: self.pages < 3 or self.pages > self.walk_pages or self.asked > 0)
        return await self.inner.threads_page_plain(**kw)

    async def thread_messages(self, thread_id):
        self.asked += 1
        start = self.pages
        if start < self.walk_pages:
            self.waited += 1
            await self._until(lambda: self.pages > start)
        return await self.inner.thread_messages(thread_id)


async def test_the_early_mailbox_probe_runs_beside_the_walk(tmp_path, sim, monkeypatch):
    """A long first walk probes for our mailboxes early (EARLY_PROBE_AFTER threads in) without
    holding the walk up; threads stored while the probe was out are set right by what it
    learned: needs_reply and mailbox end as after a walk whose probe came only at its end."""
    monkeypatch.setattr(sync_module, "EARLY_PROBE_AFTER", 50)
    monkeypatch.setattr(sync_module, "COMMIT_THREADS", 25)  # each page stored (and counted) on arrival
    pages = -(-len(sim.thread_ids()) // 25)
    conn = open_db(tmp_path / "early.db")
    async with make_client(sim) as client:
        probing = ProbeAwaitsTheWalk(client, pages)
        result = await SyncEngine(conn, probing, page_limit=25).sync()
        monkeypatch.setattr(sync_module, "EARLY_PROBE_AFTER", 10**9)
        late = open_db(tmp_path / "late.db")
        await SyncEngine(late, client, page_limit=25).sync()
    assert result.full and probing.waited > 0 and cached_snapshot(conn) == sim.thread_snapshot()
    mailboxes = "SELECT id, needs_reply, mailbox FROM threads ORDER BY id"
    assert conn.execute(mailboxes).fetchall() == late.execute(mailboxes).fetchall()
    assert conn.execute("SELECT count(*) FROM mailboxes").fetchone()[0] > 0
    assert counts_are_right(conn)
    conn.close()
    late.close()


async def test_a_walk_that_fails_while_its_probe_is_out_ends_both(conn, client, sim, monkeypatch):
    """The walk fails (the network goes) while the early probe waits for an answer: the sync
    ends with the walk's error, the probe is called off (no task left behind), and what the
    walk received is kept for the next sync to resume from."""
    monkeypatch.setattr(sync_module, "EARLY_PROBE_AFTER", 50)
    monkeypatch.setattr(sync_module, "COMMIT_THREADS", 25)

    class FailingWalk(ProbeAwaitsTheWalk):
        async def threads_page_plain(self, **kw):
            if self.pages == 3:  # the fourth page: the probe is out, waiting for it
                raise NetworkError("GET /threads: could not connect", exhausted=True)
            return await super().threads_page_plain(**kw)

    failing = FailingWalk(client, walk_pages=10**6)
    with pytest.raises(NetworkError):
        await SyncEngine(conn, failing, page_limit=25).sync()
    assert failing.waited > 0  # the probe was out when the walk failed
    assert asyncio.all_tasks() == {asyncio.current_task()}
    assert sync_module.writes.get_json_state(conn, sync_module.K_WALK)["threads"] == 75
    await SyncEngine(conn, client, page_limit=25).sync()
    assert cached_snapshot(conn) == sim.thread_snapshot()


async def test_a_rejected_key_in_the_early_probe_ends_the_sync(conn, client, sim, monkeypatch):
    monkeypatch.setattr(sync_module, "EARLY_PROBE_AFTER", 50)
    monkeypatch.setattr(sync_module, "COMMIT_THREADS", 25)
    refusing = RefusingClient(client, set(sim.thread_ids()), exc=AuthError)
    with pytest.raises(AuthError):
        await SyncEngine(conn, refusing, page_limit=25).sync()
    assert refusing.asked  # the early probe asked, and its refusal ended the sync


async def test_campaign_names_that_cannot_be_read_are_reported_not_fatal(conn, client, sim):
    class NoCampaigns(TamperingClient):
        async def list_campaigns(self):
            raise ServerError("GET /campaigns: HTTP 502", status=502, exhausted=True)

    result = await SyncEngine(conn, NoCampaigns(client, 0), page_limit=25).sync()
    assert result.full and result.campaigns_failed
    assert cached_snapshot(conn) == sim.thread_snapshot()
    assert not (await SyncEngine(conn, client, page_limit=25).sync(full=True)).campaigns_failed


class RecordingClient(TamperingClient):
    """Records each page request (by cursor) and each page's arrival, in order."""

    def __init__(self, inner) -> None:
        super().__init__(inner, 0)
        self.events: list[tuple[str, str | None]] = []
        self.next_of: dict[str | None, str | None] = {}
        self.first_of: dict[str, str | None] = {}  # a page's first thread id -> the page's cursor

    async def threads_page_plain(self, **kw):
        self.events.append(("request", kw.get("cursor")))
        page = await self.inner.threads_page_plain(**kw)
        self.next_of[page.cursor] = page.next_cursor
        self.first_of[page.threads[0]["id"]] = page.cursor
        return page


async def test_the_next_page_is_requested_before_this_one_is_written(conn, client, sim, monkeypatch):
    recording = RecordingClient(client)
    upsert = sync_module.writes.upsert_threads

    def recorded(c, threads, **kw):  # on the writer's thread: a batch of pages, in order
        recording.events += [("write", recording.first_of[t["id"]]) for t in threads if t["id"] in recording.first_of]
        return upsert(c, threads, **kw)

    monkeypatch.setattr(sync_module.writes, "upsert_threads", recorded)
    await SyncEngine(conn, recording, page_limit=25).sync()
    assert cached_snapshot(conn) == sim.thread_snapshot()
    events = recording.events
    written = [c for kind, c in events if kind == "write"]
    assert len(written) >= -(-len(sim.thread_ids()) // 25)
    for cursor in written:
        nxt = recording.next_of[cursor]
        if nxt is not None:
            assert events.index(("request", nxt)) < events.index(("write", cursor)), events


async def test_a_walk_commits_a_batch_of_pages_at_a_time(tmp_path, monkeypatch):
    """Every commit is an fsync: the walk commits once per COMMIT_THREADS threads, not per
    page, and a walk that fails midway still keeps every page it received."""
    monkeypatch.setattr(sync_module, "COMMIT_THREADS", 100)  # 4 pages of 25
    monkeypatch.setattr(sync_module, "COMMIT_SECONDS", 3600.0)
    sim = make_sim(threads=400)
    conn = open_db(tmp_path / "cache.db")
    progress: list[int] = []  # the walk's progress as written (on the sync's writer connection)
    set_json_state = sync_module.writes.set_json_state

    def recording(c, key, value):
        if key == sync_module.K_WALK and value is not None:
            progress.append(value["threads"])
        set_json_state(c, key, value)

    monkeypatch.setattr(sync_module.writes, "set_json_state", recording)
    async with make_client(sim) as client:
        await SyncEngine(conn, client, page_limit=25).sync()
        assert cached_snapshot(conn) == sim.thread_snapshot() and counts_are_right(conn)
        # the walk's progress is written with each batch (and when the walk starts)
        assert list(dict.fromkeys(progress)) == [0, 100, 200, 300, 400]
        sim.add_inbound_reply(sim.thread_ids()[0])
        fresh = open_db(tmp_path / "fresh.db")
        with pytest.raises(NetworkError):
            await SyncEngine(fresh, FlakyClient(client, spoil_at=7), page_limit=25).sync()
        assert fresh.execute("SELECT count(*) FROM threads").fetchone()[0] == 6 * 25  # 6 pages arrived
        await SyncEngine(fresh, client, page_limit=25).sync()
        assert cached_snapshot(fresh) == sim.thread_snapshot() and counts_are_right(fresh)
        fresh.close()
    conn.close()


class InFlightClient(TamperingClient):
    """Counts message requests in flight: the most at once, and how many were sent."""

    def __init__(self, inner) -> None:
        super().__init__(inner, 0)
        self.now = self.most = self.sent = 0

    async def thread_messages(self, thread_id):
        self.now += 1
        self.sent += 1
        self.most = max(self.most, self.now)
        try:
            return await self.inner.thread_messages(thread_id)
        finally:
            self.now -= 1


async def test_message_requests_in_flight_grow_but_never_past_the_cap(conn, client, sim):
    """Against a server 50 ms away the sync starts with MESSAGE_START_CONCURRENCY requests in
    flight and grows (when it grows is api/pacing.Concurrency's, tested with a fake clock in
    tests/api/test_concurrency.py), never past message_concurrency; every thread's messages
    arrive."""
    await SyncEngine(conn, client, page_limit=25).sync()
    sim.faults.latency = 0.05
    counting = InFlightClient(client)
    result = await SyncEngine(conn, counting, page_limit=25, message_concurrency=6).sync(messages=True)
    assert result.failed == 0 and counting.sent >= len(sim.thread_ids()) - 2 * sync_module.MAILBOX_PROBES
    assert sync_module.MESSAGE_START_CONCURRENCY < counting.most <= 6
    assert conn.execute("SELECT count(*) FROM threads WHERE messages_fetched_count IS NULL").fetchone()[0] == 0


async def test_message_requests_in_flight_halve_when_the_server_refuses(tmp_path, monkeypatch):
    """Against a server 30 ms away with a real rate limit (a token bucket: a burst, then
    Retry-After), the message prefetch grows its requests in flight while answers come and
    halves them at the server's first refusals (api/pacing.Concurrency, here wired to the
    client's own pacer); every thread's messages still arrive, each 429 waited out."""
    limits: list[tuple[int, int]] = []  # (the limit after each answer, the pacer's 429 epoch then)

    class Recorded(sync_module.Concurrency):
        def answered(self) -> None:
            super().answered()
            limits.append((self.limit, self._pacer.epoch))

    monkeypatch.setattr(sync_module, "Concurrency", Recorded)
    sim = make_sim(threads=80)
    conn = open_db(tmp_path / "cache.db")
    async with make_client(sim, sleep=asyncio.sleep, max_retries=None) as client:
        await SyncEngine(conn, client, page_limit=25).sync()
        limits.clear()  # the first sync's mailbox probes
        sim.faults.latency = 0.03
        sim.faults.rate_limit_rps, sim.faults.rate_limit_burst = 60.0, 20.0
        result = await SyncEngine(conn, client, page_limit=25, message_concurrency=8).sync(messages=True)
        assert client.stats.rate_limited > 0
    fetched = conn.execute("SELECT count(*) FROM threads WHERE messages_fetched_count IS NULL").fetchone()[0]
    conn.close()
    assert result.failed == 0 and fetched == 0
    first_cut = next(i for i, (_, epoch) in enumerate(limits) if epoch > 0)
    grown = max(limit for limit, _ in limits[:first_cut])
    assert grown > sync_module.MESSAGE_START_CONCURRENCY
    assert limits[first_cut][0] == max(1, limits[first_cut - 1][0] // 2)


async def test_a_failed_prefetch_is_always_retrieved(conn, client, sim, monkeypatch):
    """The next page's request fails while this page is being handled, and handling it fails
    too: the sync ends with the handler's error, and the prefetch task's own error is
    retrieved (asyncio reports no "Task exception was never retrieved")."""
    import asyncio
    import gc

    monkeypatch.setattr(sync_module, "COMMIT_THREADS", 25)  # each page stored (and reported) on arrival

    class BrokenNextPage(TamperingClient):
        async def threads_page_plain(self, **kw):
            self.calls += 1
            if self.calls >= 2:
                raise NetworkError("GET /threads: could not connect", exhausted=True)
            return await self.inner.threads_page_plain(**kw)

    loop = asyncio.get_running_loop()
    unretrieved: list[dict] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: unretrieved.append(context))
    try:

        def progress(p):
            raise BrokenPipeError("stderr closed")

        with pytest.raises(BrokenPipeError):
            await SyncEngine(conn, BrokenNextPage(client, 0), page_limit=25).sync(progress=progress)
        for _ in range(3):
            await asyncio.sleep(0)
            gc.collect()
    finally:
        loop.set_exception_handler(previous)
    assert unretrieved == []


async def test_a_first_sync_bulk_loads_and_search_finds_everything(engine, conn, sim):
    """The first walk fills an empty cache without the search triggers and indexes it once at
    the end: afterwards the index is whole and the triggers keep it so."""
    await engine.sync(messages=True)
    assert search_index_whole(conn)
    assert conn.execute("SELECT 1 FROM sync_state WHERE key = 'bulk_triggers'").fetchone() is None
    tid = sim.thread_ids()[3]
    sim.add_inbound_reply(tid)
    await engine.sync(full=True, messages=True)  # a reconcile of a full cache: triggers all along
    assert search_index_whole(conn)
    subject = conn.execute("SELECT subject_display FROM threads WHERE id = ?", (tid,)).fetchone()[0]
    assert tid in {r.id for r in search(conn, f'"{subject}"', limit=1000)}


async def test_an_interrupted_bulk_load_restores_search_and_indexes_when_resumed(conn, client, sim, monkeypatch):
    """In-process, the server's work is this process's: the walk is CPU-bound from the start
    and turns into a bulk load after its first pages (sync.BULK_PROBE_PAGES batches for each
    of its two steps: the search triggers, then the list indexes). On a loaded
    machine the server may not outpace the writer, so any wait for it counts as the writer
    setting the pace: this test is about resuming."""
    monkeypatch.setattr(sync_module, "BULK_WAITED", 0.0)
    monkeypatch.setattr(sync_module, "COMMIT_THREADS", 10)  # a commit per page: the mode is decided per commit
    fresh_indexes = thread_indexes(conn)
    assert {"ix_threads_all", "ix_threads_needs_open", "ix_threads_mailbox"} <= fresh_indexes
    stored = 2 * (1 + sync_module.BULK_PROBE_PAGES)  # pages before the walk fails: both steps taken
    flaky = FlakyClient(client, spoil_at=1 + stored)
    with pytest.raises(NetworkError):
        await SyncEngine(conn, flaky, page_limit=10).sync()
    # mid-walk: bulk mode (no search triggers, no list indexes but those no sync insert
    # enters), recorded with the walk
    assert search_triggers(conn) == set() and thread_indexes(conn) == set(LOCAL_ONLY_INDEXES)
    # ...and the lists still answer, in list order, by scanning
    cached = [r[0] for r in conn.execute("SELECT id FROM threads ORDER BY last_ts DESC, id DESC")]
    assert len(cached) == 10 * stored
    assert [t.id for t in queries.rows(conn, queries.View("all", relevant=False), 0, 100)] == cached
    page = queries.rows(conn, queries.View("all", relevant=False), 10, 5)
    assert [t.id for t in page] == cached[10:15]
    assert queries.position(conn, queries.View("all", relevant=False), page[0]) == 10
    needs = queries.View("needs")
    assert queries.count(conn, needs) == len(queries.rows(conn, needs, 0, 100))
    await SyncEngine(conn, client, page_limit=25).fetch_messages(sim.thread_ids()[1])  # the TUI opens one
    # the inbox puts threads away and writes a note meanwhile: the kept indexes have them
    local.mark_done(conn, cached[2])
    local.snooze(conn, cached[3], datetime.now(timezone.utc) + timedelta(days=2))
    local.set_note(conn, cached[4], "call back in spring")
    assert [t.id for t in queries.rows(conn, queries.View("done", relevant=False), 0, 10)] == [cached[2]]
    assert [t.id for t in queries.rows(conn, queries.View("snoozed", relevant=False), 0, 10)] == [cached[3]]
    assert [t.id for t in search(conn, "spring", limit=10)] == [cached[4]]
    await SyncEngine(conn, client, page_limit=25).sync()
    assert search_index_whole(conn)
    assert thread_indexes(conn) == fresh_indexes
    assert [t.id for t in queries.rows(conn, queries.View("done", relevant=False), 0, 10)] == [cached[2]]
    assert [t.id for t in search(conn, "spring", limit=10)] == [cached[4]]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert cached_snapshot(conn) == sim.thread_snapshot()
    assert counts_are_right(conn)


async def test_a_bulk_load_defers_the_search_index_before_the_list_indexes(conn, client, sim, monkeypatch):
    """The first step of a bulk load drops only the search triggers (the dearer to keep row
    by row): the lists keep their indexes while the walk goes on; the end builds the search
    index for every thread."""
    monkeypatch.setattr(sync_module, "BULK_WAITED", 0.0)  # the writer counts as the slower side
    monkeypatch.setattr(sync_module, "COMMIT_THREADS", 25)
    fresh_indexes = thread_indexes(conn)
    flaky = FlakyClient(client, spoil_at=2 + sync_module.BULK_PROBE_PAGES)  # one step's worth of pages
    with pytest.raises(NetworkError):
        await SyncEngine(conn, flaky, page_limit=25).sync()
    assert search_triggers(conn) == set() and thread_indexes(conn) == fresh_indexes
    await SyncEngine(conn, client, page_limit=25).sync()
    assert search_index_whole(conn) and thread_indexes(conn) == fresh_indexes
    assert cached_snapshot(conn) == sim.thread_snapshot() and counts_are_right(conn)


async def test_against_a_slow_server_the_first_walk_stays_live(conn, client, sim):
    """While this process mostly waits for pages, keeping indexes and search current costs
    the walk nothing: no bulk load, and search finds threads while the first sync runs."""
    fresh_indexes = thread_indexes(conn)
    sim.faults.latency = 0.03
    flaky = FlakyClient(client, spoil_at=5)
    with pytest.raises(NetworkError):
        await SyncEngine(conn, flaky, page_limit=25).sync()
    assert conn.execute("SELECT count(*) FROM threads").fetchone()[0] == 100
    assert thread_indexes(conn) == fresh_indexes and search_index_whole(conn)
    assert conn.execute("SELECT 1 FROM sync_state WHERE key = 'bulk_triggers'").fetchone() is None
    subject = conn.execute("SELECT subject_display FROM threads LIMIT 1").fetchone()[0]
    assert search(conn, f'"{subject}"', limit=5)
    sim.faults.latency = 0.0
    await SyncEngine(conn, client, page_limit=25).sync()
    assert cached_snapshot(conn) == sim.thread_snapshot() and search_index_whole(conn)


async def test_a_walk_into_a_full_cache_keeps_its_triggers(engine, conn, client, sim):
    await engine.sync()
    flaky = FlakyClient(client, spoil_at=3)
    with pytest.raises(NetworkError):
        await SyncEngine(conn, flaky, page_limit=25).sync(full=True)
    assert search_index_whole(conn)


async def test_the_result_names_the_threads_where_an_interested_reply_arrived(engine, conn, sim):
    first = await engine.sync()
    assert first.interested == []  # a first sync finds every thread new: nothing to alert
    ids = sim.thread_ids()
    answered, reclassified, neutral = ids[10], ids[11], ids[12]
    sim.add_inbound_reply(answered)
    sim.set_intent_server_side(answered, "interested")
    sim.set_intent_server_side(reclassified, "interested")  # no new message: not an arrival
    sim.add_inbound_reply(neutral)
    sim.set_intent_server_side(neutral, "neutral")
    result = await engine.sync()
    assert result.interested == [answered]
    full = await engine.sync(full=True)
    assert full.interested == []  # already seen


async def test_threads_inserted_a_few_per_statement_arrive_whole_and_a_walk_keeps_them(conn, client, sim, monkeypatch):
    # New threads go in by multi-row INSERTs (writes.INSERT_ROWS per statement, remainders
    # included); a reconcile walk then stamps every unchanged one by id, in chunks, or its end
    # would delete them as unseen.
    monkeypatch.setattr(sync_module.writes, "INSERT_ROWS", 7)
    engine = SyncEngine(conn, client, page_limit=25)
    await engine.sync()
    assert cached_snapshot(conn) == sim.thread_snapshot()
    assert counts_are_right(conn)
    result = await engine.sync(full=True)
    assert (result.full, result.new, result.removed) == (True, 0, 0)
    assert cached_snapshot(conn) == sim.thread_snapshot()
    assert conn.execute("SELECT count(DISTINCT walk_gen) FROM threads").fetchone()[0] == 1
