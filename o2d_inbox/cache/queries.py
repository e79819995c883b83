"""Read side of the cache: the queues, their counts, one thread, its messages. Headless.

Every list query costs O(page) (plus O(offset) index steps for a jump), never O(cache):

- A view is one index range (see schema.py INDEXES). The thread list reads
  ``rows(conn, view, offset, limit)``; when the caller knows the key of the row just before
  ``offset`` it passes ``after=(last_ts, id)`` and the query seeks there (keyset); otherwise
  ``OFFSET`` walks the index only (the page's rowids come from the index, the wide columns
  are read for the page alone).
- Views that ignore ``relevant`` (the "full" feed) on an index that has ``relevant`` as its
  second column are two ordered ranges (relevant = 1 and 0); a compound ``UNION ALL ...
  ORDER BY`` makes SQLite merge them in order instead of sorting the queue.
- Counts come from ``view_counts`` (kept by the sync engine; ``writes.refresh_counts`` rebuilds it).
- A view narrowed by more filters (``View.narrow``, what `o2d-inbox threads` combines) walks its
  own queue's index and reads the table only for the narrowing columns of the rows it passes.

Order: newest first (last_ts DESC, id DESC) everywhere except 'needs' (oldest wait first).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone

from o2d_inbox.cache.schema import LOCAL_HIDING_KINDS, LOCAL_OPEN_SQL

KINDS = ("all", "needs", "intent", "mailbox", "campaign", "done", "snoozed")
UNCLASSIFIED = "unclassified"

# kind -> (index column fixed by the view or None, index for relevant views, index for full views)
_INDEX = {
    "all": (None, "ix_threads_all", "ix_threads_all_full"),
    "needs": ("needs_reply", "ix_threads_needs_open", "ix_threads_needs_open"),
    "intent": ("reply_intent", "ix_threads_intent_open", "ix_threads_intent_open"),
    "mailbox": ("mailbox", "ix_threads_mailbox", "ix_threads_mailbox"),
    "campaign": ("campaign_id", "ix_threads_campaign", "ix_threads_campaign"),
    "done": (None, "ix_threads_done", "ix_threads_done"),
    "snoozed": (None, "ix_threads_snoozed", "ix_threads_snoozed"),  # few rows: sorted
}
_LOCAL_TERM = {"done": "local_done = 1", "snoozed": "local_snoozed_until IS NOT NULL"}

_THREAD_COLUMNS = (
    "t.id, t.subject, t.subject_display, t.last_from, t.last_date, t.last_ts, t.last_snippet, "
    "t.message_count, t.reply_intent, t.campaign_id, c.name AS campaign_name, t.mailbox, "
    "t.prospect, t.is_warming, t.is_postmaster, t.relevant, t.needs_reply, t.unread, "
    "t.messages_fetched_count, t.local_done, t.local_snoozed_until, t.local_note, "
    "t.external_thread_id"
)
#: kinds that can narrow another view (View.narrow), and the column each fixes
_NARROW_COLUMN = {"intent": "reply_intent", "mailbox": "mailbox", "campaign": "campaign_id"}


@dataclass(frozen=True)
class View:
    kind: str  # 'all' | 'needs' | 'intent' | 'mailbox' | 'campaign' | 'done' | 'snoozed'
    key: str | None = None  # intent ('unclassified' for NULL), mailbox address, campaign id
    relevant: bool = True
    #: more (kind, key) filters, all of which a thread must also pass: 'intent' / 'mailbox' /
    #: 'campaign'. An 'intent' filter hides put-away threads, as the intent queue does.
    narrow: tuple[tuple[str, str | None], ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown view kind {self.kind!r}")
        for kind, _ in self.narrow:
            if kind not in _NARROW_COLUMN:
                raise ValueError(f"a view cannot be narrowed by {kind!r}")

    @property
    def descending(self) -> bool:
        return self.kind != "needs"


@dataclass(frozen=True)
class ThreadRow:
    id: str
    subject: str | None
    subject_display: str | None
    last_from: str | None
    last_date: datetime | None
    last_ts: int
    snippet: str | None
    message_count: int
    reply_intent: str | None
    campaign_id: str | None
    campaign_name: str | None
    mailbox: str | None
    prospect: str | None
    is_warming: bool
    is_postmaster: bool
    relevant: bool
    needs_reply: bool
    unread: bool
    messages_cached: bool  # messages fetched, and not fewer than the thread now has
    local_done: bool = False  # local states (cache/local.py), never from the server
    local_snoozed_until: datetime | None = None  # aware UTC
    local_note: str | None = None
    external_thread_id: str | None = None
    last_date_text: str | None = None  # last_message.date_received as cached (ISO text)

    @property
    def key(self) -> tuple[int, str]:
        """Position in every list order; pass as ``after=`` to page on from this row."""
        return (self.last_ts, self.id)


@dataclass(frozen=True)
class MessageRow:
    id: str
    thread_id: str
    message_id: str | None
    from_email: str | None
    to_emails: list[str]
    cc_emails: list[str]
    subject: str | None
    date: datetime | None
    body_text: str | None
    body_html: str | None
    is_incoming: bool
    folder: str | None


def _parse_date(text: str | None, ts: int | None = None) -> datetime | None:
    if text:
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    if ts:
        return datetime.fromtimestamp(ts, timezone.utc)
    return None


def _json_list(text: str | None) -> list[str]:
    if not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return [text]
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def _thread_row(r: sqlite3.Row | tuple) -> ThreadRow:
    (tid, subject, subject_display, last_from, last_date, last_ts, snippet, message_count,
     intent, campaign_id, campaign_name, mailbox, prospect, warming, postmaster, relevant,
     needs, unread, fetched, done, snoozed_until, note, external_id) = tuple(r)
    message_count = message_count or 0
    return ThreadRow(
        id=tid, subject=subject, subject_display=subject_display, last_from=last_from,
        last_date=_parse_date(last_date, last_ts), last_ts=last_ts or 0, snippet=snippet,
        message_count=message_count, reply_intent=intent, campaign_id=campaign_id,
        campaign_name=campaign_name, mailbox=mailbox, prospect=prospect,
        is_warming=bool(warming), is_postmaster=bool(postmaster), relevant=bool(relevant),
        needs_reply=bool(needs), unread=bool(unread),
        messages_cached=fetched is not None and fetched >= message_count,
        local_done=bool(done), local_snoozed_until=_parse_date(None, snoozed_until), local_note=note,
        external_thread_id=external_id, last_date_text=last_date,
    )


def filtered(*, intent: str | None = None, mailbox: str | None = None, campaign: str | None = None,
             needs_reply: bool = False, relevant: bool = False) -> View:
    """The view of threads passing every given filter (None / False: no filter), ordered as
    the TUI's queue of its main filter: 'needs' when ``needs_reply`` (oldest wait first), else
    'intent', 'campaign', 'mailbox', 'all' (newest first). ``intent`` 'unclassified' is none yet.
    Threads marked done or snoozed are left out whenever ``needs_reply`` or ``intent`` is given,
    as the Needs-reply and intent queues leave them out."""
    given = [(kind, key) for kind, key in (("intent", intent), ("campaign", campaign),
                                           ("mailbox", mailbox)) if key is not None]
    if needs_reply:
        return View("needs", relevant=relevant, narrow=tuple(given))
    if not given:
        return View("all", relevant=relevant)
    (kind, key), rest = given[0], tuple(given[1:])
    return View(kind, key, relevant=relevant, narrow=rest)


def _term(kind: str, key: str | None) -> tuple[str, object]:
    """The WHERE term of a view kind that fixes a column to ``key``."""
    if kind == "intent" and (key is None or key == UNCLASSIFIED):
        return ("reply_intent IS NULL", None)
    return (f"{_NARROW_COLUMN[kind]} = ?", key)


def _ranges(view: View) -> list[tuple[str, str, list]]:
    """The view as ordered index ranges: [(index, where-sql, params)] (1 or 2 ranges)."""
    column, ix_relevant, ix_full = _INDEX[view.kind]
    fixed: list[tuple[str, object]] = []
    if view.kind == "needs":
        fixed.append(("needs_reply = ?", 1))
    elif column is not None:
        fixed.append(_term(view.kind, view.key))
    fixed += [_term(kind, key) for kind, key in view.narrow]
    if view.kind in LOCAL_HIDING_KINDS or any(kind in LOCAL_HIDING_KINDS for kind, _ in view.narrow):
        fixed.append((LOCAL_OPEN_SQL, None))  # done / snoozed threads are put away
    if view.kind in _LOCAL_TERM:
        fixed.append((_LOCAL_TERM[view.kind], None))
    if view.relevant:
        variants = [[("relevant = ?", 1)]]
        index = ix_relevant
    elif view.kind == "all":
        variants = [[]]
        index = ix_full
    else:
        # relevant is the index's second column: two ordered ranges, merged by SQLite
        variants = [[("relevant = ?", 1)], [("relevant = ?", 0)]]
        index = ix_full
    out = []
    for extra in variants:
        terms = fixed + extra
        sql = [t for t, _ in terms]
        params = [p for t, p in terms if "?" in t]
        out.append((index, " AND ".join(sql) or "1", params))
    return out


def _order(view: View, prefix: str = "") -> str:
    d = "DESC" if view.descending else "ASC"
    return f"{prefix}last_ts {d}, {prefix}id {d}"


def _keyset(view: View, after: tuple[int, str] | None) -> tuple[str, list]:
    if after is None:
        return "", []
    op = "<" if view.descending else ">"
    return f" AND (last_ts, id) {op} (?, ?)", [after[0], after[1]]


def _indexed_by(conn: sqlite3.Connection, index: str) -> str:
    """``INDEXED BY index``, or nothing while the index is missing: a first sync builds the
    list indexes at its end (writes.bulk_begin); until then a query scans instead of failing."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (index,)).fetchone():
        return f"INDEXED BY {index}"
    return ""


