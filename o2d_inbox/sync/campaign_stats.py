"""The sync's campaign-stats step: GET /campaigns/{id}/stats for each known campaign, cached
(table campaign_stats) so reply rates work offline, with their age.

    ok = await refresh_campaign_stats(conn, client, refresh=result.full, clock=time.time, write=None)

Best effort, like the campaign names beside it: a campaign whose stats cannot be read keeps
its last figures (their age says how old they are) and is asked again by the next sync; once a
request has used up the client's patience (the server is gone) the rest are not asked. Only a
rejected key or workspace ends the sync. A campaign the server does not know (404) loses its
cached figures. Stats are fetched after every reconcile walk, else when older than
``MAX_AGE`` (sends move all day; a sync every minute need not ask every minute).

What was fetched is written at the end, in one transaction, by ``write`` (the sync's cache
writer, so the requests go out while it is still busy with the walk's end), or on ``conn``.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

from o2d_inbox.api.errors import ApiError, AuthError, NotFoundError, WorkspaceAccessError
from o2d_inbox.cache.stats import save_campaign_stats
from o2d_inbox.cache.writes import transaction
from o2d_inbox.render.dates import parse_time

MAX_AGE = 15 * 60  # seconds
CONCURRENCY = 4

#: ``write(fn, *args)``: ``fn(conn, *args)`` in one transaction, done when the await returns.
Write = Callable[..., Awaitable[None]]


def _due(conn: sqlite3.Connection, now: float, refresh: bool) -> list[str]:
    """Known campaigns whose stats are missing, or older than MAX_AGE (all of them when ``refresh``)."""
    fetched = {r[0]: r[1] for r in conn.execute("SELECT campaign_id, fetched_at FROM campaign_stats")}
    due = []
    for (cid,) in conn.execute("SELECT id FROM campaigns ORDER BY id"):
        when = _epoch(fetched.get(cid))
        if refresh or when is None or now - when >= MAX_AGE:
            due.append(cid)
    return due


def _epoch(text: str | None) -> float | None:
    when = parse_time(text)
    return None if when is None else when.timestamp()


async def refresh_campaign_stats(
    conn: sqlite3.Connection,
    client: Any,
    *,
    refresh: bool,
    clock: Callable[[], float] = time.time,
    write: Write | None = None,
) -> bool:
    """Fetch and cache the stats of the campaigns that are due; False when some could not be read.

    ``conn`` is read (the campaigns known); ``write(fn, *args)`` runs ``fn(conn, *args)`` in a
    transaction and returns once it has (None: on ``conn``, now)."""
    now = clock()
    ids = iter(_due(conn, now, refresh))
    fetched_at = datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    ok = [True]
    fetched: dict[str, Any] = {}  # campaign id -> its stats, None: the server does not know it

    async def worker() -> None:
        for cid in ids:  # shared iterator: each id goes to one worker
            try:
                fetched[cid] = await client.campaign_stats(cid)
            except (AuthError, WorkspaceAccessError):
                raise
            except NotFoundError:
                fetched[cid] = None
            except (ApiError, ValueError) as exc:
                ok[0] = False
                if isinstance(exc, ApiError) and exc.exhausted:
                    for _ in ids:  # the server is gone: the next sync asks again
                        pass

    workers = [asyncio.ensure_future(worker()) for _ in range(CONCURRENCY)]
    try:
        await asyncio.gather(*workers)
    finally:
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        if fetched:  # what arrived is kept, also when a rejected key ended the step
            await (write or functools.partial(_write_now, conn))(_store, fetched, fetched_at)
    return ok[0]


def _store(conn: sqlite3.Connection, fetched: dict[str, Any], fetched_at: str) -> None:
    for cid, stats in fetched.items():
        if stats is None:
            conn.execute("DELETE FROM campaign_stats WHERE campaign_id = ?", (cid,))
        else:
            save_campaign_stats(conn, cid, stats, fetched_at)


async def _write_now(conn: sqlite3.Connection, fn: Callable[..., None], *args: Any) -> None:
    with transaction(conn):
        fn(conn, *args)
