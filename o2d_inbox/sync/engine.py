"""The sync engine: fills the SQLite cache from GET /threads (and /threads/{id}/messages).

    engine = SyncEngine(conn, client, page_limit=200, overlap=timedelta(minutes=10),
                        reconcile_every=timedelta(hours=1), message_concurrency=8)
    result = await engine.sync(full=False, messages=False, progress=callback)   # SyncResult
    count = await engine.fetch_messages(thread_id)       # on demand (the TUI opens a thread)
    engine.reconcile_due() -> bool
    SyncLocked                                            # another process is syncing this cache

Two passes:

- **Walk** (first run, ``full=True``, an interrupted walk, or ``reconcile_every`` elapsed):
  every page of GET /threads by cursor; the next page is requested before this one is
  stored (on the network before it is validated: api/reader.py). A batch of pages'
  upserts and the walk's progress (cursor, generation, counts) commit in one transaction, so
  a killed sync resumes after the last committed batch (a walk ending with an error stores
  what it received first). A cursor the server rejects (400) restarts the walk from the first page
  (same generation: what was seen stays seen). After the last page, a short catch-up pass
  (``updatedSince`` = the watermark from before the walk) re-stamps threads that moved in
  the server's order while we walked; only then are threads of an older generation deleted.
  The walk is also what refreshes intents and flags: ``updatedSince`` reports new messages
  only (see ARCHITECTURE.md).
- **Incremental**: ``updatedSince`` = watermark - overlap. The watermark is the newest
  ``last_message.date_received`` the server has shown us (never this machine's clock); it
  advances only when a pass has completed, so an interrupted pass is simply redone. Upserts
  are idempotent, which makes the overlap free.

Optional steps never end a sync: a mailbox probe or a thread's messages that cannot be
fetched is counted in ``SyncResult.failed`` and fetched by the next sync (the thread stays
stale, the sender stays a probe candidate); campaign names that cannot be read set
``campaigns_failed``. Once one of those requests has used up the client's patience (the
server has not answered for that long), the step stops asking. Only the walk itself (and
a rejected key) ends a sync with an error. Every task the engine starts is awaited.

Messages are fetched for threads whose message_count moved since their messages were
fetched (threads the user opened stay current; those a sync failed to fetch are checked
again by the next one, see K_UNFETCHED), for every thread with ``messages=True``,
with at most ``message_concurrency`` requests in flight (fewer while more would not get more
done, halved on a 429: api/pacing.Concurrency). After a walk, a few threads of the
most frequent unknown last senders are fetched too (``MAILBOX_PROBES``): that is how the
cache learns our own mailboxes, and so which threads really wait for a reply, without
``--messages``. The local clock is used only to decide when a reconcile is due.

Cache writes: one transaction per batch of pages (COMMIT_THREADS: upserts + walk progress),
new threads by multi-row INSERTs (writes._insert_rows), view_counts deltas counted by the page
itself (see cache/writes.py).
During a sync every cache job (writes and the engine's reads alike) runs on a writer thread
with its own connection, in the order queued (sync/writer.py): a batch is handed over and the
walk goes on receiving and validating (into plain dicts: api/models.plain) while SQLite writes
on the other core; a read waits for the writes before it. Outside a sync (``fetch_messages``
from the TUI) the work runs on the caller's connection.
The first walk into an empty cache becomes a bulk load when the server outpaces our writes
(BULK_LOAD): the search triggers, then the list indexes are dropped and built once when the
walk finishes (writes.bulk_begin / bulk_end; a walk killed midway restores them when the next
sync finishes it; until then search misses the new rows and the lists scan). That end of the
walk runs on the writer while the campaigns' stats are fetched (sync/campaign_stats.py).
On the network the client reads thread pages ahead on a thread of its own (api/reader.py);
``_pages`` asks for the next page as soon as it knows the cursor either way (a page arrives
validated: its cursor is known once, exactly).
"""

from __future__ import annotations

