"""Offline full-text search of the cache: a tolerant query language over SQLite FTS5. Headless.

    parse(q, *, now=None) -> SearchQuery
    search(conn, q, *, relevant=None, limit=50, offset=0, now=None) -> list[ThreadRow]  newest first
    search_count(conn, q, *, relevant=None, now=None) -> int   at most COUNT_CAP + 1 ("more")

Query language (a filter whose value cannot be read raises SearchError, one line naming it;
anything else that cannot be understood becomes plain words):

- ``pricing demo``: every word must occur (AND); the last word is a prefix while typing
  (``pri`` finds "pricing") unless the query ends with a space.
- ``"next tuesday"``: a phrase (an unbalanced quote runs to the end of the query).
- ``from:jane`` / ``to:acme.com``: addresses; one word is a prefix (jane finds jane.doe@…),
  more are the address's words in a row (acme.com, jane.doe@acme.com), the last one a prefix
  unless a domain ends it (tom@lumen finds tom@lumenhq.com).
  from: is a message's sender (or a thread's last sender), to: a message's to / cc. Several
  from:/to: must all match.
- ``intent:interested``, or any name the list shows (``int``, ``ooo``, ``not``, ``unsub``,
  ``bounce``, ``unc`` = none yet; render/intent_names.py), ``mailbox:``, ``campaign:`` (id, or
  a substring of its name): several values of one key = OR. An unknown intent is an error.
- ``before:2026-03-01`` / ``after:2026-03-01`` (UTC days; before: excludes the day, after:
  includes it) or relative ``7d`` ``2w`` ``3m`` ``1y`` ``12h``: on the thread's last activity;
  anything else is an error.
- ``is:unread``, ``is:needs-reply`` (the Needs-reply queue: queries.needs_reply_sql), ``is:open``
  (not done, not snoozed: cache/local.py); another ``is:`` value is an error.
- A filter key with nothing after it (``intent:`` while typing) is ignored.
- ``word:value`` with another key is words, unless the key is a near miss of a filter
  (``frm:``, ``intnet:``) or a filter other mail searches have (``subject:``, ``cc:``,
  ``has:``, ``label:``, ``in:``, ``date:``): an error naming the filters there are.
- ``-word`` has no negation: it is the word. AND / OR / NOT / NEAR are words too.

Matching: a thread is found when its own row (subject, last snippet, last sender: what the
thread list has, also for threads whose messages were never fetched) or one
of its cached messages (subject, body, from, to, cc) matches all the words, phrases and
address filters, or (without address filters) its private note contains all the words and
phrases (cache/local.py; notes are few: read through their own index, ix_threads_noted); the
other filters apply to the thread. See schema.py (full-text search) for what
is indexed and how the indexes stay current (triggers; never a rebuild).

Cost: the index's rowids are in list order (schema.py, "In list order"), so a query reads the
newest hits first and stops once a page is full: a common word costs about a page, a rare
word its few hits. When the other filters keep at most ``_NARROW`` threads, those threads
are tested one by one instead (a common word with a narrow filter would otherwise walk far);
then the last word is not a prefix (FTS5 would build a prefix's doclist for every thread).
"""

from __future__ import annotations

import difflib
import heapq
import re
import sqlite3
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from o2d_inbox.cache.db import fault_kind, transaction
from o2d_inbox.cache.queries import _THREAD_COLUMNS, ThreadRow, _thread_row, needs_reply_sql
from o2d_inbox.cache.schema import FTS_KEY, FTS_TOP, LOCAL_OPEN_SQL, clamp_ts
from o2d_inbox.render.intent_names import UnknownIntent, intent_value

# search_count stops at COUNT_CAP + 1 (shown as "1,000+"). Measured at 1,000,000 messages:
# counting a common word with a filter to 10,000 threads took ~0.5 s, to 1,000 ~50 ms.
COUNT_CAP = 1_000
_NARROW = 300  # filters keeping at most this many threads: test each instead of walking hits

