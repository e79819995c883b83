"""The cache's schema and its migrations (PRAGMA user_version), applied by ensure_schema().

ensure_schema() is idempotent and runs at every open. Each migration is a list of SQL
statements applied in one transaction; never edit a shipped migration, append a new one.

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
from typing import Any


# --- view_counts ----------------------------------------------------------------------------
# Which views a thread is in: (kind, key) rows. "intent" key '' is unclassified.

def _view_rows(row: str, sign: str) -> str:
    """SELECT of (kind, key, rel, n) for the views ``row`` (NEW/OLD) is in, signed."""
    r = f"{sign}{row}.relevant"
    n = f"{sign}1"
    return (
        f"SELECT 'all' AS kind, '' AS key, {r} AS rel, {n} AS n"
        f" UNION ALL SELECT 'needs', '', {r}, {n} WHERE {row}.needs_reply = 1"
        f" UNION ALL SELECT 'intent', coalesce({row}.reply_intent, ''), {r}, {n}"
        f" UNION ALL SELECT 'mailbox', {row}.mailbox, {r}, {n} WHERE {row}.mailbox IS NOT NULL"
        f" UNION ALL SELECT 'campaign', {row}.campaign_id, {r}, {n} WHERE {row}.campaign_id IS NOT NULL"
    )


def _counts_trigger(suffix: str, event: str, when: str, rows: str) -> str:
    # One INSERT … SELECT upsert of signed deltas per fired row (GROUP BY folds an UPDATE
    # that leaves a view unchanged into a zero delta).
    return f"""
        CREATE TRIGGER IF NOT EXISTS trg_threads_counts_{suffix} AFTER {event} ON threads {when}
        BEGIN
            INSERT INTO view_counts (kind, key, relevant_count, full_count)
            SELECT kind, key, sum(rel), sum(n) FROM ({rows}) WHERE true GROUP BY kind, key
            ON CONFLICT (kind, key) DO UPDATE SET
                relevant_count = relevant_count + excluded.relevant_count,
                full_count = full_count + excluded.full_count;
        END
    """


#: While this sync_state key exists (only ever inside the sync engine's own write transaction,
#: so no other writer can see it) the triggers stand aside: writes.upsert_threads applies the
#: page's count deltas itself, in one statement instead of five upserts per row.
COUNTS_BY_WRITER_KEY = "counts_by_writer"
_TRIGGERS_ON = f"NOT EXISTS (SELECT 1 FROM sync_state WHERE key = '{COUNTS_BY_WRITER_KEY}')"


def _counts_trigger_v3(suffix: str, event: str, when: str, rows: str) -> str:
    # No GROUP BY (a sorter per row): an UPDATE's -OLD and +NEW rows for the same view are two
    # upserts of the same view_counts row, which nets out the same.
    cond = f"WHEN {_TRIGGERS_ON}" + (f" AND ({when})" if when else "")
    return f"""
        CREATE TRIGGER IF NOT EXISTS trg_view_counts_{suffix} AFTER {event} ON threads {cond}
        BEGIN
            INSERT INTO view_counts (kind, key, relevant_count, full_count)
            SELECT kind, key, rel, n FROM ({rows}) WHERE true
            ON CONFLICT (kind, key) DO UPDATE SET
                relevant_count = relevant_count + excluded.relevant_count,
                full_count = full_count + excluded.full_count;
        END
    """


_COUNTED_CHANGE = (
    "OLD.relevant IS NOT NEW.relevant OR OLD.needs_reply IS NOT NEW.needs_reply"
    " OR OLD.reply_intent IS NOT NEW.reply_intent OR OLD.mailbox IS NOT NEW.mailbox"
    " OR OLD.campaign_id IS NOT NEW.campaign_id"
)


#: view_counts recomputed from scratch (the triggers' ground truth; run after DELETE FROM view_counts).
# --- local states (migration 6; written by cache/local.py) ----------------------------------
# A thread the user marked done or snoozed (until wake_due() clears the snooze) is "put away":
# it leaves the 'needs' and 'intent' queues (and their counts) and is counted in 'done' /
# 'snoozed' instead; 'all', 'mailbox' and 'campaign' keep every thread. The counts of
# migration 3 (and the sync's own deltas, which know nothing of local state) still count
# every thread; migration 6's triggers, never switched off, add each put-away thread's
# correction (-1 in its needs / intent views, +1 in done / snoozed), so the sum is right
# whoever writes.

#: The WHERE term of a queue that hides put-away threads (literal: the partial indexes
#: ix_threads_needs_open / ix_threads_intent_open are chosen only when it appears as is).
LOCAL_OPEN_SQL = "local_done = 0 AND local_snoozed_until IS NULL"
#: Views whose queues hide put-away threads.
LOCAL_HIDING_KINDS = ("needs", "intent")


def _put_away(row: str) -> str:
    return f"({row}.local_done = 1 OR {row}.local_snoozed_until IS NOT NULL)"


def _local_rows(row: str, sign: int) -> str:
    """SELECT of (kind, key, rel, n): the correction ``row`` (NEW/OLD) brings, times ``sign``."""
    away = _put_away(row)
    return (
        f"SELECT 'needs' AS kind, '' AS key, {-sign} * {row}.relevant AS rel, {-sign} AS n"
        f" WHERE {away} AND {row}.needs_reply = 1"
        f" UNION ALL SELECT 'intent', coalesce({row}.reply_intent, ''), {-sign} * {row}.relevant, {-sign}"
        f" WHERE {away}"
        f" UNION ALL SELECT 'done', '', {sign} * {row}.relevant, {sign} WHERE {row}.local_done = 1"
        f" UNION ALL SELECT 'snoozed', '', {sign} * {row}.relevant, {sign}"
        f" WHERE {row}.local_snoozed_until IS NOT NULL"
    )


def _local_counts_trigger(suffix: str, event: str, when: str, rows: str) -> str:
    return f"""
        CREATE TRIGGER IF NOT EXISTS trg_local_counts_{suffix} AFTER {event} ON threads WHEN {when}
        BEGIN
            INSERT INTO view_counts (kind, key, relevant_count, full_count)
            SELECT kind, key, rel, n FROM ({rows}) WHERE true
            ON CONFLICT (kind, key) DO UPDATE SET
                relevant_count = relevant_count + excluded.relevant_count,
                full_count = full_count + excluded.full_count;
        END
    """


def _local_migration() -> list[str]:
    grew = "(NEW.message_count > OLD.message_count OR NEW.last_ts > OLD.last_ts)"
    return [
        _local_counts_trigger("ins", "INSERT", _put_away("NEW"), _local_rows("NEW", 1)),
        _local_counts_trigger("del", "DELETE", _put_away("OLD"), _local_rows("OLD", -1)),
        _local_counts_trigger(
            "upd", "UPDATE OF relevant, needs_reply, reply_intent, local_done, local_snoozed_until",
            f"{_put_away('OLD')} OR {_put_away('NEW')}",
            _local_rows("OLD", -1) + " UNION ALL " + _local_rows("NEW", 1),
        ),
        # The prospect wrote again (the conversation grew and now waits on us): a done or
        # snoozed thread comes back. Sync writes no local_* column; this trigger does it.
        "CREATE TRIGGER IF NOT EXISTS trg_local_back_on_reply AFTER UPDATE OF message_count, last_ts "
        f"ON threads WHEN {grew} AND NEW.needs_reply = 1 AND {_put_away('NEW')} BEGIN "
        "UPDATE threads SET local_done = 0, local_snoozed_until = NULL WHERE id = NEW.id; END",
        # The open queues as index ranges (the list query names them with INDEXED BY).
        "CREATE INDEX IF NOT EXISTS ix_threads_needs_open ON threads (needs_reply, relevant, last_ts, id) "
        f"WHERE {LOCAL_OPEN_SQL}",
        "CREATE INDEX IF NOT EXISTS ix_threads_intent_open ON threads "
        f"(reply_intent, relevant, last_ts DESC, id DESC) WHERE {LOCAL_OPEN_SQL}",
        "CREATE INDEX IF NOT EXISTS ix_threads_done ON threads (relevant, last_ts DESC, id DESC) "
        "WHERE local_done = 1",
        "CREATE INDEX IF NOT EXISTS ix_threads_snoozed ON threads (local_snoozed_until, id) "
        "WHERE local_snoozed_until IS NOT NULL",
        "DELETE FROM view_counts",
        RECOUNT_SQL,
    ]


#: view_counts recomputed from scratch (the triggers' ground truth; run after DELETE FROM view_counts).
#: 'needs' and 'intent' leave put-away threads out (migration 6; no cache has any before it).
RECOUNT_SQL = f"""
    INSERT INTO view_counts (kind, key, relevant_count, full_count)
    SELECT 'all', '', coalesce(sum(relevant), 0), count(*) FROM threads
    UNION ALL SELECT 'needs', '', coalesce(sum(relevant), 0), count(*) FROM threads
        WHERE needs_reply = 1 AND {LOCAL_OPEN_SQL}
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


