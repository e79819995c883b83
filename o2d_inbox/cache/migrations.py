"""How a cache reaches the current schema (schema.py): ensure_schema() runs at every open.

A new cache is created from the current schema in one step. A cache written by an older
o2d-inbox (``PRAGMA user_version`` below SCHEMA_VERSION) runs the steps it has not seen, each
in one transaction. Steps are history: never edit a shipped one; append a step and change
schema.py to match (a test checks that an upgraded cache and a new one have the same tables,
columns, indexes, views and triggers). Some steps undo earlier ones: 3 replaces the counts
triggers of 2, 5 the search index of 4, 8 two indexes of 6, 9 drops two of 1's, 14 one of 12's,
15 the counts triggers of 3 and 6 and 16 the stats triggers of 14.

Steps refer to schema.py for what is still current and keep their own text for what is not.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from o2d_inbox.cache.schema import (
    BACK_ON_REPLY_TRIGGER,
    COUNT_TRIGGERS,
    FTS_COLUMNS,
    FTS_EXPR,
    FTS_TOP,
    INDEXES,
    LOCAL_OPEN_SQL,
    LOCAL_TRIGGERS,
    RECOUNT_SQL,
    SCHEMA_VERSION,
    SEARCH,
    SEARCH_REBUILD,
    STATS_RECOUNT_SQL,
    STATS_TRIGGERS,
    TABLES,
    count_triggers,
    create_schema,
    local_count_triggers,
    stats_triggers,
)

#: A step is SQL statements, or functions of the connection for what SQL alone cannot say.
Step = list[str | Callable[[sqlite3.Connection], None]]

# --- 1: the first format -----------------------------------------------------------------------

_OUTBOX_V1 = """
    CREATE TABLE IF NOT EXISTS outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        thread_id TEXT,
        state TEXT NOT NULL,
        idempotency_key TEXT NOT NULL UNIQUE,
        payload TEXT NOT NULL,
        prev_value TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        send_after REAL,
        next_attempt_at REAL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        operation_id TEXT,
        operation_status TEXT,
        server_message_id TEXT,
        server_thread_id TEXT
    )