def _ordered_keys_sql(conn: sqlite3.Connection, view: View,
                      after: tuple[int, str] | None) -> tuple[str, list]:
    """SQL yielding (rowid, last_ts, id) of the view in list order, from the index alone."""
    key_sql, key_params = _keyset(view, after)
    parts, params = [], []
    for index, where, p in _ranges(view):
        parts.append(
            f"SELECT rowid AS rid, last_ts, id FROM threads {_indexed_by(conn, index)} "
            f"WHERE {where}{key_sql}"
        )
        params += p + key_params
    return " UNION ALL ".join(parts) + f" ORDER BY {_order(view)}", params


def rows(conn: sqlite3.Connection, view: View, offset: int, limit: int, *,
         after: tuple[int, str] | None = None) -> list[ThreadRow]:
    """``limit`` threads of ``view`` from position ``offset`` (0-based), in list order.

    With ``after`` = key of the row at ``offset - 1`` the query seeks there instead of
    walking ``offset`` index entries (``offset`` is then ignored).
    """
    if limit <= 0:
        return []
    keys_sql, params = _ordered_keys_sql(conn, view, after)
    skip = 0 if after is not None else max(0, offset)
    sql = (
        f"SELECT {_THREAD_COLUMNS} FROM ({keys_sql} LIMIT ? OFFSET ?) AS k "
        f"JOIN threads AS t ON t.rowid = k.rid "
        f"LEFT JOIN campaigns AS c ON c.id = t.campaign_id "
        f"ORDER BY {_order(view, 'k.')}"
    )
    return [_thread_row(r) for r in conn.execute(sql, params + [limit, skip])]


