"""`o2d-inbox sync / threads / show` as a user runs them, against a simulator on a real port."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.cli.runner import run_main
from tests.helpers import API_KEY, WORKSPACE, SimServer

pytestmark = pytest.mark.slow


def o2d(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return run_main(argv, env, os.getcwd())


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    """A cache filled by `o2d-inbox sync --messages` from a simulator on a real port, which is then
    stopped."""
    home = tmp_path_factory.mktemp("home")
    server = SimServer(threads=60, seed=11, hostile=True)  # in a thread: the CLI runs in this process
    url = server.url
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "cfg"),
        "XDG_DATA_HOME": str(home / "data"),
        "OUTREACH2DAY_API_KEY": API_KEY,
        "O2D_INBOX_BASE_URL": url,
        "O2D_INBOX_WORKSPACE": str(WORKSPACE),
        "O2D_INBOX_CACHE": str(home / "cache.db"),
    }
    try:
        first = o2d("sync", "--messages", env=env)
        again = o2d("sync", env=env)
    finally:
        server.stop()
    return env, first, again


def test_sync_prints_a_summary(synced):
    env, first, again = synced
    assert first.returncode == 0, first.stderr
    assert "synced (full reconcile): 60 new, 0 changed, 0 removed threads" in first.stdout
    assert "messages" in first.stdout
    assert again.returncode == 0 and "synced (incremental): 0 new, 0 changed" in again.stdout


def test_sync_with_the_server_down_is_one_line_and_exit_4(synced, tmp_path, closed_port):
    env, _, _ = synced
    down = {
        **env,
        "O2D_INBOX_BASE_URL": f"http://127.0.0.1:{closed_port}",
        "O2D_INBOX_CACHE": str(tmp_path / "other.db"),
        "O2D_INBOX_PATIENCE": "1",
    }  # a refused connection is retried within the patience: 1 s is enough
    result = o2d("sync", env=down)
    assert result.returncode == 4
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("o2d-inbox: ")
    assert "Traceback" not in result.stderr and API_KEY not in result.stderr


def test_threads_work_offline(synced):
    env, _, _ = synced
    result = o2d("threads", "--json", "--limit", "5", env=env)
    assert result.returncode == 0, result.stderr
    assert "offline: showing cached data" in result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 5
    assert set(rows[0]) >= {
        "id",
        "external_thread_id",
        "subject",
        "subject_display",
        "last_message",
        "is_warming",
        "is_postmaster",
        "message_count",
        "replyIntent",
        "campaignId",
    }
    dates = [r["last_message"]["date_received"] for r in rows]
    assert dates == sorted(dates, reverse=True)  # newest first
    assert all(r["mailbox"] for r in rows)  # learned from the messages

    table = o2d("threads", "--limit", "3", env=env)
    assert table.returncode == 0 and len(table.stdout.splitlines()) == 3
    assert rows[0]["id"] in table.stdout.splitlines()[0]
    # the seeded hostile subjects/senders (ANSI, OSC, bidi, control chars) arrive as plain text
    everything = o2d("threads", "--limit", "1000", env=env).stdout
    assert not any(c in everything for c in "\x1b\x07\x9b\u202e")
    as_json = o2d("threads", "--json", "--limit", "1000", env=env).stdout  # kept whole, as \u escapes
    assert as_json.isascii() and "\\u001b" in as_json


def test_threads_filters(synced):
    env, _, _ = synced
    every = [json.loads(x) for x in o2d("threads", "--json", "--limit", "1000", env=env).stdout.splitlines()]
    intent = next(r["replyIntent"] for r in every if r["replyIntent"])
    got = [
        json.loads(x)
        for x in o2d("threads", "--json", "--intent", intent, "--limit", "1000", env=env).stdout.splitlines()
    ]
    assert got and len(got) == sum(r["replyIntent"] == intent for r in every)
    none = [
        json.loads(x)
        for x in o2d(
            "threads", "--json", "--intent", "unclassified", "--relevant", "--limit", "1000", env=env
        ).stdout.splitlines()
    ]
    assert all(r["replyIntent"] is None and not r["is_warming"] and not r["is_postmaster"] for r in none)
    waiting = [
        json.loads(x) for x in o2d("threads", "--json", "--needs-reply", "--limit", "1000", env=env).stdout.splitlines()
    ]
    assert 0 < len(waiting) < len(every)
    assert all(r["last_message"]["from_email"] != r["mailbox"] for r in waiting)


def test_threads_and_search_json_lines_are_the_cached_rows_as_documented(synced):
    """The exact JSON Lines (keys, order, values as cached) of `threads` and `search`."""
    import sqlite3

    env, _, _ = synced
    conn = sqlite3.connect(env["O2D_INBOX_CACHE"])
    expected = {}
    for (
        tid,
        ext,
        subject,
        display,
        frm,
        date,
        snippet,
        warming,
        postmaster,
        count,
        intent,
        campaign,
        mailbox,
    ) in conn.execute(
        "SELECT id, external_thread_id, subject, subject_display, last_from, last_date, last_snippet, "
        "is_warming, is_postmaster, message_count, reply_intent, campaign_id, mailbox FROM threads"
    ):
        row = {
            "id": tid,
            "external_thread_id": ext,
            "subject": subject,
            "subject_display": display,
            "last_message": {"from_email": frm, "date_received": date, "body_text": snippet},
            "is_warming": bool(warming),
            "is_postmaster": bool(postmaster),
            "message_count": count,
            "replyIntent": intent,
            "campaignId": campaign,
        }
        if mailbox:
            row["mailbox"] = mailbox
        expected[tid] = json.dumps(row)
    conn.close()
    lines = o2d("threads", "--json", "--limit", "1000", env=env).stdout.splitlines()
    assert sorted(lines) == sorted(expected.values())
    assert any(json.loads(line)["external_thread_id"] for line in lines)
    word = json.loads(lines[0])["subject"].split()[-1]
    found = o2d("search", word, "--json", "--limit", "1000", env=env).stdout.splitlines()
    assert found and all(line == expected[json.loads(line)["id"]] for line in found)


def test_show_works_offline(synced):
    env, _, _ = synced
    first = json.loads(o2d("threads", "--json", "--limit", "1", env=env).stdout)
    shown = o2d("show", first["id"], "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    thread = json.loads(shown.stdout)
    assert thread["id"] == first["id"] and len(thread["messages"]) == first["message_count"]
    assert {"from_email", "to_emails", "cc_emails", "body_text", "body_html", "is_incoming", "folder"} <= set(
        thread["messages"][0]
    )

    text = o2d("show", first["id"], env=env)
    assert text.returncode == 0 and "offline: showing cached data" in text.stderr
    assert text.stdout.count("── ") == first["message_count"]
    assert o2d("show", "thr_nope", env=env).returncode == 2


def test_a_second_sync_says_another_is_running(synced):
    from o2d_inbox.cache.lock import WriterLock

    env, _, _ = synced
    with WriterLock(env["O2D_INBOX_CACHE"]):
        result = o2d("sync", env=env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "o2d-inbox: another o2d-inbox is syncing this cache; the cache stays readable"
    ]
