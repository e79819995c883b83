"""Writes into the cache: thread / message / mailbox / campaign upserts, sync state, counts.

Every function here runs inside the caller's transaction (see ``transaction``) and never
awaits, so a page of upserts and the sync progress that goes with it commit together.
view_counts and stats_days are kept by triggers (schema.py COUNT_TRIGGERS, STATS_TRIGGERS),
whoever writes ``threads``; ``upsert_threads`` (the hot path) counts its page's deltas to both
itself, inside its transaction, and the triggers stand aside meanwhile. ``refresh_counts``
rebuilds view_counts from scratch and is only a repair tool.

Rules (schema.py's docstring has the conventions):
- sync never writes local_* columns;
- a thread's reply_intent is left alone while the outbox holds a pending intent change for
  it (kind 'intent', state scheduled/sending/accepted): the user's override wins until it lands;
- unread becomes 1 when a thread is new or its message_count / last_ts grew by a message
  that is not ours (our own sent reply leaves a read thread read);
- relevant = not warming and not postmaster;
- needs_reply = the last message is not from one of our mailboxes (mailboxes are learned
  from messages: from_email of outgoing ones, to_emails of incoming ones; plus config).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from itertools import chain
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from o2d_inbox.cache.db import transaction  # re-exported for the sync engine
from o2d_inbox.cache.schema import (
    COUNTED_COLUMNS,
    COUNTS_BY_WRITER_KEY,
    FTS_TOP,
    LOCAL_ONLY_INDEXES,
    RECOUNT_SQL,
    clamp_ts,
    stats_bucket,
)
from o2d_inbox.render.dates import parse_time

if TYPE_CHECKING:  # the wire models are only read here (pydantic loads with the client)
    from o2d_inbox.api.models import Campaign, Message, ThreadMessages

PENDING_INTENT_STATES = ("scheduled", "sending", "accepted")
SNIPPET_CHARS = 300
_CHUNK = 500  # ids per IN (...) query, well under SQLite's variable limit
#: Rows per multi-row INSERT (_insert_rows): 500 threads bind 9,500 values, within SQLite's
#: default limit of 32,766 (an older SQLite's lower limit is read from the connection).
INSERT_ROWS = 500

# Columns the server's thread list decides (plus the derived relevant/needs_reply/mailbox).
_THREAD_COLS = (
    "external_thread_id",
    "subject",
    "subject_display",
    "last_from",
    "last_date",
    "last_ts",
    "last_snippet",
    "is_warming",
    "is_postmaster",
    "message_count",
    "reply_intent",
    "campaign_id",
    "relevant",
    "needs_reply",
    "mailbox",
)
_INSERT_COLS = ("id", *_THREAD_COLS, "unread", "walk_gen", "synced_at")
_UPDATE_THREAD = (
    f"UPDATE threads SET {', '.join(c + ' = ?' for c in _THREAD_COLS)}, unread = ?, walk_gen = ?, "
    "synced_at = ? WHERE id = ?"
)
_MESSAGE_COLS = (
    "id",
    "thread_id",
    "message_id",
    "from_email",
    "to_emails",
    "cc_emails",
    "subject",
    "date_received",
    "ts",
    "body_text",
    "body_html",
    "is_incoming",
    "folder",
)


# --- small helpers --------------------------------------------------------------------------


def iso(dt: datetime | None) -> str | None:
    """Aware datetime → ISO-8601 UTC with a Z (microseconds kept only when present)."""
    if dt is None:
        return None
    if dt.tzinfo is not timezone.utc:  # the wire models' dates are UTC already: no copy for them
        dt = dt.astimezone(timezone.utc)
    return dt.isoformat().replace("+00:00", "Z")


def epoch(dt: datetime | None) -> int:
    """Epoch seconds for ordering (last_ts, ts), clamped (schema.clamp_ts): a date before 1970
    sorts as the oldest, with the unknown ones (0), one after 2106 as the newest. The date as
    received is kept beside it (last_date, date_received) for display."""
    return clamp_ts(int(dt.timestamp())) if dt is not None else 0


def _horizon(synced_at: str) -> datetime:
    """The latest date that may move the watermark: FUTURE_SLACK after ``synced_at`` (now if
    that cannot be read)."""
    return (parse_time(synced_at) or datetime.now(timezone.utc)) + FUTURE_SLACK


def now_iso() -> str:
    return iso(datetime.now(timezone.utc).replace(microsecond=0)) or ""


def _chunks(seq: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def _lower(address: str | None) -> str | None:
    return address.strip().lower() if address else None


def get_state(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def set_state(conn: sqlite3.Connection, key: str, value: str | None) -> None:
    if value is None:
        conn.execute("DELETE FROM sync_state WHERE key = ?", (key,))
    else:
        conn.execute(
            "INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


def get_json_state(conn: sqlite3.Connection, key: str) -> Any:
    raw = get_state(conn, key)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def set_json_state(conn: sqlite3.Connection, key: str, value: Any) -> None:
    set_state(conn, key, None if value is None else json.dumps(value, separators=(",", ":")))


def known_mailboxes(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT address FROM mailboxes")}


#: Local parts of robots: a bounce or a delivery report waits for nobody's answer and is
#: never the thread's prospect.
AUTOMATED_LOCAL_PARTS = frozenset(
    {
        "mailer-daemon",
        "postmaster",
        "noreply",
        "no-reply",
        "donotreply",
        "do-not-reply",
    }
)


def is_automated(address: str | None) -> bool:
    local = (address or "").lower().partition("@")[0]
    return local in AUTOMATED_LOCAL_PARTS


def needs_reply(last_from: str | None, mailbox: str | None, mailboxes: set[str]) -> int:
    """1 when the last message came from a person who is not us (0 while nothing is known)."""
    return _needs_reply(_lower(last_from), mailbox, mailboxes)


def _needs_reply(sender: str | None, mailbox: str | None, mailboxes: set[str]) -> int:
    """``needs_reply`` of a sender already lowered (_lower)."""
    if not sender or is_automated(sender):
        return 0
    return int(sender not in mailboxes and sender != mailbox)


def pending_intent_threads(conn: sqlite3.Connection, ids: Sequence[str]) -> set[str]:
    """Threads among ``ids`` whose intent the user changed and the server has not confirmed."""
    marks = ",".join("?" * len(PENDING_INTENT_STATES))
    out: set[str] = set()
    for chunk in _chunks(list(ids)):
        out.update(
            row[0]
            for row in conn.execute(
                f"SELECT DISTINCT thread_id FROM outbox WHERE kind = 'intent' AND state IN ({marks}) "
                f"AND thread_id IN ({','.join('?' * len(chunk))})",
                (*PENDING_INTENT_STATES, *chunk),
            )
        )
    return out


# --- mailboxes ------------------------------------------------------------------------------


def learn_mailboxes(conn: sqlite3.Connection, addresses: Iterable[str | None], source: str) -> set[str]:
    """Record our own addresses; threads whose last sender is one of the new ones stop
    needing a reply (and learn their mailbox). Returns the addresses that were new."""
    wanted = {a for a in (_lower(x) for x in addresses) if a}
    if not wanted:
        return set()
    new = wanted - known_mailboxes(conn)
    if not new:
        return set()
    conn.executemany(
        "INSERT OR IGNORE INTO mailboxes (address, source) VALUES (?, ?)", [(a, source) for a in sorted(new)]
    )
    marks = ",".join("?" * len(new))
    # A rare full scan (once per newly learned address batch; our mailboxes are few).
    conn.execute(
        f"UPDATE threads SET needs_reply = 0, mailbox = coalesce(mailbox, lower(last_from)) "
        f"WHERE lower(last_from) IN ({marks}) AND (needs_reply = 1 OR mailbox IS NULL)",
        sorted(new),
    )
    return new


def mailbox_candidates(conn: sqlite3.Connection, *, min_threads: int = 2, limit: int = 30) -> list[tuple[str, str]]:
    """(address, one of its threads) for the most frequent last senders not known to be ours,
    among threads said to need a reply: our own mailboxes are such senders (each writes to
    many prospects), so fetching one of their threads' messages settles the question. A
    sender with a thread whose messages were fetched is settled already: not ours."""
    rows = conn.execute(
        "SELECT lower(last_from) AS a, max(id) FROM threads WHERE needs_reply = 1 AND relevant = 1 "
        "AND last_from IS NOT NULL GROUP BY a "
        "HAVING count(*) >= ? AND max(messages_fetched_count IS NOT NULL) = 0 "
        "ORDER BY count(*) DESC LIMIT ?",
        (min_threads, limit),
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


# --- threads --------------------------------------------------------------------------------

#: How far past our clock a date may be and still move the sync watermark (UpsertStats.newest):
#: the server's clock may be ahead of ours, but a message dated years ahead (a server bug)
#: would otherwise make every later incremental sync ask for changes since that date.
FUTURE_SLACK = timedelta(days=1)


@dataclass
class UpsertStats:
    new: int = 0
    changed: int = 0
    # newest last_message.date_received on the page (server time), dates more than
    # FUTURE_SLACK after ``synced_at`` left out
    newest: datetime | None = None
    # threads where a prospect's reply arrived (new, or grown) and the thread is interested
    interested: list[str] = field(default_factory=list)


def upsert_threads(
    conn: sqlite3.Connection,
    threads: Sequence[dict[str, Any]],
    *,
    walk_gen: int,
    synced_at: str,
    mailboxes: set[str] | None = None,
) -> UpsertStats:
    """Insert new threads, update changed ones, stamp every one with ``walk_gen``.

    ``threads`` are api/models.ThreadData dicts (a page validated as plain data; every field
    present). Reads the rows it replaces first (one indexed query per 500 ids) so that only
    new or changed rows are written: a reconcile of an unchanged cache touches walk_gen alone.
    """
    stats = UpsertStats()
    by_id: dict[str, dict[str, Any]] = {t["id"]: t for t in threads}  # a repeated id: the last one wins
    if not by_id:
        return stats
    ids = list(by_id)
    mailboxes = known_mailboxes(conn) if mailboxes is None else mailboxes
    horizon = _horizon(synced_at)
    existing: dict[str, sqlite3.Row | tuple] = {}
    cols = ", ".join(_THREAD_COLS)
    for chunk in _chunks(ids):
        for row in conn.execute(
            f"SELECT id, {cols}, unread, walk_gen FROM threads WHERE id IN ({','.join('?' * len(chunk))})",
            chunk,
        ):
            existing[row[0]] = tuple(row)
    pending = pending_intent_threads(conn, ids) if existing else set()

    inserts: list[tuple] = []
    updates: list[tuple] = []
    stamps: list[str] = []
    n = len(_THREAD_COLS)
    i_intent, i_mailbox = 1 + _THREAD_COLS.index("reply_intent"), 1 + _THREAD_COLS.index("mailbox")
    i_count, i_ts = 1 + _THREAD_COLS.index("message_count"), 1 + _THREAD_COLS.index("last_ts")
    newest = None
    # The hot loop of a sync (100,000 threads in a first one): iso / epoch / _needs_reply
    # inlined, since a call per field per thread cost as much as the rest of the row.
    for tid, t in by_id.items():
        lm = t["last_message"]
        received = None
        if lm is None:
            last_from = sender = date = snippet = None
        else:
            last_from, received, body = lm["from_email"], lm["date_received"], lm["body_text"]
            sender = last_from.strip().lower() if last_from else None
            snippet = body[:SNIPPET_CHARS] if body else None
            date = None
        ts = 0
        if received is not None:
            if received <= horizon and (newest is None or received > newest):
                newest = received
            # the wire models' dates are UTC already (api/models._utc): iso() without its checks
            date = received.isoformat().replace("+00:00", "Z") if received.tzinfo is timezone.utc else iso(received)
            ts = int(received.timestamp())
            if not 0 <= ts <= FTS_TOP:
                ts = clamp_ts(ts)
        old = existing.get(tid)
        intent = t["replyIntent"]
        mailbox = None
        if old is not None:
            if tid in pending:
                intent = old[i_intent]
            mailbox = old[i_mailbox]
        if mailbox is None and sender in mailboxes:
            mailbox = sender
        # _needs_reply(sender, mailbox, mailboxes), sender lowered already
        needs = (
            0
            if not sender or sender.partition("@")[0] in AUTOMATED_LOCAL_PARTS
            else int(sender not in mailboxes and sender != mailbox)
        )
        warming, postmaster = t["is_warming"], t["is_postmaster"]
        values = (
            t["external_thread_id"],
            t["subject"],
            t["subject_display"],
            last_from,
            date,
            ts,
            snippet,
            int(warming),
            int(postmaster),
            t["message_count"],
            intent,
            t["campaignId"],
            int(not (warming or postmaster)),
            needs,
            mailbox,
        )
        grew = False
        if old is None:
            inserts.append((tid, *values, 1, walk_gen, synced_at))
        elif values != old[1 : n + 1]:
            grew = t["message_count"] > old[i_count] or ts > old[i_ts]
            grew = grew and bool(needs)  # our own reply: the thread stays read
            updates.append((*values, 1 if grew else old[n + 1], walk_gen, synced_at, tid))
        elif old[n + 2] != walk_gen:
            stamps.append(tid)
        if (old is None or grew) and intent == "interested" and needs and not (warming or postmaster):
            stats.interested.append(tid)
    stats.new, stats.changed, stats.newest = len(inserts), len(updates), newest
    # Count deltas in Python (four trigger upserts per row cost more than the row itself);
    # outside a transaction the triggers do it, as for every other writer.
    manual = conn.in_transaction and bool(inserts or updates)
    if manual:
        # by distinct (relevant, intent, mailbox, campaign): a few dozen, not a call per row
        views: Counter[tuple] = Counter(map(_COUNTED_IN_ROW, inserts))
        # by stats_days bucket (campaign, mailbox, intent, relevance, day)
        buckets: Counter[tuple] = Counter(stats_bucket(*_BUCKET_IN_ROW(row)) for row in inserts)
        for row in updates:
            old = existing[row[-1]]
            new_key, old_key = _COUNTED_IN_VALUES(row), _COUNTED_IN_ROW(old)
            if new_key != old_key:
                views[new_key] += 1
                views[old_key] -= 1
            new_key, old_key = stats_bucket(*_BUCKET_IN_VALUES(row)), stats_bucket(*_BUCKET_IN_ROW(old))
            if new_key != old_key:
                buckets[new_key] += 1
                buckets[old_key] -= 1
        delta: dict[tuple[str, str], list[int]] = {}
        for key, times in views.items():
            if times:
                _count_views(delta, key, times)
        conn.execute("INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, '1')", (COUNTS_BY_WRITER_KEY,))
    if inserts:
        _insert_rows(conn, "threads", _INSERT_COLS, inserts)
    if updates:
        conn.executemany(_UPDATE_THREAD, updates)
    if manual:
        conn.execute("DELETE FROM sync_state WHERE key = ?", (COUNTS_BY_WRITER_KEY,))
        counted = [(k, key, r, c) for (k, key), (r, c) in delta.items() if r or c]
        _insert_rows(conn, "view_counts", _COUNT_COLS, counted, tail=_ADD_COUNTS)
        _insert_rows(conn, "stats_days", _STATS_COLS, [(*key, n) for key, n in buckets.items() if n], tail=_ADD_STATS)
        # only buckets with threads have a row (as the triggers keep it)
        conn.executemany(_DROP_EMPTY_STATS, [key for key, n in buckets.items() if n < 0])
    for chunk in _chunks(stamps):
        conn.execute(f"UPDATE threads SET walk_gen = ? WHERE id IN ({','.join('?' * len(chunk))})", (walk_gen, *chunk))
    return stats


_COUNTED = tuple(_THREAD_COLS.index(c) for c in COUNTED_COLUMNS)
_COUNTED_IN_VALUES = itemgetter(*_COUNTED)  # of an update's row (values first)
_COUNTED_IN_ROW = itemgetter(*(1 + i for i in _COUNTED))  # of an insert's row or a cached one (id first)
_BUCKET = tuple(_THREAD_COLS.index(c) for c in ("campaign_id", "mailbox", "reply_intent", "relevant", "last_ts"))
_BUCKET_IN_VALUES = itemgetter(*_BUCKET)  # stats_bucket's arguments, as _COUNTED_IN_*
_BUCKET_IN_ROW = itemgetter(*(1 + i for i in _BUCKET))
_STATS_COLS = ("campaign_id", "mailbox", "reply_intent", "relevant", "day", "threads")
_ADD_STATS = (  # _insert_rows' tail: added to the day's row
    "ON CONFLICT (campaign_id, mailbox, reply_intent, relevant, day) DO UPDATE SET threads = threads + excluded.threads"
)
_DROP_EMPTY_STATS = (
    "DELETE FROM stats_days WHERE campaign_id = ? AND mailbox = ? AND reply_intent = ? AND relevant = ? AND day = ? "
    "AND threads = 0"
)
_COUNT_COLS = ("kind", "key", "relevant_count", "full_count")
_ADD_COUNTS = (  # _insert_rows' tail: added to the view's row
    "ON CONFLICT (kind, key) DO UPDATE SET relevant_count = relevant_count + excluded.relevant_count, "
    "full_count = full_count + excluded.full_count"
)


def _count_views(delta: dict[tuple[str, str], list[int]], key: tuple, times: int) -> None:
    """Add ``times`` × a thread whose schema.COUNTED_COLUMNS (relevant, reply_intent, mailbox,
    campaign_id) are ``key`` to each view it is in; the same views as schema.view_rows,
    which the triggers use."""
    rel, intent, mailbox, campaign = key
    views = [("all", ""), ("intent", intent or "")]
    if mailbox is not None:
        views.append(("mailbox", mailbox))
    if campaign is not None:
        views.append(("campaign", campaign))
    for view in views:
        entry = delta.get(view)
        if entry is None:
            delta[view] = [rel * times, times]
        else:
            entry[0] += rel * times
            entry[1] += times


def _insert_rows(
    conn: sqlite3.Connection,
    table: str,
    columns: Sequence[str],
    rows: list[tuple],
    *,
    verb: str = "INSERT",
    tail: str = "",
) -> None:
    """``rows`` into ``table``, as many per ``verb`` … VALUES (…), (…) ``tail`` as SQLite binds
    at once (``tail``: an upsert's ON CONFLICT clause).

    Not executemany: it runs its statement once per row, and sqlite3 lets go of the
    interpreter lock around every run; while the event loop validates pages, each hand-over
    waits for the loop's time slice. Replaying a first walk's 100,000 threads beside a thread
    validating pages: 3.8 → 3.3 s (beside one that never sleeps: 26 → 3 s); alone, 1.5 → 1.3 s
    CPU. A statement of many rows also pays the table's trigger set-up once, not per row."""
    per = max(1, min(INSERT_ROWS, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(columns)))
    head = f"{verb} INTO {table} ({', '.join(columns)}) VALUES "
    one = f"({', '.join('?' * len(columns))})"
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        conn.execute(f"{head}{', '.join([one] * len(chunk))} {tail}", list(chain.from_iterable(chunk)))


# --- bulk load (the first walk into an empty cache) -----------------------------------------
# An empty cache is filled without the search triggers (schema.py SEARCH) and without
# the threads' list indexes: maintaining them row by row cost ~2/3 of a first sync's writes,
# building them once at the end (CREATE INDEX sorts; FTS5 'rebuild') a fraction of that.
# What was dropped is stored with the walk (sync_state, same transaction), so a walk killed
# midway still knows what to restore when it finishes (the next sync resumes it).
# Meanwhile search finds nothing new and the list queries scan instead of seeking
# (queries.py names an index only while it exists); counts are unaffected.

BULK_TRIGGERS = "trg_search_%"
_FTS_TABLES = ("search_threads", "search_messages")
#: Bytes of terms FTS5 holds in memory before it writes them out as a segment (its default:
#: 1 MB, after which it spends as long merging segments as tokenizing). Rebuilding the index of
#: 100,000 threads: 0.87 s CPU at 1 MB, 0.53 s at 8 MB (+10 MB peak RSS), 0.49 s at 16 MB
#: (+20 MB). A setting of the search table (kept in its config): every large write to it
#: gains; a small one writes its terms out at its commit anyway.
FTS_HASH_BYTES = 8 * 2**20


def bulk_begin(conn: sqlite3.Connection, *, indexes: bool = True) -> list[list[str]]:
    """Drop the search triggers and (``indexes``) the threads' own indexes (not its primary
    key, nor the LOCAL_ONLY_INDEXES no sync insert enters); returns [[name, sql], …] for
    ``bulk_end``. The search index is the dearer of the two to keep current row by row, and
    the cheaper to build at the end: a walk drops it first."""
    kept = ", ".join(f"'{name}'" for name in LOCAL_ONLY_INDEXES)
    also = (
        f" OR (type = 'index' AND tbl_name = 'threads' AND sql IS NOT NULL AND name NOT IN ({kept}))" if indexes else ""
    )
    saved = [
        [r[0], r[1]]
        for r in conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE (type = 'trigger' AND name LIKE ?){also} ORDER BY type, name",
            (BULK_TRIGGERS,),
        )
    ]
    for name, sql in saved:
        kind = "INDEX" if _is_index(sql) else "TRIGGER"
        conn.execute(f'DROP {kind} IF EXISTS "{name}"')
    return saved