def position(conn: sqlite3.Connection, view: View, thread: ThreadRow | tuple[int, str]) -> int:
    """Index of ``thread`` (or of where its key would sort) in ``view``: O(position) index steps."""
    last_ts, tid = thread.key if isinstance(thread, ThreadRow) else thread
    op = ">" if view.descending else "<"
    total = 0
    for index, where, params in _ranges(view):
        total += conn.execute(
            f"SELECT COUNT(*) FROM threads {_indexed_by(conn, index)} WHERE {where} AND (last_ts, id) {op} (?, ?)",
            params + [last_ts, tid],
        ).fetchone()[0]
    return total


def _counts_table(conn: sqlite3.Connection) -> dict[tuple[str, str], tuple[int, int]] | None:
    table = {
        (r[0], r[1]): (r[2], r[3])
        for r in conn.execute("SELECT kind, key, relevant_count, full_count FROM view_counts")
    }
    if not table and conn.execute("SELECT 1 FROM threads LIMIT 1").fetchone():
        return None  # never maintained: count on the indexes instead
    return table


def _count_key(view: View) -> tuple[str, str]:
    if view.kind in ("all", "needs", "done", "snoozed"):
        return (view.kind, "")
    if view.kind == "intent" and (view.key is None or view.key == UNCLASSIFIED):
        return ("intent", "")
    return (view.kind, view.key or "")


def _scan_count(conn: sqlite3.Connection, view: View) -> int:
    return sum(
        conn.execute(f"SELECT COUNT(*) FROM threads {_indexed_by(conn, index)} WHERE {where}", p).fetchone()[0]
        for index, where, p in _ranges(view)
    )


def count(conn: sqlite3.Connection, view: View) -> int:
    """Threads in ``view``."""
    table = None if view.narrow else _counts_table(conn)  # view_counts has no combined keys
    if table is None:
        return _scan_count(conn, view)
    relevant_count, full_count = table.get(_count_key(view), (0, 0))
    return relevant_count if view.relevant else full_count


