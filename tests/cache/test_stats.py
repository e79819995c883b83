"""Reply stats (cache/stats.py) against a simulator world whose answers are counted here from
the world itself: a cache synced with every message, then each figure recounted from the
simulator's threads and messages and compared."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime

import pytest

from o2d_inbox.cache import stats as st
from o2d_inbox.cache.stats import NO_CAMPAIGN, StatsFilter, compute
from o2d_inbox.simulator.generator import KIND_PROSPECT
from o2d_inbox.sync.engine import SyncEngine
from tests.helpers import make_client, make_sim

DAY = 86400


def _ts(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    """(simulator, cache connection, now): 300 threads synced with every message fetched, once
    for the module; the tests only read the simulator."""
    from o2d_inbox.cache.db import open_db

    sim = make_sim(300, seed=5)
    conn = open_db(tmp_path_factory.mktemp("stats") / "cache.db")

    async def sync() -> None:
        client = make_client(sim)
        try:
            await SyncEngine(conn, client, page_limit=100).sync(messages=True)
        finally:
            await client.aclose()

    asyncio.run(sync())
    yield sim, conn, int(time.time())
    conn.close()


@pytest.fixture
def world(synced, tmp_path):
    """(simulator, the test's own copy of the synced cache at tmp_path/cache.db, now)."""
    from o2d_inbox.cache.db import open_db

    sim, synced_conn, now = synced
    conn = open_db(tmp_path / "cache.db")
    synced_conn.backup(conn)
    yield sim, conn, now
    conn.close()


def _metas(sim):
    return [meta for _, meta in sim.inboxes[sim.primary].walk()]


def _expected(sim, since=None, relevant=False, campaign=None):
    by_intent, by_campaign, by_mailbox = {}, {}, {}
    for m in _metas(sim):
        if since is not None and m.last_date < since:
            continue
        if relevant and m.kind != KIND_PROSPECT:
            continue
        if campaign is not None and m.campaign != campaign:
            continue
        intent = m.intent or "unclassified"
        by_intent[intent] = by_intent.get(intent, 0) + 1
        per = by_campaign.setdefault(m.campaign or NO_CAMPAIGN, {})
        per[intent] = per.get(intent, 0) + 1
        per = by_mailbox.setdefault(m.mailbox_email, {})
        per[intent] = per.get(intent, 0) + 1
    return by_intent, by_campaign, by_mailbox


async def test_counts_match_the_world(world):
    """by_intent / by_campaign / by_mailbox equal the simulator's own threads, all time and in a window."""
    sim, conn, now = world
    for since in (None, now - 30 * DAY, now - 3 * DAY):
        stats = compute(conn, StatsFilter(since=since), now=now)
        by_intent, by_campaign, by_mailbox = _expected(sim, since)
        assert stats.by_intent == by_intent
        assert stats.by_campaign == by_campaign
        assert stats.by_mailbox == by_mailbox
        assert stats.threads == sum(by_intent.values())
    assert "unclassified" in stats.by_intent  # warmups and unanswered threads have no intent


async def test_filters_narrow_every_figure(world):
    """--relevant drops warmup / postmaster threads; --campaign keeps one campaign (or none)."""
    sim, conn, now = world
    stats = compute(conn, StatsFilter(relevant=True), now=now)
    assert stats.by_intent == _expected(sim, relevant=True)[0]
    campaign = "cmp_q1saas7a2f"
    stats = compute(conn, StatsFilter(campaign=campaign), now=now)
    assert set(stats.by_campaign) == {campaign}
    assert stats.by_intent == _expected(sim, campaign=campaign)[0]
    stats = compute(conn, StatsFilter(campaign=NO_CAMPAIGN), now=now)
    assert set(stats.by_campaign) == {NO_CAMPAIGN}
    no_campaign = {}
    for m in _metas(sim):
        if m.campaign is None:
            no_campaign[m.intent or "unclassified"] = no_campaign.get(m.intent or "unclassified", 0) + 1
    assert stats.by_intent == no_campaign


async def test_by_day_counts_each_thread_on_the_day_of_its_latest_message(world):
    sim, conn, now = world
    since = now - 20 * DAY
    stats = compute(conn, StatsFilter(since=since), now=now, utc_offset=3600)
    expected: dict[str, dict[str, int]] = {}
    for m in _metas(sim):
        if m.last_date >= since:
            day = st.day_label((m.last_date + 3600) // DAY)
            per = expected.setdefault(day, {})
            per[m.intent or "unclassified"] = per.get(m.intent or "unclassified", 0) + 1
    days = list(stats.by_day)
    assert days[-1] == st.day_label((now + 3600) // DAY) and len(days) == 21  # every day, oldest first
    assert {d: v for d, v in stats.by_day.items() if v} == expected
    assert sum(stats.day_series("interested")) == stats.by_intent.get("interested", 0)


async def test_response_times_match_the_conversations(world):
    """Median / p90 of prospect reply -> our next message, recounted from the world's messages."""
    sim, conn, now = world
    waits, unanswered = [], 0
    for m in _metas(sim):
        msgs = sorted(m.messages(), key=lambda x: (_ts(x["date_received"]), x["id"]))
        start = None
        for msg in msgs:
            if msg["is_incoming"]:
                start = _ts(msg["date_received"]) if start is None else start
            elif start is not None:
                waits.append(_ts(msg["date_received"]) - start)
                start = None
        unanswered += start is not None
    waits.sort()
    stats = compute(conn, StatsFilter(), now=now)
    r = stats.response
    assert r.measured == len(waits) > 50 and r.unanswered == unanswered
    assert r.median_seconds == waits[(len(waits) + 1) // 2 - 1]
    assert r.p90_seconds == waits[-(-len(waits) * 9 // 10) - 1]
    # the Needs-reply queue's head: a prospect wrote last (bounces and postmaster mail are no replies)
    oldest = min(
        (_ts(m.messages()[-1]["date_received"]), m.tid)
        for m in _metas(sim)
        if m.messages()[-1]["is_incoming"] and m.kind == KIND_PROSPECT and m.intent != "bounced"
    )
    assert (r.oldest_waiting_thread, r.oldest_waiting_seconds) == (oldest[1], now - oldest[0])


async def test_response_times_come_from_the_newest_replies_only(world, monkeypatch):
    """The response sample is the newest RESPONSE_SAMPLE prospect messages of the window."""
    sim, conn, now = world
    monkeypatch.setattr(st, "RESPONSE_SAMPLE", 40)
    incoming = sorted(
        ((_ts(x["date_received"]), m.tid, x) for m in _metas(sim) for x in m.messages() if x["is_incoming"]),
        key=lambda e: e[0],
        reverse=True,
    )[:40]
    first_of = {}
    for ts, tid, _ in incoming:
        meta = sim.inboxes[sim.primary].get(tid)
        answers = [
            _ts(x["date_received"]) for x in meta.messages() if not x["is_incoming"] and _ts(x["date_received"]) >= ts
        ]
        key = (tid, min(answers) if answers else None)
        first_of[key] = min(first_of.get(key, ts), ts)
    waits = sorted(a - t for (_, a), t in first_of.items() if a is not None)
    r = compute(conn, StatsFilter(), now=now).response
    assert (r.measured, r.unanswered) == (len(waits), len(first_of) - len(waits))
    assert r.median_seconds == waits[(len(waits) + 1) // 2 - 1]


async def test_done_threads_still_count_but_leave_the_waiting_figure(world):
    sim, conn, now = world
    before = compute(conn, StatsFilter(), now=now)
    conn.execute("UPDATE threads SET local_done = 1 WHERE id = ?", (before.response.oldest_waiting_thread,))
    after = compute(conn, StatsFilter(), now=now)
    assert after.by_intent == before.by_intent
    assert after.response.oldest_waiting_thread != before.response.oldest_waiting_thread
    assert after.response.oldest_waiting_seconds <= before.response.oldest_waiting_seconds


async def test_campaign_rates_from_the_cached_server_stats(world):
    """The sync cached GET /campaigns/{id}/stats; rates = replied ÷ sent and interested ÷ sent."""
    sim, conn, now = world
    stats = compute(conn, StatsFilter(since=now - 7 * DAY), now=now)
    assert {c.id for c in stats.campaigns} == {c["id"] for c in sim.campaigns}
    for c in stats.campaigns:
        server = sim.campaign_stats(sim.primary, c.id)
        interested = sum(1 for m in _metas(sim) if m.campaign == c.id and m.intent == "interested")
        assert (c.sent, c.replied, c.interested_all_time) == (
            server["sends"]["sent"],
            server["sends"]["replied"],
            interested,
        )
        assert c.interested == stats.by_campaign.get(c.id, {}).get("interested", 0)  # the window's
        assert c.reply_rate == pytest.approx(c.replied / c.sent)
        assert c.positive_reply_rate == pytest.approx(interested / c.sent)
        assert c.age_seconds is not None and 0 <= c.age_seconds < 600
        assert c.threads == sum(stats.by_campaign.get(c.id, {}).values())  # the window's threads
    doc = json.loads(json.dumps(stats.as_json()))
    assert set(doc) >= {"by_intent", "by_campaign", "by_mailbox", "by_day", "response", "campaigns"}
    assert doc["campaigns"]["cmp_q1saas7a2f"]["stats_fetched_at"].endswith("Z")


async def test_an_empty_cache_has_empty_figures(tmp_path):
    from o2d_inbox.cache.db import open_db

    conn = open_db(tmp_path / "empty.db")
    stats = compute(conn, StatsFilter(since=None), now=time.time())
    assert stats.threads == 0 and stats.by_intent == {} and stats.response.median_seconds is None
    assert stats.response.oldest_waiting_seconds is None and list(stats.by_day) and stats.campaigns == []


def test_from_view_takes_the_queue_filters():
    from o2d_inbox.cache.queries import View

    f = StatsFilter.from_view(View("intent", None, relevant=True, narrow=(("campaign", "c1"),)), since=5)
    assert (f.intent, f.campaign, f.mailbox, f.relevant, f.since) == ("unclassified", "c1", None, True, 5)
    f = StatsFilter.from_view(View("needs", relevant=False, narrow=(("mailbox", "a@b.c"),)))
    assert (f.intent, f.campaign, f.mailbox, f.relevant) == (None, None, "a@b.c", False)


# --- the commands -------------------------------------------------------------------------------


def _cli(capsys, *argv):
    from o2d_inbox.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


async def test_stats_json_is_the_world(world, capsys, tmp_path):
    sim, conn, now = world
    code, out, err = _cli(capsys, "stats", "--cache", str(tmp_path / "cache.db"), "--since", "all", "--json")
    assert code == 0, err
    doc = json.loads(out)
    by_intent, by_campaign, by_mailbox = _expected(sim)
    assert (doc["by_intent"], doc["by_campaign"], doc["by_mailbox"]) == (by_intent, by_campaign, by_mailbox)
    assert doc["since"] is None and doc["response"]["replies_measured"] > 0
    sent = sim.campaign_stats(sim.primary, "cmp_q1saas7a2f")["sends"]["sent"]
    assert doc["campaigns"]["cmp_q1saas7a2f"]["sent"] == sent
    code, out, err = _cli(capsys, "stats", "--cache", str(tmp_path / "cache.db"), "--campaign", "cmp_q1saas7a2f")
    assert code == 0 and "Q1 SaaS Outreach" in out and "campaign cmp_q1saas7a2f" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_stats_rejects_a_bad_window(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        _cli(capsys, "stats", "--cache", str(tmp_path / "c.db"), "--since", "yesterday-ish")
    assert exit_.value.code == 2
    assert "not a time span or date" in capsys.readouterr().err


async def test_export_csv_rows_are_the_interested_leads(world, capsys, tmp_path):
    """One RFC 4180 row per interested thread, its prospect's latest reply, formulas neutralised."""
    import csv
    import io

    sim, conn, now = world
    interested = {m.tid: m for m in _metas(sim) if m.intent == "interested"}
    victim = sorted(interested)[0]
    conn.execute("UPDATE threads SET local_note = ? WHERE id = ?", ('=HYPERLINK("http://x","y")', victim))
    target = tmp_path / "leads.csv"
    code, out, err = _cli(
        capsys, "export", "--cache", str(tmp_path / "cache.db"), "--intent", "interested", "--output", str(target)
    )
    assert code == 0 and out == "" and f"exported {len(interested)} threads" in err
    raw = target.read_bytes()
    assert raw.count(b"\r\n") >= len(interested) + 1 and (target.stat().st_mode & 0o777) == 0o600
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert {r["thread_id"] for r in rows} == set(interested)
    for r in rows:
        meta = interested[r["thread_id"]]
        assert r["prospect_email"] == meta.prospect_email
        # the company is guessed from the domain (acmecorp.com): its letters, words split when
        # the name ends in a common company word
        assert r["company"].replace(" ", "").lower() == meta.company.replace(" ", "").lower()
        assert r["mailbox"] == meta.mailbox_email and r["campaign_id"] == (meta.campaign or "")
        last_in = [x for x in meta.messages() if x["is_incoming"]][-1]
        assert r["last_reply_at"] == last_in["date_received"]
        assert r["last_reply_snippet"] == (last_in["body_text"] or "")[:300]
    note = next(r["note"] for r in rows if r["thread_id"] == victim)
    assert note == '\'=HYPERLINK("http://x","y")'


async def test_export_json_lines_by_campaign_and_window(world, capsys, tmp_path):
    sim, conn, now = world
    code, out, err = _cli(
        capsys,
        "export",
        "--cache",
        str(tmp_path / "cache.db"),
        "--campaign",
        "cmp_ecom55b1",
        "--since",
        "10d",
        "--format",
        "json",
    )
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    expected = {m.tid for m in _metas(sim) if m.campaign == "cmp_ecom55b1" and m.last_date >= now - 10 * DAY}
    assert {r["thread_id"] for r in rows} == expected and expected
    assert all(r["campaign_name"] == "E-commerce Founders" for r in rows)


def test_export_to_a_missing_folder_is_one_line_exit_2(capsys, tmp_path):
    code, out, err = _cli(capsys, "export", "--cache", str(tmp_path / "c.db"), "-o", str(tmp_path / "no" / "x.csv"))
    assert code == 2 and err.count("\n") == 1 and str(tmp_path / "no" / "x.csv") in err


def test_formula_neutralisation():
    from o2d_inbox.export import neutralise

    for bad in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(bad) == "'" + bad
    assert neutralise("plain") == "plain" and neutralise(None) == "" and neutralise(3) == "3"


def test_stats_on_a_cache_of_the_previous_format_migrates_it(capsys, tmp_path):
    """A cache last written before migration 12 (no campaign_stats, no stats indexes) works."""
    import sqlite3

    from o2d_inbox.cache.migrations import MIGRATIONS

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for number, migration in enumerate(MIGRATIONS[:11]):
        conn.execute("BEGIN")
        for statement in migration:
            statement(conn) if callable(statement) else conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number + 1}")
        conn.execute("COMMIT")
    conn.execute("INSERT INTO threads (id, last_ts, reply_intent) VALUES ('t1', ?, 'interested')", (int(time.time()),))
    conn.close()
    code, out, err = _cli(capsys, "stats", "--cache", str(path), "--json")
    assert code == 0, err
    assert json.loads(out)["by_intent"] == {"interested": 1}


async def test_the_report_is_terminal_safe_and_fits_80_columns(world, capsys, tmp_path):
    """Server names (campaigns, mailboxes, intents) reach the table as plain, cut text."""
    sim, conn, now = world
    conn.execute(
        "UPDATE campaigns SET name = ? WHERE id = 'cmp_q1saas7a2f'",
        ("\x1b]0;pwned\x07[bold]Q1[/] \u202eevil 日本語テスト" * 3,),
    )
    conn.execute("UPDATE threads SET reply_intent = ? WHERE id = (SELECT min(id) FROM threads)", ("maybe\x1b[2J",))
    code, out, err = _cli(capsys, "stats", "--cache", str(tmp_path / "cache.db"), "--since", "all")
    assert code == 0, err
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert "[bold]Q1[/]" in out  # shown as typed, never as markup
    from o2d_inbox.render.text import cell_len

    assert max(cell_len(line) for line in out.splitlines()) <= 80