_KEYS = ("from", "to", "intent", "mailbox", "campaign", "before", "after", "is")
#: keys other mail searches know, which this one does not: an error rather than words
_FOREIGN_KEYS = ("subject", "cc", "bcc", "has", "label", "in", "date", "older_than", "newer_than")
_FOREIGN = re.compile(r"([A-Za-z_]+):\S")
_IS = {
    "unread": "unread",
    "needs-reply": "needs_reply",
    "needs_reply": "needs_reply",
    "needsreply": "needs_reply",
    "needs": "needs_reply",
    "open": "open",
}
# schema.LOCAL_OPEN_SQL on the threads alias ``t`` (one definition of "put away")
_OPEN_SQL = re.sub(r"\blocal_", "t.local_", LOCAL_OPEN_SQL)
_UNITS = {"h": 3600, "d": 86400, "w": 7 * 86400, "m": 30 * 86400, "y": 365 * 86400}
_RELATIVE = re.compile(r"(\d{1,5})([hdwmy])", re.I)
_WORD = re.compile(r"\w", re.UNICODE)  # a term without one has no token for FTS5 to match


class SearchError(ValueError):
    """A filter whose value cannot be read (``is:bogus``, ``before:garbage``, ``intent:bogus``);
    the message is one line naming it, for the search bar and the command line."""


@dataclass(frozen=True)
class SearchQuery:
    terms: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    from_: tuple[str, ...] = ()
    to: tuple[str, ...] = ()
    intents: tuple[str | None, ...] = ()  # None = unclassified
    mailboxes: tuple[str, ...] = ()
    campaigns: tuple[str, ...] = ()
    before: int | None = None  # epoch seconds: last activity < before
    after: int | None = None  # epoch seconds: last activity >= after
    unread: bool = False
    needs_reply: bool = False
    open: bool = False  # not done, not snoozed (cache/local.py)
    prefix: bool = False  # the last term is still being typed

    def is_empty(self) -> bool:
        return not (
            self.terms
            or self.phrases
            or self.from_
            or self.to
            or self.intents
            or self.mailboxes
            or self.campaigns
            or self.before is not None
            or self.after is not None
            or self.unread
            or self.needs_reply
            or self.open
        )

    @property
    def has_text(self) -> bool:
        return bool(self.terms or self.phrases or self.from_ or self.to)


# --- parsing --------------------------------------------------------------------------------


def _tokens(q: str) -> list[tuple[str | None, str, bool]]:
    """(key or None, value, quoted) in order; never fails."""
    out: list[tuple[str | None, str, bool]] = []
    i, n = 0, len(q)
    while i < n:
        if q[i].isspace():
            i += 1
            continue
        if q[i] == '"':
            end = q.find('"', i + 1)
            end = n if end < 0 else end
            out.append((None, q[i + 1 : end], True))
            i = end + 1
            continue
        j = i
        while j < n and not q[j].isspace() and q[j] != '"':
            j += 1
        word = q[i:j]
        key, sep, value = word.partition(":")
        if sep and key.lower() in _KEYS:
            if not value and j < n and q[j] == '"':  # key:"quoted value"
                end = q.find('"', j + 1)
                end = n if end < 0 else end
                out.append((key.lower(), q[j + 1 : end], True))
                i = end + 1
                continue
            if value:
                out.append((key.lower(), value, False))
            i = j
            continue
        out.append((None, word, False))
        i = j
    return out


def _day(value: str) -> int | None:
    try:
        d = datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        return None
    return int(d.replace(tzinfo=timezone.utc).timestamp())


def _when(value: str, now: datetime) -> int | None:
    """Epoch seconds, clamped as stored times are (schema.clamp_ts): after:2200-01-01 finds a
    thread dated 2300, which is stored as 2106."""
    m = _RELATIVE.fullmatch(value.strip())
    ts = int(now.timestamp()) - int(m.group(1)) * _UNITS[m.group(2).lower()] if m else _day(value.strip())
    return None if ts is None else clamp_ts(ts)


def _refuse_unknown_key(word: str) -> None:
    """``frm:tom`` or ``subject:pricing`` reads as a filter the user meant: say so (an empty
    list would answer it); ``re:``, ``12:30`` and other words with a colon stay words."""
    m = _FOREIGN.match(word)
    if m is None:
        return
    key = m.group(1).lower()
    near = difflib.get_close_matches(key, _KEYS, n=1, cutoff=0.75)
    if not near and key not in _FOREIGN_KEYS:
        return
    hint = f"did you mean {near[0]}:?" if near else " ".join(f"{k}:" for k in _KEYS)
    raise SearchError(f"unknown filter {key}: ({hint})")


