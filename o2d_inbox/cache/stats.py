"""Reply stats and lead export: the one read path for `o2d-inbox stats`, `o2d-inbox export`
and the TUI's stats screen. Headless.

    compute(conn, StatsFilter(...), now=time.time()) -> Stats      every figure of the screen
    Stats.as_json() -> dict                                         what `stats --json` prints
    export_rows(conn, StatsFilter(...)) -> Iterator[ExportRow]      one row per thread
    rows_for_ids(conn, ids) -> Iterator[ExportRow]                  the same, for given threads
    save_campaign_stats(conn, stats, fetched_at)                    GET /campaigns/{id}/stats, cached

Every figure is a sum over ``stats_days`` (migration 14: threads per UTC day of their latest
message and (campaign, mailbox, intent, relevance), kept exact by triggers) or a count of
index ranges, never a GROUP BY over the threads: a sorter over 1,000,000 rows took seconds,
and even counting every index entry of them took 200-450 ms.

- by_intent, by_campaign and by_mailbox sum the window's whole UTC days in stats_days (tens
  of thousands of rows at 1,000,000 threads); a window starting within a day counts the rest
  of that day on ``ix_threads_stats_day`` (reply_intent, last_ts, …), one range per intent.
- by_day sums stats_days too; a local day is a UTC day shifted by the offset, so the part of
  each day between local and UTC midnight (the shorter side) is counted on the index, and so
  is the window's first day. A thread counts on the day of its latest message (the cache
  knows the latest message of every thread, the earlier ones only of fetched conversations).
- Response figures come from cached messages: for each time the prospect wrote, how long until
  our next message (one seek on ``ix_messages_outgoing``). A run of prospect messages counts
  once, from its first. They are measured on the newest RESPONSE_SAMPLE prospect replies of
  the window (``ix_messages_incoming``, newest first): a median of thousands is as good as
  one of all, and the cost stays flat as the cache grows (all of 175,000 replies took
  0.7-1.1 s). Conversations whose messages were never fetched are not in them; the figures
  say how many replies they measured.
- The oldest waiting reply is the head of the Needs-reply queue, whatever the window: a window
  would hide exactly the replies forgotten longest. It is the oldest of each (campaign,
  mailbox, intent, relevance) present, one seek each on ``ix_threads_stats_waiting``.
- Reply rates are per campaign and all time, as the server counts its sends: reply rate =
  sends replied ÷ sent, positive-reply rate = interested threads in the cache ÷ sent.

Days are calendar days at ``utc_offset`` seconds east of UTC (the CLI passes the local offset).
Threads marked done or snoozed still count: stats describe the replies, not the queue.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from o2d_inbox.cache.queries import UNCLASSIFIED, View
from o2d_inbox.cache.schema import LOCAL_OPEN_SQL
from o2d_inbox.render.dates import parse_time

NO_CAMPAIGN = "none"  # by_campaign's key for threads of no campaign (and --campaign none)
POSITIVE = "interested"
MAX_DAYS = 366  # by_day covers the window, at most this many days back from today
RESPONSE_SAMPLE = 5000  # response figures: the newest prospect replies of the window, at most
DAY = 86400
_EPOCH = date(1970, 1, 1)
_WAITING = "ix_threads_stats_waiting"
_DAY = "ix_threads_stats_day"


@dataclass(frozen=True)
class StatsFilter:
    """Which threads the figures are about. ``campaign`` NO_CAMPAIGN: threads of no campaign;
    ``intent`` 'unclassified': no intent yet; ``since``: epoch seconds (None: all time)."""

    since: int | None = None
    campaign: str | None = None
    mailbox: str | None = None
    intent: str | None = None
    relevant: bool = False

    @classmethod
    def from_view(cls, view: View, since: int | None = None) -> StatsFilter:
        """The filters of an inbox queue: its intent / campaign / mailbox (kind and narrowing)
        and its relevance. The Needs-reply, Done and Snoozed queues are local states, not
        filters of the replies: their stats are the whole inbox's."""
        keys = dict(view.narrow)
        if view.kind in ("intent", "campaign", "mailbox"):
            keys[view.kind] = view.key if view.key is not None else (UNCLASSIFIED if view.kind == "intent" else None)
        return cls(
            since=since,
            campaign=keys.get("campaign"),
            mailbox=keys.get("mailbox"),
            intent=keys.get("intent"),
            relevant=view.relevant,
        )


