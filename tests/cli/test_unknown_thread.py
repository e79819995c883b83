"""reply / forward / intent on a thread the cache does not have: checked with the server
before queueing; refused (exit 2, one line) when the server says it has no such thread, or
when it cannot be asked, unless --force."""

from __future__ import annotations

import json
import os

import pytest

from o2d_inbox.cache.db import open_db
from o2d_inbox.outbox import queue as ob

pytestmark = pytest.mark.slow

COMMANDS = (
    ["reply", "thr_elsewhere", "--body", "hi"],
    ["forward", "thr_elsewhere", "--to", "boss@ours.test"],
    ["intent", "thr_elsewhere", "interested"],
)


@pytest.fixture
def cache(home):
    path = home.root / "work.db"
    open_db(path).close()
    return path


def one_line(result) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_offline_it_is_refused_unless_forced(cli, cache, closed_port, command):
    env = {"OUTREACH2DAY_API_KEY": "ot2d_offline_key_0000", "O2D_INBOX_WORKSPACE": "42"}
    flags = ["--cache", str(cache), "--base-url", f"http://127.0.0.1:{closed_port}"]
    refused = cli(*command, *flags, **env)
    assert refused.returncode == 2
    line = one_line(refused)
    assert "thr_elsewhere is not in the cache" in line and "offline" in line and "--force" in line
    assert ob.list_items(open_db(cache)) == []

    forced = cli(*command, *flags, "--force", **env)
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout.startswith("queued #1") and "queued anyway" in forced.stderr
    assert [i.thread_id for i in ob.list_items(open_db(cache))] == ["thr_elsewhere"]


def test_without_a_key_the_refusal_says_how_to_set_it(cli, cache):
    result = cli("intent", "thr_elsewhere", "neutral", "--cache", str(cache))
    assert result.returncode == 2
    assert "OUTREACH2DAY_API_KEY" in one_line(result)


def test_online_a_thread_the_server_does_not_have_is_refused_even_forced(cli, cache, simulator):
    env = {"OUTREACH2DAY_API_KEY": simulator.key, "O2D_INBOX_WORKSPACE": "42"}
    for force in ([], ["--force"]):
        result = cli(
            "reply", "thr_nope", "--body", "hi", "--cache", str(cache), "--base-url", simulator.url, *force, **env
        )
        assert result.returncode == 2
        assert "neither in the cache nor on the server" in one_line(result)
    assert ob.list_items(open_db(cache)) == []


def test_online_a_thread_the_server_has_is_queued_from_its_mailbox(cli, cache, simulator):
    env = {"OUTREACH2DAY_API_KEY": simulator.key, "O2D_INBOX_WORKSPACE": "42"}
    flags = ["--cache", str(cache), "--base-url", simulator.url]
    result = cli("forward", "thr_000001", "--to", "boss@ours.test", *flags, **env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    listed = cli("outbox", "--json", *flags, **env)
    [row] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert row["thread_id"] == "thr_000001" and row["from"] and row["from"] in result.stdout


def test_a_refused_body_from_stdin_is_kept(home, cache, closed_port):
    import subprocess
    import sys

    env = {**home.env, "OUTREACH2DAY_API_KEY": "ot2d_offline_key_0000", "O2D_INBOX_WORKSPACE": "42"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "o2d_inbox",
            "reply",
            "thr_elsewhere",
            "--body-file",
            "-",
            "--cache",
            str(cache),
            "--base-url",
            f"http://127.0.0.1:{closed_port}",
        ],
        input="A reply written with care.\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    kept = one_line(result).rsplit("your text is kept in ", 1)[1]
    try:
        with open(kept, encoding="utf-8") as f:
            assert f.read() == "A reply written with care.\n"
    finally:
        os.remove(kept)


def test_a_read_only_cache_is_a_cache_error_not_a_refusal(cli, home, simulator, request):
    from tests.helpers import make_read_only

    folder = home.root / "ro"
    folder.mkdir()
    cache = folder / "work.db"
    open_db(cache).close()
    make_read_only(cache, request)
    result = cli(
        "intent",
        "thr_000001",
        "neutral",
        "--cache",
        str(cache),
        "--base-url",
        simulator.url,
        OUTREACH2DAY_API_KEY=simulator.key,
        O2D_INBOX_WORKSPACE="42",
    )
    assert result.returncode == 6, result.stderr
    assert "read-only" in one_line(result)
