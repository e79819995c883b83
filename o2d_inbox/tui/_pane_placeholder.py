"""A minimal conversation pane, used only until o2d_inbox/tui/conversation.py exists."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from o2d_inbox.render.text import safe_line, safe_text
from o2d_inbox.store.queries import MessageRow, ThreadRow


class ConversationView(VerticalScroll, can_focus=True):
    def __init__(self, *, now=None, id: str | None = None) -> None:
        super().__init__(id=id)

    def compose(self):
        yield Static(id="placeholder-body")

    async def show(self, thread: ThreadRow | None, messages: list[MessageRow], *,
                   note: str | None = None) -> None:
        text = Text()
        if thread is None:
            text.append("No thread selected.", style="dim")
        else:
            text.append(safe_line(thread.subject_display or thread.subject) + "\n", style="bold")
            for m in messages:
                text.append(f"\n{safe_line(m.from_email)}\n", style="bold")
                text.append(safe_text(m.body_text) + "\n")
            if note:
                text.append(f"\n{safe_line(note)}\n", style="italic")
        self.query_one("#placeholder-body", Static).update(text)