# --- full-text search (migration 4; queried by cache/search.py) -----------------------------
# Two external-content FTS5 tables, both with the columns (subject, body, sender, recipients):
# search_threads over threads (subject, last_snippet, last_from + prospect, mailbox + prospect:
# threads whose messages were never fetched are still found) and search_messages over messages
# (subject, body, from, to + cc). Their content tables are views computing those columns, so
# the FTS 'rebuild' command works; the triggers below use the same expressions (an external-
# content 'delete' must be given exactly the values that were indexed).
# HTML-only bodies: a trigger cannot call Python, so the raw HTML is indexed after a few
# replace()s (common tags, entities); the tokenizer splits on <>/="; so the words of the text
# are found, plus some tag / attribute names (best effort).
# Writers use INSERT or INSERT OR REPLACE on these tables: REPLACE deletes the old row without
# firing delete triggers, so a BEFORE INSERT trigger removes the old row's entry first. (An
# INSERT OR IGNORE of an existing id would lose that row's entry: do not use it here.)

_HTML_TEXT = "coalesce({p}body_html, '')"
for _old, _new in (("<br>", " "), ("<br/>", " "), ("<br />", " "), ("<p>", " "), ("</p>", " "),
                   ("<div>", " "), ("</div>", " "), ("&nbsp;", " "), ("&amp;", "&"),
                   ("&#39;", "''"), ("&quot;", '"'), ("&lt;", " "), ("&gt;", " ")):
    _HTML_TEXT = f"replace({_HTML_TEXT}, '{_old}', '{_new}')"

