"""The snooze and note modals (keys `s` and `n`; tui/triage.py opens them).

SnoozeScreen offers a few wake-up times (o2d_inbox/snooze_times.py: never two on the same
moment); the first is the return date an out-of-office reply announces (render/ooo.return_date
on the last prospect message, else the thread's snippet) when one is found. `1`–`9` or enter
picks; the last line (or tab) goes to a field where a date / time is typed ("fri 9am", "3d",
"2026-06-12 14:30"), enter takes it or says on one line why not. esc cancels. Result: an
aware datetime or None.
NoteScreen edits the private note in a TextArea; ctrl+s saves, esc cancels. Result: the text
(blank removes the note) or None.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from o2d_inbox.render.ooo import return_date
from o2d_inbox.render.text import safe_line
from o2d_inbox.snooze_times import SnoozeChoice, parse_when, snooze_choices
from o2d_inbox.tui.dialog import SeeThrough, see_through
from o2d_inbox.tui.keys import bindings
from o2d_inbox.tui.text_box import TextBox

__all__ = ["SnoozeChoice", "snooze_choices", "proposed_return", "SnoozeScreen", "NoteScreen"]


def proposed_return(thread: Any, messages: list[Any]) -> date | None:
    """The return date in the last prospect message (cached text), else in the snippet."""
    for message in reversed(messages):
        if getattr(message, "is_incoming", False) and message.body_text and message.date:
            return return_date(message.body_text, received=message.date)
    if thread is not None and thread.snippet and thread.last_date:
        return return_date(thread.snippet, received=thread.last_date)
    return None


class SnoozeScreen(SeeThrough, ModalScreen[datetime | None]):
    BINDINGS = bindings("snooze")

    DEFAULT_CSS = """
    SnoozeScreen { align: center middle; }
    SnoozeScreen > Vertical {
        width: 64; height: auto; border: round $primary; background: $surface; padding: 0 1;
    }
    SnoozeScreen OptionList, SnoozeScreen OptionList:focus {
        height: auto; border: none; background: $surface; padding: 0;
    }
    SnoozeScreen Static { color: $text-muted; }
    SnoozeScreen #snooze-when { margin: 0 0 0 3; }
    SnoozeScreen #snooze-error { color: $error; text-style: bold; display: none; }
    """

    def __init__(self, title: str, choices: list[SnoozeChoice], now: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.title_text, self.choices = title, choices
        # a typed date / time is read in the user's zone against ``now`` (the app's clock)
        self._now = now or (lambda: datetime.now().astimezone())

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text(f"Snooze · {self.title_text}")
            custom = len(self.choices)
            yield OptionList(
                *[Option(Text(f"{n}  {c.label}"), id=str(n - 1)) for n, c in enumerate(self.choices, 1)],
                Option(Text(f"{custom + 1}  A date / time …"), id=str(custom)),
            )
            yield TextBox(
                placeholder="fri 9am · tomorrow 14:00 · 3d · 2026-06-12 14:30", compact=True, id="snooze-when"
            )
            yield Static("", id="snooze-error")
            yield Static(Text(f"1–{custom + 1} / enter picks · tab types a date · esc cancels"))

    def on_mount(self) -> None:
        see_through(self)
        self.query_one(OptionList).focus()
        self.query_one(Input).cursor_blink = not self.app.is_headless

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_pick(int(event.option.id or 0))

    def action_pick(self, index: int) -> None:
        if 0 <= index < len(self.choices):
            self.dismiss(self.choices[index].until)
        elif index == len(self.choices):
            self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        error = self.query_one("#snooze-error", Static)
        try:
            until = parse_when(event.value, self._now())
        except ValueError as exc:
            error.update(Text("⚠ " + safe_line(str(exc))))
            error.display = True
            return
        self.dismiss(until)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#snooze-error", Static).display = False

    def action_cancel(self) -> None:
        self.dismiss(None)


class NoteScreen(SeeThrough, ModalScreen[str | None]):
    BINDINGS = bindings("note")

    DEFAULT_CSS = """
    NoteScreen { align: center middle; }
    NoteScreen > Vertical {
        width: 72; height: auto; border: round $primary; background: $surface; padding: 0 1;
    }
    NoteScreen TextArea { height: 8; }
    NoteScreen Static { color: $text-muted; }
    """

    def __init__(self, title: str, text: str | None) -> None:
        super().__init__()
        self.title_text, self.text = title, text or ""

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text(f"Private note · {self.title_text}")
            yield Static(Text("Stays on this machine; the server never sees it."))
            yield TextArea(self.text, id="note-text", soft_wrap=True)
            yield Static(Text("ctrl+s saves (empty removes the note) · esc cancels"))

    def on_mount(self) -> None:
        see_through(self)
        area = self.query_one(TextArea)
        area.cursor_blink = False
        area.focus()
        area.move_cursor(area.document.end)

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text)

    def action_cancel(self) -> None:
        self.dismiss(None)


def title_of(thread: Any) -> str:
    return safe_line(thread.prospect or thread.last_from or thread.id)
