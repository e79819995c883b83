"""Human output fits the terminal it goes to: `show` wraps at word boundaries at the width
$COLUMNS or the terminal says; piped, every line stays whole for scripts and pagers."""

from __future__ import annotations

import fcntl
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

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

BODY = (
    "Hi John, thanks for the note. Before we go further I would like to know which mailbox: "
    "john@cooloutreach.com or sarah@cooloutreach.com handles our account, and whether the "
    "pricing of 漢字漢字 plans includes onboarding. Details: https://example.com/" + "x" * 120 + " end."
)


@pytest.fixture
def cache(home) -> Path:
    path = home.root / "work.db"
    conn = open_db(path)
    conn.execute(
        "INSERT INTO threads (id, subject, mailbox, prospect, last_ts, last_date, last_from, "
        "message_count) VALUES ('thr_wrap', 'A rather long subject line about pricing, onboarding "
        "and the plans we discussed last week', 'john@cooloutreach.com', 'p@them.test', 1700000000, "
        "'2023-11-14T22:13:20Z', 'p@them.test', 1)"
    )
    conn.execute(
        "INSERT INTO messages (id, thread_id, subject, body_text, ts, from_email, is_incoming) "
        "VALUES ('m1', 'thr_wrap', 'Pricing', ?, 1700000000, 'p@them.test', 1)",
        (BODY,),
    )
    conn.close()
    return path


def words(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize("columns", [80, 40])
def test_show_wraps_at_word_boundaries_at_COLUMNS(cli, cache, columns):
    result = cli("show", "thr_wrap", "--cache", str(cache), COLUMNS=str(columns))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(cell_len(line) for line in lines) <= columns
    assert len(lines) > len(cli("show", "thr_wrap", "--cache", str(cache)).stdout.splitlines())
    out = words(result.stdout)
    for word in ("mailbox:", "john@cooloutreach.com", "onboarding.", "漢字漢字", "thr_wrap"):
        assert word in out  # never broken across lines
    # the one word longer than a line is the only one cut, and nothing of it is lost
    assert "".join(w for w in out if w.startswith("https://") or set(w) <= {"x"}).startswith(
        "https://example.com/" + "x" * 120
    )


def test_piped_show_keeps_every_line_whole(cli, cache):
    result = cli("show", "thr_wrap", "--cache", str(cache))  # stdout is a pipe, no COLUMNS
    assert result.returncode == 0, result.stderr
    assert BODY in result.stdout.splitlines()


def run_in_pty(home, *args: str, columns: int) -> str:
    """The CLI with its stdout on a terminal `columns` wide (and no COLUMNS in its environment)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {k: v for k, v in home.env.items() if k != "COLUMNS"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "o2d_inbox", *args],
        cwd=REPO,
        env=env,
        stdout=follower,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def test_show_on_a_terminal_fits_its_width(home, cache):
    out = run_in_pty(home, "show", "thr_wrap", "--cache", str(cache), columns=60)
    lines = out.splitlines()
    assert max(cell_len(line) for line in lines) <= 60
    assert "mailbox:" in words(out) and len(lines) > 8