@dataclass(frozen=True)
class CampaignFigures:
    id: str
    name: str | None
    threads: int  # in the window and filters
    interested: int  # the same threads' interested ones
    interested_all_time: int  # every interested thread of the campaign (the positive replies)
    sent: int | None = None  # from the server's campaign stats, when cached
    replied: int | None = None
    fetched_at: str | None = None  # when those were fetched (ISO UTC)
    age_seconds: int | None = None

    @property
    def reply_rate(self) -> float | None:
        return self.replied / self.sent if self.sent and self.replied is not None else None

    @property
    def positive_reply_rate(self) -> float | None:
        return self.interested_all_time / self.sent if self.sent else None


@dataclass(frozen=True)
class Response:
    measured: int  # prospect replies answered by a later message of ours
    unanswered: int  # prospect replies (in cached messages) with no answer yet
    median_seconds: int | None
    p90_seconds: int | None
    oldest_waiting_seconds: int | None  # age of the oldest reply waiting in the Needs-reply queue
    oldest_waiting_thread: str | None


@dataclass
class Stats:
    filter: StatsFilter
    now: int
    utc_offset: int
    threads: int = 0
    by_intent: dict[str, int] = field(default_factory=dict)
    by_campaign: dict[str, dict[str, int]] = field(default_factory=dict)
    by_mailbox: dict[str, dict[str, int]] = field(default_factory=dict)
    by_day: dict[str, dict[str, int]] = field(default_factory=dict)  # every day of the window, in order
    response: Response | None = None
    campaigns: list[CampaignFigures] = field(default_factory=list)

    def day_series(self, intent: str) -> list[int]:
        """Threads of ``intent`` per day, oldest day first (for a sparkline)."""
        return [day.get(intent, 0) for day in self.by_day.values()]

    def as_json(self) -> dict[str, Any]:
        f = self.filter
        r = self.response
        return {
            "generated_at": _iso(self.now),
            "since": _iso(f.since) if f.since is not None else None,
            "filters": {"campaign": f.campaign, "mailbox": f.mailbox, "intent": f.intent, "relevant": f.relevant},
            "threads": self.threads,
            "by_intent": self.by_intent,
            "by_campaign": self.by_campaign,
            "by_mailbox": self.by_mailbox,
            "by_day": self.by_day,
            "response": None
            if r is None
            else {
                "median_seconds": r.median_seconds,
                "p90_seconds": r.p90_seconds,
                "replies_measured": r.measured,
                "replies_unanswered": r.unanswered,
                "oldest_waiting_seconds": r.oldest_waiting_seconds,
                "oldest_waiting_thread": r.oldest_waiting_thread,
            },
            "campaigns": {
                c.id: {
                    "name": c.name,
                    "threads": c.threads,
                    "interested": c.interested,
                    "interested_all_time": c.interested_all_time,
                    "sent": c.sent,
                    "replied": c.replied,
                    "reply_rate": _rate(c.reply_rate),
                    "positive_reply_rate": _rate(c.positive_reply_rate),
                    "stats_fetched_at": c.fetched_at,
                    "stats_age_seconds": c.age_seconds,
                }
                for c in self.campaigns
            },
        }


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _intent_key(value: str | None) -> str:
    return UNCLASSIFIED if value is None else value


# --- the filters as SQL ---------------------------------------------------------------------


def _eq(column: str, value: str | None) -> tuple[str, list]:
    return (f"{column} IS NULL", []) if value is None else (f"{column} = ?", [value])


def _filter_terms(f: StatsFilter, prefix: str = "") -> tuple[list[str], list]:
    """WHERE terms (and parameters) of the filters other than the window."""
    terms, params = [], []
    if f.campaign is not None:
        t, p = _eq(f"{prefix}campaign_id", None if f.campaign == NO_CAMPAIGN else f.campaign)
        terms.append(t)
        params += p
    if f.mailbox is not None:
        terms.append(f"{prefix}mailbox = ?")
        params.append(f.mailbox)
    if f.intent is not None:
        t, p = _eq(f"{prefix}reply_intent", None if f.intent == UNCLASSIFIED else f.intent)
        terms.append(t)
        params += p
    # No term without the relevance filter: a no-op "relevant IN (0, 1)" checked on every row
    # of an index range cost ~100 ns a row.
    terms.append(f"{prefix}relevant = 1" if f.relevant else "1")
    return terms, params


