"""`sync` redraws a progress bar only when stdout and stderr are both a terminal: piped or
redirected, progress is plain lines (no carriage returns, no escapes) and the summary ends it."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def sync(home, simulator, *, tty_out: bool, tty_err: bool) -> tuple[bytes, bytes, int]:
    """`o2d-inbox sync --messages` with stdout / stderr on a pseudo-terminal or a pipe."""
    env = {
        **home.env,
        "OUTREACH2DAY_API_KEY": simulator.key,
        "O2D_INBOX_BASE_URL": simulator.url,
        "O2D_INBOX_CACHE": str(home.root / "cache.db"),
    }
    ends, reads = {}, {}
    for name, tty in (("out", tty_out), ("err", tty_err)):
        if tty:
            leader, follower = pty.openpty()
            ends[name], reads[name] = follower, leader
        else:
            ends[name] = subprocess.PIPE
    proc = subprocess.Popen(
        [sys.executable, "-m", "o2d_inbox", "sync", "--messages"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=ends["out"],
        stderr=ends["err"],
    )
    for name, end in ends.items():
        if name in reads:
            os.close(end)
    captured = {"out": b"", "err": b""}
    for name, leader in reads.items():  # a pty holds ~4 KiB: read it while the child writes
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:
                break
            if not data:
                break
            captured[name] += data
        os.close(leader)
    out, err = proc.communicate(timeout=120)
    captured["out"] += out or b""
    captured["err"] += err or b""
    return captured["out"], captured["err"], proc.returncode


@pytest.mark.parametrize("tty_err", [False, True], ids=["stderr-piped", "stderr-terminal"])
def test_with_stdout_piped_progress_is_plain_lines(home, simulator, tty_err):
    out, err, code = sync(home, simulator, tty_out=False, tty_err=tty_err)
    assert code == 0, err
    assert out.decode().startswith("synced (full reconcile)") and out.count(b"\n") == 1
    assert b"\r" not in err.replace(b"\r\n", b"\n") and b"\x1b" not in err


def test_on_a_terminal_the_bar_is_redrawn(home, simulator):
    out, err, code = sync(home, simulator, tty_out=True, tty_err=True)
    assert code == 0, err
    assert b"\r\x1b[2K" in err and b"synced (full reconcile)" in out
