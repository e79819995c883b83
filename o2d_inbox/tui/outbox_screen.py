"""The `o` screen: every outbox item still to do plus what finished in the last day.

Newest first, one row each: kind, recipient / thread, state (glyph + word + colour), age,
attempts, last error. `r` retries a failed item, `x` / `d` cancels (a draft, a queued or a
failed item; not one already at the server), `enter` opens a draft in compose (a failed
message becomes a draft again, to mend its text or sender), `esc` / `q` goes back. The outbox
is small (a user's own actions), so a DataTable is right here.

The columns fit the terminal (computed from its width on every resize, never cut at 80×24):
the fixed ones keep their size, "to / thread" takes what is left, and the tries and last-error
columns appear only from WIDE columns on. Below the table, the highlighted item in full
(wrapped): who / what, its state, tries and its whole last error, at every width.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from o2d_inbox.cache import queries
from o2d_inbox.outbox import queue as outbox
from o2d_inbox.outbox.queue import OutboxItem
from o2d_inbox.render.text import fit, safe_line
from o2d_inbox.tui.footer import Footer  # one line of keys, repainted without a layout
from o2d_inbox.tui.intents import look
from o2d_inbox.tui.keys import bindings

__all__ = ["OutboxScreen", "RECENT_SECONDS", "state_look", "describe", "age_text"]

RECENT_SECONDS = 24 * 3600
WIDE = 120  # from this terminal width on, tries and the last error get columns of their own
# (key, label, width; 0 = shares what is left)
_NARROW = (("id", "#", 4), ("kind", "kind", 7), ("what", "to / thread", 0), ("state", "state", 11), ("age", "age", 4))
_WIDE = (*_NARROW, ("tries", "tries", 5), ("error", "last error", 0))

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
    BINDINGS = bindings("outbox")

    DEFAULT_CSS = """
    OutboxScreen { background: $background; }
    OutboxScreen > Vertical { border: round $primary; background: $surface; height: 1fr; }
    OutboxScreen DataTable { height: 1fr; background: $surface; }
    OutboxScreen #outbox-empty { color: $text-muted; text-style: italic; padding: 1 2; }
    OutboxScreen #outbox-detail {
        height: auto; max-height: 5; padding: 0 1; border-top: solid $panel-lighten-2; color: $text-muted;
    }
    """

    def __init__(
        self, conn, *, now: Callable[[], float], open_draft: Callable[[OutboxItem], None], changed: Callable[[], None]
    ) -> None:
        super().__init__()
        self.conn = conn
        self._now = now
        self._open_draft = open_draft
        self._changed = changed  # the app refreshes counts, the pane and wakes the dispatcher
        self._widths: dict[str, int] = {}

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Outbox"
            box.border_subtitle = "r retry · x cancel · enter open draft · esc back"
            yield DataTable(cursor_type="row", zebra_stripes=True, id="outbox-table")
            yield Static(
                "The outbox is empty: replies, forwards and intent changes wait here until the server has them.",
                id="outbox-empty",
            )
            yield Static("", id="outbox-detail")
        yield Footer()

    def _layout(self, width: int) -> dict[str, int]:
        """Column widths for a terminal ``width`` cells wide: the border (2), the table's
        scrollbar (2) and each column's padding (2) come off first."""
        columns = _WIDE if width >= WIDE else _NARROW
        fixed = sum(w for _, _, w in columns)
        flexible = [key for key, _, w in columns if not w]
        room = max(12 * len(flexible), width - 4 - 2 * len(columns) - fixed)
        shares = {"what": 0.45, "error": 0.55} if len(flexible) > 1 else {"what": 1.0}
        out = {key: w or int(room * shares[key]) for key, _, w in columns}
        out[flexible[-1]] += room - sum(out[k] for k in flexible)  # rounding goes to the last
        return out

    def _set_columns(self) -> bool:
        """(Re)build the columns for the current width; True when they changed."""
        widths = self._layout(self.app.size.width)
        if widths == self._widths:
            return False
        self._widths = widths
        table = self.query_one(DataTable)
        table.clear(columns=True)
        labels = {key: label for key, label, _ in _WIDE}
        for key, width in widths.items():
            table.add_column(labels[key], key=key, width=width)
        return True

    def on_resize(self) -> None:
        if self.is_mounted and self._set_columns():
            self.reload()

    def on_mount(self) -> None:
        self._set_columns()
        self.reload()
        self.set_interval(5, self.reload)  # ages move on
        self.query_one(DataTable).focus()

    def items(self) -> list[OutboxItem]:
        now = self._now()
        shown = [i for i in outbox.list_items(self.conn) if not i.is_final or now - i.updated_at <= RECENT_SECONDS]
        return shown[::-1]

    def reload(self) -> None:
        table = self.query_one(DataTable)
        selected = self.selected
        now = self._now()
        colours = self.app.theme_variables
        widths = self._widths
        table.clear()
        items = self.items()
        for item in items:
            glyph, word, variable = state_look(item)
            cells: dict[str, Any] = {
                "id": str(item.id),
                "kind": item.kind,
                "what": Text(fit(safe_line(describe(self.conn, item)), widths["what"]).rstrip()),
                "state": Text(f"{glyph} {word}", style=colours.get(variable) or ""),
                "age": age_text(now - item.created_at),
                "tries": str(item.attempts),
                "error": Text(
                    fit(safe_line(item.last_error or ""), widths.get("error", 0)).rstrip(),
                    style=colours.get("error", "") if item.state == "failed" else "",
                ),
            }
            table.add_row(*(cells[key] for key in widths), key=str(item.id))
        self.query_one("#outbox-empty").display = not items
        table.display = bool(items)
        self.query_one("#outbox-detail").display = bool(items)
        if selected is not None:
            try:
                table.move_cursor(row=table.get_row_index(str(selected.id)))
            except Exception:  # noqa: BLE001 - the row is gone (e.g. older than a day)
                pass
        self._show_detail()

    def _show_detail(self) -> None:
        """The highlighted item in full below the table (what a column had to cut)."""
        item = self.selected
        detail = self.query_one("#outbox-detail", Static)
        if item is None:
            detail.update(Text())
            return
        glyph, word, variable = state_look(item)
        text = Text(f"#{item.id} {item.kind} · ", style="bold")
        text.append(safe_line(describe(self.conn, item)))
        text.append(f"\n{glyph} {word}", style=self._colour(variable))
        text.append(f" · {item.attempts} {'try' if item.attempts == 1 else 'tries'}")
        if item.last_error:
            text.append(" · ")
            text.append(safe_line(item.last_error), style=self._colour("error") if item.state == "failed" else "")
        detail.update(text)

    def _colour(self, variable: str) -> str:
        """A theme colour as a Rich style; "" for one Rich cannot read (text-muted is "auto 60%")."""
        value = self.app.theme_variables.get(variable) or ""
        try:
            Style.parse(value)
        except Exception:  # noqa: BLE001 - Rich's StyleSyntaxError and friends
            return ""
        return value

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_detail()

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
            self.notify(
                f"#{item.id} cannot be cancelled: it is {word}"
                + (" (the server may have it)" if item.state in ("sending", "accepted") else ""),
                severity="warning",
                timeout=3,
            )
            return
        self.notify(
            f"#{item.id} cancelled"
            + (", intent reverted" if item.kind == "intent" and item.state == "scheduled" else ""),
            timeout=2,
        )
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
            self.notify("Only a draft or a failed message opens in compose (u undoes a queued message)", timeout=3)
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
