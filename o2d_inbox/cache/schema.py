"""The cache's schema as it is now: tables, indexes, views and the triggers that keep the
counts and the search index. A new cache is created from it directly (create_schema); a cache
written by an older o2d-inbox is brought here step by step (cache/migrations.py).

``PRAGMA user_version`` is the format: SCHEMA_VERSION for a cache that has all of this.

Times are stored twice where a list sorts on them: ISO-8601 UTC text as received (for
display / JSON) and an integer epoch-seconds column (for ordering and indexes).

Conventions that every layer relies on:
- threads.reply_intent NULL means "unclassified"; unknown server values are stored as-is.
- threads.relevant = 1 unless warming, postmaster (computed locally; see docs/api-notes.md).
- threads.needs_reply = 1 when the last message is not from one of our mailboxes.
- threads.mailbox is learned (see docs/api-notes.md), NULL while unknown.
- Sync never writes the local_* columns (done / snooze / note live with the user).
- threads.last_ts DESC, id DESC is the list order ("newest first"); the needs-reply queue
  sorts last_ts ASC (oldest wait first). Every list query is keyset-paginated on (last_ts, id).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

#: The cache format this schema is (the number of migrations.MIGRATIONS).
SCHEMA_VERSION = 16

# --- tables ----------------------------------------------------------------------------------

TABLES: dict[str, str] = {
    "threads": """
        CREATE TABLE IF NOT EXISTS threads (
            id TEXT PRIMARY KEY,
            external_thread_id TEXT,
            subject TEXT,
            subject_display TEXT,
            last_from TEXT,                 -- last_message.from_email
            last_date TEXT,                 -- last_message.date_received, ISO UTC
            last_ts INTEGER NOT NULL DEFAULT 0,  -- same, epoch seconds (0 if unknown)
            last_snippet TEXT,              -- last_message.body_text, first 300 chars
            is_warming INTEGER NOT NULL DEFAULT 0,
            is_postmaster INTEGER NOT NULL DEFAULT 0,
            message_count INTEGER NOT NULL DEFAULT 0,
            reply_intent TEXT,              -- NULL = unclassified
            campaign_id TEXT,
            mailbox TEXT,                   -- our mailbox address for this thread, learned
            prospect TEXT,                  -- the other party's address, learned
            relevant INTEGER NOT NULL DEFAULT 1,
            needs_reply INTEGER NOT NULL DEFAULT 0,
            unread INTEGER NOT NULL DEFAULT 0,   -- changed by a sync since the user last opened it
            messages_fetched_count INTEGER,      -- message_count when messages were last fetched
            walk_gen INTEGER NOT NULL DEFAULT 0, -- reconcile generation that last saw it
            synced_at TEXT,                      -- server-side time of the upsert's page
            local_done INTEGER NOT NULL DEFAULT 0,
            local_snoozed_until INTEGER,         -- epoch seconds, NULL = not snoozed
            local_note TEXT
        )
        """,
    "messages": """
        CREATE TABLE IF NOT EXISTS messages (
            id TEXT PRIMARY KEY,
            thread_id TEXT NOT NULL,
            message_id TEXT,
            from_email TEXT,
            to_emails TEXT,                 -- JSON list
            cc_emails TEXT,                 -- JSON list
            subject TEXT,
            date_received TEXT,
            ts INTEGER NOT NULL DEFAULT 0,
            body_text TEXT,
            body_html TEXT,
            is_incoming INTEGER NOT NULL DEFAULT 0,
            folder TEXT
        )
        """,
    "mailboxes": """
        CREATE TABLE IF NOT EXISTS mailboxes (
            address TEXT PRIMARY KEY,       -- lower-case
            source TEXT                     -- 'messages' | 'config' | 'api'
        )
        """,
    "campaigns": """
        CREATE TABLE IF NOT EXISTS campaigns (
            id TEXT PRIMARY KEY,
            name TEXT,
            status TEXT,
            fetched_at TEXT
        )
        """,
    "sync_state": """
        CREATE TABLE IF NOT EXISTS sync_state (
            key TEXT PRIMARY KEY,
            value TEXT
        )
        """,
    # Per-view counts, kept by the triggers below (cheap at 1,000,000 threads).
    # kind: 'all' | 'needs' | 'intent' | 'mailbox' | 'campaign' | 'done' | 'snoozed'; key ''
    # for all/needs/done/snoozed, the intent ('' for unclassified), mailbox or campaign id.
    "view_counts": """
        CREATE TABLE IF NOT EXISTS view_counts (
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            relevant_count INTEGER NOT NULL DEFAULT 0,
            full_count INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (kind, key)
        )
        """,
    "outbox": """
        CREATE TABLE IF NOT EXISTS outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,             -- 'reply' | 'forward' | 'new' | 'intent' | 'suppress'
            thread_id TEXT,                 -- NULL for 'new' until the server answers
            state TEXT NOT NULL,            -- draft|scheduled|sending|accepted|sent|failed|cancelled
            idempotency_key TEXT NOT NULL UNIQUE,
            payload TEXT NOT NULL,          -- JSON request body as it will be sent
            prev_value TEXT,                -- for 'intent': the intent before, for revert/undo
            created_at REAL NOT NULL,       -- epoch seconds (local clock: only for the undo window / age)
            updated_at REAL NOT NULL,
            send_after REAL,                -- end of the undo window
            next_attempt_at REAL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            operation_id TEXT,
            operation_status TEXT,
            server_message_id TEXT,
            server_thread_id TEXT,
            accepted_at REAL                -- when the server accepted it (polling stops a day later)
        )
        """,
    # The server's suppression status per address, cached so compose can warn offline
    # (outbox/compliance.py; addresses lower-case, checked_at epoch seconds).
    "suppression_status": """
        CREATE TABLE IF NOT EXISTS suppression_status (
            email TEXT PRIMARY KEY,
            suppressed INTEGER NOT NULL,
            reason TEXT,
            checked_at REAL NOT NULL
        )
        """,
    # Threads per UTC day of their latest message and (campaign, mailbox, intent, relevance),
    # kept exact by the stats triggers below: the reply stats (cache/stats.py) sum these
    # (tens of thousands of rows at 1,000,000 threads) instead of counting index entries.
    # '' stands for NULL (no campaign, mailbox unknown, unclassified): a primary key column
    # cannot be NULL. Only buckets with threads have a row.
    "stats_days": """
        CREATE TABLE IF NOT EXISTS stats_days (
            campaign_id TEXT NOT NULL,
            mailbox TEXT NOT NULL,
            reply_intent TEXT NOT NULL,
            relevant INTEGER NOT NULL,
            day INTEGER NOT NULL,           -- last_ts / 86400
            threads INTEGER NOT NULL,
            PRIMARY KEY (campaign_id, mailbox, reply_intent, relevant, day)
        ) WITHOUT ROWID
        """,
    # GET /campaigns/{id}/stats as last fetched (sync/campaign_stats.py), so rates work offline.
    "campaign_stats": """
        CREATE TABLE IF NOT EXISTS campaign_stats (
            campaign_id TEXT PRIMARY KEY,
            status TEXT,
            contacts_total INTEGER,
            contacts_replied INTEGER,
            contacts_bounced INTEGER,
            sends_total INTEGER,
            sends_sent INTEGER,
            sends_failed INTEGER,
            sends_bounced INTEGER,
            sends_replied INTEGER,
            fetched_at TEXT NOT NULL        -- ISO UTC, this machine's clock (the age shown)
        )
        """,
}

# --- local states (written by cache/local.py) -------------------------------------------------
# A thread the user marked done or snoozed (until wake_due() clears the snooze) is "put away":
# it leaves the 'needs' and 'intent' queues (and the intent counts) and is counted in 'done' /
# 'snoozed' instead; 'all', 'mailbox' and 'campaign' keep every thread. The view counts
# triggers (and the sync's own deltas, which know nothing of local state) count every thread;
# the local counts triggers, never switched off, add each put-away thread's correction (-1 in
# its intent view, +1 in done / snoozed), so the sum is right whoever writes.

#: The WHERE term of a queue that hides put-away threads (literal: the partial indexes
#: ix_threads_needs_open / ix_threads_intent_open are chosen only when it appears as is).
LOCAL_OPEN_SQL = "local_done = 0 AND local_snoozed_until IS NULL"
#: Views whose queues hide put-away threads.
LOCAL_HIDING_KINDS = ("needs", "intent")

# --- indexes -----------------------------------------------------------------------------------
# Each list is a range of one index, newest first (``relevant`` first: the Relevant view is
# the default). The open queues (needs reply, by intent) are partial indexes that also cover
# their queries: SQLite 3.40 does not count a partial index's own WHERE columns as covered.
# Reply stats (cache/stats.py) sum stats_days and count index ranges, never GROUP BY over
# rows (a sorter over 1,000,000 rows took seconds): by intent and day on ix_threads_stats_day,
# the oldest waiting reply on ix_threads_stats_waiting; the partial message indexes find the
# prospects' newest replies and, for each, our next message (one seek).

INDEXES: dict[str, str] = {
    "ix_threads_all": "CREATE INDEX IF NOT EXISTS ix_threads_all ON threads (relevant, last_ts DESC, id DESC)",
    "ix_threads_all_full": "CREATE INDEX IF NOT EXISTS ix_threads_all_full ON threads (last_ts DESC, id DESC)",
    "ix_threads_mailbox": "CREATE INDEX IF NOT EXISTS ix_threads_mailbox "
    "ON threads (mailbox, relevant, last_ts DESC, id DESC)",
    "ix_threads_campaign": "CREATE INDEX IF NOT EXISTS ix_threads_campaign "
    "ON threads (campaign_id, relevant, last_ts DESC, id DESC)",
    "ix_messages_thread": "CREATE INDEX IF NOT EXISTS ix_messages_thread ON messages (thread_id, ts, id)",
    "ix_outbox_state": "CREATE INDEX IF NOT EXISTS ix_outbox_state ON outbox (state, next_attempt_at)",
    "ix_outbox_thread": "CREATE INDEX IF NOT EXISTS ix_outbox_thread ON outbox (thread_id, id)",
    # Needs reply holds the interested, neutral and unclassified threads only
    # (queries.needs_reply_sql), grouped by intent: reply_intent before last_ts makes each
    # intent one covering range (without it, counting the queue read every waiting thread's
    # row: 1.2 s at 1,000,000 threads).
    "ix_threads_needs_open": "CREATE INDEX IF NOT EXISTS ix_threads_needs_open ON threads "
    "(needs_reply, relevant, reply_intent, last_ts, id, local_done, local_snoozed_until) "
    f"WHERE {LOCAL_OPEN_SQL}",
    # Search reads the private notes (few) through their own index, not every thread's row.
    "ix_threads_noted": "CREATE INDEX IF NOT EXISTS ix_threads_noted ON threads (last_ts DESC, id DESC) "
    "WHERE local_note IS NOT NULL",
    "ix_threads_intent_open": "CREATE INDEX IF NOT EXISTS ix_threads_intent_open ON threads "
    "(reply_intent, relevant, last_ts DESC, id DESC, local_done, local_snoozed_until) "
    f"WHERE {LOCAL_OPEN_SQL}",
    "ix_threads_done": "CREATE INDEX IF NOT EXISTS ix_threads_done ON threads (relevant, last_ts DESC, id DESC) "
    "WHERE local_done = 1",
    "ix_threads_snoozed": "CREATE INDEX IF NOT EXISTS ix_threads_snoozed ON threads (local_snoozed_until, id) "
    "WHERE local_snoozed_until IS NOT NULL",
    "ix_threads_stats_day": "CREATE INDEX IF NOT EXISTS ix_threads_stats_day ON threads "
    "(reply_intent, last_ts, campaign_id, mailbox, relevant)",
    # The oldest waiting reply of each (campaign, mailbox, intent, relevance): one seek each.
    "ix_threads_stats_waiting": "CREATE INDEX IF NOT EXISTS ix_threads_stats_waiting ON threads "
    f"(campaign_id, mailbox, reply_intent, relevant, last_ts, id) WHERE needs_reply = 1 AND {LOCAL_OPEN_SQL}",
    "ix_messages_incoming": "CREATE INDEX IF NOT EXISTS ix_messages_incoming "
    "ON messages (ts, thread_id) WHERE is_incoming = 1",
    "ix_messages_outgoing": "CREATE INDEX IF NOT EXISTS ix_messages_outgoing "
    "ON messages (thread_id, ts) WHERE is_incoming = 0",
}

#: Partial indexes that only a thread the user put away or wrote a note on enters (local_*
#: columns, which a sync never sets): a sync's inserts never touch them, so a first sync's
#: bulk load keeps them (building one at its end costs a scan of every thread).
LOCAL_ONLY_INDEXES = ("ix_threads_noted", "ix_threads_done", "ix_threads_snoozed")

# --- view_counts triggers -------------------------------------------------------------------
# Every committed write by any writer (sync, the outbox's optimistic intent change, a TUI
# edit) leaves the counts right. Which views a thread is in: (kind, key) rows; "intent" key ''
# is unclassified. Needs reply has no row: its queue depends on the outbox, which these
# triggers do not follow, so queries.count counts it on ix_threads_needs_open instead (a row
# that nothing read cost every sync write its upkeep).


def view_rows(row: str, sign: str) -> str:
    """SELECT of (kind, key, rel, n) for the views ``row`` (NEW/OLD) is in, signed."""
    r = f"{sign}{row}.relevant"
    n = f"{sign}1"
    return (
        f"SELECT 'all' AS kind, '' AS key, {r} AS rel, {n} AS n"
        f" UNION ALL SELECT 'intent', coalesce({row}.reply_intent, ''), {r}, {n}"
        f" UNION ALL SELECT 'mailbox', {row}.mailbox, {r}, {n} WHERE {row}.mailbox IS NOT NULL"
        f" UNION ALL SELECT 'campaign', {row}.campaign_id, {r}, {n} WHERE {row}.campaign_id IS NOT NULL"
    )


#: While this sync_state key exists (only ever inside the sync engine's own write transaction,
#: so no other writer can see it) the triggers stand aside: writes.upsert_threads applies the
#: page's count deltas itself, in one statement instead of four upserts per row.
COUNTS_BY_WRITER_KEY = "counts_by_writer"
_TRIGGERS_ON = f"NOT EXISTS (SELECT 1 FROM sync_state WHERE key = '{COUNTS_BY_WRITER_KEY}')"


def _view_counts_trigger(name: str, event: str, when: str, rows: str) -> str:
    """A trigger adding the signed (kind, key, rel, n) ``rows`` to view_counts.

    No GROUP BY (a sorter per row; measured in benchmarks/bench_sync.py): an UPDATE's -OLD
    and +NEW rows for the same view are two upserts of the same view_counts row, which nets
    out the same."""
    return f"""
        CREATE TRIGGER IF NOT EXISTS {name} AFTER {event} ON threads WHEN {when}
        BEGIN
            INSERT INTO view_counts (kind, key, relevant_count, full_count)
            SELECT kind, key, rel, n FROM ({rows}) WHERE true
            ON CONFLICT (kind, key) DO UPDATE SET
                relevant_count = relevant_count + excluded.relevant_count,
                full_count = full_count + excluded.full_count;
        END
    """


def _counts_trigger(suffix: str, event: str, when: str, rows: str) -> str:
    cond = _TRIGGERS_ON + (f" AND ({when})" if when else "")
    return _view_counts_trigger(f"trg_view_counts_{suffix}", event, cond, rows)


#: The columns the views depend on (writes.upsert_threads counts its deltas by them too).
COUNTED_COLUMNS = ("relevant", "reply_intent", "mailbox", "campaign_id")


def _changed(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)


def count_triggers(rows: Callable[[str, str], str], columns: tuple[str, ...]) -> list[str]:
    """The view_counts triggers of ``rows`` (view_rows: NEW / OLD, sign), the views a thread is
    in, which depend on ``columns`` only."""
    return [
        _counts_trigger("ins", "INSERT", "", rows("NEW", "+")),
        _counts_trigger("del", "DELETE", "", rows("OLD", "-")),
        _counts_trigger(
            "upd",
            f"UPDATE OF {', '.join(columns)}",
            _changed(columns),
            rows("OLD", "-") + " UNION ALL " + rows("NEW", "+"),
        ),
    ]


COUNT_TRIGGERS = count_triggers(view_rows, COUNTED_COLUMNS)


def _put_away(row: str) -> str:
    return f"({row}.local_done = 1 OR {row}.local_snoozed_until IS NOT NULL)"


def _local_rows(row: str, sign: int) -> str:
    """SELECT of (kind, key, rel, n): the correction ``row`` (NEW/OLD) brings, times ``sign``."""
    away = _put_away(row)
    return (
        f"SELECT 'intent' AS kind, coalesce({row}.reply_intent, '') AS key, {-sign} * {row}.relevant AS rel,"
        f" {-sign} AS n WHERE {away}"
        f" UNION ALL SELECT 'done', '', {sign} * {row}.relevant, {sign} WHERE {row}.local_done = 1"
        f" UNION ALL SELECT 'snoozed', '', {sign} * {row}.relevant, {sign}"
        f" WHERE {row}.local_snoozed_until IS NOT NULL"
    )


def _local_counts_trigger(suffix: str, event: str, when: str, rows: str) -> str:
    return _view_counts_trigger(f"trg_local_counts_{suffix}", event, when, rows)


_GREW = "(NEW.message_count > OLD.message_count OR NEW.last_ts > OLD.last_ts)"


def local_count_triggers(rows: Callable[[str, int], str], columns: tuple[str, ...]) -> list[str]:
    """The local counts triggers of ``rows`` (_local_rows: NEW / OLD, sign), the corrections a
    put-away thread brings, which depend on ``columns`` only."""
    return [
        _local_counts_trigger("ins", "INSERT", _put_away("NEW"), rows("NEW", 1)),
        _local_counts_trigger("del", "DELETE", _put_away("OLD"), rows("OLD", -1)),
        _local_counts_trigger(
            "upd",
            f"UPDATE OF {', '.join(columns)}",
            f"{_put_away('OLD')} OR {_put_away('NEW')}",
            rows("OLD", -1) + " UNION ALL " + rows("NEW", 1),
        ),
    ]


#: The prospect wrote again (the conversation grew and now waits on us): a done or snoozed
#: thread comes back. Sync writes no local_* column; this trigger does it.
BACK_ON_REPLY_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS trg_local_back_on_reply AFTER UPDATE OF message_count, last_ts "
    f"ON threads WHEN {_GREW} AND NEW.needs_reply = 1 AND {_put_away('NEW')} BEGIN "
    "UPDATE threads SET local_done = 0, local_snoozed_until = NULL WHERE id = NEW.id; END"
)

LOCAL_TRIGGERS = [
    *local_count_triggers(_local_rows, ("relevant", "reply_intent", "local_done", "local_snoozed_until")),
    BACK_ON_REPLY_TRIGGER,
]

# --- stats_days triggers ------------------------------------------------------------------
# Whoever writes: one upsert per inserted thread; per deleted one an upsert and the delete of a
# bucket it empties; both per update that moves a thread to another bucket (a newer day,
# another intent…), nothing for the other updates. Like the view_counts triggers, those of
# inserts and updates stand aside while the sync writes a page (COUNTS_BY_WRITER_KEY), whose
# deltas writes.upsert_threads adds per bucket (an upsert per row was a third of the cost of
# inserting a page of new threads). They rely on no writer using INSERT OR REPLACE on threads
# (its implicit delete fires no trigger).

_STATS_BUCKET = ("campaign_id", "mailbox", "reply_intent", "relevant", "day")


def _stats_values(row: str) -> tuple[str, ...]:
    """The bucket of ``row`` (NEW / OLD), in _STATS_BUCKET's order."""
    return (
        f"coalesce({row}.campaign_id, '')",
        f"coalesce({row}.mailbox, '')",
        f"coalesce({row}.reply_intent, '')",
        f"{row}.relevant",
        f"{row}.last_ts / 86400",
    )


