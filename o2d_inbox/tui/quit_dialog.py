"""Quitting while something is still in its undo window (`q` / ctrl+q; tui/app.py asks).

Without this question a reply queued a few seconds before quitting would wait in the outbox
until the next launch (often the next morning). The answer: ``"send"`` (send now, then
quit), ``"keep"`` (quit; it goes at the next launch or `o2d-inbox outbox flush`),
``"cancel"`` (don't send: a message back to its draft, an intent change reverted; quit), or
None (esc: stay in the app).

The lines count down while the dialog is open (the outbox does not wait for the answer): an
item the dispatcher has taken leaves the list; once none is left, there is nothing to take
back and "Don't send" is off.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from o2d_inbox.tui.dialog import SeeThrough, see_through
from o2d_inbox.tui.keys import bindings, key_for

__all__ = ["QuitScreen"]


class QuitScreen(SeeThrough, ModalScreen[str | None]):
    BINDINGS = bindings("quit")

    DEFAULT_CSS = """
    QuitScreen { align: center middle; }
    QuitScreen > Vertical {
        width: 72; height: auto; border: thick $warning; background: $surface; padding: 0 1;
    }
    QuitScreen #quit-items { color: $text-muted; }
    QuitScreen Horizontal { height: auto; margin-top: 1; }
    QuitScreen Button { margin-right: 1; min-width: 8; }
    """

    TICK = 1.0  # seconds between redraws of the countdown

    def __init__(self, waiting: Callable[[], list[str]], *, can_send: bool) -> None:
        """``waiting()``: one line per item not taken by the dispatcher yet, now ('Reply to
        Sarah Chen · sending in 7 s'); ``can_send``: a server is reachable (offline, "send now" cannot)."""
        super().__init__()
        self.waiting, self.can_send = waiting, can_send
        self.items = waiting()

    def _head(self) -> Text:
        n = len(self.items)
        if not n:
            return Text("Nothing is left to take back: sent, or on its way.")
        return Text(f"{'1 item is' if n == 1 else f'{n} items are'} still in the undo window:")

    def _lines(self) -> Text:
        n = len(self.items)
        return Text("\n".join(f"  {line}" for line in self.items[:5]) + (f"\n  … and {n - 5} more" if n > 5 else ""))

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Quit o2d-inbox?"
            yield Static(self._head(), id="quit-head")
            yield Static(self._lines(), id="quit-items")
            if not self.can_send:
                yield Static(Text("Offline: nothing can be sent now."))
            with Horizontal():
                key = self._key
                yield Button(f"Send now ({key('quit.send')})", id="send", variant="primary", disabled=not self.can_send)
                yield Button(f"Keep queued ({key('quit.keep')})", id="keep")
                yield Button(
                    f"Don't send ({key('quit.cancel')})", id="cancel", variant="error", disabled=not self.items
                )
            yield Static(
                Text(
                    f"Kept queued: sent at the next launch or by `o2d-inbox outbox flush`. "
                    f"Don't send: back to a draft. {key('quit.stay')}: stay."
                ),
                id="quit-hint",
            )

    def _key(self, action_id: str) -> str:
        return key_for(self.app, action_id)

    def on_mount(self) -> None:
        see_through(self)
        self.query_one("#send" if self.can_send else "#keep", Button).focus()
        self.set_interval(self.TICK, self._tick)

    def _tick(self) -> None:
        self.items = self.waiting()
        self.query_one("#quit-head", Static).update(self._head())
        lines = self.query_one("#quit-items", Static)
        lines.update(self._lines())
        lines.display = bool(self.items)
        self.query_one("#cancel", Button).disabled = not self.items

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_answer(event.button.id)

    def action_answer(self, answer: str | None) -> None:
        if answer == "send" and not self.can_send:
            self.notify("Offline: it cannot be sent now; keep it queued or don't send it", timeout=3)
            return
        if answer == "cancel" and not self.items:
            self.notify("The undo window has ended: it is sent or on its way", timeout=3)
            return
        self.dismiss(answer)