def _has_index(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)).fetchone() is not None


def _by(conn: sqlite3.Connection, index: str) -> str:
    """INDEXED BY ``index``, or nothing while a first sync's bulk load has it dropped (the
    figures are then slower, never wrong)."""
    return f"INDEXED BY {index}" if _has_index(conn, index) else ""


# --- the combinations present (a loose index scan) --------------------------------------------


def _distinct(
    conn: sqlite3.Connection, column: str, fixed: list[tuple[str, str | None]], by: str, where: str = "1"
) -> list:
    """Distinct values of ``column`` among threads matching ``where`` whose earlier index
    columns are ``fixed``, by one seek per value (min over the index range; NULL checked on its own)."""
    terms, params = [where], []
    for col, value in fixed:
        t, p = _eq(col, value)
        terms.append(t)
        params += p
    where = " AND ".join(terms)
    found: list = []
    if conn.execute(f"SELECT 1 FROM threads {by} WHERE {where} AND {column} IS NULL LIMIT 1", params).fetchone():
        found.append(None)
    value = conn.execute(f"SELECT min({column}) FROM threads {by} WHERE {where}", params).fetchone()[0]
    while value is not None:
        found.append(value)
        value = conn.execute(
            f"SELECT min({column}) FROM threads {by} WHERE {where} AND {column} > ?", params + [value]
        ).fetchone()[0]
    return found


def _combos(
    conn: sqlite3.Connection, f: StatsFilter, by: str, where: str
) -> list[tuple[str | None, str | None, str | None]]:
    """(campaign_id, mailbox, reply_intent) combinations present among threads matching
    ``where``, narrowed by the filters, on an index led by those three columns."""
    if f.campaign is not None:
        campaigns = [None if f.campaign == NO_CAMPAIGN else f.campaign]
    else:
        campaigns = _distinct(conn, "campaign_id", [], by, where)
    out = []
    for c in campaigns:
        mailboxes: list[str | None] = (
            [f.mailbox] if f.mailbox is not None else _distinct(conn, "mailbox", [("campaign_id", c)], by, where)
        )
        for m in mailboxes:
            if f.intent is not None:
                intents = [None if f.intent == UNCLASSIFIED else f.intent]
            else:
                intents = _distinct(conn, "reply_intent", [("campaign_id", c), ("mailbox", m)], by, where)
            out += [(c, m, i) for i in intents]
    return out


# --- threads per bucket: stats_days, and the index for a window's first partial day -------------


def _bucket(value: str) -> str | None:
    return value if value != "" else None  # stats_days keeps NULL as ''


def _bucket_terms(f: StatsFilter) -> tuple[list[str], list]:
    """WHERE terms (and parameters) of the filters other than the window, on stats_days."""
    terms, params = ["1"], []
    for column, value, null in (
        ("campaign_id", f.campaign, NO_CAMPAIGN),
        ("mailbox", f.mailbox, None),
        ("reply_intent", f.intent, UNCLASSIFIED),
    ):
        if value is not None:
            terms.append(f"{column} = ?")
            params.append("" if value == null else value)
    if f.relevant:
        terms.append("relevant = 1")
    return terms, params


