"""The inbox in a real pseudo-terminal (160×48), beside Textual's floor in the same run.

    .venv/bin/python benchmarks/bench_terminal.py                  # 100k and 1M caches
    .venv/bin/python benchmarks/bench_terminal.py --threads 100000 --rounds 3 --presses 10

bench_tui.py measures a headless app; a user's terminal adds the driver start, the size query
and the first full write. Here the app runs as users start it (`python -m o2d_inbox`, offline on
a cache, bytecode caches on) under a pty of 160×48, and "painted" means the expected text has
come out of the pty (escape sequences stripped):
- start → rows: from fork to the first thread row of Needs reply in the output (its who
  column, the person's name); the floor is an empty Textual app showing 12 rows of text.
  Median and max of --rounds fresh processes. Then, in the same process, until the
  conversation pane shows that thread's preview (its title, the address), drawn after the list.
- `]` / `[`: from writing the key to the new queue's list title ("All · Relevant · …", then
  "Needs reply · Relevant · …") in the output.
- `j` (in All, newest first: the cached threads): from writing the key to the pane showing the
  next thread; it opens on the latest message, whose title line ("sender → you", "you → …") is
  what we wait for (a thread without cached messages is stepped over untimed).
  The floor for keys is an app that only repaints a label on each key.
- holding `j`: HOLD presses at key-repeat speed (REPEAT per second) without waiting; the lag is
  from the last key written to the pane showing the thread it lands on (the screen keeps up
  when the lag is as short as one press's).
Each key waits for the output to fall quiet (QUIET) before the next one. Ratios are to the floor.
The caches are bench_tui.py's (built once, kept in the temp dir).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
COLUMNS, ROWS = 160, 48
QUIET = 0.25  # seconds without output: the screen has settled
HOLD, REPEAT = 30, 30.0  # held `j`: presses, presses per second
TIMEOUT = 30.0

# CSI, OSC (ended by BEL or ST), DCS/APC/PM strings, and two-byte escapes
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"
    r"|\x1b[PX^_][^\x1b]*\x1b\\|\x1b[@-Z\\-_]|[\x00-\x08\x0b-\x1f]"
)

FLOOR_START = r"""
from textual.app import App
from textual.widgets import Static

class Floor(App):
    def compose(self):
        yield Static("\n".join(f"floor row {i:02d}" for i in range(1, 13)))

Floor().run()
"""

FLOOR_KEYS = r"""
from textual.app import App
from textual.binding import Binding
from textual.widgets import Label

class Floor(App):
    BINDINGS = [Binding(key, "press", key) for key in ("j", "right_square_bracket", "left_square_bracket")]
    presses = 0

    def compose(self):
        yield Label("presses 0")

    def action_press(self):
        self.presses += 1
        self.query_one(Label).update(f"presses {self.presses}")

Floor().run()
"""


class Pty:
    """One process on a pseudo-terminal of COLUMNS×ROWS; reads what it writes to the screen."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.started = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:  # child: the terminal size is known before Python starts
            fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
            os.chdir(ROOT)
            os.execve(argv[0], argv, env)
        self.pid, self.fd = pid, fd
        self.raw = b""

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.fd, 1 << 16)
        except OSError:  # the process ended
            raise SystemExit(f"the program ended early; last output:\n{self.text()[-2000:]}") from None
        self.raw += chunk
        return True

    def text(self) -> str:
        return _ESCAPES.sub("", self.raw.decode("utf-8", "replace"))

    def wait_for(self, needle: str) -> float:
        """perf_counter time of the read that brought `needle` into the output since the mark."""
        deadline = time.perf_counter() + TIMEOUT
        while time.perf_counter() < deadline:
            if self._read(0.5):
                now = time.perf_counter()
                if needle in self.text():
                    return now
        raise SystemExit(f"{needle!r} did not appear; last output:\n{self.text()[-2000:]}")

    def settle(self) -> None:
        """Read until the output has been quiet for QUIET, then forget it (the mark)."""
        while self._read(QUIET):
            pass
        self.raw = b""

    def key(self, key: str, needle: str | None, settle: bool = True) -> float | None:
        """Seconds from writing `key` until `needle` is on the screen (None: not timed)."""
        if settle:
            self.settle()
        sent = time.perf_counter()
        os.write(self.fd, key.encode())
        return None if needle is None else self.wait_for(needle) - sent

    def close(self) -> None:
        try:
            os.write(self.fd, b"q")
            deadline = time.perf_counter() + 5
            while time.perf_counter() < deadline:
                done, _ = os.waitpid(self.pid, os.WNOHANG)
                if done:
                    break
                try:
                    self._read(0.1)
                except SystemExit:
                    pass
            else:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        finally:
            os.close(self.fd)