_FTS_COLUMNS = "subject, body, sender, recipients"
_FTS_EXPR = {
    "threads": (
        "coalesce({p}subject, {p}subject_display)",
        "{p}last_snippet",
        "coalesce({p}last_from, '') || ' ' || coalesce({p}prospect, '')",
        "coalesce({p}mailbox, '') || ' ' || coalesce({p}prospect, '')",
    ),
    "messages": (
        "{p}subject",
        "CASE WHEN {p}body_text <> '' THEN {p}body_text ELSE " + _HTML_TEXT + " END",
        "{p}from_email",
        "coalesce({p}to_emails, '') || ' ' || coalesce({p}cc_emails, '')",
    ),
}
_FTS_WATCHED = {
    "threads": ("subject", "subject_display", "last_snippet", "last_from", "prospect", "mailbox"),
    "messages": ("subject", "body_text", "body_html", "from_email", "to_emails", "cc_emails"),
}


def _fts_values(table: str, prefix: str) -> str:
    return ", ".join(e.format(p=prefix) for e in _FTS_EXPR[table])


def _fts_migration(table: str) -> list[str]:
    fts, src = f"search_{table}", f"search_{table}_src"
    delete = f"INSERT INTO {fts} ({fts}, rowid, {_FTS_COLUMNS}) VALUES ('delete', OLD.rowid, {_fts_values(table, 'OLD.')});"
    insert = f"INSERT INTO {fts} (rowid, {_FTS_COLUMNS}) VALUES (NEW.rowid, {_fts_values(table, 'NEW.')});"
    watched = _FTS_WATCHED[table]
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in watched)
    return [
        f"CREATE VIEW IF NOT EXISTS {src} (rid, {_FTS_COLUMNS}) AS SELECT rowid, {_fts_values(table, '')} FROM {table}",
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({_FTS_COLUMNS}, content='{src}', "
        "content_rowid='rid', tokenize='unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER IF NOT EXISTS trg_{fts}_replace BEFORE INSERT ON {table} BEGIN "
        f"INSERT INTO {fts} ({fts}, rowid, {_FTS_COLUMNS}) SELECT 'delete', rowid, {_fts_values(table, '')} "
        f"FROM {table} WHERE id = NEW.id; END",
        f"CREATE TRIGGER IF NOT EXISTS trg_{fts}_ins AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER IF NOT EXISTS trg_{fts}_del AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER IF NOT EXISTS trg_{fts}_upd AFTER UPDATE OF {', '.join(watched)} ON {table} "
        f"WHEN {changed} BEGIN {delete} {insert} END",
        f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')",  # what was cached before this migration
    ]


# --- full-text search, in list order (migration 5) ------------------------------------------
# Measured (benchmarks/bench_search.py, 1,000,000 messages): with FTS rowids = table rowids, a
# common word costs 1-2.5 s (every hit mapped to its thread and sorted, or one index probe of
# ~0.1 ms per thread of the list). FTS5 streams a term's hits in rowid order for almost
# nothing, so here the FTS rowid *is* the list order:
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
# A thread's own entry is subject, last snippet and last sender only (recipients empty): the
# learned mailbox / prospect would re-index it on every message fetch, and its messages
# carry those addresses anyway. Views, HTML handling and the REPLACE guard are as in migration 4.

FTS_KEY = 2147483648  # 2**31 > any rowid: the FTS rowid's low part
FTS_TOP = 4294967295  # 2**32 - 1 >= any last_ts: (FTS_TOP - last_ts) * FTS_KEY + rowid < 2**63


def clamp_ts(ts: int) -> int:
    """Epoch seconds into what the list order and the search keys hold: 0 (1970, also
    "unknown") … FTS_TOP (2106). Earlier dates sort as the oldest, later ones as the newest."""
    return ts if 0 <= ts <= FTS_TOP else min(max(ts, 0), FTS_TOP)

_V5_THREAD_EXPR = ("coalesce({p}subject, {p}subject_display)", "{p}last_snippet", "{p}last_from", "''")
_V5_THREAD_WATCHED = ("subject", "subject_display", "last_snippet", "last_from")


def _fts_key(ts: str, row: str) -> str:
    return f"({FTS_TOP} - {ts}) * {FTS_KEY} + {row}"


def _v5_values(table: str, prefix: str) -> str:
    exprs = _V5_THREAD_EXPR if table == "threads" else _FTS_EXPR["messages"]
    return ", ".join(e.format(p=prefix) for e in exprs)


def _fts_ops(table: str, op: str, rid: str, prefix: str, tail: str = "") -> str:
    """One INSERT adding (op 'insert') or removing (op 'delete') entries of ``table``'s FTS."""
    fts = f"search_{table}"
    if op == "delete":
        return (f"INSERT INTO {fts} ({fts}, rowid, {_FTS_COLUMNS}) SELECT 'delete', {rid}, "
                f"{_v5_values(table, prefix)} {tail};")
    return f"INSERT INTO {fts} (rowid, {_FTS_COLUMNS}) SELECT {rid}, {_v5_values(table, prefix)} {tail};"


def _fts_migration_v5() -> list[str]:
    drop = []
    for table in ("threads", "messages"):
        for suffix in ("replace", "ins", "del", "upd"):
            drop.append(f"DROP TRIGGER IF EXISTS trg_search_{table}_{suffix}")
        drop += [f"DROP TABLE IF EXISTS search_{table}", f"DROP VIEW IF EXISTS search_{table}_src"]
    t_watched = _V5_THREAD_WATCHED
    m_watched = _FTS_WATCHED["messages"] + ("thread_id",)
    t_changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in t_watched + ("last_ts",))
    m_changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in m_watched)
    msgs_of = "FROM messages AS m WHERE m.thread_id = {p}id"
    return drop + [
        f"CREATE VIEW search_threads_src (rid, {_FTS_COLUMNS}) AS "
        f"SELECT {_fts_key('last_ts', 'rowid')}, {_v5_values('threads', '')} FROM threads",
        f"CREATE VIEW search_messages_src (rid, {_FTS_COLUMNS}) AS "
        f"SELECT {_fts_key('t.last_ts', 'm.rowid')}, {_v5_values('messages', 'm.')} "
        "FROM messages AS m JOIN threads AS t ON t.id = m.thread_id",
        *(f"CREATE VIRTUAL TABLE search_{t} USING fts5({_FTS_COLUMNS}, content='search_{t}_src', "
          "content_rowid='rid', tokenize='unicode61 remove_diacritics 2')" for t in ("threads", "messages")),
        # threads
        "CREATE TRIGGER trg_search_threads_replace BEFORE INSERT ON threads BEGIN "
        + _fts_ops("messages", "delete", _fts_key("t.last_ts", "m.rowid"), "m.",
                   "FROM threads AS t JOIN messages AS m ON m.thread_id = t.id WHERE t.id = NEW.id")
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
        + _fts_ops("messages", "delete", _fts_key("t.last_ts", "m.rowid"), "m.",
                   "FROM messages AS m JOIN threads AS t ON t.id = m.thread_id WHERE m.id = NEW.id")
        + " END",
        "CREATE TRIGGER trg_search_messages_ins AFTER INSERT ON messages BEGIN "
        + _fts_ops("messages", "insert", _fts_key("t.last_ts", "NEW.rowid"), "NEW.",
                   "FROM threads AS t WHERE t.id = NEW.thread_id")
        + " END",
        "CREATE TRIGGER trg_search_messages_del AFTER DELETE ON messages BEGIN "
        + _fts_ops("messages", "delete", _fts_key("t.last_ts", "OLD.rowid"), "OLD.",
                   "FROM threads AS t WHERE t.id = OLD.thread_id")
        + " END",
        f"CREATE TRIGGER trg_search_messages_upd AFTER UPDATE OF {', '.join(m_watched)} ON messages "
        f"WHEN {m_changed} BEGIN "
        + _fts_ops("messages", "delete", _fts_key("t.last_ts", "OLD.rowid"), "OLD.",
                   "FROM threads AS t WHERE t.id = OLD.thread_id")
        + _fts_ops("messages", "insert", _fts_key("t.last_ts", "NEW.rowid"), "NEW.",
                   "FROM threads AS t WHERE t.id = NEW.thread_id")
        + " END",
        "INSERT INTO search_threads (search_threads) VALUES ('rebuild')",
        "INSERT INTO search_messages (search_messages) VALUES ('rebuild')",
    ]


