"""A deterministic synthetic cache built by direct inserts (tests, snapshots, benchmark).

``seed_cache(conn, n)`` writes ``n`` threads (and messages for the newest ones) whose content
depends only on ``seed`` and ``now``, then rebuilds view_counts. Fast enough for 1,000,000
threads (executemany in one transaction per 50,000 rows).

``seeded(path, n)`` is the tests' way to a seeded cache: a page-by-page copy of one seeded once
per test process, for each test to change as it likes.
"""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import datetime, timezone

from o2d_inbox.cache.db import open_db
from o2d_inbox.cache.writes import refresh_counts

NOW = datetime(2026, 6, 3, 12, 0, 0, tzinfo=timezone.utc)

INTENTS = [
    ("interested", 6),
    ("neutral", 30),
    ("out_of_office", 12),
    ("not_interested", 20),
    ("bounced", 6),
    ("unsubscribe", 4),
    (None, 2),
]
FIRST = [
    "Sarah",
    "Mike",
    "Priya",
    "Lucas",
    "Anna",
    "Kenji",
    "Fatima",
    "Olga",
    "Diego",
    "Chloé",
    "Tomasz",
    "Amara",
    "Liam",
    "Mei",
    "Noah",
    "Zoë",
]
LAST = [
    "Chen",
    "Johnson",
    "Patel",
    "Silva",
    "Novak",
    "Tanaka",
    "Haddad",
    "Ivanova",
    "Ruiz",
    "Dubois",
    "Kowalski",
    "Okafor",
    "Byrne",
    "Wang",
    "Meyer",
    "Jansen",
]
COMPANIES = ["acme.com", "globex.io", "initech.net", "umbrella.co", "hooli.xyz", "stark.dev"]
SUBJECTS = [
    "Quick question about {c}",
    "Re: pricing for Q3",
    "Out of office until Monday",
    "Not now, maybe next year",
    "Re: intro call next week?",
    "Re: {c} + o2d",
    "Delivery Status Notification (Failure)",
    "Please remove me from this list",
    "Re: following up",
    "Re: demo recording",
]
MAILBOXES = ["john@cooloutreach.io", "sales@cooloutreach.io", "amy@growthlane.co"]
CAMPAIGNS = [("c-q4", "Q4 SaaS founders"), ("c-agency", "Agencies EU"), ("c-retarget", "Retarget 2026")]
HOSTILE_SUBJECT = "Re: [bold red]URGENT[/] pricing \x1b[31mred\x1b[0m \u202eevil\u202c 日本語テスト"


def _intent(rng: random.Random) -> str | None:
    total = sum(w for _, w in INTENTS)
    x = rng.uniform(0, total)
    for name, w in INTENTS:
        x -= w
        if x <= 0:
            return name
    return None


def seed_cache(
    conn: sqlite3.Connection,
    n: int = 200,
    *,
    seed: int = 7,
    now: datetime = NOW,
    messages_for: int = 60,
    hostile: bool = True,
    batch: int = 50_000,
    recount: bool = True,
) -> None:
    rng = random.Random(seed)
    now_ts = int(now.timestamp())
    conn.executemany(
        "INSERT OR REPLACE INTO campaigns (id, name, status, fetched_at) VALUES (?, ?, 'active', NULL)",
        CAMPAIGNS,
    )
    conn.executemany(
        "INSERT OR REPLACE INTO mailboxes (address, source) VALUES (?, 'messages')", [(m,) for m in MAILBOXES]
    )
    threads, msgs = [], []

    def flush() -> None:
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO threads (id, subject, subject_display, last_from, last_date, last_ts, "
            "last_snippet, is_warming, is_postmaster, message_count, reply_intent, campaign_id, "
            "mailbox, prospect, relevant, needs_reply, unread, messages_fetched_count) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            threads,
        )
        conn.executemany(
            "INSERT INTO messages (id, thread_id, message_id, from_email, to_emails, cc_emails, "
            "subject, date_received, ts, body_text, body_html, is_incoming, folder) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            msgs,
        )
        conn.execute("COMMIT")
        threads.clear()
        msgs.clear()

    for i in range(n):
        tid = f"t{i:07d}"
        first, last = rng.choice(FIRST), rng.choice(LAST)
        company = rng.choice(COMPANIES)
        prospect = f"{first.lower()}.{last.lower()}@{company}"
        mailbox = rng.choice(MAILBOXES)
        # newest threads have the smallest i; ages spread from minutes to months
        minutes = int(3 * i**1.6) if i < 2000 else 576_000 + i  # minutes ago: 3m … 13 months
        ts = now_ts - 60 * (minutes + rng.randint(1, 3)) - rng.randint(0, 59)
        last_date = datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        intent = _intent(rng)
        warming = rng.random() < 0.08
        postmaster = (not warming) and rng.random() < 0.03
        count = rng.randint(1, 6)
        needs = rng.random() < 0.45
        subject = rng.choice(SUBJECTS).format(c=company.split(".")[0].title())
        if hostile and i == 3:
            subject = HOSTILE_SUBJECT
        last_from = prospect if needs else mailbox
        cid = rng.choice(CAMPAIGNS)[0] if rng.random() < 0.8 else None
        cached = i < messages_for
        threads.append(
            (
                tid,
                subject,
                subject,
                last_from,
                last_date,
                ts,
                f"Hi, thanks for reaching out about {company} …",
                int(warming),
                int(postmaster),
                count,
                intent,
                cid,
                mailbox,
                prospect,
                int(not (warming or postmaster)),
                int(needs),
                int(rng.random() < 0.3),
                count if cached else None,
            )
        )
        if cached:
            for m in range(count):
                incoming = (m % 2 == 1) if not needs or m < count - 1 else True
                if m == count - 1:
                    incoming = needs
                mts = ts - (count - 1 - m) * 3600 * 5
                body = (
                    f"Hi {first},\n\nMessage {m + 1} of {count} about {company}.\n\nBest,\nJohn"
                    if not incoming
                    else f"Hi John,\n\nThanks — reply {m + 1}.\n\nOn Mon, John wrote:\n> earlier text\n> more"
                )
                if hostile and i == 3 and m == count - 1:
                    body = "[bold red]not markup[/]\x1b]0;pwned\x07 \x1b[2J visible? 全角"
                msgs.append(
                    (
                        f"{tid}-m{m}",
                        tid,
                        f"<{tid}.{m}@mail>",
                        prospect if incoming else mailbox,
                        json.dumps([mailbox if incoming else prospect]),
                        "[]",
                        subject,
                        datetime.fromtimestamp(mts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        mts,
                        body,
                        None,
                        int(incoming),
                        "INBOX" if incoming else "SENT",
                    )
                )
        if len(threads) >= batch:
            flush()
    flush()
    if recount:  # else view_counts is whatever the schema's triggers made of the inserts
        refresh_counts(conn)


_seeded: dict[tuple, sqlite3.Connection] = {}


def seeded(path, n: int, **options) -> sqlite3.Connection:
    """``open_db(path)`` (a file, or ``":memory:"``) holding what ``seed_cache(conn, n,
    **options)`` writes: copied with SQLite's backup from a cache seeded once per process
    with the same arguments, which is the same rows, counts and search index for a fraction
    of the inserts. Each caller gets its own connection and copy."""
    key = (n, *sorted(options.items()))
    template = _seeded.get(key)
    if template is None:
        template = _seeded[key] = open_db(":memory:")
        seed_cache(template, n, **options)
    conn = open_db(path)
    template.backup(conn)
    return conn
