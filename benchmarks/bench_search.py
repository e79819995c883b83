"""Search benchmark: cache.search over a 1,000,000-message cache (about 330,000 threads).

    .venv/bin/python benchmarks/bench_search.py            # builds the cache once (a few minutes)
    .venv/bin/python benchmarks/bench_search.py --rebuild  # build it again

Prints figures, asserts nothing. The cache is built once and kept in the temp dir
(<tmp>/o2d-bench-search/): synthetic threads and messages (a Zipf-ish vocabulary, a few rare
words, a recurring phrase, addresses of a few thousand companies) are staged in temp tables
and moved into threads / messages by INSERT … SELECT newest first (as a full sync writes), so
the search index is filled by the same triggers a sync fires (no FTS 'rebuild'); the build
time is printed as the indexing cost.
Then, in a fresh connection, the median of --rounds runs of search() (first page of 50) and
search_count() for: a common word, a rare word, a phrase, a from: filter, intent: + a word,
before: alone, and a word typed as a prefix. Target: ≤ 100 ms median each.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from o2d_inbox.cache import search as s  # noqa: E402
from o2d_inbox.cache.db import PAGE_SIZE, open_db  # noqa: E402
from o2d_inbox.cache.schema import SCHEMA_VERSION  # noqa: E402

TMP = Path(tempfile.gettempdir()) / "o2d-bench-search"
MESSAGES = 1_000_000
NOW = datetime(2026, 3, 10, tzinfo=timezone.utc)
SPAN = 2 * 365 * 86400  # last activity spread over two years
INTENTS = ("interested", "not_interested", "meeting_booked", "out_of_office", "wrong_person", None, None, None)
BUILT_KEY = "bench_search_built"

QUERIES = (
    ("common word", "meeting "),
    ("common, typing", "meeting"),
    ("rare word", "quixotically"),
    ("phrase", '"next tuesday afternoon"'),
    ("from: filter", "from:initech7.com"),
    ("intent: + word", "intent:interested budget"),
    ("before: alone", "before:2025-01-01"),
    ("prefix (typing)", "procure"),
    ("two words", "pricing integration "),
    ("narrow filters", "intent:meeting_booked campaign:cmp_3 mailbox:rep7@ourco.com meeting "),
)


def vocabulary(rng: random.Random) -> list[str]:
    common = (
        "meeting the and to of we our you your for with this that pricing budget demo call "
        "team quarter integration proposal contract follow up thanks regards next week "
        "tuesday afternoon schedule time product platform customers revenue growth"
    ).split()
    made = ["".join(rng.choice("abcdefghijklmnoprstuvwy") for _ in range(rng.randint(4, 10))) for _ in range(20_000)]
    return common + ["procurement", "procure", "procedure", "processing"] + made


def sentences(rng: random.Random, words: list[str]) -> list[str]:
    """A pool of sentences: word i is picked with weight ~ 1/(i+1) (Zipf-ish)."""
    weights = [1 / (i + 1) for i in range(len(words))]
    pool = []
    for _ in range(6000):
        pool.append(" ".join(rng.choices(words, weights, k=rng.randint(6, 14))).capitalize() + ".")
    return pool


def build(path: Path) -> None:
    rng = random.Random(7)
    words = vocabulary(rng)
    pool = sentences(rng, words)
    first = ["jane", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]
    companies = [f"{name}{i}.com" for i in range(400) for name in ("acme", "globex", "initech", "hooli", "umbrella")]
    mailboxes = [f"rep{i}@ourco.com" for i in range(20)]
    conn = open_db(path)
    conn.execute("PRAGMA journal_mode=OFF")  # a throwaway build: no WAL growth
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute(
        "INSERT INTO campaigns (id, name) SELECT 'cmp_' || value, 'Campaign ' || value "
        "FROM json_each('[1,2,3,4,5,6,7,8,9,10]')"
    )
    conn.execute(
        "CREATE TEMP TABLE st (id, subject, last_from, last_date, last_ts, last_snippet, message_count,"
        " reply_intent, campaign_id, mailbox, prospect, relevant, needs_reply, unread)"
    )
    conn.execute(
        "CREATE TEMP TABLE sm (id, thread_id, from_email, to_emails, cc_emails, subject, ts,"
        " body_text, body_html, is_incoming)"
    )
    t0 = time.perf_counter()
    made = tid = 0
    rare = ("quixotically", "zygomorphic", "xerophyte")
    while made < MESSAGES:
        threads, msgs = [], []
        for _ in range(10_000):
            if made >= MESSAGES:
                break
            tid += 1
            n = min(rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5, 6)), MESSAGES - made)
            person = f"{rng.choice(first)}.{rng.randint(1, 999)}@{rng.choice(companies)}"
            mine = rng.choice(mailboxes)
            subject = " ".join(rng.choices(words[:300], k=rng.randint(3, 7))).capitalize()
            last_ts = int(NOW.timestamp()) - rng.randrange(SPAN)
            body = ""
            for k in range(n):
                incoming = k % 2 == 1
                body = " ".join(rng.choices(pool, k=rng.randint(3, 7)))
                if rng.random() < 0.00001 * 3:
                    body += " " + rng.choice(rare)
                if rng.random() < 0.002:
                    body += " How about next Tuesday afternoon?"
                html = None
                if rng.random() < 0.03:  # an HTML-only body
                    html, body = f"<div><p>{body}</p></div>", ""
                frm, to = (person, mine) if incoming else (mine, person)
                msgs.append(
                    (
                        f"m{tid}_{k}",
                        f"t{tid}",
                        frm,
                        f'["{to}"]',
                        "[]",
                        subject,
                        last_ts - (n - k) * 3600,
                        body,
                        html,
                        int(incoming),
                    )
                )
            made += n
            last_in = (n - 1) % 2 == 1
            intent = rng.choice(INTENTS)
            threads.append(
                (
                    f"t{tid}",
                    subject,
                    person if last_in else mine,
                    datetime.fromtimestamp(last_ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    last_ts,
                    body[:300] or None,
                    n,
                    intent,
                    f"cmp_{rng.randint(1, 10)}",
                    mine,
                    person,
                    int(rng.random() > 0.05),
                    int(last_in),
                    int(rng.random() < 0.1),
                )
            )
        conn.executemany("INSERT INTO st VALUES (" + ",".join("?" * 14) + ")", threads)
        conn.executemany("INSERT INTO sm VALUES (" + ",".join("?" * 10) + ")", msgs)
        conn.execute("BEGIN")
        conn.execute(
            "INSERT INTO threads (id, subject, last_from, last_date, last_ts, last_snippet, message_count,"
            " reply_intent, campaign_id, mailbox, prospect, relevant, needs_reply, unread,"
            " messages_fetched_count) SELECT *, message_count FROM st ORDER BY last_ts DESC"
        )
        conn.execute(
            "INSERT INTO messages (id, thread_id, from_email, to_emails, cc_emails, subject, ts,"
            " body_text, body_html, is_incoming) SELECT sm.* FROM sm JOIN st ON st.id = sm.thread_id"
            " ORDER BY st.last_ts DESC, sm.rowid"
        )
        conn.execute("COMMIT")
        conn.execute("DELETE FROM st")
        conn.execute("DELETE FROM sm")
        print(f"\r  {made:,} messages, {tid:,} threads, {time.perf_counter() - t0:.0f} s", end="", flush=True)
    print()
    took = time.perf_counter() - t0
    conn.execute("INSERT INTO search_threads (search_threads) VALUES ('optimize')")
    conn.execute("INSERT INTO search_messages (search_messages) VALUES ('optimize')")
    optimized = time.perf_counter() - t0 - took
    conn.execute(
        "INSERT INTO sync_state (key, value) VALUES (?, ?)",
        (BUILT_KEY, f"{took:.1f} s through the triggers, then FTS 'optimize' {optimized:.1f} s"),
    )
    conn.execute("ANALYZE")
    conn.close()


def timed(fn, rounds: int) -> tuple[float, float, object]:
    """(first run ms, median ms of the rest, last result)."""
    t = time.perf_counter()
    result = fn()
    first = (time.perf_counter() - t) * 1000
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    return first, statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()
    TMP.mkdir(exist_ok=True)
    path = TMP / f"cache-v{SCHEMA_VERSION}-p{PAGE_SIZE}.db"
    built = None
    if path.exists() and not args.rebuild:
        c = open_db(path)
        row = c.execute("SELECT value FROM sync_state WHERE key = ?", (BUILT_KEY,)).fetchone()
        built = row[0] if row else None
        c.close()
    if built is None:
        for p in TMP.glob("cache-*"):
            p.unlink()
        print(f"building {MESSAGES:,} messages into {path} …")
        build(path)
    conn = open_db(path)
    threads = conn.execute("SELECT count(*) FROM threads").fetchone()[0]
    messages = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    built = conn.execute("SELECT value FROM sync_state WHERE key = ?", (BUILT_KEY,)).fetchone()[0]
    size = sum(p.stat().st_size for p in TMP.glob(path.name + "*"))
    fts_pages = (
        conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'search_%'").fetchone()[0]
        if _has_dbstat(conn)
        else None
    )
    print(
        f"cache: {threads:,} threads, {messages:,} messages, {size / 2**20:,.0f} MB on disk"
        + (f" (search index {fts_pages / 2**20:,.0f} MB)" if fts_pages else "")
    )
    print(f"built: {built}")
    print(f"\n{'query':<18} {'text':<30} {'plan':<5} {'search ms':>10} {'(first)':>8} {'count ms':>9} {'count':>7}")
    for label, q in QUERIES:
        query = s.parse(q, now=NOW)
        plan = s._plan(conn, query, None).kind
        first, med, rows = timed(lambda: s.search(conn, query), args.rounds)
        _, cmed, n = timed(lambda: s.search_count(conn, query), args.rounds)
        shown = f"{s.COUNT_CAP:,}+" if n > s.COUNT_CAP else f"{n:,}"
        print(f"{label:<18} {q[:30]:<30} {plan:<5} {med:>10.1f} {first:>8.1f} {cmed:>9.1f} {shown:>7}")
    print(f"\nmedian of {args.rounds} runs after a first one; search = first page of 50; pid {os.getpid()}")
    conn.close()


def _has_dbstat(conn) -> bool:
    try:
        conn.execute("SELECT 1 FROM dbstat LIMIT 1")
        return True
    except Exception:  # noqa: BLE001 - dbstat is a compile-time option
        return False


if __name__ == "__main__":
    main()
