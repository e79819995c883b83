"""The stats screen: how the campaigns are being answered, for the queue on screen.

    StatsScreen(conn, view, clock=clock)        push it; esc / q goes back
    screen.refresh_stats()                       recompute (the app calls it after a sync)

Its figures are cache/stats.py's, the ones `o2d-inbox stats` prints: replies per day by intent
(one Sparkline per intent, in the intent's colour), per-campaign figures with the reply and
positive-reply rates from the last fetched campaign stats (and how old they are), per-mailbox
figures, response times and the oldest waiting reply. It follows the filters of the ``view``
it is given (intent, campaign, mailbox, relevance); ``w`` cycles the window (7, 30, 90 days,
all time). Laid out for 80×24 (scrolls) up to wide terminals (tables side by side).
Names and addresses are server text: they are drawn as plain Text, never markup.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.color import Color
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import DataTable, Sparkline, Static

from o2d_inbox.cache.queries import View, campaign_name
from o2d_inbox.cache.stats import NO_CAMPAIGN, Stats, StatsFilter, compute
from o2d_inbox.render.figures import duration, percent
from o2d_inbox.render.text import fit, safe_line
from o2d_inbox.tui.footer import Footer  # one line of keys, repainted without a layout
from o2d_inbox.tui.intents import FALLBACK_COLOURS, ORDER, look
from o2d_inbox.tui.keys import bindings, key_for

__all__ = ["StatsScreen", "WINDOWS"]

#: The windows ``w`` cycles through, in days (None: all time).
WINDOWS: tuple[int | None, ...] = (7, 30, 90, None)
WIDE = 120  # columns from which the two tables sit side by side
DAY = 86400


class StatsScreen(ModalScreen[None]):
    BINDINGS = bindings("stats")  # o2d_inbox/keymap.py

    DEFAULT_CSS = """
    StatsScreen { background: $background; }
    StatsScreen > Vertical { border: round $primary; background: $surface; height: 1fr; }
    StatsScreen #stats-title { text-style: bold; padding: 0 1; }
    StatsScreen VerticalScroll { height: 1fr; }
    StatsScreen .section { color: $text-muted; padding: 1 1 0 1; }
    StatsScreen .intent-row { height: 1; padding: 0 1; }
    StatsScreen #stats-intents { height: auto; }
    StatsScreen .intent-label { width: 31; }
    StatsScreen .intent-row Sparkline { width: 1fr; }
    StatsScreen #stats-response { padding: 0 1; }
    StatsScreen #stats-tables { height: auto; }
    StatsScreen #stats-tables > Vertical { height: auto; width: 1fr; }
    StatsScreen.-narrow #stats-tables { layout: vertical; }
    StatsScreen DataTable { height: auto; max-height: 20; background: $surface; }
    StatsScreen #stats-empty { color: $text-muted; text-style: italic; padding: 1 2; }
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        view: View | None = None,
        *,
        clock: Callable[[], datetime],
        window_days: int | None = 30,
    ) -> None:
        super().__init__()
        self.conn = conn
        self.view = view or View("all")
        self._clock = clock
        self.window_days = window_days
        self.stats: Stats | None = None

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Reply stats"
            box.border_subtitle = " · ".join(
                f"{key_for(self.app, f'stats.{key}')} {what}"
                for key, what in (("window", "window"), ("refresh", "refresh"), ("close", "back"))
            )
            yield Static(id="stats-title")
            with VerticalScroll():
                yield Static("Replies per day", classes="section", id="stats-days-label")
                yield Vertical(id="stats-intents")
                yield Static(id="stats-response")
                with Horizontal(id="stats-tables"):
                    with Vertical():
                        yield Static("Campaigns", classes="section", id="stats-campaigns-label")
                        table: DataTable[Text] = DataTable(id="stats-campaigns", cursor_type="row", zebra_stripes=True)
                        table.add_column("campaign", key="name", width=24)
                        table.add_column("threads", key="threads", width=7)
                        table.add_column("★ int", key="interested", width=6)
                        table.add_column("sent", key="sent", width=6)
                        table.add_column("reply", key="reply", width=6)
                        table.add_column("positive", key="positive", width=8)
                        yield table
                    with Vertical():
                        yield Static("Mailboxes", classes="section")
                        table = DataTable(id="stats-mailboxes", cursor_type="row", zebra_stripes=True)
                        table.add_column("mailbox", key="mailbox", width=30)
                        table.add_column("threads", key="threads", width=7)
                        table.add_column("★ int", key="interested", width=6)
                        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_stats()

    def on_resize(self) -> None:
        self.set_class(self.size.width < WIDE, "-narrow")

    # --- figures ------------------------------------------------------------------------------

    def stats_filter(self) -> StatsFilter:
        since = None
        if self.window_days is not None:
            since = int(self._clock().timestamp()) - self.window_days * DAY
        return StatsFilter.from_view(self.view, since=since)

    def refresh_stats(self) -> None:
        """Recompute every figure from the cache and redraw (after a sync, or on ``r``)."""
        now = self._clock()
        offset = now.astimezone().utcoffset()
        self.stats = s = compute(
            self.conn, self.stats_filter(), now=now.timestamp(), utc_offset=int(offset.total_seconds()) if offset else 0
        )
        self._draw_title(s)
        self._draw_intents(s)
        self._draw_response(s)
        self._draw_campaigns(s)
        self._draw_mailboxes(s)

    def _scope(self, f: StatsFilter) -> str:
        parts = []
        if f.intent:
            parts.append(look(None if f.intent == "unclassified" else f.intent).label)
        if f.campaign:
            name = None if f.campaign == NO_CAMPAIGN else campaign_name(self.conn, f.campaign)
            parts.append("no campaign" if f.campaign == NO_CAMPAIGN else (name or f.campaign))
        if f.mailbox:
            parts.append(f.mailbox)
        parts.append("relevant" if f.relevant else "full feed")
        return " · ".join(safe_line(p) for p in parts)

    def _draw_title(self, s: Stats) -> None:
        window = "all time" if self.window_days is None else f"last {self.window_days} days"
        text = Text(f"{s.threads:,} threads", style="bold")
        text.append(f" · {window} · {self._scope(s.filter)}")
        self.query_one("#stats-title", Static).update(text)

    def _colour(self, intent: str) -> Color:
        variable = look(None if intent == "unclassified" else intent).variable
        return Color.parse(self.app.theme_variables.get(variable) or FALLBACK_COLOURS.get(variable, "#8b949e"))

    def _draw_intents(self, s: Stats) -> None:
        box = self.query_one("#stats-intents", Vertical)
        box.remove_children()
        days = list(s.by_day)
        label = "Replies per day"
        if days:
            label += f", {days[0]} … {days[-1]}"
        label += " (by latest message)"
        self.query_one("#stats-days-label", Static).update(label)
        order = sorted(s.by_intent, key=lambda i: (ORDER.index(i) if i in ORDER else len(ORDER), i))
        rows: list[Widget] = []
        for intent in order:
            found = look(None if intent == "unclassified" else intent)
            colour = self._colour(intent)
            share = s.by_intent[intent] / s.threads if s.threads else 0
            name = Text(f"{found.glyph} ", style=colour.hex)
            name.append(fit(found.label, 14))
            name.append(f"{s.by_intent[intent]:>6,} {percent(share):>6}")
            rows.append(
                Horizontal(
                    Static(name, classes="intent-label"),
                    Sparkline(
                        s.day_series(intent), summary_function=sum, min_color=colour.with_alpha(0.35), max_color=colour
                    ),
                    classes="intent-row",
                )
            )
        if not rows:
            rows.append(
                Static("No cached threads in this window: w widens it, a sync fills the cache.", id="stats-empty")
            )
        box.mount_all(rows)

    def _draw_response(self, s: Stats) -> None:
        r = s.response
        assert r is not None  # compute() always measures it
        text = Text("Response time ", style="bold")
        text.append(f"median {duration(r.median_seconds)} · p90 {duration(r.p90_seconds)}")
        text.append(
            f" · from {r.measured:,} answered replies in fetched conversations ({r.unanswered:,} unanswered)",
            style="dim",
        )
        text.append("\nOldest waiting reply ", style="bold")
        if r.oldest_waiting_seconds is None:
            text.append("none")
        else:
            text.append(duration(r.oldest_waiting_seconds))
            text.append(f" · thread {safe_line(r.oldest_waiting_thread)}", style="dim")
        self.query_one("#stats-response", Static).update(text)

    def _draw_campaigns(self, s: Stats) -> None:
        table = self.query_one("#stats-campaigns", DataTable)
        table.clear()
        campaigns = s.campaigns
        for c in campaigns:
            table.add_row(
                Text(fit(safe_line(c.name or c.id), 24).rstrip()),
                Text(f"{c.threads:,}", justify="right"),
                Text(f"{c.interested:,}", justify="right"),
                Text("-" if c.sent is None else f"{c.sent:,}", justify="right"),
                Text(percent(c.reply_rate), justify="right"),
                Text(percent(c.positive_reply_rate), justify="right"),
                key=c.id,
            )
        ages = [c.age_seconds for c in campaigns if c.age_seconds is not None]
        label = "Campaigns · sent and rates all time, " + (
            f"fetched {duration(max(ages))} ago" if ages else "not fetched yet"
        )
        self.query_one("#stats-campaigns-label", Static).update(label)

    def _draw_mailboxes(self, s: Stats) -> None:
        table = self.query_one("#stats-mailboxes", DataTable)
        table.clear()
        ranked = sorted(s.by_mailbox.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        for address, per in ranked:
            table.add_row(
                Text(fit(safe_line(address), 30).rstrip()),
                Text(f"{sum(per.values()):,}", justify="right"),
                Text(f"{per.get('interested', 0):,}", justify="right"),
                key=address,
            )

    # --- actions ------------------------------------------------------------------------------

    def action_next_window(self) -> None:
        at = WINDOWS.index(self.window_days) if self.window_days in WINDOWS else 0
        self.window_days = WINDOWS[(at + 1) % len(WINDOWS)]
        self.refresh_stats()

    def action_refresh_stats(self) -> None:
        self.refresh_stats()

    def action_close(self) -> None:
        self.dismiss(None)
