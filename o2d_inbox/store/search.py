"""Offline full-text search of the cache: a tolerant query language over SQLite FTS5. Headless.

    parse(q, *, now=None) -> SearchQuery
    search(conn, q, *, relevant=None, limit=50, offset=0, now=None) -> list[ThreadRow]  newest first
    search_count(conn, q, *, relevant=None, now=None) -> int   at most COUNT_CAP + 1 ("more")

Query language (nothing a user types raises; what cannot be understood becomes plain words):

- ``pricing demo``: every word must occur (AND); the last word is a prefix while typing
  (``pri`` finds "pricing") unless the query ends with a space.
- ``"next tuesday"``: a phrase (an unbalanced quote runs to the end of the query).
- ``from:jane`` / ``to:acme.com``: addresses; a word of the address, the last one a prefix.
  from: is a message's sender (and a thread's last sender and prospect), to: its to / cc
  (and the thread's mailbox and prospect). Several from:/to: must all match.
- ``intent:interested`` (``unclassified`` = none yet; ``not-interested`` = not_interested),
  ``mailbox:``, ``campaign:`` (id, or a substring of its name): several values of one key = OR.
- ``before:2026-03-01`` / ``after:2026-03-01`` (UTC days; before: excludes the day, after:
  includes it) or relative ``7d`` ``2w`` ``3m`` ``1y`` ``12h``: on the thread's last activity.
- ``is:unread``, ``is:needs-reply``.
- ``-word`` has no negation: it is the word. AND / OR / NOT / NEAR are words too.

Matching: a thread is found when its own row (subject, last snippet, last sender, prospect,
mailbox: what the thread list has, also for threads whose messages were never fetched) or one
of its cached messages (subject, body, from, to, cc) matches all the words, phrases and
address filters; the other filters apply to the thread. See schema.py migration 4 for what
is indexed and how the indexes stay current (triggers; never a rebuild).

Cost: a query collects the matching threads, then sorts the ones that pass the filters. When
the words match more than ``_BROAD`` messages it walks the thread list newest first instead,
asking the index about each thread, and stops at the page: a common word costs what a page costs.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from o2d_inbox.store.queries import _THREAD_COLUMNS, UNCLASSIFIED, ThreadRow, _thread_row

COUNT_CAP = 10_000  # search_count stops at COUNT_CAP + 1 (shown as "10,000+")
_BROAD = 2_000  # message matches beyond which a query walks the list instead of sorting its hits

_KEYS = ("from", "to", "intent", "mailbox", "campaign", "before", "after", "is")
_IS = {"unread": "unread", "needs-reply": "needs_reply", "needs_reply": "needs_reply",
       "needsreply": "needs_reply", "needs": "needs_reply"}
_UNITS = {"h": 3600, "d": 86400, "w": 7 * 86400, "m": 30 * 86400, "y": 365 * 86400}
_RELATIVE = re.compile(r"(\d{1,5})([hdwmy])", re.I)
_WORD = re.compile(r"\w", re.UNICODE)  # a term without one has no token for FTS5 to match


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
    prefix: bool = False  # the last term is still being typed

    def is_empty(self) -> bool:
        return not (self.terms or self.phrases or self.from_ or self.to or self.intents
                    or self.mailboxes or self.campaigns or self.before is not None
                    or self.after is not None or self.unread or self.needs_reply)

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
            out.append((None, q[i + 1:end], True))
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
                out.append((key.lower(), q[j + 1:end], True))
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
    m = _RELATIVE.fullmatch(value.strip())
    if m:
        return int(now.timestamp()) - int(m.group(1)) * _UNITS[m.group(2).lower()]
    return _day(value.strip())


def parse(q: str, *, now: datetime | None = None) -> SearchQuery:
    """The query as structured fields; what is not understood becomes plain words."""
    now = now or datetime.now(timezone.utc)
    terms: list[str] = []
    phrases: list[str] = []
    lists: dict[str, list] = {k: [] for k in ("from", "to", "intent", "mailbox", "campaign")}
    before = after = None
    flags = {"unread": False, "needs_reply": False}
    last_is_term = False
    q = q or ""
    for key, value, quoted in _tokens(q):
        last_is_term = False
        if key is None:
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
            v = value.strip().lower().replace("-", "_")
            lists["intent"].append(None if v in (UNCLASSIFIED, "none", "null") else v)
            continue
        if key in ("before", "after"):
            ts = _when(value, now)
            if ts is None:
                if _WORD.search(value):
                    terms.append(value)  # not a date: keep the words
                continue
            if key == "before":
                before = ts if before is None else min(before, ts)
            else:
                after = ts if after is None else max(after, ts)
            continue
        if key == "is":
            flag = _IS.get(value.strip().lower())
            if flag:
                flags[flag] = True
            elif _WORD.search(value):
                terms.append(value)
    prefix = last_is_term and not q[-1:].isspace()
    return SearchQuery(
        terms=tuple(terms), phrases=tuple(phrases), from_=tuple(lists["from"]), to=tuple(lists["to"]),
        intents=tuple(dict.fromkeys(lists["intent"])), mailboxes=tuple(lists["mailbox"]),
        campaigns=tuple(lists["campaign"]), before=before, after=after,
        unread=flags["unread"], needs_reply=flags["needs_reply"], prefix=prefix,
    )


# --- FTS5 MATCH expression ------------------------------------------------------------------

def _string(text: str) -> str:
    """An FTS5 string: everything inside is data (the tokenizer splits it; "" is a quote)."""
    return '"' + text.replace('"', '""') + '"'


def match_expression(query: SearchQuery) -> str | None:
    """The FTS5 MATCH text for the words, phrases and address filters (None: no text part)."""
    parts: list[str] = []
    for i, term in enumerate(query.terms):
        star = "*" if query.prefix and i == len(query.terms) - 1 else ""
        parts.append(_string(term) + star)
    parts += [_string(p) for p in query.phrases]
    # An address: a word of it, the last one a prefix (from:jane finds jane.doe@…).
    parts += [f"sender : {_string(a)}*" for a in query.from_]
    parts += [f"recipients : {_string(a)}*" for a in query.to]
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
        where.append("(" + " OR ".join(
            f"t.mailbox = {p(m)}" if "@" in m else f"t.mailbox LIKE {p(_contains(m))} ESCAPE '\\'"
            for m in query.mailboxes) + ")")
    if query.campaigns:
        where.append("(" + " OR ".join(
            f"t.campaign_id = {p(c)} OR t.campaign_id IN "
            f"(SELECT id FROM campaigns WHERE name LIKE {p(_contains(c))} ESCAPE '\\')"
            for c in query.campaigns) + ")")
    if query.before is not None:
        where.append(f"t.last_ts < {p(query.before)}")
    if query.after is not None:
        where.append(f"t.last_ts >= {p(query.after)}")
    if query.unread:
        where.append("t.unread = 1")
    if query.needs_reply:
        where.append("t.needs_reply = 1")
    return where


def _contains(s: str) -> str:
    """A LIKE pattern for 'contains s' (case-insensitive for ASCII)."""
    return "%" + s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# Threads whose own row or one of whose messages matches (set form: one pass over the hits).
_HITS = (
    "SELECT rowid AS rid FROM search_threads WHERE search_threads MATCH :m "
    "UNION SELECT th.rowid FROM search_messages AS f JOIN messages AS m ON m.rowid = f.rowid "
    "JOIN threads AS th ON th.id = m.thread_id WHERE search_messages MATCH :m"
)
# The same test for one thread t (walk form: a few index probes per thread).
_MATCHES_T = (
    "(EXISTS (SELECT 1 FROM search_threads WHERE search_threads MATCH :m AND rowid = t.rowid) "
    "OR EXISTS (SELECT 1 FROM messages AS m JOIN search_messages AS f ON f.rowid = m.rowid "
    "WHERE m.thread_id = t.id AND search_messages MATCH :m))"
)


def _broad(conn: sqlite3.Connection, match: str) -> bool:
    """More than _BROAD messages match: collecting every hit would cost more than walking."""
    n = conn.execute(
        "SELECT count(*) FROM (SELECT 1 FROM search_messages WHERE search_messages MATCH ? LIMIT ?)",
        (match, _BROAD + 1),
    ).fetchone()[0]
    return n > _BROAD


def _plan(conn: sqlite3.Connection, query: SearchQuery, relevant: bool | None,
          walk: bool | None = None) -> tuple[str, str, dict]:
    """(FROM clause, WHERE clause, params) selecting the matching threads as ``t``."""
    params: dict = {}
    where = _filters(query, relevant, params)
    match = match_expression(query)
    if match is None:
        return "threads AS t", " AND ".join(where) or "1", params
    params["m"] = match
    if walk is None:
        walk = _broad(conn, match)
    if walk:
        return "threads AS t", " AND ".join(where + [_MATCHES_T]), params
    return f"({_HITS}) AS h JOIN threads AS t ON t.rowid = h.rid", " AND ".join(where) or "1", params


def _safe(conn: sqlite3.Connection, run, fallback):
    """FTS5 syntax errors cannot come from escaped input; if one does, the user sees nothing
    found rather than a traceback."""
    try:
        return run()
    except sqlite3.OperationalError as exc:
        if "fts5" in str(exc).lower() or "syntax" in str(exc).lower():
            return fallback
        raise


def _as_query(q: str | SearchQuery, now: datetime | None) -> SearchQuery:
    return q if isinstance(q, SearchQuery) else parse(q, now=now)


def search(conn: sqlite3.Connection, q: str | SearchQuery, *, relevant: bool | None = None,
           limit: int = 50, offset: int = 0, now: datetime | None = None) -> list[ThreadRow]:
    """The threads matching ``q``, newest first (last_ts DESC, id DESC); ``relevant`` True /
    False keeps only relevant / only warming+postmaster threads, None keeps all."""
    if limit <= 0:
        return []
    query = _as_query(q, now)

    def run() -> list[ThreadRow]:
        source, where, params = _plan(conn, query, relevant)
        params.update(limit=limit, offset=max(0, offset))
        sql = (
            f"SELECT {_THREAD_COLUMNS} FROM {source} LEFT JOIN campaigns AS c ON c.id = t.campaign_id "
            f"WHERE {where} ORDER BY t.last_ts DESC, t.id DESC LIMIT :limit OFFSET :offset"
        )
        return [_thread_row(r) for r in conn.execute(sql, params)]

    return _safe(conn, run, [])


def search_count(conn: sqlite3.Connection, q: str | SearchQuery, *, relevant: bool | None = None,
                 now: datetime | None = None) -> int:
    """How many threads match, counted up to COUNT_CAP + 1 (which means "more than COUNT_CAP")."""
    query = _as_query(q, now)

    def run() -> int:
        # Counting a broad query walks at most until the cap; the set form is cheaper for the
        # rest, so the plan is chosen the same way as for search().
        source, where, params = _plan(conn, query, relevant)
        params["cap"] = COUNT_CAP + 1
        return conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM {source} WHERE {where} LIMIT :cap)",
                            params).fetchone()[0]

    return _safe(conn, run, 0)