def parse(q: str, *, now: datetime | None = None) -> SearchQuery:
    """The query as structured fields; what is not understood becomes plain words.
    Raises SearchError for a filter whose value cannot be read."""
    now = now or datetime.now(timezone.utc)
    terms: list[str] = []
    phrases: list[str] = []
    lists: dict[str, list] = {k: [] for k in ("from", "to", "intent", "mailbox", "campaign")}
    before = after = None
    flags = {"unread": False, "needs_reply": False, "open": False}
    last_is_term = False
    q = q or ""
    for key, value, quoted in _tokens(q):
        last_is_term = False
        if key is None:
            if not quoted:
                _refuse_unknown_key(value)
            if quoted:
                if _WORD.search(value):
                    phrases.append(value)
            elif _WORD.search(value):
                terms.append(value)
                last_is_term = True
            continue
        if key in ("from", "to"):
            if _WORD.search(value):  # FTS5 matches words: nothing to match otherwise
                lists[key].append(value.strip().lower())
            continue
        if key in ("mailbox", "campaign"):  # compared as text (LIKE, escaped)
            lists[key].append(value.strip().lower() if key == "mailbox" else value.strip())
            continue
        if key == "intent":
            try:
                lists["intent"].append(intent_value(value.strip()))
            except UnknownIntent as exc:
                raise SearchError(str(exc)) from None
            continue
        if key in ("before", "after"):
            ts = _when(value, now)
            if ts is None:
                raise SearchError(f"{key}: needs a date (2026-03-01) or an age (12h, 7d, 2w, 3m, 1y), not {value!r}")
            if key == "before":
                before = ts if before is None else min(before, ts)
            else:
                after = ts if after is None else max(after, ts)
            continue
        if key == "is":
            flag = _IS.get(value.strip().lower())
            if not flag:
                raise SearchError(f"unknown filter is:{value} (is:unread, is:needs-reply or is:open)")
            flags[flag] = True
    prefix = last_is_term and not q[-1:].isspace()
    return SearchQuery(
        terms=tuple(terms),
        phrases=tuple(phrases),
        from_=tuple(lists["from"]),
        to=tuple(lists["to"]),
        intents=tuple(dict.fromkeys(lists["intent"])),
        mailboxes=tuple(lists["mailbox"]),
        campaigns=tuple(lists["campaign"]),
        before=before,
        after=after,
        unread=flags["unread"],
        needs_reply=flags["needs_reply"],
        open=flags["open"],
        prefix=prefix,
    )


# --- FTS5 MATCH expression ------------------------------------------------------------------


def _string(text: str) -> str:
    """An FTS5 string: everything inside is data (the tokenizer splits it; "" is a quote)."""
    return '"' + text.replace('"', '""') + '"'


_DOMAIN_END = re.compile(r"\.[^\W\d_]{2,}$", re.UNICODE)  # ".com", ".io": a domain ends it


def _address(value: str) -> str:
    """One word is a prefix (from:jan finds jan.doe@…); more (jane.doe@acme.com, tom@lumen)
    are the address's words in a row, the last one a prefix unless a domain ends the value
    (acme.com: a prefix "com*" would read every "com…")."""
    value = value.strip(" .@")
    return _string(value) + ("" if _DOMAIN_END.search(value) else "*")


def match_expression(query: SearchQuery) -> str | None:
    """The FTS5 MATCH text for the words, phrases and address filters (None: no text part)."""
    parts: list[str] = []
    for i, term in enumerate(query.terms):
        star = "*" if query.prefix and i == len(query.terms) - 1 else ""
        parts.append(_string(term) + star)
    parts += [_string(p) for p in query.phrases]
    parts += [f"sender : {_address(a)}" for a in query.from_]
    parts += [f"recipients : {_address(a)}" for a in query.to]
    return " AND ".join(parts) if parts else None


# --- SQL --------------------------------------------------------------------------------------