def sidebar_counts(conn: sqlite3.Connection, relevant: bool) -> dict[tuple[str, str | None], int]:
    """Every queue's count in one call: {(kind, key): n}; key None for all/needs,
    'unclassified' for the NULL intent, the address / campaign id otherwise."""
    table = _counts_table(conn)
    out: dict[tuple[str, str | None], int] = {}
    if table is None:
        for kind, key, n in _group_counts(conn, relevant):
            out[(kind, key)] = n
        return out
    for (kind, key), (rc, fc) in table.items():
        if kind in ("all", "needs", "done", "snoozed"):
            k: str | None = None
        elif kind == "intent" and key == "":
            k = UNCLASSIFIED
        else:
            k = key
        out[(kind, k)] = rc if relevant else fc
    out.setdefault(("all", None), 0)
    out.setdefault(("needs", None), 0)
    return out


def _group_counts(conn: sqlite3.Connection, relevant: bool):
    """Counts straight from the indexes (fallback while view_counts is not maintained)."""
    where = "WHERE relevant = 1" if relevant else ""
    yield "all", None, conn.execute(f"SELECT COUNT(*) FROM threads {where}").fetchone()[0]
    rel = " AND relevant = 1" if relevant else ""
    yield "needs", None, conn.execute(
        f"SELECT COUNT(*) FROM threads WHERE needs_reply = 1 AND {LOCAL_OPEN_SQL}{rel}").fetchone()[0]
    for kind, term in _LOCAL_TERM.items():
        yield kind, None, conn.execute(f"SELECT COUNT(*) FROM threads WHERE {term}{rel}").fetchone()[0]
    for kind, column in (("intent", "reply_intent"), ("mailbox", "mailbox"), ("campaign", "campaign_id")):
        open_only = f"WHERE {LOCAL_OPEN_SQL}{rel}" if kind in LOCAL_HIDING_KINDS else where
        for key, n in conn.execute(f"SELECT {column}, COUNT(*) FROM threads {open_only} GROUP BY {column}"):
            if key is None:
                if kind != "intent":
                    continue
                key = UNCLASSIFIED
            yield kind, key, n


def thread(conn: sqlite3.Connection, thread_id: str) -> ThreadRow | None:
    r = conn.execute(
        f"SELECT {_THREAD_COLUMNS} FROM threads AS t LEFT JOIN campaigns AS c ON c.id = t.campaign_id "
        "WHERE t.id = ?",
        (thread_id,),
    ).fetchone()
    return _thread_row(r) if r is not None else None


def messages(conn: sqlite3.Connection, thread_id: str) -> list[MessageRow]:
    """The cached messages of a thread, oldest first."""
    return [
        MessageRow(
            id=r[0], thread_id=r[1], message_id=r[2], from_email=r[3], to_emails=_json_list(r[4]),
            cc_emails=_json_list(r[5]), subject=r[6], date=_parse_date(r[7], r[8]),
            body_text=r[9], body_html=r[10], is_incoming=bool(r[11]), folder=r[12],
        )
        for r in conn.execute(
            "SELECT id, thread_id, message_id, from_email, to_emails, cc_emails, subject, "
            "date_received, ts, body_text, body_html, is_incoming, folder FROM messages "
            "WHERE thread_id = ? ORDER BY ts, id",
            (thread_id,),
        )
    ]


def mailboxes(conn: sqlite3.Connection, relevant: bool = True) -> list[tuple[str, int]]:
    """(address, thread count) of every mailbox seen, busiest first."""
    counts = sidebar_counts(conn, relevant)
    known = {r[0] for r in conn.execute("SELECT address FROM mailboxes")}
    found = {k: n for (kind, k), n in counts.items() if kind == "mailbox" and k}
    for address in known - found.keys():
        found[address] = 0
    return sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))


def campaigns(conn: sqlite3.Connection, relevant: bool = True) -> list[tuple[str, str | None, int]]:
    """(campaign id, name or None, thread count), busiest first."""
    counts = sidebar_counts(conn, relevant)
    names = {r[0]: r[1] for r in conn.execute("SELECT id, name FROM campaigns")}
    found = {k: n for (kind, k), n in counts.items() if kind == "campaign" and k}
    return sorted(
        ((cid, names.get(cid), n) for cid, n in found.items()),
        key=lambda item: (-item[2], item[1] or item[0]),
    )


def campaign_name(conn: sqlite3.Connection, campaign_id: str) -> str | None:
    """The campaign's name as the server last gave it; None when unknown or empty."""
    row = conn.execute("SELECT name FROM campaigns WHERE id = ?", (campaign_id,)).fetchone()
    return row[0] if row and row[0] else None


def database_file(conn: sqlite3.Connection) -> str | None:
    """The file behind ``conn`` (None for an in-memory cache): where a second, read-only
    connection can search without holding up the first."""
    return conn.execute("PRAGMA database_list").fetchone()[2] or None
