"""The sync's campaign-stats step: GET /campaigns/{id}/stats for each known campaign, cached
(table campaign_stats) so reply rates work offline, with their age.

    ok = await refresh_campaign_stats(conn, client, refresh=result.full, clock=time.time)

Best effort, like the campaign names beside it: a campaign whose stats cannot be read keeps
its last figures (their age says how old they are) and is asked again by the next sync; once a
request has used up the client's patience (the server is gone) the rest are not asked. Only a
rejected key or workspace ends the sync. A campaign the server does not know (404) loses its
cached figures. Stats are fetched after every reconcile walk, else when older than
``MAX_AGE`` (sends move all day; a sync every minute need not ask every minute).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from o2d_inbox.api.errors import ApiError, AuthError, NotFoundError, WorkspaceAccessError
from o2d_inbox.cache.stats import save_campaign_stats
from o2d_inbox.cache.writes import transaction
from o2d_inbox.render.dates import parse_time

MAX_AGE = 15 * 60  # seconds
CONCURRENCY = 4


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
    conn: sqlite3.Connection, client: Any, *, refresh: bool, clock: Callable[[], float] = time.time
) -> bool:
    """Fetch and cache the stats of the campaigns that are due; False when some could not be read."""
    now = clock()
    ids = iter(_due(conn, now, refresh))
    fetched_at = datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    ok = [True]

    async def worker() -> None:
        for cid in ids:  # shared iterator: each id goes to one worker
            try:
                stats = await client.campaign_stats(cid)
            except (AuthError, WorkspaceAccessError):
                raise
            except NotFoundError:
                with transaction(conn):
                    conn.execute("DELETE FROM campaign_stats WHERE campaign_id = ?", (cid,))
                continue
            except (ApiError, ValueError) as exc:
                ok[0] = False
                if isinstance(exc, ApiError) and exc.exhausted:
                    for _ in ids:  # the server is gone: the next sync asks again
                        pass
                continue
            with transaction(conn):
                save_campaign_stats(conn, cid, stats, fetched_at)

    workers = [asyncio.ensure_future(worker()) for _ in range(CONCURRENCY)]
    try:
        await asyncio.gather(*workers)
    finally:
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    return ok[0]