import asyncio
import functools
import operator
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from o2d_inbox.api.errors import (
    ApiError,
    AuthError,
    BadRequestError,
    NotFoundError,
    ProtocolError,
    WorkspaceAccessError,
)
from o2d_inbox.api.pacing import Concurrency
from o2d_inbox.cache import writes
from o2d_inbox.cache.lock import SyncLocked, WriterLock
from o2d_inbox.cache.writes import transaction
from o2d_inbox.render.dates import parse_time
from o2d_inbox.sync.campaign_stats import refresh_campaign_stats
from o2d_inbox.sync.writer import CacheWriter

if TYPE_CHECKING:
    from o2d_inbox.api.models import PlainThreadsPage, ThreadMessages

__all__ = ["SyncEngine", "SyncLocked", "SyncProgress", "SyncResult"]

# sync_state keys
K_WATERMARK = "watermark"  # ISO UTC: newest date_received seen by a completed pass
K_GEN = "walk_gen"  # generation of the last completed walk
K_WALK = "walk"  # JSON progress of the walk in progress (absent: none)
K_LAST_FULL = "last_full_at"  # local epoch seconds of the last completed walk
K_BULK = "bulk_triggers"  # JSON [[name, sql], …] dropped for a bulk walk (absent: none)
K_UNFETCHED = "unfetched"  # JSON [thread id, …] whose messages the last sync failed to fetch

MAX_CURSOR_RESTARTS = 3
# Turns of the event loop given to the next page's request before this page is handed to the
# writer, so it is on the wire (the server works while we write). Measured at 100,000 threads: ~7%.
PREFETCH_YIELDS = 4
#: Thread pages are committed in batches of COMMIT_THREADS threads, or what arrived within
#: COMMIT_SECONDS: every commit is an fsync (synchronous=FULL, docs/api-notes.md), which cost
#: as much as writing the page itself. A killed sync fetches at most a few batches again
#: (writer.MAX_PENDING being written or queued, and the one arriving).
COMMIT_THREADS = 1000
COMMIT_SECONDS = 0.25
MAILBOX_PROBES = 8  # per probe: one early in a long first walk, one after every walk
#: A first walk into an empty cache turns into a bulk load (writes.bulk_begin) as soon as our
#: writes, not the server, set its pace: over the last BULK_PROBE_PAGES batches (the first
#: aside: nothing overlapped its page) the walk spent at least BULK_WAITED of its time waiting
#: for the writer (CacheWriter.waited: batches arrive faster than it stores them). A writer
#: that is merely busy but keeps up costs the walk nothing. In two steps: first the
#: search triggers go (the search index is built at the end), and if the writer still sets
#: the pace without them, the list indexes too. While the server is the slower side the walk
#: stays live: keeping indexes and search current costs it nothing (the writes fit in the
#: time the next pages are in flight anyway), and lists and search work while the first sync
#: runs. (Writes grow dearer as the indexes grow, so this is watched all along the walk.)
#: False: never (benchmarks/bench_sync.py compares).
BULK_LOAD = True
BULK_PROBE_PAGES = 3
BULK_WAITED = 0.05
EARLY_PROBE_AFTER = 1000  # threads into a walk
MESSAGE_BATCH = 50  # threads' messages per transaction (see _fetch_many)
MESSAGE_START_CONCURRENCY = 2  # message requests in flight at first (then api/pacing.Concurrency)
MESSAGE_FLUSH_SECONDS = 0.25
#: While a sync runs, a thread that wants the interpreter gets it within this many seconds
#: (Python's default is 5 ms): the client's page reader (api/reader.py), woken by a page,
#: must not wait out a slice of the writer's or the loop's Python work before it sends the
#: request for the next one. Measured at 20 ms per request: 2.0 ms → 1.3 ms a page (against a
#: server that answers at once, where three threads want the interpreter, it cost ~10 %).
SWITCH_INTERVAL = 0.0005


@dataclass
class SyncProgress:
    phase: str  # "threads" (walk), "updates" (incremental), "messages"
    done: int
    total: int | None  # None when unknown (thread pages)