def _clamp_stored_times(conn: sqlite3.Connection) -> None:
    """Migration 11. A first sync in bulk mode (no search triggers) could store a thread dated
    before 1970 or after 2106; the index rebuilt at its end left it out, and every later write
    to it failed in the triggers ("datatype mismatch"), failing every sync. Such times are
    clamped with the search triggers off, and the index rebuilt (in bulk mode the walk's end
    does that). A cache without them costs one look at each end of the list index. (A
    message's own ts is not in any key: such a message sorts first in its thread, harmlessly,
    unless its thread is repaired too.)"""
    bad = f"BETWEEN 0 AND {FTS_TOP}"
    if conn.execute(f"SELECT 1 FROM threads WHERE last_ts < 0 OR last_ts > {FTS_TOP} LIMIT 1").fetchone() is None:
        return
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                            "AND name LIKE 'trg_search_%'").fetchall()
    for name, _ in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute(f"UPDATE threads SET last_ts = max(0, min(last_ts, {FTS_TOP})) WHERE last_ts NOT {bad}")
    conn.execute(f"UPDATE messages SET ts = max(0, min(ts, {FTS_TOP})) WHERE ts NOT {bad}")
    for _, sql in triggers:
        conn.execute(sql)
    if triggers:
        for fts in ("search_threads", "search_messages"):
            conn.execute(f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')")


#: A migration is a list of SQL statements, or of functions of the connection for what SQL
#: alone cannot say; each list runs in one transaction.
MIGRATIONS: list[list[Any]] = [
    # 1: threads, messages, mailboxes, campaigns, sync state, outbox, view counts
    [
        """
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
        "CREATE INDEX IF NOT EXISTS ix_threads_all ON threads (relevant, last_ts DESC, id DESC)",
        "CREATE INDEX IF NOT EXISTS ix_threads_all_full ON threads (last_ts DESC, id DESC)",
        "CREATE INDEX IF NOT EXISTS ix_threads_intent ON threads (reply_intent, relevant, last_ts DESC, id DESC)",
        "CREATE INDEX IF NOT EXISTS ix_threads_mailbox ON threads (mailbox, relevant, last_ts DESC, id DESC)",
        "CREATE INDEX IF NOT EXISTS ix_threads_campaign ON threads (campaign_id, relevant, last_ts DESC, id DESC)",
        "CREATE INDEX IF NOT EXISTS ix_threads_needs ON threads (needs_reply, relevant, last_ts, id)",
        """
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
        "CREATE INDEX IF NOT EXISTS ix_messages_thread ON messages (thread_id, ts, id)",
        """
        CREATE TABLE IF NOT EXISTS mailboxes (
            address TEXT PRIMARY KEY,       -- lower-case
            source TEXT                     -- 'messages' | 'config' | 'api'
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS campaigns (
            id TEXT PRIMARY KEY,
            name TEXT,
            status TEXT,
            fetched_at TEXT
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS sync_state (
            key TEXT PRIMARY KEY,
            value TEXT
        )
        """,
        # Per-view counts kept by the sync engine (cheap at 1,000,000 threads).
        # kind: 'all' | 'needs' | 'intent' | 'mailbox' | 'campaign'; key '' for all/needs,
        # the intent ('' for unclassified), mailbox or campaign id otherwise.
        """
        CREATE TABLE IF NOT EXISTS view_counts (
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            relevant_count INTEGER NOT NULL DEFAULT 0,
            full_count INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (kind, key)
        )
        """,
        """
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
            server_thread_id TEXT
        )
        """,
        "CREATE INDEX IF NOT EXISTS ix_outbox_state ON outbox (state, next_attempt_at)",
        "CREATE INDEX IF NOT EXISTS ix_outbox_thread ON outbox (thread_id, id)",
    ],
    # 2: view_counts kept by triggers, so every committed write by any writer (sync, the
    # outbox's optimistic intent change, a TUI edit) leaves the counts right.
    [
        "DELETE FROM view_counts",
        _counts_trigger("ins", "INSERT", "", _view_rows("NEW", "+")),
        _counts_trigger("del", "DELETE", "", _view_rows("OLD", "-")),
        _counts_trigger(
            "upd",
            "UPDATE OF relevant, needs_reply, reply_intent, mailbox, campaign_id",
            "WHEN OLD.relevant IS NOT NEW.relevant OR OLD.needs_reply IS NOT NEW.needs_reply"
            " OR OLD.reply_intent IS NOT NEW.reply_intent OR OLD.mailbox IS NOT NEW.mailbox"
            " OR OLD.campaign_id IS NOT NEW.campaign_id",
            _view_rows("OLD", "-") + " UNION ALL " + _view_rows("NEW", "+"),
        ),
        RECOUNT_SQL,  # threads cached before the triggers existed
    ],
    # 3: the same counts, cheaper (measured in benchmarks/bench_sync.py): no GROUP BY per row,
    # and a sync page that counts its own deltas switches them off inside its transaction.
    [
        "DROP TRIGGER IF EXISTS trg_threads_counts_ins",
        "DROP TRIGGER IF EXISTS trg_threads_counts_del",
        "DROP TRIGGER IF EXISTS trg_threads_counts_upd",
        _counts_trigger_v3("ins", "INSERT", "", _view_rows("NEW", "+")),
        _counts_trigger_v3("del", "DELETE", "", _view_rows("OLD", "-")),
        _counts_trigger_v3(
            "upd", "UPDATE OF relevant, needs_reply, reply_intent, mailbox, campaign_id", _COUNTED_CHANGE,
            _view_rows("OLD", "-") + " UNION ALL " + _view_rows("NEW", "+"),
        ),
    ],
    # 4: full-text search (cache/search.py): search_threads and search_messages, kept by triggers.
    _fts_migration("threads") + _fts_migration("messages"),
    # 5: the same search, its FTS rowids in list order (see "in list order" above).
    _fts_migration_v5(),
    # 6: local states (done, snoozed) put threads away from the open queues; see "local states".
    _local_migration(),
    # 7: the server's suppression status per address, cached so compose can warn offline
    # (outbox/compliance.py; addresses lower-case, checked_at epoch seconds).
    [
        """
        CREATE TABLE IF NOT EXISTS suppression_status (
            email TEXT PRIMARY KEY,
            suppressed INTEGER NOT NULL,
            reason TEXT,
            checked_at REAL NOT NULL
        )
        """,
    ],
    # 8: the open-queue indexes of migration 6 cover their queries: SQLite 3.40 does not count
    # a partial index's own WHERE columns as covered, so without them every row of a page (and
    # of an OFFSET walk) was read from the table.
    [
        "DROP INDEX IF EXISTS ix_threads_needs_open",
        "DROP INDEX IF EXISTS ix_threads_intent_open",
        "CREATE INDEX ix_threads_needs_open ON threads "
        f"(needs_reply, relevant, last_ts, id, local_done, local_snoozed_until) WHERE {LOCAL_OPEN_SQL}",
        "CREATE INDEX ix_threads_intent_open ON threads "
        "(reply_intent, relevant, last_ts DESC, id DESC, local_done, local_snoozed_until) "
        f"WHERE {LOCAL_OPEN_SQL}",
    ],
    # 9: the intent and needs-reply queues read the open-queue indexes (migration 6/8) since
    # then; migration 1's own two were kept up to date by every write and read by no query.
    # (The `threads --intent/--needs-reply` commands read the same queues as the inbox.)
    [
        "DROP INDEX IF EXISTS ix_threads_intent",
        "DROP INDEX IF EXISTS ix_threads_needs",
    ],
    # 10: when the server accepted an outbox item, so a send whose operation never finishes
    # stops being polled (outbox/dispatcher.py CONFIRM_WITHIN); items accepted before: from now.
    [
        "ALTER TABLE outbox ADD COLUMN accepted_at REAL",
        "UPDATE outbox SET accepted_at = strftime('%s', 'now') WHERE state = 'accepted'",
    ],
    # 11: times stored before clamp_ts existed, clamped (see _clamp_stored_times).
    [_clamp_stored_times],
    # 14: Needs reply holds the interested, neutral and unclassified threads only
    # (queries.needs_reply_sql), grouped by intent: the open-queue index gains reply_intent
    # before last_ts, so each intent is one covering range (without it, counting the queue
    # read every waiting thread's row: 1.2 s at 1,000,000 threads). Search reads the private
    # notes (few) through their own index instead of every thread's row.
    [
        "DROP INDEX IF EXISTS ix_threads_needs_open",
        "CREATE INDEX ix_threads_needs_open ON threads "
        "(needs_reply, relevant, reply_intent, last_ts, id, local_done, local_snoozed_until) "
        f"WHERE {LOCAL_OPEN_SQL}",
        "CREATE INDEX IF NOT EXISTS ix_threads_noted ON threads (last_ts DESC, id DESC) "
        "WHERE local_note IS NOT NULL",
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Bring the cache up to SCHEMA_VERSION; a no-op when it already is."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"cache schema {version} is newer than this o2d-inbox ({SCHEMA_VERSION}); upgrade o2d-inbox"
        )
    for number in range(version, SCHEMA_VERSION):
        # One explicit transaction per migration (connections are opened in autocommit mode).
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[number]:
                if callable(statement):
                    statement(conn)
                else:
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