def environment(cache: Path | None) -> dict[str, str]:
    """As a user runs it: bytecode caches on, a colour terminal, offline on `cache`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith(("O2D_INBOX_", "OUTREACH2DAY_"))
    }
    env.update(TERM="xterm-256color", COLORTERM="truecolor", COLUMNS=str(COLUMNS), LINES=str(ROWS))
    if cache is not None:
        config = Path(tempfile.gettempdir()) / "o2d-bench" / "terminal-config.toml"
        config.write_text("")  # not the user's own config (theme, keymap)
        env.update(O2D_INBOX_CACHE=str(cache), O2D_INBOX_CONFIG=str(config))
    return env


def expected(cache: Path, count: int = 0) -> tuple[str, str, list[str | None]]:
    """(Needs reply's first row as the list shows it (who: the person's name), the pane's
    title of that thread (its address), for each of All's rows 2 … count + 1 the title of its
    latest message as the pane shows it, None where it has no cached message)."""
    from o2d_inbox.cache.db import open_db
    from o2d_inbox.cache.queries import View, messages, rows
    from o2d_inbox.render.text import safe_line
    from o2d_inbox.tui.thread_list import who_parts

    conn = open_db(cache, readonly=True)
    try:
        first = rows(conn, View("needs"), 0, 1)[0]
        titles: list[str | None] = []
        for thread in rows(conn, View("all"), 1, count):
            latest = (messages(conn, thread.id) or [None])[-1]
            if latest is None:
                titles.append(None)
            elif latest.is_incoming:
                titles.append(f"{safe_line(latest.from_email)} → ")
            else:
                titles.append(f"you → {safe_line((latest.to_emails or [''])[0])}")
    finally:
        conn.close()
    return who_parts(first)[0][:12], safe_line(first.prospect or first.last_from), titles


def app_argv() -> list[str]:
    return [sys.executable, "-m", "o2d_inbox"]


def start_time(argv: list[str], env: dict[str, str], *needles: str) -> list[float]:
    """Seconds from fork until each of ``needles`` in turn is in the output."""
    term = Pty(argv, env)
    try:
        return [term.wait_for(needle) - term.started for needle in needles]
    finally:
        term.close()


def app_keys(cache: Path, presses: int) -> dict[str, list[float]]:
    first, _, titles = expected(cache, presses + HOLD + 20)
    held = titles[presses:]
    titles = titles[:presses]
    # hold until a thread with cached messages (whose pane title is known)
    hold = next(n for n in range(HOLD, len(held) + 1) if held[n - 1] is not None)
    term = Pty(app_argv(), environment(cache))
    out: dict[str, list[float]] = {"]": [], "[": [], "j": [], "hold": []}
    try:
        term.wait_for(first)
        for _ in range(presses):
            out["]"].append(term.key("]", "All · Relevant · "))
            out["["].append(term.key("[", "Needs reply · Relevant · "))
        term.key("]", "All · Relevant · ")  # All's first row, newest first
        for title in titles:
            took = term.key("j", title)
            if took is not None:
                out["j"].append(took)
        term.settle()
        due = time.perf_counter()
        for _ in range(hold - 1):
            os.write(term.fd, b"j")
            due += 1 / REPEAT
            while (left := due - time.perf_counter()) > 0:
                term._read(left)  # keep reading: a full pty would stall the app's writes
        while term._read(0):  # what the burst drew so far is not the answer
            pass
        term.raw = b""
        out["hold"].append(term.key("j", held[hold - 1], settle=False) or 0.0)
    finally:
        term.close()
    return out


def floor_keys(presses: int) -> dict[str, list[float]]:
    term = Pty([sys.executable, "-c", FLOOR_KEYS], environment(None))
    out: dict[str, list[float]] = {"]": [], "[": [], "j": []}
    try:
        term.wait_for("presses 0")
        n = 0
        for _ in range(presses):
            for key in ("]", "[", "j"):
                n += 1
                out[key].append(term.key(key, f"presses {n}") or 0.0)
    finally:
        term.close()
    return out


def ms(values: list[float]) -> str:
    if not values:
        return "no figure (nothing to time)"
    return f"median {statistics.median(values) * 1000:5.0f} ms, max {max(values) * 1000:5.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--threads", type=int, action="append", help="cache size (repeatable; default 100,000 and 1,000,000)"
    )
    parser.add_argument("--rounds", type=int, default=5, help="fresh processes per start figure")
    parser.add_argument("--presses", type=int, default=10, help="presses of each key")
    args = parser.parse_args()
    from benchmarks.bench_tui import build_cache

    sizes = args.threads or [100_000, 1_000_000]
    caches = {n: build_cache(n) for n in sizes}
    floor_env = environment(None)
    floor_argv = [sys.executable, "-c", FLOOR_START]
    start_time(floor_argv, floor_env, "floor row 12")  # warm the bytecode and the page cache
    needles = {n: expected(cache)[:2] for n, cache in caches.items()}
    for n, cache in caches.items():
        start_time(app_argv(), environment(cache), *needles[n])

    print(
        f"\nIn a pseudo-terminal of {COLUMNS}x{ROWS}, offline, bytecode caches on; "
        f"{args.rounds} processes per start figure, {args.presses} presses per key"
    )
    floor: list[float] = []
    starts: dict[int, list[float]] = {n: [] for n in caches}
    previews: dict[int, list[float]] = {n: [] for n in caches}
    # Interleaved, so that a burst of load hits every figure alike, and in an order rotated each
    # round: the run after the floor's is slower by ~10 ms, which a fixed order always gave one size.
    order: list[int | None] = [None, *caches]  # None: the floor
    for r in range(args.rounds):
        for n in order[r % len(order) :] + order[: r % len(order)]:
            if n is None:
                floor += start_time(floor_argv, floor_env, "floor row 12")
                continue
            rows_at, preview_at = start_time(app_argv(), environment(caches[n]), *needles[n])
            starts[n].append(rows_at)
            previews[n].append(preview_at)
    floor_median = statistics.median(floor)
    print(f"  start -> 12 rows, empty Textual app (floor)   {ms(floor)}")
    for n, values in starts.items():
        print(
            f"  start -> first thread rows, {n:>9,} threads  {ms(values)}  "
            f"= {statistics.median(values) / floor_median:.2f}x the floor   (goal ≤ 1.5x and ≤ 500 ms)"
        )
        print(f"  start -> the pane's preview, {n:>7,} threads  {ms(previews[n])}")

    floor_key = floor_keys(args.presses)
    print(f"  key -> label repainted (floor): ]  {ms(floor_key[']'])};  j  {ms(floor_key['j'])}")
    for n, cache in caches.items():
        keys = app_keys(cache, args.presses)
        for key, what, goal in (
            ("]", "] queue switch", "≤ 50 ms median, ≤ 80 ms max"),
            ("[", "[ queue switch", "≤ 50 ms median, ≤ 80 ms max"),
            ("j", "j, pane shows next", "≤ 30 ms median"),
        ):
            if not keys[key]:
                print(f"  {n:>9,} threads: {what:<19} {ms(keys[key])}")
                continue
            ratio = statistics.median(keys[key]) / statistics.median(floor_key[key])
            print(f"  {n:>9,} threads: {what:<19} {ms(keys[key])} = {ratio:.1f}x the floor   ({goal})")
        print(
            f"  {n:>9,} threads: holding j, {HOLD} presses at {REPEAT:.0f}/s: the pane caught up "
            f"{keys['hold'][0] * 1000:.0f} ms after the last press   (no lag: ≤ {1000 / REPEAT:.0f} ms)"
        )


if __name__ == "__main__":
    main()
