"""Memory of the TUI over a session, and peak memory for the other benchmarks.

    .venv/bin/python benchmarks/memory.py                 # 500 opens, a 10,000-message thread
    .venv/bin/python benchmarks/memory.py --opens 100 --huge 5000

Each figure comes from its own fresh process on the same synthetic file cache (tests/tui/seed.py,
2,000 threads, every one with its messages), headless at 160×48:
- opens: RSS after a warm-up of 20 opens, then after --opens more (Enter: the pane takes focus,
  Esc: back to the list, j: the next thread, so each open is of another thread).
  Target: < 10 MB growth over 500 opens.
- huge thread: RSS once a thread of --huge messages is open and painted. Target: ≤ 100 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TMP = Path(tempfile.gettempdir()) / "o2d-bench"
HUGE_ID = "t0000000"  # the newest thread: first in the All queue


def peak_rss_mb() -> float:
    """This process's peak RSS in MB: VmHWM where there is /proc, because on Linux
    getrusage's ru_maxrss carries the parent's peak over fork + exec (a benchmark child
    would report its parent's size)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024  # bytes there, KiB here
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale / 1024


def rss_mb() -> float:
    """This process's resident set now, in MB (0 where there is no /proc)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def build_cache(huge: int) -> Path:
    """2,000 threads with their messages; the newest one holds `huge` messages."""
    import importlib.util

    from o2d_inbox.cache.db import PAGE_SIZE, open_db
    from o2d_inbox.cache.schema import SCHEMA_VERSION

    path = TMP / f"memory-{huge}-all-v{SCHEMA_VERSION}-p{PAGE_SIZE}.db"
    if path.exists():
        return path
    TMP.mkdir(parents=True, exist_ok=True)
    spec = importlib.util.spec_from_file_location("tui_seed", ROOT / "tests" / "seed.py")
    seed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(seed)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    conn = open_db(partial)
    seed.seed_cache(conn, 2000, messages_for=2000, hostile=False)
    mailbox, prospect, ts = conn.execute(
        "SELECT mailbox, prospect, last_ts FROM threads WHERE id = ?", (HUGE_ID,)
    ).fetchone()
    conn.execute("BEGIN")
    conn.execute("DELETE FROM messages WHERE thread_id = ?", (HUGE_ID,))
    rows = []
    for i in range(huge):
        incoming = i % 2 == 1
        mts = ts - (huge - i) * 600
        rows.append(
            (
                f"{HUGE_ID}-h{i}",
                HUGE_ID,
                f"<h{i}@mail>",
                prospect if incoming else mailbox,
                json.dumps([mailbox if incoming else prospect]),
                "[]",
                "Re: a long negotiation",
                time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(mts)),
                mts,
                f"Message {i + 1} of {huge}.\n\nLet us keep talking about the details of the "
                f"contract, the seats and the price.\n\nOn Mon, someone wrote:\n> earlier text\n> more",
                None,
                int(incoming),
                "INBOX" if incoming else "SENT",
            )
        )
    conn.executemany(
        "INSERT INTO messages (id, thread_id, message_id, from_email, to_emails, cc_emails, "
        "subject, date_received, ts, body_text, body_html, is_incoming, folder) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    conn.execute("UPDATE threads SET message_count = ?, messages_fetched_count = ? WHERE id = ?", (huge, huge, HUGE_ID))
    conn.execute("COMMIT")
    from o2d_inbox.cache.writes import refresh_counts

    refresh_counts(conn)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    partial.rename(path)
    return path


CHILD = r"""
import asyncio, gc, json, sys
from benchmarks.memory import HUGE_ID, peak_rss_mb, rss_mb
from o2d_inbox.config import Config
from o2d_inbox.cache.db import open_db
from o2d_inbox.tui.app import build_app

mode, path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
app = build_app(Config(), conn=open_db(path), sync_every=None)
out = {}

async def opens(pilot, n):
    for i in range(n):
        await pilot.press("enter")
        await pilot.press("escape", "j")  # a different thread each time
    await pilot.pause()

async def main():
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        if mode == "opens":
            await opens(pilot, 20)
            gc.collect()
            out["before"] = rss_mb()
            await opens(pilot, count)
            gc.collect()
            out["after"] = rss_mb()
        else:
            out["before"] = rss_mb()
            app.action_show_queue("all")  # the huge thread is the first row: it shows as the preview
            await pilot.pause()
            assert app.threads.selected.id == HUGE_ID
            await pilot.press("enter")
            await pilot.pause()
            await pilot.pause()
            out["lines"] = len(app.pane.text_lines)
            out["after"] = rss_mb()
            out["shown"] = app.threads.render_line(0).text
        out["peak"] = peak_rss_mb()

asyncio.run(main())
print(json.dumps(out))
"""


def child(mode: str, path: Path, count: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(path), str(count)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
        env=env,
    )
    if proc.returncode != 0:
        raise SystemExit(f"child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--opens", type=int, default=500)
    parser.add_argument("--huge", type=int, default=10_000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    path = build_cache(args.huge)
    opened = child("opens", path, args.opens)
    huge = child("huge", path, args.huge)
    print("\nTUI memory, 160x48 headless, 2,000-thread cache")
    print(
        f"  {args.opens} opens (enter, esc, j): RSS {opened['before']:.1f} -> {opened['after']:.1f} MB, "
        f"growth {opened['after'] - opened['before']:+.1f} MB   (target < 10)"
    )
    print(
        f"  open a {args.huge:,}-message thread: RSS {huge['before']:.1f} -> {huge['after']:.1f} MB, "
        f"peak {huge['peak']:.1f} MB   (target ≤ 100); {huge['lines']:,} lines laid out"
    )
    print(f"  its list row: {huge['shown'].rstrip()}")


if __name__ == "__main__":
    main()
