"""Exporting the queue on screen or a selection from the inbox (tui/export_dialog.py)."""

from __future__ import annotations

import csv
import json

from textual.app import App
from textual.widgets import Input, Static

from o2d_inbox.cache import queries
from o2d_inbox.cache.queries import View
from o2d_inbox.tui.export_dialog import ExportDialog


class Host(App[None]):
    def __init__(self, dialog: ExportDialog) -> None:
        super().__init__()
        self.dialog = dialog
        self.result = "not dismissed"

    def on_mount(self) -> None:
        self.push_screen(self.dialog, lambda n: setattr(self, "result", n))


async def _type_path(pilot, path) -> None:
    box = pilot.app.screen.query_one(Input)
    box.value = ""
    await pilot.press(*str(path))
    await pilot.press("enter")
    await pilot.pause()


async def test_the_queue_is_written_in_its_order_and_counted(cache, tmp_path):
    view = View("intent", "interested", relevant=False)
    app = Host(ExportDialog(cache, view=view, default_path=tmp_path / "x.csv"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await _type_path(pilot, tmp_path / "leads.csv")
        queue = [r.id for r in queries.rows(cache, view, 0, 10_000)]
        assert app.result == len(queue) > 0
        with open(tmp_path / "leads.csv", newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        assert [r["thread_id"] for r in rows] == queue and {r["intent"] for r in rows} == {"interested"}


async def test_a_selection_as_json_lines(cache, tmp_path):
    ids = [r[0] for r in cache.execute("SELECT id FROM threads ORDER BY id LIMIT 3")][::-1]
    app = Host(ExportDialog(cache, ids=ids))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "3 selected threads" in str(app.screen.query(Static).first().render())
        await _type_path(pilot, tmp_path / "pick.jsonl")
        assert app.result == 3
        lines = (tmp_path / "pick.jsonl").read_text().splitlines()
        assert [json.loads(line)["thread_id"] for line in lines] == ids


async def test_an_unwritable_path_is_said_and_the_dialog_stays(cache, tmp_path):
    app = Host(ExportDialog(cache, view=View("all")))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await _type_path(pilot, tmp_path / "missing" / "x.csv")
        assert isinstance(app.screen, ExportDialog) and app.result == "not dismissed"
        assert "Could not write" in str(app.screen.query_one("#export-error", Static).render())
        await pilot.press("escape")
        assert app.result is None