def _stats_add(row: str) -> str:
    return (
        f"INSERT INTO stats_days ({', '.join(_STATS_BUCKET)}, threads) VALUES ({', '.join(_stats_values(row))}, 1) "
        f"ON CONFLICT ({', '.join(_STATS_BUCKET)}) DO UPDATE SET threads = threads + 1;"
    )


def _stats_remove(row: str) -> str:
    # An emptied bucket goes: the table holds only buckets with threads (a thread moving to a
    # newer day would otherwise leave a row behind each time).
    where = " AND ".join(f"{c} = {v}" for c, v in zip(_STATS_BUCKET, _stats_values(row)))
    return (
        f"INSERT INTO stats_days ({', '.join(_STATS_BUCKET)}, threads) VALUES ({', '.join(_stats_values(row))}, -1) "
        f"ON CONFLICT ({', '.join(_STATS_BUCKET)}) DO UPDATE SET threads = threads - 1; "
        f"DELETE FROM stats_days WHERE {where} AND threads = 0;"
    )


def stats_triggers(*, aside: bool) -> list[str]:
    """The stats_days triggers; ``aside``: those of inserts and updates stand aside while the
    sync counts its own (format 16; format 14 had them always on)."""
    when = f"WHEN {_TRIGGERS_ON} " if aside else ""
    moved = f"({', '.join(_stats_values('OLD'))}) IS NOT ({', '.join(_stats_values('NEW'))})"
    return [
        f"CREATE TRIGGER IF NOT EXISTS trg_stats_days_ins AFTER INSERT ON threads {when}BEGIN {_stats_add('NEW')} END",
        f"CREATE TRIGGER IF NOT EXISTS trg_stats_days_del AFTER DELETE ON threads BEGIN {_stats_remove('OLD')} END",
        "CREATE TRIGGER IF NOT EXISTS trg_stats_days_upd AFTER UPDATE OF campaign_id, mailbox, reply_intent, relevant, "
        f"last_ts ON threads WHEN {_TRIGGERS_ON + ' AND ' if aside else ''}{moved} BEGIN "
        f"{_stats_remove('OLD')} {_stats_add('NEW')} END",
    ]