"""

_FIRST: Step = [
    *(TABLES[t] for t in ("threads", "messages", "mailboxes", "campaigns", "sync_state", "view_counts")),
    _OUTBOX_V1,
    *(
        INDEXES[i]
        for i in (
            "ix_threads_all",
            "ix_threads_all_full",
            "ix_threads_mailbox",
            "ix_threads_campaign",
            "ix_messages_thread",
            "ix_outbox_state",
            "ix_outbox_thread",
        )
    ),
    # dropped by 9 (the open-queue indexes of 6 replaced them)
    "CREATE INDEX IF NOT EXISTS ix_threads_intent ON threads (reply_intent, relevant, last_ts DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS ix_threads_needs ON threads (needs_reply, relevant, last_ts, id)",
]

# --- 2, 3 and 6: view_counts with a 'needs' row (the triggers replaced by 15) -------------------
# Their recounts (RECOUNT_SQL) are today's, without it: 15 deletes whatever the row held.


def _view_rows_v2(row: str, sign: str) -> str:
    r = f"{sign}{row}.relevant"
    n = f"{sign}1"
    return (
        f"SELECT 'all' AS kind, '' AS key, {r} AS rel, {n} AS n"
        f" UNION ALL SELECT 'needs', '', {r}, {n} WHERE {row}.needs_reply = 1"
        f" UNION ALL SELECT 'intent', coalesce({row}.reply_intent, ''), {r}, {n}"
        f" UNION ALL SELECT 'mailbox', {row}.mailbox, {r}, {n} WHERE {row}.mailbox IS NOT NULL"
        f" UNION ALL SELECT 'campaign', {row}.campaign_id, {r}, {n} WHERE {row}.campaign_id IS NOT NULL"
    )


def _local_rows_v6(row: str, sign: int) -> str:
    away = f"({row}.local_done = 1 OR {row}.local_snoozed_until IS NOT NULL)"
    return (
        f"SELECT 'needs' AS kind, '' AS key, {-sign} * {row}.relevant AS rel, {-sign} AS n"
        f" WHERE {away} AND {row}.needs_reply = 1"
        f" UNION ALL SELECT 'intent', coalesce({row}.reply_intent, ''), {-sign} * {row}.relevant, {-sign}"
        f" WHERE {away}"
        f" UNION ALL SELECT 'done', '', {sign} * {row}.relevant, {sign} WHERE {row}.local_done = 1"
        f" UNION ALL SELECT 'snoozed', '', {sign} * {row}.relevant, {sign}"
        f" WHERE {row}.local_snoozed_until IS NOT NULL"
    )


_COUNT_TRIGGERS_V3 = count_triggers(
    _view_rows_v2, ("relevant", "needs_reply", "reply_intent", "mailbox", "campaign_id")
)
_LOCAL_TRIGGERS_V6 = [
    *local_count_triggers(
        _local_rows_v6, ("relevant", "needs_reply", "reply_intent", "local_done", "local_snoozed_until")
    ),
    BACK_ON_REPLY_TRIGGER,
]

# --- 2: view_counts kept by triggers (replaced by 3) -------------------------------------------


def _counts_trigger_v2(suffix: str, event: str, when: str, rows: str) -> str:
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


_COUNTS_V2: Step = [
    "DELETE FROM view_counts",
    _counts_trigger_v2("ins", "INSERT", "", _view_rows_v2("NEW", "+")),
    _counts_trigger_v2("del", "DELETE", "", _view_rows_v2("OLD", "-")),
    _counts_trigger_v2(
        "upd",
        "UPDATE OF relevant, needs_reply, reply_intent, mailbox, campaign_id",
        "WHEN OLD.relevant IS NOT NEW.relevant OR OLD.needs_reply IS NOT NEW.needs_reply"
        " OR OLD.reply_intent IS NOT NEW.reply_intent OR OLD.mailbox IS NOT NEW.mailbox"
        " OR OLD.campaign_id IS NOT NEW.campaign_id",
        _view_rows_v2("OLD", "-") + " UNION ALL " + _view_rows_v2("NEW", "+"),
    ),
    RECOUNT_SQL,  # threads cached before the triggers existed
]

# --- 4: full-text search, FTS rowids = table rowids (replaced by 5) ----------------------------

# A thread's own entry then also held the learned prospect and mailbox.
_FTS_V4_THREAD_EXPR = (
    "coalesce({p}subject, {p}subject_display)",
    "{p}last_snippet",
    "coalesce({p}last_from, '') || ' ' || coalesce({p}prospect, '')",
    "coalesce({p}mailbox, '') || ' ' || coalesce({p}prospect, '')",
)
_FTS_V4_WATCHED = {
    "threads": ("subject", "subject_display", "last_snippet", "last_from", "prospect", "mailbox"),
    "messages": ("subject", "body_text", "body_html", "from_email", "to_emails", "cc_emails"),
}


def _fts_v4_values(table: str, prefix: str) -> str:
    exprs = _FTS_V4_THREAD_EXPR if table == "threads" else FTS_EXPR["messages"]
    return ", ".join(e.format(p=prefix) for e in exprs)


def _fts_v4(table: str) -> Step:
    fts, src = f"search_{table}", f"search_{table}_src"
    delete = (
        f"INSERT INTO {fts} ({fts}, rowid, {FTS_COLUMNS}) "
        f"VALUES ('delete', OLD.rowid, {_fts_v4_values(table, 'OLD.')});"
    )
    insert = f"INSERT INTO {fts} (rowid, {FTS_COLUMNS}) VALUES (NEW.rowid, {_fts_v4_values(table, 'NEW.')});"
    watched = _FTS_V4_WATCHED[table]
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in watched)
    return [
        f"CREATE VIEW IF NOT EXISTS {src} (rid, {FTS_COLUMNS}) AS "
        f"SELECT rowid, {_fts_v4_values(table, '')} FROM {table}",
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({FTS_COLUMNS}, content='{src}', "
        "content_rowid='rid', tokenize='unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER IF NOT EXISTS trg_{fts}_replace BEFORE INSERT ON {table} BEGIN "
        f"INSERT INTO {fts} ({fts}, rowid, {FTS_COLUMNS}) SELECT 'delete', rowid, {_fts_v4_values(table, '')} "
        f"FROM {table} WHERE id = NEW.id; END",
        f"CREATE TRIGGER IF NOT EXISTS trg_{fts}_ins AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER IF NOT EXISTS trg_{fts}_del AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER IF NOT EXISTS trg_{fts}_upd AFTER UPDATE OF {', '.join(watched)} ON {table} "
        f"WHEN {changed} BEGIN {delete} {insert} END",
        f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')",  # what was cached before this step
    ]


def _drop_search_v4() -> Step:
    drop: Step = []
    for table in ("threads", "messages"):
        drop += [f"DROP TRIGGER IF EXISTS trg_search_{table}_{suffix}" for suffix in ("replace", "ins", "del", "upd")]
        drop += [f"DROP TABLE IF EXISTS search_{table}", f"DROP VIEW IF EXISTS search_{table}_src"]
    return drop


# --- 11: stored times clamped -------------------------------------------------------------------


def _clamp_stored_times(conn: sqlite3.Connection) -> None:
    """A first sync in bulk mode (no search triggers) could store a thread dated before 1970
    or after 2106; the index rebuilt at its end left it out, and every later write to it
    failed in the triggers ("datatype mismatch"), failing every sync. Such times are clamped
    with the search triggers off, and the index rebuilt (in bulk mode the walk's end does
    that). A cache without them costs one look at each end of the list index. (A message's own
    ts is not in any key: such a message sorts first in its thread, harmlessly, unless its
    thread is repaired too.)"""
    bad = f"BETWEEN 0 AND {FTS_TOP}"
    if conn.execute(f"SELECT 1 FROM threads WHERE last_ts < 0 OR last_ts > {FTS_TOP} LIMIT 1").fetchone() is None:
        return
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'trg_search_%'"
    ).fetchall()
    for name, _ in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute(f"UPDATE threads SET last_ts = max(0, min(last_ts, {FTS_TOP})) WHERE last_ts NOT {bad}")
    conn.execute(f"UPDATE messages SET ts = max(0, min(ts, {FTS_TOP})) WHERE ts NOT {bad}")
    for _, sql in triggers:
        conn.execute(sql)
    if triggers:
        for statement in SEARCH_REBUILD:
            conn.execute(statement)


#: Step n (1-based) brings a cache from format n - 1 to n.
MIGRATIONS: list[Step] = [
    # 1: threads, messages, mailboxes, campaigns, sync state, outbox, view counts
    _FIRST,
    # 2: view_counts kept by triggers, so every committed write by any writer leaves them right
    _COUNTS_V2,
    # 3: the same counts, cheaper (measured in benchmarks/bench_sync.py): no GROUP BY per row,
    # and a sync page that counts its own deltas switches them off inside its transaction
    [
        "DROP TRIGGER IF EXISTS trg_threads_counts_ins",
        "DROP TRIGGER IF EXISTS trg_threads_counts_del",
        "DROP TRIGGER IF EXISTS trg_threads_counts_upd",
        *_COUNT_TRIGGERS_V3,
    ],
    # 4: full-text search (cache/search.py): search_threads and search_messages, kept by triggers
    _fts_v4("threads") + _fts_v4("messages"),
    # 5: the same search, its FTS rowids in list order (see schema.py "In list order")
    [*_drop_search_v4(), *SEARCH, *SEARCH_REBUILD],
    # 6: local states (done, snoozed) put threads away from the open queues
    [
        *_LOCAL_TRIGGERS_V6,
        "CREATE INDEX IF NOT EXISTS ix_threads_needs_open ON threads (needs_reply, relevant, last_ts, id) "
        f"WHERE {LOCAL_OPEN_SQL}",
        "CREATE INDEX IF NOT EXISTS ix_threads_intent_open ON threads "
        f"(reply_intent, relevant, last_ts DESC, id DESC) WHERE {LOCAL_OPEN_SQL}",
        INDEXES["ix_threads_done"],
        INDEXES["ix_threads_snoozed"],
        "DELETE FROM view_counts",
        RECOUNT_SQL,
    ],
    # 7: the server's suppression status per address, cached so compose can warn offline
    [TABLES["suppression_status"]],
    # 8: the open-queue indexes of 6 cover their queries
    [
        "DROP INDEX IF EXISTS ix_threads_needs_open",
        "DROP INDEX IF EXISTS ix_threads_intent_open",
        "CREATE INDEX IF NOT EXISTS ix_threads_needs_open ON threads "
        f"(needs_reply, relevant, last_ts, id, local_done, local_snoozed_until) WHERE {LOCAL_OPEN_SQL}",
        INDEXES["ix_threads_intent_open"],
    ],
    # 9: the intent and needs-reply queues read the open-queue indexes; 1's two were kept up to
    # date by every write and read by no query
    [
        "DROP INDEX IF EXISTS ix_threads_intent",
        "DROP INDEX IF EXISTS ix_threads_needs",
    ],
    # 10: when the server accepted an outbox item, so a send whose operation never finishes
    # stops being polled (outbox/dispatcher.py CONFIRM_WITHIN); items accepted before: from now
    [
        "ALTER TABLE outbox ADD COLUMN accepted_at REAL",
        "UPDATE outbox SET accepted_at = strftime('%s', 'now') WHERE state = 'accepted'",
    ],
    # 11: times stored before clamp_ts existed, clamped
    [_clamp_stored_times],
    # 12: reply stats (cache/stats.py): their indexes, and campaign_stats
    [
        *(INDEXES[i] for i in ("ix_threads_stats_day", "ix_messages_incoming", "ix_messages_outgoing")),
        # dropped by 14 (stats_days replaced it)
        "CREATE INDEX IF NOT EXISTS ix_threads_stats_mix ON threads "
        "(campaign_id, mailbox, reply_intent, relevant, last_ts)",
        TABLES["campaign_stats"],
    ],
    # 13: Needs reply means "a reply from me": its index is grouped by intent; notes searchable
    [
        "DROP INDEX IF EXISTS ix_threads_needs_open",
        INDEXES["ix_threads_needs_open"],
        INDEXES["ix_threads_noted"],
    ],
    # 14: all-time stats without counting every index entry: threads per day and bucket kept by
    # triggers (filled from the threads cached so far); the oldest waiting reply per bucket by
    # a seek; the bucket index of 12 is read by nothing any more
    [
        TABLES["stats_days"],
        "DELETE FROM stats_days",  # a recount, so a step run again on a cache that has it is exact
        STATS_RECOUNT_SQL,
        *stats_triggers(aside=False),
        "DROP INDEX IF EXISTS ix_threads_stats_mix",
        INDEXES["ix_threads_stats_waiting"],
    ],
    # 15: Needs reply is counted on its index (queries.count), never from view_counts: its row
    # goes, and with it the upkeep every write of a thread paid for it (the counts triggers of 3
    # and 6 made again without it, last as a new cache has them)
    [
        *(f"DROP TRIGGER IF EXISTS trg_{t}_counts_{op}" for t in ("view", "local") for op in ("ins", "del", "upd")),
        "DROP TRIGGER IF EXISTS trg_local_back_on_reply",
        *COUNT_TRIGGERS,
        *LOCAL_TRIGGERS,
        "DELETE FROM view_counts WHERE kind = 'needs'",
    ],
    # 16: the sync adds its pages' stats_days deltas per bucket, as it does view_counts': the
    # stats triggers of 14 made again, standing aside meanwhile (last, as a new cache has them)
    [*(f"DROP TRIGGER IF EXISTS trg_stats_days_{op}" for op in ("ins", "del", "upd")), *STATS_TRIGGERS],
]

assert len(MIGRATIONS) == SCHEMA_VERSION, "a step was added without schema.SCHEMA_VERSION (or the reverse)"


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Bring the cache up to SCHEMA_VERSION; a no-op when it already is."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise RuntimeError(f"cache schema {version} is newer than this o2d-inbox ({SCHEMA_VERSION}); upgrade o2d-inbox")
    if version == 0:  # the counts start as a recount of nothing: maintained from the first write
        _apply(conn, [create_schema, RECOUNT_SQL], SCHEMA_VERSION)
        return
    for number in range(version, SCHEMA_VERSION):
        _apply(conn, MIGRATIONS[number], number + 1)


def _apply(conn: sqlite3.Connection, step: Step, version: int) -> None:
    """``step`` and the format it brings, in one explicit transaction (connections are opened
    in autocommit mode)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in step:
            if callable(statement):
                statement(conn)
            else:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {version}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
