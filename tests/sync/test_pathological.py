"""Records a careless server may send (simulator/corpus.py PATHOLOGICAL): dates before 1970, far
in the future or malformed, lone surrogates, an intent carrying a terminal escape, a thread
without an id. Every kind of sync completes with them and stores them as well as they can be."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import httpx
import pytest

from o2d_inbox.api.client import UniboxClient
from o2d_inbox.cache import queries, writes
from o2d_inbox.cache.db import open_db
from o2d_inbox.cache.schema import FTS_TOP
from o2d_inbox.cache.search import search
from o2d_inbox.simulator.corpus import PATHOLOGICAL_KINDS
from o2d_inbox.sync.engine import K_WATERMARK, SyncEngine
from tests.helpers import (
    API_KEY,
    WORKSPACE,
    cached_snapshot,
    counts_are_right,
    make_client,
    make_sim,
    no_wait,
    search_index_whole,
)

SURROGATE = re.compile("[\ud800-\udfff]")
ESCAPE_INTENT = "\x1b[2J\x1b[Hpwned\x07"
NEWEST = {"thr_p_far_future", "thr_p_year_9999"}  # dated 2300 and 9999: both stored as 2106
OLDEST = {"thr_p_before_1970", "thr_p_year_1", "thr_p_bad_date"}  # stored as 1970 (0)


def row(conn, tid):
    return conn.execute("SELECT * FROM threads WHERE id = ?", (tid,)).fetchone()


def no_surrogates_anywhere(conn) -> bool:
    for table in ("threads", "messages"):
        for r in conn.execute(f"SELECT * FROM {table}"):
            if any(isinstance(v, str) and SURROGATE.search(v) for v in tuple(r)):
                return False
    return True


@pytest.fixture
def cache(tmp_path):
    conn = open_db(tmp_path / "cache.db")
    yield conn
    conn.close()


async def test_a_first_sync_stores_every_pathological_record(cache):
    sim = make_sim(threads=60, pathological=True)
    async with make_client(sim) as client:
        result = await SyncEngine(cache, client, page_limit=25).sync(messages=True)
    assert result.full and result.new == 60 + len(PATHOLOGICAL_KINDS) and result.skipped == 0
    assert cached_snapshot(cache) == sim.thread_snapshot()

    # the date as received is kept; the ordering key is clamped into what the index can key
    stored = {
        r["id"][6:]: (r["last_date"], r["last_ts"])
        for r in cache.execute(
            "SELECT id, last_date, last_ts FROM threads WHERE id LIKE 'thr_p_%' AND id NOT LIKE '%_intent' "
            "AND id != 'thr_p_surrogate'"
        )
    }
    assert stored == {
        "before_1970": ("1969-12-31T23:59:59Z", 0),
        "year_1": ("0001-01-01T00:00:00Z", 0),
        "bad_date": (None, 0),
        "far_future": ("2300-01-01T00:00:00Z", FTS_TOP),
        "year_9999": ("9999-12-31T23:59:59Z", FTS_TOP),
    }
    # newest first: the far future on top, the unreadable and pre-1970 dates at the bottom
    listed = [t.id for t in queries.rows(cache, queries.View("all", relevant=False), 0, 1000)]
    assert set(listed[:2]) == NEWEST and set(listed[-3:]) == OLDEST
    # the messages keep their dates too
    dates = dict(cache.execute("SELECT thread_id, date_received FROM messages WHERE thread_id LIKE 'thr_p_%'"))
    assert dates["thr_p_before_1970"] == "1969-12-31T23:59:59Z"
    assert dates["thr_p_far_future"] == "2300-01-01T00:00:00Z"
    assert dates["thr_p_bad_date"] is None

    # lone surrogates repaired to U+FFFD at the boundary: in threads and in messages
    lone = row(cache, "thr_p_surrogate")
    assert lone["subject"] == "Lone \ufffd surrogate \ufffd subject"
    assert lone["last_from"] == "lone\ufffd@surrogate.example"
    body = cache.execute("SELECT body_text FROM messages WHERE thread_id = 'thr_p_surrogate'").fetchone()[0]
    assert body == "A body with \ufffd lone surrogates \ufffd inside."
    assert no_surrogates_anywhere(cache)
    # an unknown intent is data: stored as sent (the display makes it safe)
    assert row(cache, "thr_p_escape_intent")["reply_intent"] == ESCAPE_INTENT
    assert counts_are_right(cache) and search_index_whole(cache)
    # the watermark did not jump to 2300
    assert writes.get_state(cache, K_WATERMARK) < "2100"


async def test_full_and_incremental_syncs_complete_and_stay_incremental(cache):
    """The records arrive after the first sync: an incremental sync stores them, a full one
    keeps them, and a later reply is still seen (a date in 2300 must not become the
    watermark, or every later incremental sync would ask for changes since 2300)."""
    sim = make_sim(threads=60)
    async with make_client(sim) as client:
        engine = SyncEngine(cache, client, page_limit=25, overlap=timedelta(minutes=10))
        await engine.sync()
        ids = sim.add_pathological_threads()
        incremental = await engine.sync(messages=True)
        assert not incremental.full and incremental.new == len(PATHOLOGICAL_KINDS)
        assert set(ids.values()) <= set(cached_snapshot(cache))
        full = await engine.sync(full=True, messages=True)
        assert full.full and (full.new, full.removed) == (0, 0)
        sim.advance(60)
        replied = sim.add_inbound_reply(sim.thread_ids()[-1])
        later = await engine.sync()
    assert not later.full and later.changed == 1
    assert cached_snapshot(cache) == sim.thread_snapshot()
    assert row(cache, replied)["unread"] == 1
    assert row(cache, "thr_p_far_future")["last_ts"] == FTS_TOP
    assert counts_are_right(cache) and search_index_whole(cache)


async def test_search_finds_them_and_their_dates_filter_sanely(cache):
    sim = make_sim(threads=40, pathological=True)
    async with make_client(sim) as client:
        await SyncEngine(cache, client, page_limit=25).sync(messages=True)
    assert [t.id for t in search(cache, "surrogate")] == ["thr_p_surrogate"]
    assert [t.id for t in search(cache, "epoch")] == ["thr_p_before_1970"]
    assert [t.id for t in search(cache, "future after:2200-01-01")] == ["thr_p_far_future"]
    assert [t.id for t in search(cache, "epoch before:1971-01-01")] == ["thr_p_before_1970"]
    assert "thr_p_before_1970" not in {t.id for t in search(cache, "epoch after:2000-01-01")}


def spliced_client(transport: httpx.AsyncBaseTransport) -> UniboxClient:
    return UniboxClient("http://sim.test", API_KEY, WORKSPACE, transport=transport, sleep=no_wait)


def splice_threads(transport: httpx.AsyncBaseTransport, extra: bytes) -> httpx.AsyncBaseTransport:
    """The server's /threads pages with ``extra`` (JSON items, comma-terminated) put in front."""

    class Splice(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await transport.handle_async_request(request)
            if request.url.path.endswith("/threads") and response.status_code == 200:
                body = await response.aread()
                body = body.replace(b'{"threads":[', b'{"threads":[' + extra, 1)
                return httpx.Response(200, content=body, headers={"content-type": "application/json"})
            return response

    return Splice()


async def test_threads_without_an_id_are_skipped_and_counted(cache, capsys):
    """An item that cannot be stored at all (no id, not an object) is left out and counted;
    a numeric id is still an id; the rest of its page is stored."""
    from o2d_inbox.commands.sync import summary

    sim = make_sim(threads=30)
    extra = b'{"subject":"no id at all"},null,"a string",{"id":7,"subject":"numeric id","last_message":"x"},'
    async with spliced_client(splice_threads(sim.transport(), extra)) as client:
        result = await SyncEngine(cache, client, page_limit=25).sync()
    pages = sum(1 for m, path, _, status in sim.request_log if (m, path, status) == ("GET", "/threads", 200))
    assert pages >= 2  # 30 threads at 25 a page, then the walk's catch-up
    assert result.skipped == 3 * pages  # counted on every page that carried them
    assert row(cache, "7")["subject"] == "numeric id"
    assert set(sim.thread_ids()) <= set(cached_snapshot(cache))
    assert f"; {3 * pages} records without an id skipped" in summary(result)


async def test_messages_without_an_id_are_skipped_and_counted(cache):
    sim = make_sim(threads=5, hostile=False)

    class Splice(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await sim.transport().handle_async_request(request)
            if "/messages" in request.url.path and response.status_code == 200:
                data = json.loads(await response.aread())
                data["messages"].append({"subject": "no id"})
                return httpx.Response(200, json=data)
            return response

    async with spliced_client(Splice()) as client:
        engine = SyncEngine(cache, client, page_limit=25)
        await engine.sync()  # the threads (and the mailbox probes' messages)
        unfetched = cache.execute("SELECT count(*) FROM threads WHERE messages_fetched_count IS NULL").fetchone()[0]
        result = await engine.sync(messages=True)
    assert unfetched > 0 and result.skipped == unfetched  # one per thread whose messages came now
    stored = cache.execute("SELECT count(*) FROM messages").fetchone()[0]
    assert stored == sum(s["message_count"] for s in sim.thread_snapshot().values())
    assert cache.execute("SELECT count(*) FROM messages WHERE subject = 'no id'").fetchone()[0] == 0


# --- what a user sees: the CLI ---------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_cache(tmp_path_factory):
    """A cache synced (with messages) from a simulator serving the pathological records, and
    an environment for running the CLI on it offline (no key: no probe)."""
    import asyncio
    import os

    home = tmp_path_factory.mktemp("home")

    async def fill() -> None:
        conn = open_db(home / "cache.db")
        async with make_client(make_sim(threads=30, pathological=True)) as client:
            await SyncEngine(conn, client).sync(messages=True)
        conn.close()

    asyncio.run(fill())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("O2D_", "OUTREACH2DAY_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "cfg"),
        XDG_DATA_HOME=str(home / "data"),
        O2D_INBOX_CACHE=str(home / "cache.db"),
    )
    return env


def o2d(env, *argv: str) -> bytes:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "o2d_inbox", *argv], env=env, capture_output=True, timeout=60)
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
    return done.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv",
    [
        ("threads", "--limit", "100"),
        ("show", "thr_p_escape_intent"),
        ("show", "thr_p_surrogate"),
        ("search", "intent"),
        ("search", "surrogate"),
        ("threads", "--intent", ESCAPE_INTENT),
    ],
)
def test_the_cli_shows_them_safely(cli_cache, argv):
    out = o2d(cli_cache, *argv).decode("utf-8")  # valid UTF-8: no surrogate got through
    assert out.strip()
    assert not any(c in out for c in "\x1b\x07\x9b")  # nothing for the terminal to obey
    if "thr_p_escape_intent" in out:
        assert "pwned" in out  # the intent is shown (as text), not dropped
    if "thr_p_surrogate" in out:
        assert "Lone \ufffd surrogate \ufffd subject" in out


