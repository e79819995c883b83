"""A sync's cache work on a thread of its own: the event loop receives and validates the next
pages while SQLite writes, commits (fsync) and builds indexes on the other core.

    writer = CacheWriter.open(conn)          # its own connection to conn's file
    result = await writer.run(fn, *args)     # fn(writer_conn, *args), after everything queued
    future = writer.start(fn, *args)         # the same, queued now, awaited when the caller likes
    await writer.submit(fn, *args)           # queued; waits only while MAX_PENDING are queued
    await writer.drain()                     # every queued job done (raises the first failure)
    await writer.close()                     # drains, then ends the thread and its connection
    writer.waited                            # seconds the caller spent waiting for it in submit

Jobs run one at a time, in the order given, so a read (``run``) sees every write queued
before it, and a batch's progress record is never committed ahead of the batch. sqlite3
releases the GIL inside SQLite, which is where most of a write's time goes. Once a job fails,
every later job is refused with the same error (a later batch must not commit progress past
a batch that was lost) and ``submit`` / ``run`` / ``drain`` raise it: the sync ends with the
error SQLite gave (cache/db.cache_error names it for the user). A job is never dropped by a
cancelled await: what was queued is written, and ``close`` returns when the thread has ended.

An in-memory database has no file for a second connection: its jobs run at once, on the
caller's connection, between awaits (as every job did before the writer existed).
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from o2d_inbox.cache.db import open_db
from o2d_inbox.cache.lock import db_path

#: Jobs queued (or running) before ``submit`` waits for the oldest: two batches of pages in
#: memory at most, and what a killed process fetches again stays a batch or two.
MAX_PENDING = 2
#: False: every job inline on the caller's connection (benchmarks/bench_sync.py compares).
THREADED = True

Job = Callable[..., Any]


class CacheWriter:
    def __init__(self, conn: sqlite3.Connection, *, threaded: bool) -> None:
        self.conn = conn  # the writer's own connection (the caller's when not threaded)
        self._failed: BaseException | None = None
        #: Seconds ``submit`` held its caller (a queue full of jobs, or a job run inline): what
        #: our writes cost the walk in time, as opposed to how busy the writer is.
        self.waited = 0.0
        self._pending: deque[asyncio.Future] = deque()
        self._thread: threading.Thread | None = None
        if threaded:
            self._loop = asyncio.get_running_loop()
            self._jobs: queue.SimpleQueue = queue.SimpleQueue()
            self._ended = self._loop.create_future()
            self._thread = threading.Thread(target=self._serve, name="o2d-cache-writer", daemon=True)
            self._thread.start()

    @classmethod
    def open(cls, conn: sqlite3.Connection) -> CacheWriter:
        """A writer for ``conn``'s cache file (inline for an in-memory database). Must be
        called from the running event loop."""
        path = db_path(conn)
        if not path or not THREADED:
            return cls(conn, threaded=False)
        return cls(open_db(path), threaded=True)

    # --- the caller's side (the event loop) ------------------------------------------------

    async def run(self, fn: Job, *args: Any) -> Any:
        """``fn(conn, *args)`` after every job queued before it; its result."""
        return await asyncio.shield(self._queue(fn, args))

    def start(self, fn: Job, *args: Any) -> asyncio.Future:
        """Queue ``fn(conn, *args)`` now (the jobs queued later run after it) and return the
        future of its result, for the caller to await once it has done other things."""
        return self._queue(fn, args)

    async def submit(self, fn: Job, *args: Any) -> None:
        """Queue ``fn(conn, *args)``; waits while MAX_PENDING jobs are ahead of it."""
        started = time.perf_counter()
        self._pending.append(self._queue(fn, args))
        try:
            while len(self._pending) > MAX_PENDING:
                await asyncio.shield(self._pending.popleft())
        finally:
            self.waited += time.perf_counter() - started

    async def drain(self) -> None:
        """Wait for every queued job; the first failure among them is raised."""
        while self._pending:
            await asyncio.shield(self._pending[0])
            self._pending.popleft()

    async def close(self) -> None:
        """Drain, end the thread, close its connection. The thread has ended when this
        returns, even when the await is cancelled or a job failed."""
        try:
            await self.drain()
        finally:
            if self._thread is not None:
                self._jobs.put(None)
                try:
                    await asyncio.shield(self._ended)
                finally:
                    self._thread.join()  # at once unless the await above was cancelled

    def _queue(self, fn: Job, args: tuple) -> asyncio.Future:
        if self._failed is not None:
            raise self._failed
        if self._thread is None:  # inline: run now
            future: asyncio.Future = asyncio.get_running_loop().create_future()
            try:
                future.set_result(fn(self.conn, *args))
            except BaseException as exc:
                self._failed = exc
                raise
            return future
        future = self._loop.create_future()
        # A queued job's error is raised by the first await of it (drain, run); the jobs
        # refused after it carry the same error, which nobody needs to see again.
        future.add_done_callback(_retrieved)
        self._jobs.put((fn, args, future))
        return future

    # --- the writer thread -----------------------------------------------------------------

    def _serve(self) -> None:
        try:
            while (job := self._jobs.get()) is not None:
                fn, args, future = job
                if self._failed is not None:
                    self._settle(future, self._failed, None)
                    continue
                try:
                    result = fn(self.conn, *args)
                except BaseException as exc:  # noqa: BLE001 - handed to the event loop
                    self._failed = exc
                    self._settle(future, exc, None)
                else:
                    self._settle(future, None, result)
        finally:
            self.conn.close()
            self._loop.call_soon_threadsafe(_set, self._ended, None, None)

    def _settle(self, future: asyncio.Future, error: BaseException | None, result: Any) -> None:
        self._loop.call_soon_threadsafe(_set, future, error, result)


def _set(future: asyncio.Future, error: BaseException | None, result: Any) -> None:
    if future.done():  # cancelled: nobody waits for it any more
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _retrieved(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()
