"""Export the queue on screen (or the selected threads) to a file: asks for the path, writes,
says how many rows.

    ExportDialog(conn, view=view, ids=None, default_path=Path.home() / "leads.csv")
    # push it; it dismisses with the count written, or None when cancelled

The rows, columns and formats are o2d_inbox/export.py's (the CLI's `export`): CSV unless the
name ends in .json / .jsonl / .ndjson (JSON Lines); written whole or not at all, 0600. A path
that cannot be written is said in the dialog, which stays open with the path as typed.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from o2d_inbox.cache.queries import View
from o2d_inbox.export import export_queue, format_for
from o2d_inbox.tui.keys import bindings
from o2d_inbox.tui.text_box import TextBox

__all__ = ["ExportDialog"]


class ExportDialog(ModalScreen[int | None]):
    BINDINGS = bindings("export")  # o2d_inbox/keymap.py

    DEFAULT_CSS = """
    ExportDialog { align: center middle; background: $background 60%; }
    ExportDialog > Vertical { width: 72; max-width: 100%; height: auto; border: round $primary;
                              background: $surface; padding: 0 1; }
    ExportDialog #export-error { color: $error; height: auto; }
    ExportDialog #export-help { color: $text-muted; }
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        view: View | None = None,
        ids: Sequence[str] | None = None,
        default_path: str | os.PathLike = "leads.csv",
    ) -> None:
        super().__init__()
        if view is None and ids is None:
            raise ValueError("export what: a view or thread ids")
        self.conn = conn
        self.view = view
        self.ids = list(ids) if ids is not None else None
        self.default_path = str(default_path)

    def compose(self) -> ComposeResult:
        what = f"{len(self.ids):,} selected threads" if self.ids is not None else "the threads of this queue"
        with Vertical() as box:
            box.border_title = "Export leads"
            yield Static(f"Export {what} to:")
            yield TextBox(self.default_path, id="export-path")
            yield Static("", id="export-error")
            yield Static("CSV (or JSON Lines for .json / .jsonl) · enter export · esc cancel", id="export-help")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        error = self.query_one("#export-error", Static)
        if not text:
            error.update("Type a file name.")
            return
        path = Path(text).expanduser()
        if path.is_dir():
            error.update(f"{path} is a folder: add a file name.")
            return
        try:
            n = export_queue(self.conn, path, view=self.view, ids=self.ids)
        except OSError as exc:
            error.update(f"Could not write {path}: {exc.strerror or exc}")
            return
        kind = "JSON Lines" if format_for(path) == "json" else "CSV"
        self.app.notify(f"Exported {n:,} thread{'s' if n != 1 else ''} to {path} ({kind})", markup=False)
        self.dismiss(n)

    def action_cancel(self) -> None:
        self.dismiss(None)