@pytest.mark.slow
def test_the_cli_lists_them_in_date_order_with_their_dates(cli_cache):
    lines = o2d(cli_cache, "threads", "--limit", "100").decode().splitlines()
    ids = [line.split()[-1] for line in lines]
    assert set(ids[:2]) == NEWEST and set(ids[-3:]) == OLDEST
    assert lines[ids.index("thr_p_far_future")].startswith("2300-01-01 00:00")
    assert lines[ids.index("thr_p_year_1")].startswith("0001-01-01 00:00")
    assert "1969-12-31 23:59" in lines[ids.index("thr_p_before_1970")]
    for tid, when in (
        ("thr_p_far_future", "2300-01-01 00:00"),
        ("thr_p_year_1", "0001-01-01 00:00"),
        ("thr_p_year_9999", "9999-12-31 23:59"),
        ("thr_p_bad_date", "in  ?"),
    ):
        assert when in o2d(cli_cache, "show", tid).decode()


@pytest.mark.slow
def test_the_cli_json_is_json_with_the_dates_as_received(cli_cache):
    rows = {r["id"]: r for r in map(json.loads, o2d(cli_cache, "threads", "--json", "--limit", "100").splitlines())}
    assert rows["thr_p_before_1970"]["last_message"]["date_received"] == "1969-12-31T23:59:59Z"
    assert rows["thr_p_far_future"]["last_message"]["date_received"] == "2300-01-01T00:00:00Z"
    assert rows["thr_p_bad_date"]["last_message"]["date_received"] is None
    assert rows["thr_p_escape_intent"]["replyIntent"] == ESCAPE_INTENT  # JSON escapes it
    assert rows["thr_p_surrogate"]["subject"] == "Lone \ufffd surrogate \ufffd subject"
    shown = json.loads(o2d(cli_cache, "show", "thr_p_before_1970", "--json"))
    assert shown["messages"][0]["date_received"] == "1969-12-31T23:59:59Z"
    found = [json.loads(x)["id"] for x in o2d(cli_cache, "search", "surrogate", "--json").splitlines()]
    assert found == ["thr_p_surrogate"]


