"""Screenshots of the demo (in-process simulator, fresh temp cache), SVG + PNG if rsvg-convert.

.venv/bin/python screenshots/make_screenshots.py
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from o2d_inbox.cache.db import open_db  # noqa: E402
from o2d_inbox.cli import build_parser  # noqa: E402
from o2d_inbox.config import load_config  # noqa: E402
from o2d_inbox.context import make_client  # noqa: E402
from o2d_inbox.tui.app import build_app  # noqa: E402


def typed(text: str) -> list[str]:
    """Key names that type ``text`` (letters and spaces)."""
    return ["space" if c == " " else c for c in text]


SHOTS = [
    # name, terminal size, theme, keys after the first sync
    ("main-dark", (160, 48), "o2d-dark", ["j", "j", "j"]),
    ("opened-dark", (160, 48), "o2d-dark", ["right_square_bracket", "right_square_bracket", "j", "enter"]),
    ("main-light", (160, 48), "o2d-light", ["j", "j", "enter"]),
    ("help", (160, 48), "o2d-dark", ["question_mark"]),
    ("filter", (160, 48), "o2d-dark", ["right_square_bracket", "slash", *"pricing", "enter"]),
    ("search", (160, 48), "o2d-dark", ["slash", *"quick chat", "enter", "j"]),  # after is:needs-reply
    ("triage", (160, 48), "o2d-dark", ["T", "1", "2", "e", "5"]),  # rapid triage: tally in the header
    ("bulk", (160, 48), "o2d-dark", ["space", "j", "v", "j", "j", "space", "j"]),  # 4 selected
    ("compose", (160, 48), "o2d-dark", ["j", "r", *typed("Hi there Tuesday at ten works for me")]),
    ("outbox", (160, 48), "o2d-dark", ["r", *typed("Thanks Tuesday works"), "ctrl+s", "j", "2", "o"]),
    ("narrow-80x24", (80, 24), "o2d-dark", ["j"]),
    ("narrow-reading-80x24", (80, 24), "o2d-dark", ["j", "enter"]),
    ("stats", (160, 48), "o2d-dark", [lambda app: open_stats(app)]),
    ("stats-80x24", (80, 24), "o2d-dark", [lambda app: open_stats(app)]),
]


async def open_stats(app) -> None:
    """The stats screen for the queue on screen, once the first sync (campaign names and
    stats included) is done (a step that is no key press)."""
    from o2d_inbox.tui.stats_screen import StatsScreen

    for _ in range(600):
        if app.sync_state != "syncing":
            break
        await asyncio.sleep(0.1)
    app.push_screen(StatsScreen(app.conn, app.view, clock=app.clock))


async def settle(app) -> None:
    """Wait for the workers that end (sync, fetches, searches); the outbox dispatcher runs on."""
    ending = [w for w in app.workers if w.group != "outbox"]
    if ending:  # an empty list would mean every worker
        await app.workers.wait_for_complete(ending)


async def shoot(name: str, size: tuple[int, int], theme: str, keys: list[str], tmp: Path) -> Path:
    args = build_parser().parse_args(["--demo", "--cache", str(tmp / f"{name}.db")])
    config = load_config(args)
    config.theme = theme
    conn = open_db(config.cache_path)
    app = build_app(config, client=make_client(config), conn=conn, sync_every=None)
    async with app.run_test(size=size) as pilot:
        await settle(app)
        await pilot.pause()
        for key in keys:
            if callable(key):
                await key(app)
                await pilot.pause()
            else:
                await pilot.press(key)
        await pilot.pause(0.5)
        await settle(app)
        await pilot.pause()
        path = HERE / f"{name}.svg"
        app.save_screenshot(filename=path.name, path=str(HERE))
    conn.close()
    return path


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*")
    wanted = parser.parse_args().names
    with tempfile.TemporaryDirectory() as tmp:
        for name, size, theme, keys in SHOTS:
            if wanted and name not in wanted:
                continue
            svg = await shoot(name, size, theme, keys, Path(tmp))
            if shutil.which("rsvg-convert"):
                subprocess.run(["rsvg-convert", str(svg), "-o", str(svg.with_suffix(".png"))], check=True)
            print(svg)


if __name__ == "__main__":
    asyncio.run(main())