def _mix(conn: sqlite3.Connection, f: StatsFilter) -> dict[tuple[str | None, str | None, str | None], int]:
    """Threads in the window and filters per (campaign_id, mailbox, reply_intent).

    Whole UTC days are stats_days' sums; a window starting within a day counts the rest of
    that day on ``ix_threads_stats_day``, one covering range per intent."""
    terms, params = _bucket_terms(f)
    if f.since is not None:
        terms.append("day >= ?")
        params.append(-(-f.since // DAY))
    counts: dict[tuple[str | None, str | None, str | None], int] = {}
    for c, m, i, n in conn.execute(
        "SELECT campaign_id, mailbox, reply_intent, sum(threads) FROM stats_days "
        f"WHERE {' AND '.join(terms)} GROUP BY campaign_id, mailbox, reply_intent",
        params,
    ):
        if n:
            counts[(_bucket(c), _bucket(m), _bucket(i))] = n
    if f.since is not None and f.since % DAY:  # the window starts within a day: the rest of it
        midnight = -(-f.since // DAY) * DAY
        by = _by(conn, _DAY)
        terms, params = _filter_terms(f)
        intents = (
            [None if f.intent == UNCLASSIFIED else f.intent] if f.intent else _distinct(conn, "reply_intent", [], by)
        )
        for i in intents:
            t, p = _eq("reply_intent", i)
            for c, m, n in conn.execute(
                f"SELECT campaign_id, mailbox, count(*) FROM threads {by} WHERE {t} AND last_ts >= ? "
                f"AND last_ts < ? AND {' AND '.join(terms)} GROUP BY campaign_id, mailbox",
                p + [f.since, midnight] + params,
            ):
                counts[(c, m, i)] = counts.get((c, m, i), 0) + n
    return counts


# --- the figures ------------------------------------------------------------------------------


def compute(conn: sqlite3.Connection, f: StatsFilter, *, now: float, utc_offset: int = 0) -> Stats:
    """Every figure of the stats screen for the threads ``f`` selects, as of ``now``."""
    stats = Stats(filter=f, now=int(now), utc_offset=int(utc_offset))
    counts = _mix(conn, f)
    for (c, m, i), n in counts.items():
        intent = _intent_key(i)
        stats.threads += n
        stats.by_intent[intent] = stats.by_intent.get(intent, 0) + n
        per = stats.by_campaign.setdefault(c if c is not None else NO_CAMPAIGN, {})
        per[intent] = per.get(intent, 0) + n
        if m is not None:
            per = stats.by_mailbox.setdefault(m, {})
            per[intent] = per.get(intent, 0) + n
    stats.by_intent = dict(sorted(stats.by_intent.items(), key=lambda kv: (-kv[1], kv[0])))
    stats.by_day = _by_day(conn, f, sorted({i for _, _, i in counts}, key=lambda v: v or ""), int(now), int(utc_offset))
    stats.response = _response(conn, f, int(now))
    stats.campaigns = _campaigns(conn, f, stats, int(now))
    return stats


def _day_of(ts: int, utc_offset: int) -> int:
    return (ts + utc_offset) // DAY


def day_label(day: int) -> str:
    return (_EPOCH + timedelta(days=day)).isoformat()


def _by_day(
    conn: sqlite3.Connection, f: StatsFilter, intents: list[str | None], now: int, utc_offset: int
) -> dict[str, dict[str, int]]:
    """{day: {intent: threads}} for every day of the window (oldest first; at most MAX_DAYS)."""
    today = _day_of(now, utc_offset)
    first = today - MAX_DAYS + 1
    if f.since is not None:
        first = max(first, _day_of(f.since, utc_offset))
    else:  # all time: from the oldest day with a thread
        oldest = [
            conn.execute(
                f"SELECT min(last_ts) FROM threads {_by(conn, _DAY)} WHERE {_eq('reply_intent', i)[0]}",
                _eq("reply_intent", i)[1],
            ).fetchone()[0]
            for i in intents
        ]
        known = [ts for ts in oldest if ts is not None]
        first = max(first, min((_day_of(ts, utc_offset) for ts in known), default=today))
    days: dict[int, dict[str, int]] = {d: {} for d in range(first, today + 1)}

    def add(day: int, intent: str | None, n: int) -> None:
        if n and first <= day <= today:
            key = _intent_key(intent)
            days[day][key] = days[day].get(key, 0) + n

    # The window's first day (perhaps cut by it), on the index.
    for intent in intents:
        for day, n in _part_counts(conn, f, intent, first, first, -utc_offset, DAY - utc_offset, f.since).items():
            add(day, intent, n)
    # The others from stats_days' UTC days. Local midnight is ``shift`` seconds after UTC
    # midnight: local day D is UTC day D - lag less its first ``shift`` seconds, plus the
    # first ``shift`` seconds of the next UTC day; or (shorter for a shift past noon) UTC day
    # D - lag + 1 less its part from ``shift`` on, plus that part of the UTC day before. The
    # parts are counted on the index: none at UTC, an hour a day at UTC+1.
    if first < today:
        shift = -utc_offset % DAY
        lag = (utc_offset + shift) // DAY
        step, start, end = (1, 0, shift) if shift <= DAY // 2 else (-1, shift, DAY)
        base = lag if step == 1 else lag - 1  # local day D's UTC day is D - base
        lo, hi = first + 1 - base, today - base
        terms, params = _bucket_terms(f)
        seen = set(intents)
        for day, intent, n in conn.execute(
            f"SELECT day, reply_intent, sum(threads) FROM stats_days WHERE {' AND '.join(terms)} "
            "AND day BETWEEN ? AND ? GROUP BY day, reply_intent",
            params + [lo, hi],
        ):
            add(day + base, _bucket(intent), n)
            seen.add(_bucket(intent))
        if start < end:
            for intent in seen:
                parts = _part_counts(conn, f, intent, min(lo, lo + step), max(hi, hi + step), start, end, None)
                for utc_day in range(lo, hi + 1):
                    add(utc_day + base, intent, parts.get(utc_day + step, 0) - parts.get(utc_day, 0))
    return {day_label(d): {k: n for k, n in v.items() if n} for d, v in days.items()}


def _part_counts(
    conn: sqlite3.Connection,
    f: StatsFilter,
    intent: str | None,
    first: int,
    last: int,
    start: int,
    end: int,
    since: int | None,
) -> dict[int, int]:
    """{day: threads of ``intent`` under the filters in [day * DAY + start, day * DAY + end)
    and after ``since``} for each day of first…last, one range of ``ix_threads_stats_day`` each."""
    terms, params = _filter_terms(f)
    t, p = _eq("reply_intent", intent)
    sql = (
        "WITH RECURSIVE d(day) AS (SELECT ? UNION ALL SELECT day + 1 FROM d WHERE day < ?) "
        f"SELECT day, (SELECT count(*) FROM threads {_by(conn, _DAY)} WHERE {t} "
        "AND last_ts >= max(day * 86400 + ?, ?) AND last_ts < day * 86400 + ? "
        f"AND {' AND '.join(terms)}) FROM d"
    )
    lower = since if since is not None else -(2**62)
    return {day: n for day, n in conn.execute(sql, [first, last] + p + [start, lower, end] + params) if n}


def _percentile(sorted_values: list[int], fraction: float) -> int | None:
    """Nearest-rank percentile (the value at or below which ``fraction`` of them lie)."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * fraction // 1))  # ceil
    return sorted_values[int(rank) - 1]


def _response(conn: sqlite3.Connection, f: StatsFilter, now: int) -> Response:
    terms, params = _filter_terms(f, "t.")
    since = f.since if f.since is not None else -(2**62)
    incoming = "INDEXED BY ix_messages_incoming" if _has_index(conn, "ix_messages_incoming") else ""
    outgoing = "INDEXED BY ix_messages_outgoing" if _has_index(conn, "ix_messages_outgoing") else ""
    rows = conn.execute(
        f"SELECT m.thread_id, m.ts, (SELECT min(o.ts) FROM messages AS o {outgoing} "
        "WHERE o.thread_id = m.thread_id AND o.ts >= m.ts AND o.is_incoming = 0) "
        f"FROM messages AS m {incoming} JOIN threads AS t ON t.id = m.thread_id "
        f"WHERE m.is_incoming = 1 AND m.ts >= ? AND {' AND '.join(terms)} ORDER BY m.ts DESC LIMIT ?",
        [since] + params + [RESPONSE_SAMPLE],
    )
    first_of: dict[tuple[str, int | None], int] = {}  # (thread, our answer) -> the run's first reply
    for tid, ts, answered in rows:
        key = (tid, answered)
        if key not in first_of or ts < first_of[key]:
            first_of[key] = ts
    waits = sorted(answered - ts for (_, answered), ts in first_of.items() if answered is not None)
    unanswered = sum(1 for _, answered in first_of if answered is None)
    oldest = _oldest_waiting(conn, f)
    return Response(
        measured=len(waits),
        unanswered=unanswered,
        median_seconds=_percentile(waits, 0.5),
        p90_seconds=_percentile(waits, 0.9),
        oldest_waiting_seconds=max(0, now - oldest[1]) if oldest else None,
        oldest_waiting_thread=oldest[0] if oldest else None,
    )


def _oldest_waiting(conn: sqlite3.Connection, f: StatsFilter) -> tuple[str, int] | None:
    """(thread id, last_ts) of the head of the Needs-reply queue under the filters: the
    oldest of each (campaign, mailbox, intent, relevance) present, one seek each on
    ``ix_threads_stats_waiting`` (on the queue's own index a campaign or mailbox filter read
    every waiting thread's row)."""
    by = _by(conn, _WAITING)
    waiting = f"needs_reply = 1 AND {LOCAL_OPEN_SQL}"  # literal: the partial index's WHERE
    if not by:  # a first sync's bulk load dropped the index: one scan, not a scan per bucket
        terms, params = _filter_terms(f)
        row = conn.execute(
            f"SELECT id, last_ts FROM threads WHERE {waiting} AND {' AND '.join(terms)} "
            "ORDER BY last_ts, relevant DESC, id LIMIT 1",
            params,
        ).fetchone()
        return (row[0], row[1]) if row else None
    best: tuple[int, int, str] | None = None  # (last_ts, relevant first, id): the queue's order
    for combo in _combos(conn, f, by, waiting):
        terms, params = [waiting], []
        for col, value in zip(("campaign_id", "mailbox", "reply_intent"), combo):
            t, p = _eq(col, value)
            terms.append(t)
            params += p
        for relevant in (1,) if f.relevant else (1, 0):
            row = conn.execute(
                f"SELECT id, last_ts FROM threads {by} WHERE {' AND '.join(terms)} AND relevant = ? "
                "ORDER BY last_ts, id LIMIT 1",
                params + [relevant],
            ).fetchone()
            if row is not None and (best is None or (row[1], 1 - relevant, row[0]) < best):
                best = (row[1], 1 - relevant, row[0])
    return (best[2], best[0]) if best else None


def _campaigns(conn: sqlite3.Connection, f: StatsFilter, stats: Stats, now: int) -> list[CampaignFigures]:
    """Every campaign with threads in the figures or with cached server stats, busiest first."""
    names = {r[0]: r[1] for r in conn.execute("SELECT id, name FROM campaigns")}
    cached = {
        r[0]: r for r in conn.execute("SELECT campaign_id, sends_sent, sends_replied, fetched_at FROM campaign_stats")
    }
    ids = [c for c in stats.by_campaign if c != NO_CAMPAIGN]
    if f.campaign is None:
        ids += [c for c in cached if c not in stats.by_campaign]
    out = []
    for cid in ids:
        # all time, every mailbox: the numerator of the rate the server's sends are the denominator of
        interested = conn.execute(_CAMPAIGN_INTENT_SQL, (cid, cid, cid, POSITIVE)).fetchone()[0]
        row = cached.get(cid)
        fetched = row[3] if row else None
        out.append(
            CampaignFigures(
                id=cid,
                name=names.get(cid),
                threads=sum(stats.by_campaign.get(cid, {}).values()),
                interested=stats.by_campaign.get(cid, {}).get(POSITIVE, 0),
                interested_all_time=interested,
                sent=row[1] if row else None,
                replied=row[2] if row else None,
                fetched_at=fetched,
                age_seconds=_age(fetched, now),
            )
        )
    return sorted(out, key=lambda c: (-c.threads, c.name or c.id))


#: A campaign's threads of one intent, all time: stats_days' key is (campaign, mailbox, intent,
#: …), so each of the campaign's mailboxes (found by one seek each) is one range of the intent
#: (scanning every bucket of the campaign for the intent read tens of thousands of rows).
_CAMPAIGN_INTENT_SQL = """
    WITH RECURSIVE m(mailbox) AS (
        SELECT min(mailbox) FROM stats_days WHERE campaign_id = ?1
        UNION ALL
        SELECT (SELECT min(s.mailbox) FROM stats_days AS s WHERE s.campaign_id = ?2 AND s.mailbox > m.mailbox)
        FROM m WHERE m.mailbox IS NOT NULL
    )
    SELECT coalesce(sum((SELECT sum(threads) FROM stats_days AS s
                         WHERE s.campaign_id = ?3 AND s.mailbox = m.mailbox AND s.reply_intent = ?4)), 0)
    FROM m WHERE m.mailbox IS NOT NULL
"""


def _age(fetched_at: str | None, now: int) -> int | None:
    when = parse_time(fetched_at)
    return None if when is None else max(0, now - int(when.timestamp()))


# --- campaign stats (written by sync/campaign_stats.py) -----------------------------------------


def save_campaign_stats(conn: sqlite3.Connection, campaign_id: str, stats: Any, fetched_at: str) -> None:
    """Store one campaign's GET /campaigns/{id}/stats (an api.models.CampaignStats) as fetched now."""
    contacts, sends = stats.contacts, stats.sends
    conn.execute(
        "INSERT OR REPLACE INTO campaign_stats (campaign_id, status, contacts_total, contacts_replied, "
        "contacts_bounced, sends_total, sends_sent, sends_failed, sends_bounced, sends_replied, fetched_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            campaign_id,
            stats.status,
            contacts.total,
            contacts.replied,
            contacts.bounced,
            sends.total,
            sends.sent,
            sends.failed,
            sends.bounced,
            sends.replied,
            fetched_at,
        ),
    )


# --- export -------------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "thread_id",
    "prospect_email",
    "prospect_name",
    "company",
    "mailbox",
    "campaign_id",
    "campaign_name",
    "intent",
    "last_reply_at",
    "last_reply_snippet",
    "note",
)


@dataclass(frozen=True)
class ExportRow:
    thread_id: str
    prospect_email: str | None
    prospect_name: str | None
    company: str | None
    mailbox: str | None
    campaign_id: str | None
    campaign_name: str | None
    intent: str
    last_reply_at: str | None  # ISO UTC of the prospect's latest message, when known
    last_reply_snippet: str | None  # its text (first 300 characters), when known
    note: str | None

    def values(self) -> tuple:
        return tuple(getattr(self, name) for name in EXPORT_COLUMNS)


def export_rows(conn: sqlite3.Connection, f: StatsFilter) -> Iterator[ExportRow]:
    """One row per thread ``f`` selects, newest first (the window is on the latest message).

    The prospect's latest reply is read from the cached messages when the conversation was
    fetched, else it is the thread's latest message when that one is theirs (needs_reply);
    otherwise it is unknown (empty), never our own text. Prospect name and company are guessed
    from the address (render/company.py): the API sends no names."""
    terms, params = _filter_terms(f, "t.")
    if f.since is not None:
        terms.append("t.last_ts >= ?")
        params.append(f.since)
    yield from _export_query(conn, " AND ".join(terms), params)


def rows_for_ids(conn: sqlite3.Connection, ids: list[str], chunk: int = 500) -> Iterator[ExportRow]:
    """export_rows of the given threads (a queue or a selection), in the order given; ids no
    longer cached are left out."""
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        found = {
            row.thread_id: row for row in _export_query(conn, f"t.id IN ({', '.join('?' * len(part))})", list(part))
        }
        yield from (found[tid] for tid in part if tid in found)


def _export_query(conn: sqlite3.Connection, where: str, params: list) -> Iterator[ExportRow]:
    from o2d_inbox.render.company import company_from_address, name_from_address

    sql = (
        "SELECT t.id, coalesce(t.prospect, CASE WHEN t.needs_reply = 1 THEN t.last_from END), t.mailbox, "
        "t.campaign_id, c.name, t.reply_intent, t.local_note, t.needs_reply, t.last_ts, t.last_snippet, "
        "(SELECT m.ts || char(31) || coalesce(nullif(m.body_text, ''), '') FROM messages AS m "
        " WHERE m.thread_id = t.id AND m.is_incoming = 1 ORDER BY m.ts DESC, m.id DESC LIMIT 1) "
        f"FROM threads AS t LEFT JOIN campaigns AS c ON c.id = t.campaign_id WHERE {where} "
        "ORDER BY t.last_ts DESC, t.id DESC"
    )
    for tid, prospect, mailbox, cid, cname, intent, note, needs, last_ts, snippet, latest in conn.execute(sql, params):
        reply_ts: int | None = None
        text: str | None = None
        if latest is not None:
            ts, _, body = latest.partition("\x1f")
            reply_ts, text = int(ts), body[:300] or None
        elif needs:
            reply_ts, text = last_ts, snippet
        yield ExportRow(
            thread_id=tid,
            prospect_email=prospect,
            prospect_name=name_from_address(prospect),
            company=company_from_address(prospect),
            mailbox=mailbox,
            campaign_id=cid,
            campaign_name=cname,
            intent=_intent_key(intent),
            last_reply_at=_iso(reply_ts) if reply_ts else None,
            last_reply_snippet=text,
            note=note,
        )