@dataclass
class SyncResult:
    new: int = 0
    changed: int = 0
    removed: int = 0
    messages: int = 0  # messages stored
    seconds: float = 0.0
    full: bool = False  # a reconcile walk completed in this sync
    failed: int = 0  # threads whose messages could not be fetched (retried next sync)
    skipped: int = 0  # threads / messages sent without a usable id (api/models.py)
    campaigns_failed: bool = False  # campaign names could not be refreshed (retried next sync)
    # threads where an interested reply arrived in this sync (none on a cache's first sync,
    # where every thread is new): what the inbox alerts about
    interested: list[str] = field(default_factory=list)


_ID, _CAMPAIGN_ID = operator.itemgetter("id"), operator.itemgetter("campaignId")


def _note_campaigns(campaign_ids: set[str], threads: list[dict[str, Any]]) -> None:
    """Adds the campaigns ``threads`` name to ``campaign_ids`` (in C: a walk's 100,000 threads
    pass here on the event loop)."""
    campaign_ids.update(map(_CAMPAIGN_ID, threads))
    campaign_ids.discard(None)  # threads of no campaign
    campaign_ids.discard("")


def _later(a: str | None, b: datetime | None) -> str | None:
    """The later of an ISO time and a datetime, as ISO."""
    old = parse_time(a)
    if b is None:
        return a
    return writes.iso(b) if old is None or b > old else a


