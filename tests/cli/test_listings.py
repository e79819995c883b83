"""`threads`, `search` and `outbox` listings as a user runs them: they fit the terminal (80 and
160 columns, a real pty), keep whole fields when piped, say what they left out, and answer a
filter they cannot read with one line and exit 2."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from o2d_inbox.cache.db import open_db
from o2d_inbox.render.text import cell_len
from tests import seed
from tests.cli.runner import run_main

pytestmark = pytest.mark.slow


LONG_SUBJECT = "Re: a very long subject about the enterprise plan, the pricing tiers and the onboarding timeline"


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    path = tmp_path_factory.mktemp("listings") / "cache.db"
    conn = open_db(path)
    seed.seed_cache(conn, 300)
    conn.execute("UPDATE threads SET subject = ?, subject_display = NULL WHERE id = 't0000001'", (LONG_SUBJECT,))
    from o2d_inbox.outbox import queue as outbox

    for tid in ("t0000002", "t0000003"):
        outbox.queue_reply(
            conn,
            tid,
            "Thanks! " + "We can walk you through every tier. " * 4,
            from_mailbox="john@cooloutreach.io",
            undo_seconds=0,
            force=True,
        )
    conn.close()
    return path


def _env(cache: Path, columns: int | None) -> dict[str, str]:
    home = cache.parent / "home"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("O2D_INBOX_", "OUTREACH2DAY_")) and k not in ("COLUMNS", "LINES")
    }
    env.update(
        HOME=str(home), XDG_CONFIG_HOME=str(home / "cfg"), XDG_DATA_HOME=str(home / "data"), O2D_INBOX_CACHE=str(cache)
    )
    if columns is not None:
        env["COLUMNS"] = str(columns)
    return env


def o2d(cache: Path, *argv: str, columns: int | None = None) -> subprocess.CompletedProcess:
    """A piped run (in this process: see tests/cli/runner.py); the terminal is a real pty below."""
    return run_main(argv, _env(cache, columns), os.getcwd())


def _json_ids(cache: Path, *argv: str) -> list[str]:
    done = o2d(cache, *argv, "--json")
    assert done.returncode == 0, done.stderr
    return [json.loads(line)["id"] for line in done.stdout.splitlines()]


@pytest.mark.parametrize("columns", [80, 160])
@pytest.mark.parametrize("argv", [("threads",), ("threads", "--needs-reply"), ("search", "pricing")])
def test_rows_fit_the_width_and_ids_stay_whole(cache, columns, argv):
    done = o2d(cache, *argv, "--limit", "40", columns=columns)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines and all(cell_len(line) <= columns for line in lines), max(map(cell_len, lines))
    assert [line.split()[-1] for line in lines] == _json_ids(cache, *argv, "--limit", "40")
    if columns == 80 and argv == ("threads",):
        assert any("…" in line for line in lines)  # something had to be cut


def test_piped_output_keeps_every_field_whole(cache):
    done = o2d(cache, "threads", "--all")
    assert LONG_SUBJECT in done.stdout and "…" not in done.stdout
    narrow = o2d(cache, "threads", "--all", columns=80)
    assert LONG_SUBJECT not in narrow.stdout and LONG_SUBJECT[:20] in narrow.stdout


def test_a_terminal_is_measured_without_columns(cache):
    """On a real terminal (a pty of 80 columns, no COLUMNS) the rows fit it."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "o2d_inbox", "threads", "--limit", "20"],
        env=_env(cache, None),
        stdout=follower,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=60)
    os.close(leader)
    lines = [line for line in out.decode().split("\r\n") if line]
    assert len(lines) == 20 and all(cell_len(line) <= 80 for line in lines)
    assert [line.split()[-1] for line in lines] == _json_ids(cache, "threads", "--limit", "20")


def test_the_limit_is_said_and_all_or_json_prints_everything(cache):
    total = len(_json_ids(cache, "threads"))  # --json without --limit: everything
    assert total == 300
    shown = o2d(cache, "threads")
    assert len(shown.stdout.splitlines()) == 50
    assert shown.stderr.strip() == "50 of 300 shown — `--limit N` or `--all`"
    every = o2d(cache, "threads", "--all")
    assert len(every.stdout.splitlines()) == 300 and every.stderr == ""
    assert len(_json_ids(cache, "threads", "--limit", "7")) == 7
    found = o2d(cache, "search", "pricing", "--limit", "3")
    matched = len(_json_ids(cache, "search", "pricing"))
    assert matched > 3 and found.stderr.strip() == f"3 of {matched:,} shown — `--limit N` or `--all`"


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (("search", "is:bogus"), "is:bogus"),
        (("search", "budget before:garbage"), "'garbage'"),
        (("search", "intent:bogus"), "'bogus'"),
        (("search", "x", "--limit", "0"), "'0'"),
        (("threads", "--campaign", "c-nope"), "'c-nope'"),
        (("threads", "--intent", "bogus"), "'bogus'"),
        (("threads", "--limit", "0"), "'0'"),
        (("threads", "--limit", "-1"), "'-1'"),
        (("threads", "--limit", "many"), "'many'"),
    ],
)
def test_what_cannot_be_read_is_one_line_and_exit_2(cache, argv, named):
    done = o2d(cache, *argv)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("o2d-inbox: ")
    assert named in done.stderr, done.stderr


def test_the_lists_abbreviations_filter_threads(cache):
    assert _json_ids(cache, "threads", "--intent", "ooo") == _json_ids(cache, "threads", "--intent", "out_of_office")
    assert _json_ids(cache, "search", "intent:ooo") == _json_ids(cache, "search", "intent:out_of_office")


@pytest.mark.parametrize("columns", [80, 160])
def test_outbox_rows_fit_the_width(cache, columns):
    done = o2d(cache, "outbox", columns=columns)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2 and all(cell_len(line) <= columns for line in lines)
    assert [line.split()[0] for line in lines] == ["#1", "#2"]
    piped = o2d(cache, "outbox").stdout.splitlines()
    assert "…" not in "".join(piped) and max(map(cell_len, piped)) > 80  # piped: whole fields
    if columns == 80:
        assert all("…" in line for line in lines)
