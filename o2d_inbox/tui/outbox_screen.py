"""The `o` screen: every outbox item still to do plus what finished in the last day.

Newest first, one row each: kind, recipient / thread, state (glyph + word + colour), age,
attempts, last error. `r` retries a failed item, `x` / `d` cancels (a draft, a queued or a
failed item; not one already at the server), `enter` opens a draft in compose (a failed
message becomes a draft again, to mend its text or sender), `esc` / `q` goes back. The outbox
is small (a user's own actions), so a DataTable is right here.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from o2d_inbox.render.text import fit, safe_line
from o2d_inbox.outbox import queue as outbox
from o2d_inbox.cache import queries
from o2d_inbox.outbox.queue import OutboxItem
from o2d_inbox.tui.intents import look

__all__ = ["OutboxScreen", "RECENT_SECONDS", "state_look", "describe", "age_text"]

RECENT_SECONDS = 24 * 3600

# state -> (glyph, word, theme variable for its colour)
_LOOK = {
    "draft": ("✎", "draft", "text-muted"),
    "scheduled": ("◌", "queued", "warning"),
    "sending": ("↻", "sending", "accent"),
    "accepted": ("↻", "accepted", "accent"),
    "sent": ("✓", "sent", "success"),
    "failed": ("✕", "failed", "error"),
    "cancelled": ("⊘", "cancelled", "text-muted"),
}


def state_look(item: OutboxItem) -> tuple[str, str, str]:
    glyph, word, colour = _LOOK.get(item.state, ("·", safe_line(item.state), "foreground"))
    if item.waiting:
        word = "waiting"  # nothing sent: its thread's mailbox is not known yet (see last error)
    elif item.state in ("scheduled", "sending") and item.last_error and item.attempts:
        word = "retrying"  # it may have reached the server; it is re-sent with the same key
    elif item.state == "sent" and item.last_error:
        word, colour = "unconfirmed", "warning"  # accepted, but its delivery was never reported
    return glyph, word, colour


def age_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    for limit, unit, size in ((60, "s", 1), (3600, "m", 60), (86400, "h", 3600)):
        if seconds < limit:
            return f"{seconds // size}{unit}"
    return f"{seconds // 86400}d"


def describe(conn, item: OutboxItem) -> str:
    """Who / what the item is about, plain text (sanitised)."""
    p = item.payload
    who = ""
    if item.thread_id is not None:
        thread = queries.thread(conn, item.thread_id)
        if thread is not None:
            who = thread.prospect or thread.last_from or ""
            subject = thread.subject_display or thread.subject or ""
            who = f"{who} · {subject}" if who and subject else (who or subject)
        who = who or item.thread_id
    if item.kind == "intent":
        found = look(p.get("replyIntent"))
        return f"{who} → {found.glyph} {found.label}"
    if item.kind == "new":
        return f"{p.get('toAddress') or '?'} · {p.get('subject') or '(no subject)'}"
    if item.kind == "forward":
        return f"→ {p.get('toAddress') or '?'} · {who}"
    if item.kind == "suppress":
        return ", ".join(p.get("emails") or [])
    return who


class OutboxScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("r", "retry", "Retry", id="outbox.retry"),
        Binding("x,d", "cancel_item", "Cancel", id="outbox.cancel"),
        Binding("enter", "open_item", "Open draft", id="outbox.open"),
        Binding("escape,q,o", "close", "Back", id="outbox.close"),
        Binding("j", "move(1)", "Down", show=False, id="outbox.down"),
        Binding("k", "move(-1)", "Up", show=False, id="outbox.up"),
    ]

    DEFAULT_CSS = """
    OutboxScreen { background: $background; }
    OutboxScreen > Vertical { border: round $primary; background: $surface; height: 1fr; }
    OutboxScreen DataTable { height: 1fr; background: $surface; }
    OutboxScreen #outbox-empty { color: $text-muted; text-style: italic; padding: 1 2; }
    """

    def __init__(self, conn, *, now: Callable[[], float], open_draft: Callable[[OutboxItem], None],
                 changed: Callable[[], None]) -> None:
        super().__init__()
        self.conn = conn
        self._now = now
        self._open_draft = open_draft
        self._changed = changed  # the app refreshes counts, the pane and wakes the dispatcher

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Outbox"
            box.border_subtitle = "r retry · x cancel · enter open draft · esc back"
            table = DataTable(cursor_type="row", zebra_stripes=True, id="outbox-table")
            table.add_column("#", key="id", width=5)
            table.add_column("kind", key="kind", width=8)
            table.add_column("to / thread", key="what", width=48)
            table.add_column("state", key="state", width=12)
            table.add_column("age", key="age", width=5)
            table.add_column("tries", key="tries", width=5)
            table.add_column("last error", key="error", width=56)
            yield table
            yield Static("The outbox is empty: replies, forwards and intent changes wait here until "
                         "the server has them.", id="outbox-empty")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.set_interval(5, self.reload)  # ages move on
        self.query_one(DataTable).focus()

    def items(self) -> list[OutboxItem]:
        now = self._now()
        shown = [i for i in outbox.list_items(self.conn)
                 if not i.is_final or now - i.updated_at <= RECENT_SECONDS]
        return shown[::-1]

    def reload(self) -> None:
        table = self.query_one(DataTable)
        selected = self.selected
        now = self._now()
        colours = self.app.theme_variables
        table.clear()
        items = self.items()
        for item in items:
            glyph, word, variable = state_look(item)
            colour = colours.get(variable) or ""
            error = Text(fit(safe_line(item.last_error or ""), 56).rstrip(), style=colours.get("error", "") if
                         item.state == "failed" else "")
            table.add_row(
                str(item.id), item.kind, Text(fit(safe_line(describe(self.conn, item)), 48).rstrip()),
                Text(f"{glyph} {word}", style=colour), age_text(now - item.created_at),
                str(item.attempts), error, key=str(item.id))
        self.query_one("#outbox-empty").display = not items
        table.display = bool(items)
        if selected is not None:
            try:
                table.move_cursor(row=table.get_row_index(str(selected.id)))
            except Exception:  # noqa: BLE001 - the row is gone (e.g. older than a day)
                pass

    @property
    def selected(self) -> OutboxItem | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:  # noqa: BLE001 - empty or out of range
            return None
        return outbox.get(self.conn, int(key)) if key else None

    def action_retry(self) -> None:
        item = self.selected
        if item is None:
            return
        if outbox.retry(self.conn, item.id, now=self._now()) is None:
            self.notify(f"Only a failed item can be retried (this one is {state_look(item)[1]})", timeout=3)
            return
        self.notify(f"#{item.id} will be sent again", timeout=2)
        self._changed()
        self.reload()

    def action_cancel_item(self) -> None:
        item = self.selected
        if item is None:
            return
        if outbox.cancel(self.conn, item.id, now=self._now()) is None:
            word = state_look(item)[1]
            self.notify(f"#{item.id} cannot be cancelled: it is {word}"
                        + (" (the server may have it)" if item.state in ("sending", "accepted") else ""),
                        severity="warning", timeout=3)
            return
        self.notify(f"#{item.id} cancelled" + (", intent reverted" if item.kind == "intent"
                                                 and item.state == "scheduled" else ""), timeout=2)
        self._changed()
        self.reload()

    def action_open_item(self) -> None:
        item = self.selected
        if item is None:
            return
        if item.state == "failed":
            item = outbox.reopen(self.conn, item.id, now=self._now()) or item
            self._changed()
        if item.state != "draft":
            self.notify("Only a draft or a failed message opens in compose (u undoes a queued message)",
                        timeout=3)
            return
        self._open_draft(item)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_item()

    def action_move(self, step: int) -> None:
        table = self.query_one(DataTable)
        table.action_cursor_down() if step > 0 else table.action_cursor_up()

    def action_close(self) -> None:
        self.dismiss(None)