def _is_index(sql: str) -> bool:
    return sql.split(None, 2)[1].upper() in ("INDEX", "UNIQUE")


def bulk_end(conn: sqlite3.Connection, saved: Sequence[Sequence[str]]) -> None:
    """Build the indexes ``bulk_begin`` dropped, recreate its triggers and index everything
    cached meanwhile for search. If a migration made search triggers again since (a new
    cache version opened the cache mid-walk), its set is the one that counts: none of the
    saved ones comes back beside it; likewise an index of the same name is kept."""
    existing = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    for name, sql in saved:
        if _is_index(sql) and name not in existing:
            conn.execute(sql)
    if (
        conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name LIKE ?", (BULK_TRIGGERS,)).fetchone()
        is None
    ):
        for _, sql in saved:
            if not _is_index(sql):
                conn.execute(sql)
    for fts in _FTS_TABLES:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (fts,)).fetchone():
            try:
                conn.execute(f"INSERT INTO {fts} ({fts}, rank) VALUES ('hashsize', ?)", (FTS_HASH_BYTES,))
            except sqlite3.OperationalError:
                pass  # an FTS5 without the setting (it is not in FTS5's documented list) builds at 1 MB
            conn.execute(f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')")


def delete_unseen(conn: sqlite3.Connection, walk_gen: int) -> int:
    """After a complete walk: drop threads (and their messages) the walk did not see. One scan
    of the threads finds them (usually none); they go by id."""
    unseen = [r[0] for r in conn.execute("SELECT id FROM threads WHERE walk_gen < ?", (walk_gen,))]
    for chunk in _chunks(unseen):
        marks = ",".join("?" * len(chunk))
        conn.execute(f"DELETE FROM messages WHERE thread_id IN ({marks})", chunk)
        conn.execute(f"DELETE FROM threads WHERE id IN ({marks})", chunk)
    return len(unseen)


def delete_thread(conn: sqlite3.Connection, thread_id: str) -> int:
    conn.execute("DELETE FROM messages WHERE thread_id = ?", (thread_id,))
    return conn.execute("DELETE FROM threads WHERE id = ?", (thread_id,)).rowcount


def threads_needing_messages(
    conn: sqlite3.Connection, ids: Sequence[str] | None = None, *, include_unfetched: bool
) -> list[str]:
    """Threads whose cached messages are stale (message_count moved since they were fetched);
    with ``include_unfetched`` also those never fetched. ``ids`` limits the check."""
    stale = (
        "messages_fetched_count IS NOT message_count"
        if include_unfetched
        else "messages_fetched_count IS NOT NULL AND messages_fetched_count != message_count"
    )
    if ids is None:
        return [r[0] for r in conn.execute(f"SELECT id FROM threads WHERE {stale} ORDER BY last_ts DESC, id DESC")]
    out: list[str] = []
    for chunk in _chunks(list(ids)):
        out.extend(
            r[0]
            for r in conn.execute(
                f"SELECT id FROM threads WHERE id IN ({','.join('?' * len(chunk))}) AND {stale}", chunk
            )
        )
    return out


# --- messages -------------------------------------------------------------------------------


def _message_row(thread_id: str, m: Message) -> tuple:
    return (
        m.id,
        thread_id,
        m.message_id,
        m.from_email,
        json.dumps(m.to_emails),
        json.dumps(m.cc_emails),
        m.subject,
        iso(m.date_received),
        epoch(m.date_received),
        m.body_text,
        m.body_html,
        int(m.is_incoming),
        m.folder,
    )


def thread_mailbox(messages: Sequence[Message]) -> str | None:
    """Our side of a conversation: the first outgoing sender, else the first incoming
    message's first recipient (oldest first); None when the messages do not say."""
    return _lower(next((m.from_email for m in messages if not m.is_incoming and m.from_email), None)) or _lower(
        next((m.to_emails[0] for m in messages if m.is_incoming and m.to_emails), None)
    )


def store_messages(conn: sqlite3.Connection, thread_id: str, tm: ThreadMessages) -> int:
    """Replace a thread's messages with the server's list; learn our mailboxes, the thread's
    mailbox and prospect; the thread's intent / campaign / last message follow. Returns the
    number of messages stored."""
    msgs = sorted(tm.messages, key=lambda m: (epoch(m.date_received), m.id))
    conn.execute("DELETE FROM messages WHERE thread_id = ?", (thread_id,))
    _insert_rows(conn, "messages", _MESSAGE_COLS, [_message_row(thread_id, m) for m in msgs], verb="INSERT OR REPLACE")

    outgoing = [m for m in msgs if not m.is_incoming]
    incoming = [m for m in msgs if m.is_incoming]
    learn_mailboxes(conn, [m.from_email for m in outgoing] + [a for m in incoming for a in m.to_emails], "messages")

    row = conn.execute(
        "SELECT message_count, last_ts, reply_intent, campaign_id, mailbox, prospect, last_from, unread "
        "FROM threads WHERE id = ?",
        (thread_id,),
    ).fetchone()
    if row is None:  # messages of a thread the list has not shown yet: the next sync adds it
        return len(msgs)
    count, last_ts, intent, campaign, mailbox, prospect, last_from, unread = tuple(row)
    mailbox = mailbox or thread_mailbox(msgs)
    if is_automated(prospect):  # learned from a bounce before: the person is who we wrote to
        prospect = None
    prospect = (
        prospect
        or _lower(next((m.from_email for m in incoming if m.from_email and not is_automated(m.from_email)), None))
        or _lower(next((m.to_emails[0] for m in outgoing if m.to_emails), None))
    )
    if not pending_intent_threads(conn, [thread_id]):
        intent = tm.replyIntent
    campaign = tm.campaignId or campaign
    newest = msgs[-1] if msgs else None
    fields: dict[str, Any] = {}
    if newest is not None and (len(msgs) > count or epoch(newest.date_received) > last_ts):
        # The conversation moved on since the list last showed it.
        last_from = newest.from_email
        fields.update(
            message_count=max(count, len(msgs)),
            last_from=last_from,
            last_date=iso(newest.date_received),
            last_ts=max(last_ts, epoch(newest.date_received)),
            last_snippet=(newest.body_text or "")[:SNIPPET_CHARS] or None,
            unread=1 if newest.is_incoming else unread,  # our own reply: still read
        )
    fields.update(
        mailbox=mailbox,
        prospect=prospect,
        reply_intent=intent,
        campaign_id=campaign,
        needs_reply=needs_reply(last_from, mailbox, known_mailboxes(conn)),
        messages_fetched_count=fields.get("message_count", count),
    )
    conn.execute(
        f"UPDATE threads SET {', '.join(k + ' = ?' for k in fields)} WHERE id = ?", (*fields.values(), thread_id)
    )
    return len(msgs)


# --- campaigns, counts ----------------------------------------------------------------------


def upsert_campaigns(conn: sqlite3.Connection, campaigns: Iterable[Campaign], fetched_at: str) -> int:
    rows = [(c.id, c.name, c.status, fetched_at) for c in campaigns]
    conn.executemany(
        "INSERT INTO campaigns (id, name, status, fetched_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET name = excluded.name, status = excluded.status, "
        "fetched_at = excluded.fetched_at",
        rows,
    )
    return len(rows)


def refresh_counts(conn: sqlite3.Connection) -> None:
    """Rebuild view_counts from threads, O(cache): a repair tool for tests and benchmarks
    (triggers keep them right). Joins the caller's transaction or runs in its own."""
    with transaction(conn):
        conn.execute("DELETE FROM view_counts")
        conn.execute(RECOUNT_SQL)