STATS_TRIGGERS = stats_triggers(aside=True)


def stats_bucket(campaign_id: str | None, mailbox: str | None, intent: str | None, relevant: int, ts: int) -> tuple:
    """A thread's stats_days bucket (_STATS_BUCKET), as the triggers compute it."""
    return (campaign_id or "", mailbox or "", intent or "", relevant, ts // 86400)


#: stats_days recomputed from scratch (run after DELETE FROM stats_days).
STATS_RECOUNT_SQL = (
    f"INSERT INTO stats_days ({', '.join(_STATS_BUCKET)}, threads) "
    f"SELECT {', '.join(_stats_values('threads'))}, count(*) FROM threads GROUP BY 1, 2, 3, 4, 5"
)

#: view_counts recomputed from scratch (the triggers' ground truth; run after DELETE FROM
#: view_counts). 'intent' leaves put-away threads out.
RECOUNT_SQL = f"""
    INSERT INTO view_counts (kind, key, relevant_count, full_count)
    SELECT 'all', '', coalesce(sum(relevant), 0), count(*) FROM threads
    UNION ALL SELECT 'intent', coalesce(reply_intent, ''), sum(relevant), count(*) FROM threads
        WHERE {LOCAL_OPEN_SQL} GROUP BY coalesce(reply_intent, '')
    UNION ALL SELECT 'mailbox', mailbox, sum(relevant), count(*) FROM threads
        WHERE mailbox IS NOT NULL GROUP BY mailbox
    UNION ALL SELECT 'campaign', campaign_id, sum(relevant), count(*) FROM threads
        WHERE campaign_id IS NOT NULL GROUP BY campaign_id
    UNION ALL SELECT 'done', '', sum(relevant), count(*) FROM threads
        WHERE local_done = 1 GROUP BY local_done
    UNION ALL SELECT 'snoozed', '', sum(relevant), count(*) FROM threads
        WHERE local_snoozed_until IS NOT NULL GROUP BY local_snoozed_until IS NOT NULL
"""

# --- full-text search (queried by cache/search.py) ---------------------------------------------
# Two external-content FTS5 tables, both with the columns (subject, body, sender, recipients):
# search_threads over threads and search_messages over messages (subject, body, from, to +
# cc). Their content tables are views computing those columns, so the FTS 'rebuild' command
# works; the triggers below use the same expressions (an external-content 'delete' must be
# given exactly the values that were indexed).
# A thread's own entry is subject, last snippet and last sender only (recipients empty): the
# learned mailbox / prospect would re-index it on every message fetch, and its messages carry
# those addresses anyway; threads whose messages were never fetched are still found.
# HTML-only bodies: a trigger cannot call Python, so the raw HTML is indexed after a few
# replace()s (common tags, entities); the tokenizer splits on <>/="; so the words of the text
# are found, plus some tag / attribute names (best effort).
# Writers use INSERT or INSERT OR REPLACE on these tables: REPLACE deletes the old row without
# firing delete triggers, so a BEFORE INSERT trigger removes the old row's entry first. (An
# INSERT OR IGNORE of an existing id would lose that row's entry: do not use it here.)
#
# In list order. Measured (benchmarks/bench_search.py, 1,000,000 messages): with FTS rowids =
# table rowids, a common word costs 1-2.5 s (every hit mapped to its thread and sorted, or one
# index probe of ~0.1 ms per thread of the list). FTS5 streams a term's hits in rowid order for
# almost nothing, so here the FTS rowid *is* the list order:
#     (FTS_TOP - last_ts) * FTS_KEY + rowid
# rowid being the thread's own (search_threads) or the message's (search_messages, with its
# thread's last_ts). "Newest first" is ORDER BY rowid (ascending), before:/after: are rowid
# ranges, and a page of a common word reads about a page of hits. Newest first is also the
# order a full sync writes in: FTS5 flushes its pending writes to a new segment whenever a
# rowid is lower than the previous one, and ascending writes were 2.5x cheaper than descending.
# Invariant kept by the triggers: a message is indexed iff its thread row exists, under its
# thread's current last_ts (a thread whose last_ts changes re-keys its messages; a thread
# inserted after its messages indexes them). Assumes rowids < 2**31 and 0 <= last_ts < 2**32:
# every stored time goes through clamp_ts (a date before 1970 or after 2106 from the server
# once made the key overflow to a REAL: "datatype mismatch", and every sync failed).

FTS_KEY = 2147483648  # 2**31 > any rowid: the FTS rowid's low part
FTS_TOP = 4294967295  # 2**32 - 1 >= any last_ts: (FTS_TOP - last_ts) * FTS_KEY + rowid < 2**63


def clamp_ts(ts: int) -> int:
    """Epoch seconds into what the list order and the search keys hold: 0 (1970, also
    "unknown") … FTS_TOP (2106). Earlier dates sort as the oldest, later ones as the newest."""
    return ts if 0 <= ts <= FTS_TOP else min(max(ts, 0), FTS_TOP)


HTML_TEXT = "coalesce({p}body_html, '')"
for _old, _new in (
    ("<br>", " "),
    ("<br/>", " "),
    ("<br />", " "),
    ("<p>", " "),
    ("</p>", " "),
    ("<div>", " "),
    ("</div>", " "),
    ("&nbsp;", " "),
    ("&amp;", "&"),
    ("&#39;", "''"),
    ("&quot;", '"'),
    ("&lt;", " "),
    ("&gt;", " "),
):
    HTML_TEXT = f"replace({HTML_TEXT}, '{_old}', '{_new}')"

FTS_COLUMNS = "subject, body, sender, recipients"
#: Per table: the expressions of the four FTS columns ({p}: the row's prefix, NEW. / OLD. / m.).
FTS_EXPR = {
    "threads": ("coalesce({p}subject, {p}subject_display)", "{p}last_snippet", "{p}last_from", "''"),
    "messages": (
        "{p}subject",
        "CASE WHEN {p}body_text <> '' THEN {p}body_text ELSE " + HTML_TEXT + " END",
        "{p}from_email",
        "coalesce({p}to_emails, '') || ' ' || coalesce({p}cc_emails, '')",
    ),
}
#: Per table: the columns whose change re-indexes a row.
FTS_WATCHED = {
    "threads": ("subject", "subject_display", "last_snippet", "last_from"),
    "messages": ("subject", "body_text", "body_html", "from_email", "to_emails", "cc_emails"),
}


def _fts_key(ts: str, row: str) -> str:
    return f"({FTS_TOP} - {ts}) * {FTS_KEY} + {row}"


def _fts_values(table: str, prefix: str) -> str:
    return ", ".join(e.format(p=prefix) for e in FTS_EXPR[table])


def _fts_ops(table: str, op: str, rid: str, prefix: str, tail: str = "") -> str:
    """One INSERT adding (op 'insert') or removing (op 'delete') entries of ``table``'s FTS."""
    fts = f"search_{table}"
    if op == "delete":
        return (
            f"INSERT INTO {fts} ({fts}, rowid, {FTS_COLUMNS}) SELECT 'delete', {rid}, "
            f"{_fts_values(table, prefix)} {tail};"
        )
    return f"INSERT INTO {fts} (rowid, {FTS_COLUMNS}) SELECT {rid}, {_fts_values(table, prefix)} {tail};"


def _search_objects() -> list[str]:
    t_watched = FTS_WATCHED["threads"]
    m_watched = FTS_WATCHED["messages"] + ("thread_id",)
    t_changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in (*t_watched, "last_ts"))
    m_changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in m_watched)
    msgs_of = "FROM messages AS m WHERE m.thread_id = {p}id"
    return [
        f"CREATE VIEW search_threads_src (rid, {FTS_COLUMNS}) AS "
        f"SELECT {_fts_key('last_ts', 'rowid')}, {_fts_values('threads', '')} FROM threads",
        f"CREATE VIEW search_messages_src (rid, {FTS_COLUMNS}) AS "
        f"SELECT {_fts_key('t.last_ts', 'm.rowid')}, {_fts_values('messages', 'm.')} "
        "FROM messages AS m JOIN threads AS t ON t.id = m.thread_id",
        *(
            f"CREATE VIRTUAL TABLE search_{t} USING fts5({FTS_COLUMNS}, content='search_{t}_src', "
            "content_rowid='rid', tokenize='unicode61 remove_diacritics 2')"
            for t in ("threads", "messages")
        ),
        # threads
        "CREATE TRIGGER trg_search_threads_replace BEFORE INSERT ON threads BEGIN "
        + _fts_ops(
            "messages",
            "delete",
            _fts_key("t.last_ts", "m.rowid"),
            "m.",
            "FROM threads AS t JOIN messages AS m ON m.thread_id = t.id WHERE t.id = NEW.id",
        )
        + _fts_ops("threads", "delete", _fts_key("last_ts", "rowid"), "", "FROM threads WHERE id = NEW.id")
        + " END",
        "CREATE TRIGGER trg_search_threads_ins AFTER INSERT ON threads BEGIN "
        + _fts_ops("threads", "insert", _fts_key("NEW.last_ts", "NEW.rowid"), "NEW.")
        + _fts_ops("messages", "insert", _fts_key("NEW.last_ts", "m.rowid"), "m.", msgs_of.format(p="NEW."))
        + " END",
        "CREATE TRIGGER trg_search_threads_del AFTER DELETE ON threads BEGIN "
        + _fts_ops("threads", "delete", _fts_key("OLD.last_ts", "OLD.rowid"), "OLD.")
        + _fts_ops("messages", "delete", _fts_key("OLD.last_ts", "m.rowid"), "m.", msgs_of.format(p="OLD."))
        + " END",
        f"CREATE TRIGGER trg_search_threads_upd AFTER UPDATE OF {', '.join(t_watched)}, last_ts ON threads "
        f"WHEN {t_changed} BEGIN "
        + _fts_ops("threads", "delete", _fts_key("OLD.last_ts", "OLD.rowid"), "OLD.")
        + _fts_ops("threads", "insert", _fts_key("NEW.last_ts", "NEW.rowid"), "NEW.")
        + " END",
        "CREATE TRIGGER trg_search_threads_rekey AFTER UPDATE OF last_ts ON threads "
        "WHEN OLD.last_ts IS NOT NEW.last_ts BEGIN "
        + _fts_ops("messages", "delete", _fts_key("OLD.last_ts", "m.rowid"), "m.", msgs_of.format(p="OLD."))
        + _fts_ops("messages", "insert", _fts_key("NEW.last_ts", "m.rowid"), "m.", msgs_of.format(p="NEW."))
        + " END",
        # messages
        "CREATE TRIGGER trg_search_messages_replace BEFORE INSERT ON messages BEGIN "
        + _fts_ops(
            "messages",
            "delete",
            _fts_key("t.last_ts", "m.rowid"),
            "m.",
            "FROM messages AS m JOIN threads AS t ON t.id = m.thread_id WHERE m.id = NEW.id",
        )
        + " END",
        "CREATE TRIGGER trg_search_messages_ins AFTER INSERT ON messages BEGIN "
        + _fts_ops(
            "messages",
            "insert",
            _fts_key("t.last_ts", "NEW.rowid"),
            "NEW.",
            "FROM threads AS t WHERE t.id = NEW.thread_id",
        )
        + " END",
        "CREATE TRIGGER trg_search_messages_del AFTER DELETE ON messages BEGIN "
        + _fts_ops(
            "messages",
            "delete",
            _fts_key("t.last_ts", "OLD.rowid"),
            "OLD.",
            "FROM threads AS t WHERE t.id = OLD.thread_id",
        )
        + " END",
        f"CREATE TRIGGER trg_search_messages_upd AFTER UPDATE OF {', '.join(m_watched)} ON messages "
        f"WHEN {m_changed} BEGIN "
        + _fts_ops(
            "messages",
            "delete",
            _fts_key("t.last_ts", "OLD.rowid"),
            "OLD.",
            "FROM threads AS t WHERE t.id = OLD.thread_id",
        )
        + _fts_ops(
            "messages",
            "insert",
            _fts_key("t.last_ts", "NEW.rowid"),
            "NEW.",
            "FROM threads AS t WHERE t.id = NEW.thread_id",
        )
        + " END",
    ]


#: The search views, FTS tables and their triggers.
SEARCH = _search_objects()
#: Both search indexes filled again from the tables (what an FTS5 'rebuild' does).
SEARCH_REBUILD = [f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')" for fts in ("search_threads", "search_messages")]

#: The whole schema, in the order a new cache is created (the triggers in the order an
#: upgraded cache has them).
SCHEMA: list[str] = [
    *TABLES.values(),
    *INDEXES.values(),
    *SEARCH,
    *COUNT_TRIGGERS,
    *LOCAL_TRIGGERS,
    *STATS_TRIGGERS,
]


def create_schema(conn: sqlite3.Connection) -> None:
    """The current schema in an empty cache (inside the caller's transaction)."""
    for statement in SCHEMA:
        conn.execute(statement)