def _filters(query: SearchQuery, relevant: bool | None, params: dict) -> list[str]:
    """SQL conditions on threads ``t``; their values are added to ``params`` (named)."""

    def p(value: object) -> str:
        name = f"p{len(params)}"
        params[name] = value
        return ":" + name

    where: list[str] = []
    if relevant is not None:
        where.append(f"t.relevant = {p(int(relevant))}")
    if query.intents:
        named = [i for i in query.intents if i is not None]
        ors = [f"t.reply_intent IN ({', '.join(p(i) for i in named)})"] if named else []
        if None in query.intents:
            ors.append("t.reply_intent IS NULL")
        where.append("(" + " OR ".join(ors) + ")")
    if query.mailboxes:
        where.append(
            "("
            + " OR ".join(
                f"t.mailbox = {p(m)}" if "@" in m else f"t.mailbox LIKE {p(_contains(m))} ESCAPE '\\'"
                for m in query.mailboxes
            )
            + ")"
        )
    if query.campaigns:
        where.append(
            "("
            + " OR ".join(
                f"t.campaign_id = {p(c)} OR t.campaign_id IN "
                f"(SELECT id FROM campaigns WHERE name LIKE {p(_contains(c))} ESCAPE '\\')"
                for c in query.campaigns
            )
            + ")"
        )
    if query.before is not None:
        where.append(f"t.last_ts < {p(query.before)}")
    if query.after is not None:
        where.append(f"t.last_ts >= {p(query.after)}")
    if query.unread:
        where.append("t.unread = 1")
    if query.needs_reply:
        where.append(f"({needs_reply_sql('t')})")
    if query.open:
        where.append(f"({_OPEN_SQL})")
    return where


def _contains(s: str) -> str:
    """A LIKE pattern for 'contains s' (case-insensitive for ASCII)."""
    return "%" + s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


_K = FTS_KEY
_ROW = FTS_KEY - 1  # FTS rowid & _ROW = the thread's / message's own rowid


def _clamp(rid: int) -> int:
    return min(rid, 2**63 - 1)  # a date before 1970: SQLite integers stop at 2**63 - 1


def _key(ts: int) -> int:
    """The lowest FTS rowid of last_ts ``ts`` (schema.py, "In list order"); newer is lower."""
    return (FTS_TOP - ts) * _K


def _arms(where: list[str], bounds: str, ordered: bool, notes: str = "") -> list[str]:
    """Queries of (FTS rowid, thread rowid, last_ts, id) for the matching thread rows and
    messages (and, given ``notes``, noted threads) that pass the filters; ordered: newest
    first (ascending FTS rowids; a note's thread sorts by the key its own row has).
    Separate statements, merged by the caller: a compound SELECT gets flattened and loses the order."""
    filters = "".join(" AND " + w for w in where)
    order = " ORDER BY rid" if ordered else ""
    arms = [
        f"SELECT f.rowid AS rid, t.rowid AS trow, t.last_ts, t.id FROM search_threads AS f "
        f"JOIN threads AS t ON t.rowid = (f.rowid & {_ROW}) "
        f"WHERE search_threads MATCH :m{bounds}{filters}{order}",
        f"SELECT f.rowid AS rid, t.rowid AS trow, t.last_ts, t.id FROM search_messages AS f "
        f"JOIN messages AS m ON m.rowid = (f.rowid & {_ROW}) JOIN threads AS t ON t.id = m.thread_id "
        f"WHERE search_messages MATCH :m{bounds}{filters}{order}",
    ]
    if notes:
        arms.append(
            f"SELECT ({FTS_TOP} - t.last_ts) * {_K} + t.rowid AS rid, t.rowid AS trow, t.last_ts, t.id "
            f"FROM threads AS t WHERE {notes}{filters}{order}"
        )
    return arms


def _note_sql(query: SearchQuery, params: dict) -> str:
    """The private note contains every word and phrase (LIKE, ASCII case-insensitive), as a
    condition on ``t`` with its values in ``params``; "" when notes do not take part (no
    words, or address filters, which a note cannot match)."""
    texts = [*query.terms, *query.phrases]
    if not texts or query.from_ or query.to:
        return ""
    for i, text in enumerate(texts):
        params[f"n{i}"] = _contains(text)
    return "t.local_note IS NOT NULL AND " + " AND ".join(
        f"t.local_note LIKE :n{i} ESCAPE '\\'" for i in range(len(texts))
    )