@pytest.mark.parametrize("bulk", [True, False], ids=["mid-bulk-load", "after-it"])
def test_a_cache_left_broken_by_an_older_version_is_repaired_when_opened(tmp_path, bulk):
    """Before times were clamped, a first sync in bulk mode (no search triggers) could store a
    thread dated 1969 or 2300; the index rebuilt at the walk's end left it out, and every
    later write to it failed in the search triggers. Opening the cache clamps those times
    (migration 11) and, with the triggers back, rebuilds the index."""
    from o2d_inbox.cache.migrations import ensure_schema

    conn = open_db(tmp_path / "old.db")
    with writes.transaction(conn):
        saved = writes.bulk_begin(conn)
        for tid, ts in (("old", -86400), ("future", 10413792000), ("fine", 1700000000)):
            conn.execute("INSERT INTO threads (id, subject, last_ts) VALUES (?, ?, ?)", (tid, f"about {tid}", ts))
            conn.execute(
                "INSERT INTO messages (id, thread_id, ts, body_text) VALUES (?, ?, ?, 'hello')", (f"m_{tid}", tid, ts)
            )
    if not bulk:
        with writes.transaction(conn):
            writes.bulk_end(conn, saved)
        with pytest.raises(Exception, match="datatype mismatch"):  # what every sync ran into
            conn.execute("UPDATE threads SET subject = 'about old again' WHERE id = 'old'")
    conn.execute("PRAGMA user_version = 10")  # as written before migration 11
    for suffix in ("ins", "del", "upd"):  # made (and filled from the threads) by 14
        conn.execute(f"DROP TRIGGER trg_stats_days_{suffix}")
    conn.execute("DROP TABLE stats_days")
    ensure_schema(conn)
    ensure_schema(conn)  # applied once
    assert dict(conn.execute("SELECT id, last_ts FROM threads")) == {"old": 0, "future": FTS_TOP, "fine": 1700000000}
    assert dict(conn.execute("SELECT thread_id, ts FROM messages")) == {"old": 0, "future": FTS_TOP, "fine": 1700000000}
    if bulk:  # the walk's end, as the next sync runs it
        with writes.transaction(conn):
            writes.bulk_end(conn, saved)
    conn.execute("UPDATE threads SET subject = 'about old again' WHERE id = 'old'")
    assert search_index_whole(conn)
    assert {t.id for t in search(conn, "about")} == {"old", "future", "fine"}
    assert [t.id for t in search(conn, "hello")] == ["future", "fine", "old"]
    conn.close()
