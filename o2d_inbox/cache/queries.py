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
- Counts come from ``view_counts`` (kept by the sync engine; ``writes.refresh_counts`` rebuilds it),
  except Needs reply's, counted on its covering index with the list's own predicate (it depends
  on the outbox, which view_counts does not follow), the replied threads found from the outbox.
- A view narrowed by more filters (``View.narrow``, what `o2d-inbox threads` combines) walks its
  own queue's index and reads the table only for the narrowing columns of the rows it passes.

Needs reply holds what a reply is for (``needs_reply_sql``, the one definition: list, count,
`threads --needs-reply`, search's ``is:needs-reply``): the prospect wrote last, the intent is
interested, neutral or not classified yet, no reply to it is queued, in flight or sent since
the prospect's last message (a replied thread leaves at once, before the sync brings our
message back), and (as in every open queue) it is not done or snoozed.

Order (``View.sort``, a choice the TUI toggles; None = the queue's own): 'newest' (last_ts
DESC, id DESC; every queue but these two), 'oldest' (oldest wait first), 'intent' (interested,
then neutral, unclassified, ... each group in the queue's time order; Needs reply's own:
interested first, then oldest wait), 'wake' (Snoozed's own: soonest wake first). An intent
sort reads one group after another (one statement each), so a page never sorts the queue.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone

from o2d_inbox.cache.schema import LOCAL_HIDING_KINDS, LOCAL_OPEN_SQL
from o2d_inbox.render.dates import parse_time

KINDS = ("all", "needs", "intent", "mailbox", "campaign", "done", "snoozed")
UNCLASSIFIED = "unclassified"
#: the list orders a user can choose (View.sort); 'wake' is Snoozed's own
SORTS = ("oldest", "newest", "intent")
#: intents a reply is for (and unclassified): Needs reply holds these only
REPLY_INTENTS = ("interested", "neutral")
#: the groups of the 'intent' sort, in order (None: unclassified), then any other value
INTENT_ORDER: tuple[str | None, ...] = (
    "interested",
    "neutral",
    None,
    "out_of_office",
    "not_interested",
    "bounced",
    "unsubscribe",
)
#: outbox states of a reply that answers the prospect already (queued, in flight, or sent)
REPLIED_STATES = ("scheduled", "sending", "accepted", "sent")


def _reply_for_sql(a: str) -> str:
    intents = ", ".join(f"'{i}'" for i in REPLY_INTENTS)
    return f"{a}.needs_reply = 1 AND ({a}.reply_intent IS NULL OR {a}.reply_intent IN ({intents}))"


def _replied_sql(o: str, t: str) -> str:
    """Outbox row ``o`` is a reply to thread ``t`` on its way or sent since the prospect's last
    message. The reply's send time is this machine's clock, the message's date the server's:
    clocks a few seconds apart only matter for a prospect who writes again within them."""
    states = ", ".join(f"'{s}'" for s in REPLIED_STATES)
    return f"{o}.kind = 'reply' AND {o}.state IN ({states}) AND coalesce({o}.send_after, {o}.created_at) >= {t}.last_ts"


def needs_reply_sql(alias: str = "threads") -> str:
    """The one definition of "a reply is for it", a WHERE term on the threads table ``alias``
    (the Needs-reply queue adds LOCAL_OPEN_SQL, as every open queue does; search's
    ``is:needs-reply`` is this term, ``is:open`` that one)."""
    return (
        f"{_reply_for_sql(alias)} AND NOT EXISTS (SELECT 1 FROM outbox AS o "
        f"WHERE o.thread_id = {alias}.id AND {_replied_sql('o', alias)})"
    )


#: rowids of the threads with a reply on its way (few: read from the outbox side)
_REPLIED_ROWIDS = (
    f"SELECT rt.rowid FROM outbox AS ro JOIN threads AS rt ON rt.id = ro.thread_id WHERE {_replied_sql('ro', 'rt')}"
)


# kind -> (index column fixed by the view or None, index for relevant views, index for full views)
_INDEX = {
    "all": (None, "ix_threads_all", "ix_threads_all_full"),
    "needs": ("needs_reply", "ix_threads_needs_open", "ix_threads_needs_open"),
    "intent": ("reply_intent", "ix_threads_intent_open", "ix_threads_intent_open"),
    "mailbox": ("mailbox", "ix_threads_mailbox", "ix_threads_mailbox"),
    "campaign": ("campaign_id", "ix_threads_campaign", "ix_threads_campaign"),
    "done": (None, "ix_threads_done", "ix_threads_done"),
    "snoozed": (None, "ix_threads_snoozed", "ix_threads_snoozed"),  # wake order (few rows)
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
    #: one of SORTS, or None for the queue's own order (see ``order``)
    sort: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown view kind {self.kind!r}")
        for kind, _ in self.narrow:
            if kind not in _NARROW_COLUMN:
                raise ValueError(f"a view cannot be narrowed by {kind!r}")
        if self.sort is not None and self.sort not in SORTS:
            raise ValueError(f"unknown sort {self.sort!r} (one of {', '.join(SORTS)})")

    @property
    def order(self) -> str:
        """The order in effect: the chosen sort, else the queue's own."""
        if self.sort is not None:
            return self.sort
        return {"needs": "intent", "snoozed": "wake"}.get(self.kind, "newest")

    @property
    def descending(self) -> bool:
        """Time order within the list (within each group of an intent sort): newest first?"""
        order = self.order
        if order == "intent":
            return self.kind != "needs"  # Needs reply: the oldest wait first in each group
        return order == "newest"


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
    """The stored ISO time, else the epoch seconds beside it (0: unknown)."""
    parsed = parse_time(text)
    if parsed is None and ts:
        return datetime.fromtimestamp(ts, timezone.utc)
    return parsed


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
    (
        tid,
        subject,
        subject_display,
        last_from,
        last_date,
        last_ts,
        snippet,
        message_count,
        intent,
        campaign_id,
        campaign_name,
        mailbox,
        prospect,
        warming,
        postmaster,
        relevant,
        needs,
        unread,
        fetched,
        done,
        snoozed_until,
        note,
        external_id,
    ) = tuple(r)
    message_count = message_count or 0
    return ThreadRow(
        id=tid,
        subject=subject,
        subject_display=subject_display,
        last_from=last_from,
        last_date=_parse_date(last_date, last_ts),
        last_ts=last_ts or 0,
        snippet=snippet,
        message_count=message_count,
        reply_intent=intent,
        campaign_id=campaign_id,
        campaign_name=campaign_name,
        mailbox=mailbox,
        prospect=prospect,
        is_warming=bool(warming),
        is_postmaster=bool(postmaster),
        relevant=bool(relevant),
        needs_reply=bool(needs),
        unread=bool(unread),
        messages_cached=fetched is not None and fetched >= message_count,
        local_done=bool(done),
        local_snoozed_until=_parse_date(None, snoozed_until),
        local_note=note,
        external_thread_id=external_id,
        last_date_text=last_date,
    )


def filtered(
    *,
    intent: str | None = None,
    mailbox: str | None = None,
    campaign: str | None = None,
    needs_reply: bool = False,
    relevant: bool = False,
    sort: str | None = None,
) -> View:
    """The view of threads passing every given filter (None / False: no filter), ordered as
    the TUI's queue of its main filter: 'needs' when ``needs_reply`` (oldest wait first), else
    'intent', 'campaign', 'mailbox', 'all' (newest first). ``intent`` 'unclassified' is none yet.
    Threads marked done or snoozed are left out whenever ``needs_reply`` or ``intent`` is given,
    as the Needs-reply and intent queues leave them out. ``sort``: View.sort."""
    given = [
        (kind, key)
        for kind, key in (("intent", intent), ("campaign", campaign), ("mailbox", mailbox))
        if key is not None
    ]
    if needs_reply:
        return View("needs", relevant=relevant, narrow=tuple(given), sort=sort)
    if not given:
        return View("all", relevant=relevant, sort=sort)
    (kind, key), rest = given[0], tuple(given[1:])
    return View(kind, key, relevant=relevant, narrow=rest, sort=sort)


def _term(kind: str, key: str | None) -> tuple[str, object]:
    """The WHERE term of a view kind that fixes a column to ``key``."""
    if kind == "intent" and (key is None or key == UNCLASSIFIED):
        return ("reply_intent IS NULL", None)
    return (f"{_NARROW_COLUMN[kind]} = ?", key)


_Group = tuple[str, list]  # a WHERE term (and its parameters) of one group of the list

#: Needs reply as index ranges, one per intent (migration 13's index has reply_intent third)
_NEEDS_GROUPS: list[_Group] = [*(("reply_intent = ?", [i]) for i in REPLY_INTENTS), ("reply_intent IS NULL", [])]


def _ranges(view: View, group: _Group | None = None, *, replied: bool | None = False) -> list[tuple[str, str, list]]:
    """The view (or one group of its intent sort) as ordered index ranges:
    [(index, where-sql, params)], merged in list order by SQLite. For Needs reply,
    ``replied`` None / True: without its outbox term / only the threads that term leaves out."""
    column, ix_relevant, ix_full = _INDEX[view.kind]
    fixed: list[tuple[str, list]] = []
    if view.kind == "needs":
        if replied is False:
            fixed.append((needs_reply_sql(), []))
        else:
            fixed.append((_reply_for_sql("threads"), []))
            if replied:
                fixed.append((f"rowid IN ({_REPLIED_ROWIDS})", []))
    elif column is not None:
        term, value = _term(view.kind, view.key)
        fixed.append((term, [value] if "?" in term else []))
    for kind, key in view.narrow:
        term, value = _term(kind, key)
        fixed.append((term, [value] if "?" in term else []))
    if view.kind in LOCAL_HIDING_KINDS or any(kind in LOCAL_HIDING_KINDS for kind, _ in view.narrow):
        fixed.append((LOCAL_OPEN_SQL, []))  # done / snoozed threads are put away
    if view.kind in _LOCAL_TERM:
        fixed.append((_LOCAL_TERM[view.kind], []))
    if view.relevant:
        variants: list[list[_Group]] = [[("relevant = ?", [1])]]
        index = ix_relevant
    elif view.kind == "all":
        variants = [[]]
        index = ix_full
    else:
        # relevant is the index's second column: two ordered ranges, merged by SQLite
        variants = [[("relevant = ?", [1])], [("relevant = ?", [0])]]
        index = ix_full
    if view.kind == "needs":  # and the intent is its third: one range per intent
        variants = [v + [g] for v in variants for g in ([group] if group else _NEEDS_GROUPS)]
    elif group is not None:
        fixed.append(group)
    out = []
    for extra in variants:
        terms = fixed + extra
        out.append((index, " AND ".join(t for t, _ in terms) or "1", [p for _, ps in terms for p in ps]))
    return out


def _groups(view: View) -> list[_Group | None]:
    """The groups an intent sort reads one after another; [None]: the view is one group."""
    if view.order != "intent" or view.kind == "intent":
        return [None]
    if view.kind == "needs":
        return list(_NEEDS_GROUPS)
    out: list[_Group | None] = [
        ("reply_intent IS NULL", []) if i is None else ("reply_intent = ?", [i]) for i in INTENT_ORDER
    ]
    named = [i for i in INTENT_ORDER if i is not None]  # any value the server sends, last
    out.append((f"reply_intent NOT IN ({', '.join('?' * len(named))})", named))
    return out


def _group_of(view: View, intent: str | None) -> int:
    groups = _groups(view)
    for i, group in enumerate(groups):
        if group is None or (group[1] == [intent] if intent is not None else not group[1]):
            return i
    return len(groups) - 1


def _time_column(view: View) -> str:
    return "local_snoozed_until" if view.order == "wake" else "last_ts"


def _order(view: View, prefix: str = "") -> str:
    d = "DESC" if view.descending else "ASC"
    return f"{prefix}sk {d}, {prefix}id {d}"


def _keyset(view: View, after: tuple[int, str] | None) -> tuple[str, list]:
    if after is None:
        return "", []
    op = "<" if view.descending else ">"
    return f" AND ({_time_column(view)}, id) {op} (?, ?)", [after[0], after[1]]


def _indexed_by(conn: sqlite3.Connection, index: str) -> str:
    """``INDEXED BY index``, or nothing while the index is missing: a first sync builds the
    list indexes at its end (writes.bulk_begin); until then a query scans instead of failing."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (index,)).fetchone():
        return f"INDEXED BY {index}"
    return ""


def _ordered_keys_sql(
    conn: sqlite3.Connection, view: View, after: tuple[int, str] | None, group: _Group | None = None
) -> tuple[str, list]:
    """SQL yielding (rowid, sort time, id) of the view (or one group of it) in list order,
    from the index alone."""
    key_sql, key_params = _keyset(view, after)
    parts, params = [], []
    for index, where, p in _ranges(view, group):
        parts.append(
            f"SELECT rowid AS rid, {_time_column(view)} AS sk, id FROM threads {_indexed_by(conn, index)} "
            f"WHERE {where}{key_sql}"
        )
        params += p + key_params
    return " UNION ALL ".join(parts) + f" ORDER BY {_order(view)}", params


def _resume(conn: sqlite3.Connection, view: View, thread: ThreadRow | tuple[int, str]) -> tuple[int, tuple[int, str]]:
    """(group index, key in that group's order) of a thread given as a row or (last_ts, id)."""
    last_ts, tid = thread.key if isinstance(thread, ThreadRow) else thread
    if len(_groups(view)) == 1 and _time_column(view) == "last_ts":
        return 0, (last_ts, tid)
    found = conn.execute("SELECT reply_intent, local_snoozed_until FROM threads WHERE id = ?", (tid,)).fetchone()
    if found is None:
        return 0, (last_ts, tid)
    sort_time = found[1] if _time_column(view) == "local_snoozed_until" else last_ts
    return _group_of(view, found[0]), (sort_time or 0, tid)


def _page(
    conn: sqlite3.Connection, view: View, group: _Group | None, after: tuple[int, str] | None, limit: int, skip: int
) -> list[ThreadRow]:
    keys_sql, params = _ordered_keys_sql(conn, view, after, group)
    sql = (
        f"SELECT {_THREAD_COLUMNS} FROM ({keys_sql} LIMIT ? OFFSET ?) AS k "
        f"JOIN threads AS t ON t.rowid = k.rid "
        f"LEFT JOIN campaigns AS c ON c.id = t.campaign_id "
        f"ORDER BY {_order(view, 'k.')}"
    )
    return [_thread_row(r) for r in conn.execute(sql, params + [limit, skip])]


def rows(
    conn: sqlite3.Connection, view: View, offset: int, limit: int, *, after: tuple[int, str] | None = None
) -> list[ThreadRow]:
    """``limit`` threads of ``view`` from position ``offset`` (0-based), in list order.

    With ``after`` = key of the row at ``offset - 1`` the query seeks there instead of
    walking ``offset`` index entries (``offset`` is then ignored).
    """
    if limit <= 0:
        return []
    groups = _groups(view)
    first, key = _resume(conn, view, after) if after is not None else (0, None)
    skip = 0 if after is not None else max(0, offset)
    out: list[ThreadRow] = []
    for i in range(first, len(groups)):
        if skip and len(groups) > 1:  # a whole group before the offset: step over it
            n = _scan_count(conn, view, groups[i])
            if n <= skip:
                skip -= n
                continue
        out += _page(conn, view, groups[i], key if i == first else None, limit - len(out), skip)
        skip = 0
        if len(out) >= limit:
            break
    return out


def position(conn: sqlite3.Connection, view: View, thread: ThreadRow | tuple[int, str]) -> int:
    """Index of ``thread`` (or of where its key would sort) in ``view``: O(position) index steps."""
    group, (sort_time, tid) = _resume(conn, view, thread)
    groups = _groups(view)
    total = sum(_scan_count(conn, view, g) for g in groups[:group])
    op = ">" if view.descending else "<"
    for index, where, params in _ranges(view, groups[group]):
        total += conn.execute(
            f"SELECT COUNT(*) FROM threads {_indexed_by(conn, index)} "
            f"WHERE {where} AND ({_time_column(view)}, id) {op} (?, ?)",
            params + [sort_time, tid],
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
    if view.kind in ("all", "done", "snoozed"):
        return (view.kind, "")
    if view.kind == "intent" and (view.key is None or view.key == UNCLASSIFIED):
        return ("intent", "")
    return (view.kind, view.key or "")


def _scan_count(conn: sqlite3.Connection, view: View, group: _Group | None = None) -> int:
    if view.kind == "needs":
        # the waiting threads on the index alone, less the replied ones looked up by rowid from
        # the outbox side: one outbox probe per waiting thread cost 4-5x the count
        waiting = sum(
            conn.execute(f"SELECT COUNT(*) FROM threads {_indexed_by(conn, index)} WHERE {where}", p).fetchone()[0]
            for index, where, p in _ranges(view, group, replied=None)
        )
        replied = sum(
            conn.execute(f"SELECT COUNT(*) FROM threads NOT INDEXED WHERE {where}", p).fetchone()[0]
            for _, where, p in _ranges(view, group, replied=True)
        )
        return waiting - replied
    return sum(
        conn.execute(f"SELECT COUNT(*) FROM threads {_indexed_by(conn, index)} WHERE {where}", p).fetchone()[0]
        for index, where, p in _ranges(view, group)
    )


def count(conn: sqlite3.Connection, view: View) -> int:
    """Threads in ``view``. Needs reply is counted on its index with the list's own predicate
    (it depends on the outbox, which view_counts does not follow: it keeps no row for it)."""
    table = None if view.narrow or view.kind == "needs" else _counts_table(conn)  # no combined keys
    if table is None:
        return _scan_count(conn, view)
    relevant_count, full_count = table.get(_count_key(view), (0, 0))
    return relevant_count if view.relevant else full_count


def sidebar_counts(
    conn: sqlite3.Connection, relevant: bool, *, needs: bool = True
) -> dict[tuple[str, str | None], int]:
    """Every queue's count in one call: {(kind, key): n}; key None for all/needs,
    'unclassified' for the NULL intent, the address / campaign id otherwise. ``needs=False``
    leaves Needs reply out: the one count read from an index rather than view_counts (~25 ms
    on 1,000,000 threads), which the inbox's first frame does without."""
    table = _counts_table(conn)
    out: dict[tuple[str, str | None], int] = {}
    if table is None:
        for kind, key, n in _group_counts(conn, relevant):
            out[(kind, key)] = n
    else:
        for (kind, key), (rc, fc) in table.items():
            if kind in ("all", "done", "snoozed"):
                k: str | None = None
            elif kind == "intent" and key == "":
                k = UNCLASSIFIED
            else:
                k = key
            out[(kind, k)] = rc if relevant else fc
        out.setdefault(("all", None), 0)
    if needs:
        out[("needs", None)] = count(conn, View("needs", relevant=relevant))  # what the list lists
    return out


def _group_counts(conn: sqlite3.Connection, relevant: bool):
    """Counts straight from the indexes (fallback while view_counts is not maintained)."""
    where = "WHERE relevant = 1" if relevant else ""
    yield "all", None, conn.execute(f"SELECT COUNT(*) FROM threads {where}").fetchone()[0]
    rel = " AND relevant = 1" if relevant else ""
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
        f"SELECT {_THREAD_COLUMNS} FROM threads AS t LEFT JOIN campaigns AS c ON c.id = t.campaign_id WHERE t.id = ?",
        (thread_id,),
    ).fetchone()
    return _thread_row(r) if r is not None else None


def messages(conn: sqlite3.Connection, thread_id: str) -> list[MessageRow]:
    """The cached messages of a thread, oldest first."""
    return [
        MessageRow(
            id=r[0],
            thread_id=r[1],
            message_id=r[2],
            from_email=r[3],
            to_emails=_json_list(r[4]),
            cc_emails=_json_list(r[5]),
            subject=r[6],
            date=_parse_date(r[7], r[8]),
            body_text=r[9],
            body_html=r[10],
            is_incoming=bool(r[11]),
            folder=r[12],
        )
        for r in conn.execute(
            "SELECT id, thread_id, message_id, from_email, to_emails, cc_emails, subject, "
            "date_received, ts, body_text, body_html, is_incoming, folder FROM messages "
            "WHERE thread_id = ? ORDER BY ts, id",
            (thread_id,),
        )
    ]


def mailboxes(
    conn: sqlite3.Connection, relevant: bool = True, *, counts: dict[tuple[str, str | None], int] | None = None
) -> list[tuple[str, int]]:
    """(address, thread count) of every mailbox seen, busiest first (``counts``: the
    sidebar_counts already read)."""
    if counts is None:
        counts = sidebar_counts(conn, relevant)
    known = {r[0] for r in conn.execute("SELECT address FROM mailboxes")}
    found = {k: n for (kind, k), n in counts.items() if kind == "mailbox" and k}
    for address in known - found.keys():
        found[address] = 0
    return sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))


def campaigns(
    conn: sqlite3.Connection, relevant: bool = True, *, counts: dict[tuple[str, str | None], int] | None = None
) -> list[tuple[str, str | None, int]]:
    """(campaign id, name or None, thread count), busiest first (``counts``: the
    sidebar_counts already read)."""
    if counts is None:
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


#: What the thread list marks a thread with, by outbox state: a draft, a send on its way
#: (queued in the undo window, sending, waiting for the server), a failed one.
OUTBOX_MARKS = {
    "draft": "draft",
    "scheduled": "pending",
    "sending": "pending",
    "accepted": "pending",
    "failed": "failed",
}


def outbox_marks(conn: sqlite3.Connection, thread_ids: list[str]) -> dict[str, set[str]]:
    """{thread id: {'draft' | 'pending' | 'failed'}} for the threads of ``thread_ids`` that have
    an outbox item still open (one indexed query for a page of the list; absent = none)."""
    out: dict[str, set[str]] = {}
    for start in range(0, len(thread_ids), 500):
        chunk = thread_ids[start : start + 500]
        for tid, state in conn.execute(
            f"SELECT thread_id, state FROM outbox WHERE thread_id IN ({','.join('?' * len(chunk))}) "
            "AND state NOT IN ('sent', 'cancelled')",
            chunk,
        ):
            out.setdefault(tid, set()).add(OUTBOX_MARKS.get(state, "pending"))
    return out


def intent_stored(conn: sqlite3.Connection, value: str) -> bool:
    """Some cached thread carries exactly this intent (a value the server sent that has no
    name here is still a queue the user can list)."""
    return conn.execute("SELECT 1 FROM threads WHERE reply_intent = ? LIMIT 1", (value,)).fetchone() is not None


def campaign_known(conn: sqlite3.Connection, campaign_id: str) -> bool:
    """The cache knows the campaign: by its name, or because a thread belongs to it."""
    return (
        conn.execute(
            "SELECT 1 FROM campaigns WHERE id = ? UNION ALL SELECT 1 FROM threads WHERE campaign_id = ? LIMIT 1",
            (campaign_id, campaign_id),
        ).fetchone()
        is not None
    )


def campaign_ids(conn: sqlite3.Connection, limit: int = 8) -> list[str]:
    """The first ``limit`` campaign ids the cache has names for, in id order."""
    return [r[0] for r in conn.execute("SELECT id FROM campaigns ORDER BY id LIMIT ?", (limit,))]