# One thread ``t`` tested against the index, in two FTS5 queries: its own entry by exact rowid,
# and its messages as the rowid range of its last_ts (other threads of the same second are
# told apart by thread_id). One query per message cost twice as much.
_PROBE = (
    f"(EXISTS (SELECT 1 FROM search_threads WHERE search_threads MATCH :m "
    f"AND rowid = ({FTS_TOP} - t.last_ts) * {_K} + t.rowid) "
    f"OR EXISTS (SELECT 1 FROM search_messages AS f JOIN messages AS pm ON pm.rowid = (f.rowid & {_ROW}) "
    f"WHERE search_messages MATCH :m AND f.rowid >= ({FTS_TOP} - t.last_ts) * {_K} "
    f"AND f.rowid < ({FTS_TOP} - t.last_ts + 1) * {_K} AND pm.thread_id = t.id))"
)


@dataclass
class _Plan:
    kind: str  # 'sql' (no words) | 'stream' (walk the hits newest first) | 'probe' (few threads)
    where: list[str]
    params: dict
    bounds: str = ""
    notes: str = ""  # _note_sql

    @property
    def probe(self) -> str:
        return f"({_PROBE} OR ({self.notes}))" if self.notes else _PROBE


def _plan(conn: sqlite3.Connection, query: SearchQuery, relevant: bool | None, kind: str | None = None) -> _Plan:
    params: dict = {}
    where = _filters(query, relevant, params)
    match = match_expression(query)
    if match is None:
        return _Plan("sql", where, params)
    params["m"] = match
    notes = _note_sql(query, params)
    bounds = ""
    if query.before is not None:  # last_ts < before
        bounds += " AND f.rowid >= :lo"
        params["lo"] = _clamp(_key(min(max(query.before, 0), FTS_TOP + 1) - 1))
    if query.after is not None:  # last_ts >= after
        bounds += " AND f.rowid < :hi"
        params["hi"] = _clamp(_key(min(max(query.after, 0), FTS_TOP + 1) - 1))
    if kind is None:
        kind = "stream"
        # Filters that keep few threads: test those few instead of walking hits past the rest.
        narrowing = query.intents or query.mailboxes or query.campaigns or query.unread or query.needs_reply
        if narrowing:
            n = conn.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM threads AS t WHERE {' AND '.join(where)} LIMIT {_NARROW + 1})",
                params,
            ).fetchone()[0]
            if n <= _NARROW:
                kind = "probe"
    if kind == "probe" and query.prefix:
        # FTS5 builds a prefix's whole doclist on every probe (~60 ms for a common one at
        # 1,000,000 messages): with narrow filters the last word counts as typed in full.
        params["m"] = match_expression(replace(query, prefix=False))
    return _Plan(kind, where, params, bounds, notes)


def _page_rows(conn: sqlite3.Connection, rowids: list[int]) -> list[ThreadRow]:
    if not rowids:
        return []
    rows = {
        r[-1]: r
        for r in conn.execute(
            f"SELECT {_THREAD_COLUMNS}, t.rowid FROM threads AS t LEFT JOIN campaigns AS c ON c.id = t.campaign_id "
            f"WHERE t.rowid IN ({','.join('?' * len(rowids))})",
            rowids,
        )
    }
    return [_thread_row(tuple(rows[r])[:-1]) for r in rowids if r in rows]


def _stream_page(conn: sqlite3.Connection, plan: _Plan, limit: int, offset: int) -> list[ThreadRow]:
    """Distinct threads from the newest hits until the page is full and no hit can tie with
    its last row; then the page in list order."""
    need = offset + limit
    seen: dict[int, tuple[int, str]] = {}
    boundary = None
    previous = None
    in_order = True
    cursors = [conn.execute(sql, plan.params) for sql in _arms(plan.where, plan.bounds, True, plan.notes)]
    for _, trow, ts, tid in heapq.merge(*cursors, key=lambda r: r[0]):
        if previous is not None and ts > previous:
            in_order = False  # not the promised order: read everything, sort below
        previous = ts
        if boundary is not None and ts < boundary and in_order:
            break
        if trow not in seen:
            seen[trow] = (ts, tid)
            if len(seen) == need and boundary is None:
                boundary = ts
    ordered = sorted(seen.items(), key=lambda kv: kv[1], reverse=True)[offset:need]
    return _page_rows(conn, [r for r, _ in ordered])


