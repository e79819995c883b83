"""Full-text search of the cache: what a query finds, what its filters keep, hostile input,
and an index kept current by triggers as syncs write (no rebuild)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from o2d_inbox.cache import search as s
from o2d_inbox.cache.db import open_db
from o2d_inbox.sync.engine import SyncEngine
from tests.helpers import make_client, make_sim

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
DAY = 86400
T0 = int(NOW.timestamp())
ME = "sales@ourco.com"


def add_thread(
    conn,
    tid,
    subject,
    *,
    ago_days=1,
    last_from="jane.doe@acme.com",
    snippet=None,
    intent=None,
    mailbox=ME,
    prospect=None,
    campaign=None,
    unread=0,
    needs=1,
    relevant=1,
    messages=(),
):
    ts = T0 - int(ago_days * DAY)
    conn.execute(
        "INSERT INTO threads (id, subject, last_from, last_ts, last_date, last_snippet, reply_intent, "
        "mailbox, prospect, campaign_id, unread, needs_reply, relevant, message_count) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            tid,
            subject,
            last_from,
            ts,
            datetime.fromtimestamp(ts, timezone.utc).isoformat(),
            snippet,
            intent,
            mailbox,
            prospect,
            campaign,
            unread,
            needs,
            relevant,
            len(messages),
        ),
    )
    for i, (frm, to, body, html) in enumerate(messages):
        conn.execute(
            "INSERT OR REPLACE INTO messages (id, thread_id, from_email, to_emails, cc_emails, subject, ts, "
            "body_text, body_html) VALUES (?, ?, ?, ?, '[]', ?, ?, ?, ?)",
            (f"{tid}_m{i}", tid, frm, json.dumps(to), subject, ts - 100 + i, body, html),
        )


@pytest.fixture
def db(tmp_path):
    conn = open_db(tmp_path / "cache.db")
    conn.execute("INSERT INTO campaigns (id, name) VALUES ('cmp_1', 'Spring Outreach'), ('cmp_2', 'Fintech CFOs')")
    add_thread(
        conn,
        "t_pricing",
        "Pricing for the enterprise plan",
        ago_days=1,
        intent="interested",
        campaign="cmp_1",
        unread=1,
        messages=[
            (ME, ["jane.doe@acme.com"], "Hi Jane, here is our proposal.", None),
            ("jane.doe@acme.com", [ME], "Can we meet next Tuesday about the budget?", None),
        ],
    )
    add_thread(
        conn,
        "t_html",
        "Newsletter",
        ago_days=3,
        last_from="news@globex.io",
        intent="not_interested",
        campaign="cmp_2",
        needs=0,
        messages=[("news@globex.io", [ME], "", "<p>Quarterly&nbsp;roundup: <b>zeppelin</b> sightings</p>")],
    )
    add_thread(
        conn,
        "t_unfetched",
        "Re: partnership idea",
        ago_days=10,
        last_from="bob@initech.com",
        snippet="Sounds great, let us talk about the widget integration",
        prospect="bob@initech.com",
    )
    add_thread(
        conn,
        "t_warm",
        "Warmup ping 123",
        ago_days=2,
        last_from="warm@pool.net",
        relevant=0,
        mailbox="other@ourco.com",
        snippet="warming budget",
    )
    add_thread(
        conn,
        "t_old",
        "Old budget thread",
        ago_days=40,
        last_from="carol@acme.com",
        intent="interested",
        messages=[("carol@acme.com", [ME], "budget approved for next year", None)],
    )
    yield conn
    conn.close()


def ids(conn, q, **kw):
    return [t.id for t in s.search(conn, q, now=NOW, **kw)]


def test_finds_by_subject_body_snippet_address_and_phrase(db):
    assert ids(db, "enterprise") == ["t_pricing"]  # subject
    assert ids(db, "tuesday budget") == ["t_pricing"]  # body, both words
    assert ids(db, "widget") == ["t_unfetched"]  # a thread never fetched: its snippet
    assert ids(db, "initech") == ["t_unfetched"]  # its last sender
    assert ids(db, "zeppelin") == ["t_html"]  # an HTML-only body
    assert ids(db, "quarterly roundup") == ["t_html"]  # &nbsp; between words
    assert ids(db, '"next tuesday"') == ["t_pricing"]
    assert ids(db, '"tuesday next"') == []
    assert ids(db, "budget") == ["t_pricing", "t_warm", "t_old"]  # newest first


def test_last_word_is_a_prefix_while_typing(db):
    assert ids(db, "enterpr") == ["t_pricing"]
    assert ids(db, "enterpr ") == []  # a finished word is a whole word
    assert ids(db, "enter plan") == []  # only the last word is a prefix


def test_address_filters(db):
    assert ids(db, "from:jane") == ["t_pricing"]
    assert ids(db, "from:jane.doe@acme.com") == ["t_pricing"]
    assert ids(db, "from:acme.com") == ["t_pricing", "t_old"]
    assert ids(db, "from:carol budget") == ["t_old"]
    assert ids(db, "to:jane") == ["t_pricing"]  # our message to her
    assert ids(db, "from:initech.com") == ["t_unfetched"]  # an unfetched thread: its last sender
    assert ids(db, "from:nobody") == []


def test_field_filters_without_words(db):
    assert ids(db, "intent:interested") == ["t_pricing", "t_old"]
    assert ids(db, "intent:not-interested") == ["t_html"]
    assert ids(db, "intent:unclassified") == ["t_warm", "t_unfetched"]
    assert ids(db, "intent:interested intent:not_interested") == ["t_pricing", "t_html", "t_old"]
    assert ids(db, "campaign:spring") == ["t_pricing"]
    assert ids(db, "campaign:cmp_2") == ["t_html"]
    assert ids(db, "mailbox:other@ourco.com") == ["t_warm"]
    assert ids(db, "mailbox:sales") == ["t_pricing", "t_html", "t_unfetched", "t_old"]
    assert ids(db, "is:unread") == ["t_pricing"]
    assert ids(db, "is:needs-reply") == ["t_pricing", "t_warm", "t_unfetched", "t_old"]
    assert ids(db, "before:2026-03-01") == ["t_unfetched", "t_old"]  # 2026-02-28 and January
    assert ids(db, "after:2026-03-01") == ["t_pricing", "t_warm", "t_html"]
    assert ids(db, "before:7d") == ["t_unfetched", "t_old"]
    assert ids(db, "after:2w") == ["t_pricing", "t_warm", "t_html", "t_unfetched"]
    assert ids(db, "budget", relevant=True) == ["t_pricing", "t_old"]
    assert ids(db, "budget", relevant=False) == ["t_warm"]


def test_combinations(db):
    assert ids(db, "budget intent:interested after:30d") == ["t_pricing"]
    assert ids(db, "budget intent:interested is:unread") == ["t_pricing"]
    assert ids(db, "from:acme before:30d") == ["t_old"]
    assert ids(db, "zeppelin intent:interested") == []
    assert s.search_count(db, "budget", now=NOW) == 3
    assert s.search_count(db, "budget intent:interested", now=NOW) == 2
    assert s.search_count(db, "intent:interested", now=NOW) == 2
    assert ids(db, "budget", limit=1, offset=1) == ["t_warm"]


def test_empty_query_lists_everything(db):
    assert s.parse("").is_empty()
    assert len(ids(db, "")) == 5


@pytest.mark.parametrize(
    "q",
    [
        '"',
        '""',
        "*",
        "**",
        "NEAR(",
        "NEAR(a b",
        "a OR",
        "OR",
        "AND",
        "NOT",
        "-x",
        "-",
        '"unbalanced budget',
        'budget"',
        "(",
        ")",
        "a:b",
        "from:",
        'from:"',
        "intent:",
        "is:",
        "before:",
        "^budget",
        "budget +",
        "{subject}: x",
        "colour:budget",  # an unknown key (subject: is an error: test_a_filter_it_cannot_read…)
        "'; DROP TABLE threads; --",
        "\x00",
        "🚀",
        "campaign:%",
        "mailbox:_",
        "x" * 5000,
        ":",
        '"a" "b',
        'from:"jane doe',
        "before:99999y budget",
        "after:99999y budget",
        "before:1970-01-01 budget",
        "after:9999-12-31 budget",
        "before:0d x",
    ],
)
def test_hostile_input_never_raises(db, q):
    s.search(db, q, now=NOW)
    s.search_count(db, q, now=NOW)


def test_hostile_input_degrades_to_words(db):
    assert ids(db, "budget OR") == []  # "OR" is a word here, not an operator
    assert ids(db, "-tuesday") == ["t_pricing"]  # no negation: the word itself
    assert ids(db, '"next tuesday') == ["t_pricing"]  # the phrase runs to the end
    assert ids(db, "NEAR(budget") == []  # "near" and "budget" both required
    assert ids(db, "campaign:%") == []  # not a wildcard
    q = s.parse('from:"Jane Doe" intent:Interested is:unread x*')
    assert q.from_ == ("jane doe",) and q.intents == ("interested",) and q.unread and q.terms == ("x*",)


@pytest.mark.parametrize(
    ("q", "named"),
    [
        ("is:bogus", "is:bogus"),
        ("budget before:garbage", "before: needs a date"),
        ("after:2026-13-45", "'2026-13-45'"),
        ("intent:bogus", "unknown intent 'bogus'"),
        ("intent:n", "unknown intent 'n'"),  # neutral? not interested? none?: not a guess
        ("frm:tom", "unknown filter frm: (did you mean from:?)"),  # a typo of a filter key
        ("pricing Intnet:int", "unknown filter intnet: (did you mean intent:?)"),
        ("subject:pricing", "unknown filter subject: (from: to: intent:"),  # other searches have it
    ],
)
def test_a_filter_it_cannot_read_is_an_error_naming_it(db, q, named):
    for run in (s.parse, lambda text: s.search(db, text, now=NOW), lambda text: s.search_count(db, text, now=NOW)):
        with pytest.raises(s.SearchError) as caught:
            run(q)
        message = str(caught.value)
        assert named in message and "\n" not in message


@pytest.mark.parametrize("q", ["re:intro", "call at 12:30", "https://acme.com/pricing", "note:", '"subject:x"'])
def test_other_words_with_a_colon_stay_words(q):
    assert s.parse(q).terms or s.parse(q).phrases


@pytest.mark.parametrize(
    ("typed", "intent"),
    [
        ("ooo", "out_of_office"),
        ("out-of-office", "out_of_office"),
        ("int", "interested"),
        ("Interested", "interested"),
        ("interes", "interested"),
        ("not", "not_interested"),
        ("not-interested", "not_interested"),
        ("unsub", "unsubscribe"),
        ("uns", "unsubscribe"),
        ("bounce", "bounced"),
        ("bnc", "bounced"),
        ("neu", "neutral"),
        ("unc", None),
        ("none", None),
    ],
)
def test_the_names_the_list_shows_work_as_intent_filters(db, typed, intent):
    assert s.parse(f"intent:{typed}").intents == (intent,)


def test_intent_abbreviations_find_the_threads(db):
    assert ids(db, "intent:int") == ids(db, "intent:interested") == ["t_pricing", "t_old"]
    assert ids(db, "intent:not") == ["t_html"]
    assert ids(db, "intent:unc") == ["t_warm", "t_unfetched"]


def test_from_matches_a_partial_address(db):
    add_thread(db, "t_tom", "Intro", ago_days=0.2, last_from="tom@lumenhq.com")
    assert ids(db, "from:tom@lumen") == ["t_tom"]
    assert ids(db, "from:tom@lumenhq") == ["t_tom"]
    assert ids(db, "from:jane.doe@ac") == ["t_pricing"]
    assert ids(db, "from:tom@lumen.com") == []  # a whole domain is whole: lumenhq.com is another


def test_notes_are_searchable(db):
    from o2d_inbox.cache import local

    local.set_note(db, "t_html", "Call back after the Zürich trade fair, ask for Priya")
    assert ids(db, "trade fair") == ["t_html"]
    assert ids(db, '"trade fair"') == ["t_html"]
    assert ids(db, "priy") == ["t_html"]  # the last word while typing
    assert ids(db, "budget priya") == []  # every word, in one place
    assert ids(db, "priya intent:not") == ["t_html"]  # with filters (few threads: probed)
    assert ids(db, "priya intent:interested") == []
    assert s.search_count(db, "fair", now=NOW) == 1
    assert ids(db, "from:globex priya") == []  # an address filter: a note has no sender
    local.set_note(db, "t_html", None)
    assert ids(db, "priya") == []


def test_writes_keep_the_index_current(db):
    add_thread(
        db,
        "t_new",
        "Fresh lead",
        ago_days=0.5,
        messages=[("dave@hooli.com", [ME], "interested in the quokka package", None)],
    )
    assert ids(db, "quokka") == ["t_new"]
    # store_messages replaces a thread's messages: old words go, new words come
    db.execute("DELETE FROM messages WHERE thread_id = 't_new'")
    insert = "INTO messages (id, thread_id, from_email, body_text) VALUES ('x1', 't_new', 'dave@hooli.com', ?)"
    db.execute("INSERT " + insert, ("platypus",))
    db.execute("INSERT OR REPLACE " + insert, ("wombat",))  # REPLACE fires no delete trigger
    assert ids(db, "quokka") == [] and ids(db, "platypus") == [] and ids(db, "wombat") == ["t_new"]
    db.execute("UPDATE threads SET subject = 'Renamed walrus' WHERE id = 't_new'")
    assert ids(db, "walrus") == ["t_new"] and ids(db, "fresh") == []
    db.execute("UPDATE threads SET last_ts = last_ts + 3600 WHERE id = 't_new'")  # re-keys its messages
    assert ids(db, "wombat") == ["t_new"]
    db.execute("DELETE FROM messages WHERE thread_id = 't_new'")
    db.execute("DELETE FROM threads WHERE id = 't_new'")
    # messages stored before their thread: found once the thread arrives, gone with it
    db.execute("INSERT INTO messages (id, thread_id, body_text) VALUES ('early', 't_later', 'narwhal')")
    assert ids(db, "narwhal") == []
    add_thread(db, "t_later", "Later")
    assert ids(db, "narwhal") == ["t_later"]
    db.execute("DELETE FROM threads WHERE id = 't_later'")
    assert ids(db, "narwhal") == []
    db.execute("DELETE FROM messages WHERE id = 'early'")
    assert ids(db, "walrus") == [] and ids(db, "wombat") == []
    db.execute("INSERT INTO search_messages (search_messages) VALUES ('integrity-check')")
    db.execute("INSERT INTO search_threads (search_threads) VALUES ('integrity-check')")


def test_stream_and_probe_plans_agree(db, monkeypatch):
    for q in (
        "budget intent:interested",
        "from:acme is:needs-reply",
        "zeppelin campaign:cmp_2",
        "budget mailbox:sales",
        "b intent:unclassified",
        "budget is:needs-reply after:30d",
    ):
        query = s.parse(q, now=NOW)
        monkeypatch.setattr(s, "_NARROW", -1)
        assert s._plan(db, query, None).kind == "stream"
        streamed = ids(db, query), s.search_count(db, query)
        monkeypatch.setattr(s, "_NARROW", 10**9)
        assert s._plan(db, query, None).kind == "probe"
        assert (ids(db, query), s.search_count(db, query)) == streamed, q


def test_pages_follow_the_list_order(db):
    for i in range(30):  # ties on last_ts: the page boundary must not cut them arbitrarily
        add_thread(db, f"t_tie{i:02d}", f"Tie number {i}", ago_days=5 + (i // 10))
    everything = ids(db, "tie", limit=100)
    rows = s.search(db, "tie", limit=100, now=NOW)
    assert [r.key for r in rows] == sorted((r.key for r in rows), reverse=True)
    pages = [t for off in range(0, 30, 7) for t in ids(db, "tie", limit=7, offset=off)]
    assert pages == everything and len(everything) == 30


async def test_a_sync_keeps_search_current(tmp_path):
    sim = make_sim(40)
    conn = open_db(tmp_path / "cache.db")
    client = make_client(sim)
    try:
        engine = SyncEngine(conn, client, page_limit=25)
        await engine.sync(messages=True)
        some, gone = sim.thread_ids()[10], sim.thread_ids()[12]
        assert ids(conn, "xylophonic") == []
        sim.add_inbound_reply(some, body="A xylophonic answer arrives")
        await engine.sync(messages=True)
        assert ids(conn, "xylophonic") == [some]

        before = {t.id for t in s.search(conn, "intent:interested", limit=1000)}
        target = next(t for t in sim.thread_ids() if t not in before and t != gone)
        sim.set_intent_server_side(target, "interested")
        sim.delete_thread(gone)
        subject = conn.execute("SELECT subject FROM threads WHERE id = ?", (gone,)).fetchone()[0]
        await engine.sync(full=True, messages=True)
        after = {t.id for t in s.search(conn, "intent:interested", limit=1000)}
        assert after == before | {target}
        assert gone not in {t.id for t in s.search(conn, f'"{subject}"', limit=1000)}
        conn.execute("INSERT INTO search_messages (search_messages) VALUES ('integrity-check')")
        conn.execute("INSERT INTO search_threads (search_threads) VALUES ('integrity-check')")
    finally:
        await client.aclose()
        conn.close()


def test_cli_search_json_and_table(db, tmp_path):
    cache = tmp_path / "cache.db"
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    env.pop("OUTREACH2DAY_API_KEY", None)  # no key: the cache alone, no probe
    base = [sys.executable, "-m", "o2d_inbox", "search", "--cache", str(cache)]
    out = subprocess.run(
        base + ["budget intent:interested", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=Path(__file__).parents[2],
    )
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["t_pricing", "t_old"]
    assert rows[0]["replyIntent"] == "interested" and rows[0]["subject"] == "Pricing for the enterprise plan"
    out = subprocess.run(
        base + ["zeppelin", "--limit", "5"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=Path(__file__).parents[2],
    )
    assert out.returncode == 0 and "t_html" in out.stdout and "Newsletter" in out.stdout
    out = subprocess.run(
        base + ['NEAR( "unbalanced'], capture_output=True, text=True, env=env, timeout=60, cwd=Path(__file__).parents[2]
    )
    assert out.returncode == 0 and out.stdout == "" and "Traceback" not in out.stderr


def test_narrow_filters_take_the_last_word_whole(db, monkeypatch):
    monkeypatch.setattr(s, "_NARROW", 10**9)
    assert ids(db, "intent:interested budg") == []
    assert ids(db, "intent:interested budget") == ["t_pricing", "t_old"]
    monkeypatch.setattr(s, "_NARROW", -1)
    assert ids(db, "intent:interested budg") == ["t_pricing", "t_old"]


def test_is_open_leaves_out_done_and_snoozed_threads_as_the_queues_do(db):
    from datetime import timedelta

    from o2d_inbox.cache import local

    assert ids(db, "is:needs-reply is:open") == ["t_pricing", "t_warm", "t_unfetched", "t_old"]
    local.mark_done(db, "t_warm")
    local.snooze(db, "t_old", NOW + timedelta(days=2))
    assert ids(db, "is:needs-reply") == ["t_pricing", "t_warm", "t_unfetched", "t_old"]
    assert ids(db, "is:needs-reply is:open") == ["t_pricing", "t_unfetched"]
    assert ids(db, "budget is:open") == ["t_pricing"]
    assert s.search_count(db, "is:open", now=NOW) == 3 and s.parse("is:open").open
    local.unsnooze(db, "t_old")
    assert ids(db, "intent:interested is:open") == ["t_pricing", "t_old"]