class SyncEngine:
    def __init__(
        self,
        conn,
        client,
        *,
        page_limit: int = 200,
        overlap: timedelta = timedelta(minutes=10),
        reconcile_every: timedelta = timedelta(hours=1),
        message_concurrency: int = 8,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.conn = conn
        self.client = client
        self.page_limit = page_limit
        self.overlap = overlap
        self.reconcile_every = reconcile_every
        self.message_concurrency = max(1, message_concurrency)
        self._clock = clock
        self._lock = WriterLock.for_connection(conn)
        self._probed = False
        self._unfetched: set[str] = set()  # this sync's threads whose messages failed
        self._writer: CacheWriter | None = None  # while a sync runs

    async def _db(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``fn(conn, *args, **kwargs)`` with the cache: while a sync runs, on its writer
        thread after every write queued before it (sync/writer.py); else at once, on the
        caller's connection."""
        if kwargs:
            fn = functools.partial(fn, **kwargs)
        if self._writer is not None:
            return await self._writer.run(fn, *args)
        return fn(self.conn, *args)

    # --- public ---------------------------------------------------------------------------

    def reconcile_due(self) -> bool:
        return self._reconcile_due(self.conn)

    def _reconcile_due(self, conn: sqlite3.Connection) -> bool:
        if writes.get_state(conn, K_WALK) is not None:
            return True  # an interrupted walk is finished first
        last = writes.get_state(conn, K_LAST_FULL)
        if last is None or writes.get_state(conn, K_WATERMARK) is None:
            return True
        try:
            return self._clock() - float(last) >= self.reconcile_every.total_seconds()
        except ValueError:
            return True

    async def sync(
        self, *, full: bool = False, messages: bool = False, progress: Callable[[SyncProgress], None] | None = None
    ) -> SyncResult:
        """One sync; raises SyncLocked if another engine holds the cache's writer lock."""
        started = time.perf_counter()
        result = SyncResult()
        report = progress or (lambda p: None)
        self._lock.acquire()
        self._probed = False
        self._unfetched = set()
        switching = sys.getswitchinterval()
        sys.setswitchinterval(min(switching, SWITCH_INTERVAL))
        try:
            self._writer = CacheWriter.open(self.conn)
            try:
                await self._sync(result, report, full=full, messages=messages)
            finally:
                writer, self._writer = self._writer, None
                await writer.close()  # every write queued is done (or failed) and its thread ended
        finally:
            sys.setswitchinterval(switching)
            self._lock.release()
        result.seconds = time.perf_counter() - started
        return result

    async def _sync(
        self, result: SyncResult, report: Callable[[SyncProgress], None], *, full: bool, messages: bool
    ) -> None:
        first = await self._db(writes.get_state, K_WATERMARK) is None
        touched: set[str] = set()
        campaign_ids: set[str] = set()
        finish: Callable[[sqlite3.Connection], int] | None = None
        if full or await self._db(self._reconcile_due):
            finish = await self._walk(result, report, campaign_ids)
            result.full = True
            ids = None  # every thread: a walk sees them all
        else:
            await self._incremental(result, report, touched, campaign_ids)
            retry = await self._db(writes.get_json_state, K_UNFETCHED)
            ids = sorted(touched | set(retry if isinstance(retry, list) else ()))
        # The walk's end (after a bulk load, seconds of index building) runs on the writer while
        # the campaigns' stats are fetched, which are written after it; it runs however this ends.
        assert self._writer is not None
        finishing: asyncio.Future | None = None
        try:
            result.campaigns_failed = not await self._campaigns(campaign_ids, refresh=result.full)
            finishing = self._writer.start(finish) if finish is not None else None
            await refresh_campaign_stats(  # reads this connection: every write before is awaited
                self.conn,
                self.client,
                refresh=result.full,
                clock=self._clock,
                write=functools.partial(self._db, self._write),
            )
        finally:
            if finish is not None:
                result.removed += await asyncio.shield(finishing or self._writer.start(finish))
        if result.full:
            await self._probe_mailboxes(result)  # what the early probe (if any) left unknown
        stale = await self._db(writes.threads_needing_messages, None if messages else ids, include_unfetched=messages)
        await self._fetch_many(stale, result, report)
        result.failed = len(self._unfetched)
        if first:
            result.interested = []  # a first sync finds every thread new: nothing to alert
        await self._db(self._write, writes.set_json_state, K_UNFETCHED, sorted(self._unfetched) or None)

    async def fetch_messages(self, thread_id: str) -> int:
        """Fetch and store one thread's messages now; a thread the server no longer has is
        removed from the cache (returns 0)."""
        return await self._db(self._store_fetched, [await self._messages_of(thread_id)])

    async def _messages_of(self, thread_id: str) -> tuple[str, ThreadMessages | None]:
        """(thread id, its messages), None for a thread the server no longer has."""
        try:
            return thread_id, await self.client.thread_messages(thread_id)
        except NotFoundError:
            return thread_id, None

    @staticmethod
    def _store_fetched(conn: sqlite3.Connection, fetched: list[tuple[str, ThreadMessages | None]]) -> int:
        """Several threads' messages in one transaction; returns the messages stored."""
        stored = 0
        with transaction(conn):
            for thread_id, tm in fetched:
                if tm is None:
                    writes.delete_thread(conn, thread_id)
                else:
                    stored += writes.store_messages(conn, thread_id, tm)
        return stored

    @staticmethod
    def _write(conn: sqlite3.Connection, fn: Callable[..., Any], *args: Any) -> Any:
        with transaction(conn):
            return fn(conn, *args)

    # --- passes ---------------------------------------------------------------------------

    async def _walk(
        self, result: SyncResult, report: Callable[[SyncProgress], None], campaign_ids: set[str]
    ) -> Callable[[sqlite3.Connection], int]:
        """Every page, then the catch-up pass; returns the walk's end for the writer to run
        (deletes what the walk did not see, restores what a bulk load set aside, clears the
        walk's progress; the number of threads deleted)."""
        # ``state`` is the writer's: read and changed only by jobs on its thread (and here
        # before the first page and after the last, when no job runs).
        state: dict[str, Any] = await self._db(self._walk_state)
        gen = state["gen"]
        received = [state["threads"]]
        assert self._writer is not None
        writer = self._writer
        pace: list[tuple[float, float]] = []  # (when, writer.waited) as each batch was stored

        def on_pages(pages: list[PlainThreadsPage]) -> tuple[Callable[[sqlite3.Connection], None], SyncProgress]:
            threads = [t for page in pages for t in page.threads]
            result.skipped += sum(page.skipped for page in pages)
            _note_campaigns(campaign_ids, threads)
            received[0] += len(threads)

            def write(conn: sqlite3.Connection) -> None:
                with transaction(conn):
                    stats = writes.upsert_threads(conn, threads, walk_gen=gen, synced_at=writes.now_iso())
                    state["cursor"] = pages[-1].next_cursor
                    state["last_page"] = pages[-1].next_cursor is None
                    state["newest"] = _later(state["newest"], stats.newest)
                    if state["since"] is None:
                        # First walk ever: the catch-up starts from what the first pages showed.
                        state["since"] = state["newest"]
                    state["new"] += stats.new
                    state["changed"] += stats.changed
                    state["threads"] += len(threads)
                    writes.set_json_state(conn, K_WALK, state)
                result.interested += stats.interested  # read once every batch is written
                pace.append((time.perf_counter(), writer.waited))
                maybe_bulk(conn)

            return write, SyncProgress("threads", received[0], None)

        def on_restart(conn: sqlite3.Connection) -> None:
            state["restarts"] += 1
            if state["restarts"] > MAX_CURSOR_RESTARTS:
                raise ProtocolError("the server keeps rejecting its own cursors; try again later")
            state["cursor"] = None
            with transaction(conn):
                writes.set_json_state(conn, K_WALK, state)

        def maybe_bulk(conn: sqlite3.Connection) -> None:
            # Decided on the writer's thread, right after a batch: by its own pace, whatever
            # the event loop is doing meanwhile.
            if not state.get("bulk_ok") or len(pace) < 1 + BULK_PROBE_PAGES:
                return
            (since, waited_since), (now, waited_now) = pace[-BULK_PROBE_PAGES - 1], pace[-1]
            if waited_now - waited_since < BULK_WAITED * (now - since):
                return  # the server is the slower side: our writes fit in its time, stay live
            with transaction(conn):
                saved = writes.get_json_state(conn, K_BULK) or []
                # first the search triggers, then (the writer still the slower side) the indexes;
                # finish() (or the walk that resumes this one) restores them
                writes.set_json_state(conn, K_BULK, saved + writes.bulk_begin(conn, indexes=bool(saved)))
                state["bulk_ok"] = not saved  # nothing is left to defer after the second step
                writes.set_json_state(conn, K_WALK, state)
            pace.clear()  # the next step is judged by batches written without what was dropped

        probe: list[asyncio.Task] = []  # the early mailbox probe

        async def after_page() -> None:
            # Our mailboxes learned early in the walk: later pages are written with the right
            # needs_reply / mailbox, instead of a mass UPDATE (and its re-indexing) afterwards.
            # Beside the walk, not in its way (its round trip stalled the walk ~0.25 s): the
            # pages stored meanwhile are set right by what the probe learns (learn_mailboxes).
            if not probe and not self._probed and received[0] >= EARLY_PROBE_AFTER:
                probe.append(asyncio.ensure_future(self._probe_mailboxes(result)))

        if not state["last_page"]:
            try:
                await self._pages(state["cursor"], None, on_pages, on_restart, report, after_page)
            except BaseException:
                for task in probe:  # the walk's error is the sync's; the probe's no longer matters
                    task.cancel()
                await asyncio.gather(*probe, return_exceptions=True)
                raise
            for task in probe:
                await task  # a rejected key ends the sync here, as it would the walk

        # Catch-up: threads that got new messages during the walk may have moved past the
        # walk's position in the server's order; they are re-stamped with this generation.
        since = parse_time(state["since"])
        newest = parse_time(state["newest"])
        if since is not None:
            catch = SyncResult()
            newest = await self._updated_since(since - self.overlap, gen, catch, set(), campaign_ids) or newest
            state["new"] += catch.new
            state["changed"] += catch.changed
            result.interested += catch.interested
            result.skipped += catch.skipped

        def finish(conn: sqlite3.Connection) -> int:
            with transaction(conn):
                removed = writes.delete_unseen(conn, gen)
                writes.set_state(conn, K_GEN, str(gen))
                wm = _later(_later(writes.get_state(conn, K_WATERMARK), parse_time(state["newest"])), newest)
                writes.set_state(conn, K_WATERMARK, wm)
                writes.set_state(conn, K_LAST_FULL, repr(self._clock()))
                saved = writes.get_json_state(conn, K_BULK)
                if saved is not None:
                    writes.bulk_end(conn, saved)
                    writes.set_state(conn, K_BULK, None)
                writes.set_state(conn, K_WALK, None)
            return removed

        result.new += state["new"]
        result.changed += state["changed"]
        return finish

    @staticmethod
    def _walk_state(conn: sqlite3.Connection) -> dict[str, Any]:
        """The interrupted walk to resume, or a new one (stored before its first page)."""
        state = writes.get_json_state(conn, K_WALK)
        if isinstance(state, dict) and "gen" in state:
            return state
        with transaction(conn):
            state = {
                "gen": int(writes.get_state(conn, K_GEN) or 0) + 1,
                "cursor": None,
                "last_page": False,
                "restarts": 0,
                "since": writes.get_state(conn, K_WATERMARK),
                "newest": None,
                "new": 0,
                "changed": 0,
                "threads": 0,
                # a first sync may become a bulk load (see BULK_LOAD)
                "bulk_ok": BULK_LOAD and conn.execute("SELECT 1 FROM threads LIMIT 1").fetchone() is None,
            }
            writes.set_json_state(conn, K_WALK, state)
        return state

    async def _incremental(
        self, result: SyncResult, report: Callable[[SyncProgress], None], touched: set[str], campaign_ids: set[str]
    ) -> None:
        wm, gen = await self._db(lambda conn: (writes.get_state(conn, K_WATERMARK), writes.get_state(conn, K_GEN)))
        since = parse_time(wm)
        assert since is not None  # reconcile_due() walks when there is no watermark
        newest = await self._updated_since(since - self.overlap, int(gen or 0), result, touched, campaign_ids, report)
        if newest is not None:

            def advance(conn: sqlite3.Connection) -> None:
                with transaction(conn):
                    writes.set_state(conn, K_WATERMARK, _later(writes.get_state(conn, K_WATERMARK), newest))

            await self._db(advance)

    async def _updated_since(
        self,
        since: datetime,
        gen: int,
        result: SyncResult,
        touched: set[str],
        campaign_ids: set[str],
        report: Callable[[SyncProgress], None] | None = None,
    ) -> datetime | None:
        """All pages of ``updatedSince=since``; returns the newest date_received seen."""
        newest: list[datetime | None] = [None]
        written = SyncResult()  # the writer's (new, changed), read once every page is written
        seen = [0]

        def on_pages(pages: list[PlainThreadsPage]) -> tuple[Callable[[sqlite3.Connection], None], SyncProgress]:
            threads = [t for page in pages for t in page.threads]
            result.skipped += sum(page.skipped for page in pages)
            touched.update(map(_ID, threads))
            _note_campaigns(campaign_ids, threads)
            seen[0] += len(threads)

            def write(conn: sqlite3.Connection) -> None:
                with transaction(conn):
                    stats = writes.upsert_threads(conn, threads, walk_gen=gen, synced_at=writes.now_iso())
                written.new += stats.new
                written.changed += stats.changed
                written.interested += stats.interested
                if stats.newest is not None and (newest[0] is None or stats.newest > newest[0]):
                    newest[0] = stats.newest

            return write, SyncProgress("updates", seen[0], None)

        restarts = [0]

        def on_restart(conn: sqlite3.Connection) -> None:
            restarts[0] += 1
            if restarts[0] > MAX_CURSOR_RESTARTS:
                raise ProtocolError("the server keeps rejecting its own cursors; try again later")

        await self._pages(None, since, on_pages, on_restart, report)
        result.new += written.new
        result.changed += written.changed
        result.interested += written.interested
        return newest[0]

    async def _pages(
        self,
        cursor: str | None,
        since: datetime | None,
        on_pages: Callable[[list[PlainThreadsPage]], tuple[Callable[[sqlite3.Connection], None], SyncProgress]],
        on_restart: Callable[[sqlite3.Connection], None],
        report: Callable[[SyncProgress], None] | None,
        after_page: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Walk pages from ``cursor``; the next page is requested as soon as this one has
        arrived (validated: api/client.threads_page_plain), before this one is stored.

        Pages are stored in batches: ``on_pages(pages)`` returns the batch's write (one
        transaction, hence one fsync, per batch; see COMMIT_THREADS), which the writer thread
        runs while the next pages arrive, and the progress to report. When the walk
        ends with an error, the pages it received are stored first, so it resumes after the
        last page it got, as if each page had been committed on arrival; only a killed process
        loses its last batches (fetched again). Returns once every batch is written. A 400 on
        a non-first page means the server rejected its cursor (expired, or the server
        restarted): ``on_restart`` runs on the writer and the pass starts over.
        """
        assert self._writer is not None
        writer = self._writer

        def fetch(c: str | None) -> asyncio.Task:
            return asyncio.ensure_future(
                self.client.threads_page_plain(limit=self.page_limit, cursor=c, updated_since=since)
            )

        batch: list[PlainThreadsPage] = []
        batch_started = time.perf_counter()

        async def store() -> SyncProgress | None:
            nonlocal batch_started
            if not batch:
                return None
            pages = batch[:]
            batch.clear()  # before writing: a failed write is not tried again on the way out
            write, progress = on_pages(pages)
            batch_started = time.perf_counter()
            await writer.submit(write)
            return progress

        seen_cursors: set[str] = set()
        task: asyncio.Task | None = fetch(cursor)
        try:
            while task is not None:
                try:
                    page = await task
                except BadRequestError:
                    task = None
                    if cursor is None:
                        raise
                    await store()
                    await self._db(on_restart)
                    cursor = None
                    seen_cursors.clear()
                    task = fetch(None)
                    continue
                nxt = page.next_cursor
                task = None
                if nxt is not None:
                    if nxt == cursor or nxt in seen_cursors:
                        raise ProtocolError("the server repeated a thread cursor")
                    seen_cursors.add(nxt)
                    task = fetch(nxt)  # in flight while this page is written
                    for _ in range(PREFETCH_YIELDS):
                        await asyncio.sleep(0)
                batch.append(page)
                if (
                    nxt is None
                    or sum(len(p.threads) for p in batch) >= COMMIT_THREADS
                    or time.perf_counter() - batch_started >= COMMIT_SECONDS
                ):
                    done = await store()
                    if report and done:
                        report(done)
                if after_page:
                    await after_page()
                cursor = nxt
            await writer.drain()
        except BaseException:
            # What arrived is kept (a network error, a rejected key, Ctrl-C mid-walk): the walk
            # resumes after it, as when every page was committed on arrival.
            await store()
            await writer.drain()
            raise
        finally:
            # Awaited even when it has already failed: its error is retrieved here, never
            # reported later as "Task exception was never retrieved".
            if task is not None:
                task.cancel()
                try:
                    await task
                except BaseException:  # noqa: BLE001 - the task's outcome no longer matters
                    pass

    # --- campaigns, messages --------------------------------------------------------------

    async def _campaigns(self, seen_ids: set[str], *, refresh: bool) -> bool:
        """Campaign names, best effort: after a walk, or when a thread names an unknown one.
        False when they could not be read (names are decoration; the ids still work)."""
        if not refresh:
            known = await self._db(lambda conn: {r[0] for r in conn.execute("SELECT id FROM campaigns")})
            if not (seen_ids - known):
                return True
        try:
            campaigns = await self.client.list_campaigns()
        except (AuthError, WorkspaceAccessError):
            raise
        except (ApiError, ValueError):
            return False
        await self._db(self._write, writes.upsert_campaigns, campaigns, writes.now_iso())
        return True

    async def _optional_messages(
        self, thread_id: str
    ) -> tuple[tuple[str, ThreadMessages | None] | None, ApiError | None]:
        """(fetched, None) or (None, the error): a thread's messages for an optional step. A
        failure is remembered (``SyncResult.failed``; the next sync fetches it); a rejected key
        is not optional and ends the sync."""
        try:
            fetched = await self._messages_of(thread_id)
        except (AuthError, WorkspaceAccessError):
            raise
        except ApiError as exc:
            self._unfetched.add(thread_id)
            return None, exc
        self._unfetched.discard(thread_id)
        return fetched, None

    async def _probe_mailboxes(self, result: SyncResult) -> None:
        """Learn our mailboxes without waiting for `--messages`: until they are known every
        thread looks like it needs a reply. Fetches the messages of one thread of each of the
        most frequent unknown last senders (MAILBOX_PROBES requests at most, at once); a
        thread's outgoing from_email and incoming to_emails are our addresses."""
        self._probed = True
        candidates = (await self._db(writes.mailbox_candidates))[:MAILBOX_PROBES]

        # All at once: one round trip, not one per candidate (and no more rounds: against a
        # server 20 ms away each round was a 25 ms stall of the walk), stored in one commit.
        # A sender whose thread was probed is no candidate again (writes.mailbox_candidates);
        # a failed probe stored nothing: its sender stays a candidate for the next probe.
        outcomes = await asyncio.gather(
            *(self._optional_messages(tid) for _, tid in candidates), return_exceptions=True
        )
        fetched = [o[0] for o in outcomes if not isinstance(o, BaseException) and o[0] is not None]
        if fetched:
            result.messages += await self._db(self._store_fetched, fetched)
        for outcome in outcomes:  # every probe has ended before one (a rejected key) ends the sync
            if isinstance(outcome, BaseException):
                raise outcome

    async def _fetch_many(
        self, thread_ids: list[str], result: SyncResult, report: Callable[[SyncProgress], None]
    ) -> None:
        """Every thread's messages, at most ``message_concurrency`` requests in flight: fewer
        at first, as many as get more done (api/pacing.Concurrency: it grows while the
        server's latency leaves room, halves on a 429). What arrives is stored in batches
        (MESSAGE_BATCH threads, or what came in MESSAGE_FLUSH_SECONDS): one commit per thread
        cost as much as storing its messages. A killed sync loses at most a batch, which the
        next one fetches again."""
        if not thread_ids:
            return
        total = len(thread_ids)
        queue = iter(thread_ids)
        done = [0]
        pending: list[tuple[str, ThreadMessages | None]] = []
        flushed = [time.monotonic()]
        concurrency = Concurrency(self.client.pacer, start=MESSAGE_START_CONCURRENCY, cap=self.message_concurrency)
        in_flight = [0]
        turn = asyncio.Condition()

        async def flush() -> None:
            # Written while the next ones arrive (the writer thread); counted here.
            batch = pending[:]
            pending.clear()
            flushed[0] = time.monotonic()
            result.messages += sum(len(tm.messages) for _, tm in batch if tm is not None)
            result.skipped += sum(tm.skipped for _, tm in batch if tm is not None)
            assert self._writer is not None
            await self._writer.submit(self._store_fetched, batch)

        async def worker() -> None:
            for tid in queue:  # a shared iterator: each id goes to one worker
                async with turn:
                    await turn.wait_for(lambda: in_flight[0] < concurrency.limit)
                    in_flight[0] += 1
                try:
                    fetched, error = await self._optional_messages(tid)
                finally:
                    in_flight[0] -= 1
                    concurrency.answered()
                    async with turn:
                        turn.notify_all()
                if fetched is not None:
                    pending.append(fetched)
                elif error is not None and error.exhausted:
                    # The server stopped answering for the client's whole patience: the rest
                    # is not asked for (each would wait as long again); the next sync fetches it.
                    self._unfetched.update(queue)
                    break
                done[0] += 1
                report(SyncProgress("messages", done[0], total))
                if len(pending) >= MESSAGE_BATCH or time.monotonic() - flushed[0] >= MESSAGE_FLUSH_SECONDS:
                    await flush()

        workers = [asyncio.ensure_future(worker()) for _ in range(min(self.message_concurrency, total))]
        try:
            await asyncio.gather(*workers)
        finally:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            if pending:  # what arrived before the end (or a failure) is kept
                await flush()
            if self._writer is not None:  # only inside a sync
                await self._writer.drain()