def _safe(conn: sqlite3.Connection, run, fallback):
    """FTS5 syntax errors cannot come from escaped input; if one does, the user sees nothing
    found rather than a traceback."""
    try:
        return _healing(conn, run)
    except sqlite3.OperationalError as exc:
        if "fts5" in str(exc).lower() or "syntax" in str(exc).lower():
            return fallback
        raise


def _as_query(q: str | SearchQuery, now: datetime | None) -> SearchQuery:
    return q if isinstance(q, SearchQuery) else parse(q, now=now)


def search(
    conn: sqlite3.Connection,
    q: str | SearchQuery,
    *,
    relevant: bool | None = None,
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
) -> list[ThreadRow]:
    """The threads matching ``q``, newest first (last_ts DESC, id DESC); ``relevant`` True /
    False keeps only relevant / only warming+postmaster threads, None keeps all."""
    if limit <= 0:
        return []
    query = _as_query(q, now)
    offset = max(0, offset)

    def run() -> list[ThreadRow]:
        plan = _plan(conn, query, relevant)
        if plan.kind == "stream":
            return _stream_page(conn, plan, limit, offset)
        where = plan.where + ([plan.probe] if plan.kind == "probe" else [])
        sql = (
            f"SELECT t.rowid FROM threads AS t {'WHERE ' + ' AND '.join(where) if where else ''} "
            "ORDER BY t.last_ts DESC, t.id DESC LIMIT :limit OFFSET :offset"
        )
        return _page_rows(conn, [r[0] for r in conn.execute(sql, {**plan.params, "limit": limit, "offset": offset})])

    return _safe(conn, run, [])


def search_count(
    conn: sqlite3.Connection, q: str | SearchQuery, *, relevant: bool | None = None, now: datetime | None = None
) -> int:
    """How many threads match, counted up to COUNT_CAP + 1 (which means "more than COUNT_CAP")."""
    query = _as_query(q, now)

    def run() -> int:
        plan = _plan(conn, query, relevant)
        if plan.kind == "stream":
            # Distinct threads until the cap, in whatever order FTS5 reads fastest (a compound
            # SELECT … UNION … LIMIT would build the whole union first).
            seen: set[int] = set()
            for sql in _arms(plan.where, plan.bounds, False, plan.notes):
                for row in conn.execute(sql, plan.params):
                    seen.add(row[1])
                    if len(seen) > COUNT_CAP:
                        return len(seen)
            return len(seen)
        where = plan.where + ([plan.probe] if plan.kind == "probe" else [])
        inner = f"SELECT 1 FROM threads AS t {'WHERE ' + ' AND '.join(where) if where else ''}"
        return conn.execute(
            f"SELECT count(*) FROM ({inner} LIMIT :cap)", {**plan.params, "cap": COUNT_CAP + 1}
        ).fetchone()[0]

    return _safe(conn, run, 0)


# --- a broken index rebuilds itself -----------------------------------------------------------
# The FTS tables hold only what the threads / messages tables already have (external content),
# so a damaged index is rebuilt from them, never a reason to lose the cache.

SEARCH_TABLES = ("search_threads", "search_messages")


def search_index_ok(conn: sqlite3.Connection) -> bool:
    """FTS5's own integrity check, against the content too (reads the whole index)."""
    try:
        for table in SEARCH_TABLES:
            conn.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)")
    except sqlite3.DatabaseError as exc:
        if _index_damaged(exc):
            return False
        raise
    return True


def rebuild_search_index(conn: sqlite3.Connection) -> None:
    """Both indexes made again from the cached threads and messages, in one transaction."""
    with transaction(conn):
        for table in SEARCH_TABLES:
            conn.execute(f"INSERT INTO {table} ({table}) VALUES ('rebuild')")


def _index_damaged(exc: sqlite3.Error) -> bool:
    return fault_kind(exc) == "damaged"


def _healing(conn: sqlite3.Connection, run):
    """``run()``; when the index turns out damaged, rebuild it and run again. When it cannot be
    rebuilt (a read-only cache, damage in the tables themselves) the first error stands."""
    try:
        return run()
    except sqlite3.DatabaseError as exc:
        if not _index_damaged(exc) or conn.in_transaction:
            raise
        try:
            rebuild_search_index(conn)
        except sqlite3.Error:
            raise exc from None
    return run()
