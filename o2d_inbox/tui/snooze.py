"""The snooze and note modals (keys `s` and `n`; tui/triage.py opens them).

SnoozeScreen offers a few wake-up times; the first is the return date an out-of-office reply
announces (render/ooo.return_date on the last prospect message, else the thread's snippet)
when one is found. `1`–`4` or enter picks, esc cancels. Result: an aware datetime or None.
NoteScreen edits the private note in a TextArea; ctrl+s saves, esc cancels. Result: the text
(blank removes the note) or None.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.option_list import Option

from o2d_inbox.render.ooo import return_date, wake_time
from o2d_inbox.render.text import safe_line
from o2d_inbox.tui.dialog import SeeThrough, see_through
from o2d_inbox.tui.keys import bindings

__all__ = ["SnoozeChoice", "snooze_choices", "proposed_return", "SnoozeScreen", "NoteScreen"]

WAKE_HOUR = 8


@dataclass(frozen=True)
class SnoozeChoice:
    label: str
    until: datetime  # aware
    proposed: bool = False  # from an out-of-office reply


def proposed_return(thread: Any, messages: list[Any]) -> date | None:
    """The return date in the last prospect message (cached text), else in the snippet."""
    for message in reversed(messages):
        if getattr(message, "is_incoming", False) and message.body_text and message.date:
            return return_date(message.body_text, received=message.date)
    if thread is not None and thread.snippet and thread.last_date:
        return return_date(thread.snippet, received=thread.last_date)
    return None


def _day(d: date) -> str:
    return f"{d:%a} {d.day} {d:%b}"


def snooze_choices(now: datetime, back: date | None = None) -> list[SnoozeChoice]:
    """Wake-up times, in ``now``'s zone (the user's): the OOO return date first when known."""
    tz = now.tzinfo
    today = now.date()
    choices: list[SnoozeChoice] = []
    if back is not None and wake_time(back, tz=tz, hour=WAKE_HOUR) > now:
        choices.append(SnoozeChoice(f"Back on {_day(back)} {WAKE_HOUR}:00 · from the out-of-office reply",
                                    wake_time(back, tz=tz, hour=WAKE_HOUR), proposed=True))
    tomorrow = today + timedelta(days=1)
    monday = today + timedelta(days=(7 - today.weekday()) or 7)
    week = today + timedelta(days=7)
    for label, day in ((f"Tomorrow {WAKE_HOUR}:00", tomorrow), (f"Next Monday {_day(monday)} {WAKE_HOUR}:00", monday),
                       (f"In a week {_day(week)} {WAKE_HOUR}:00", week)):
        choices.append(SnoozeChoice(label, wake_time(day, tz=tz, hour=WAKE_HOUR)))
    return choices


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
    """

    def __init__(self, title: str, choices: list[SnoozeChoice]) -> None:
        super().__init__()
        self.title_text, self.choices = title, choices

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text(f"Snooze · {self.title_text}")
            yield OptionList(*[Option(Text(f"{n}  {c.label}"), id=str(n - 1))
                               for n, c in enumerate(self.choices, 1)])
            yield Static(Text(f"1–{len(self.choices)} / enter picks · esc cancels"))

    def on_mount(self) -> None:
        see_through(self)
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_pick(int(event.option.id or 0))

    def action_pick(self, index: int) -> None:
        if 0 <= index < len(self.choices):
            self.dismiss(self.choices[index].until)

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
