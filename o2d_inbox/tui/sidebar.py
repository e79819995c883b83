"""The queue sidebar: Needs reply, All, one row per intent, then mailboxes and campaigns,
each with its live count. Option ids are view ids (see view_id / view_from_id); enter or a
click posts Sidebar.Selected."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from o2d_inbox.cache.queries import UNCLASSIFIED, View
from o2d_inbox.render.text import fit, safe_line
from o2d_inbox.tui.intents import FALLBACK_COLOURS, INTENTS, ORDER, look
from o2d_inbox.tui.keys import bindings
from o2d_inbox.tui.scrolling import BaseStyle, set_virtual_size

WIDTH = 26  # content cells


def view_id(view: View) -> str:
    return view.kind if view.kind in ("all", "needs", "done", "snoozed") else f"{view.kind}:{view.key}"


def queue_key(view: View) -> tuple[str, str | None] | None:
    """The key of ``view``'s count in queries.sidebar_counts (None: a view it does not count)."""
    if view.kind in ("all", "needs", "done", "snoozed"):
        return (view.kind, None)
    if view.kind == "intent":
        return ("intent", view.key or UNCLASSIFIED)
    if view.kind in ("mailbox", "campaign"):
        return (view.kind, view.key)
    return None


def view_from_id(option_id: str, *, relevant: bool) -> View:
    kind, _, key = option_id.partition(":")
    return View(kind, key or None, relevant=relevant)


def compact(n: int) -> str:
    if n < 100_000:
        return f"{n:,}"
    if n < 1_000_000:
        return f"{n // 1000}k"
    return f"{n / 1_000_000:.1f}M"


def view_title(view: View, names: dict[str, str] | None = None) -> str:
    """What the queue is called (plain text, sanitised)."""
    if view.kind == "needs":
        return "Needs reply"
    if view.kind == "all":
        return "All"
    if view.kind in ("done", "snoozed"):  # local states (cache/local.py)
        return view.kind.title()
    if view.kind == "intent":
        found = look(view.key or None)
        return f"{found.glyph} {found.label}"
    if view.kind == "campaign" and names and view.key in names:
        return safe_line(names[view.key])
    return safe_line(view.key)


@dataclass(frozen=True)
class Option:
    """One line of the sidebar: a queue (``id``, a view id) or a heading (``disabled``)."""

    prompt: Text
    id: str | None = None
    disabled: bool = False
    rule_after: bool = False  # a rule line follows (between groups of queues)


class Sidebar(BaseStyle, ScrollView, can_focus=True):
    """The queues, drawn line by line (Line API): a queue switch redraws the two lines whose
    marker moved, not every option as an OptionList did (it re-rendered them all through
    Textual's visuals, and laid the screen out again, on each change of a prompt)."""

    BINDINGS = [
        Binding("down", "cursor_down", "Down", show=False),
        Binding("up", "cursor_up", "Up", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("pagedown", "page_down", "Page Down", show=False),
        Binding("pageup", "page_up", "Page Up", show=False),
        *bindings("sidebar"),
    ]

    COMPONENT_CLASSES = {"sidebar--highlighted", "sidebar--disabled", "sidebar--rule"}

    # the look of Textual's OptionList, which the sidebar was
    DEFAULT_CSS = """
    Sidebar { width: 30; color: $foreground; background: $surface; overflow-x: hidden; }
    Sidebar:focus { background-tint: $foreground 5%; }
    Sidebar > .sidebar--highlighted { color: $foreground; background: $block-cursor-blurred-background; }
    Sidebar:focus > .sidebar--highlighted {
        color: $block-cursor-foreground;
        background: $block-cursor-background;
        text-style: $block-cursor-text-style;
    }
    Sidebar > .sidebar--disabled { color: $text-disabled; }
    Sidebar > .sidebar--rule { color: $foreground 15%; }
    """

    class Selected(Message):
        """A queue was chosen (enter or a click)."""

        def __init__(self, sidebar: Sidebar, option_id: str) -> None:
            super().__init__()
            self.sidebar = sidebar
            self.option_id = option_id

        @property
        def control(self) -> Sidebar:
            return self.sidebar

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.current = "needs"
        self.highlighted: int | None = None  # index into options
        self._state: tuple | None = None
        self._options: list[Option] = []
        self._lines: list[tuple[int, bool]] = []  # (option index, is its rule line)
        self._strips: dict[tuple[int, bool, bool], Strip] = {}  # (line, highlighted, focused)

    # -- what the inbox and the tests read ---------------------------------------------
    @property
    def options(self) -> list[Option]:
        return self._options

    @property
    def option_count(self) -> int:
        return len(self._options)

    def get_option_at_index(self, index: int) -> Option:
        return self._options[index]

    def get_option(self, option_id: str) -> Option:
        return self._options[self._index_of(option_id)]

    def _index_of(self, option_id: str) -> int:
        for index, option in enumerate(self._options):
            if option.id == option_id:
                return index
        raise KeyError(option_id)

    @property
    def highlighted_option(self) -> Option | None:
        return self._options[self.highlighted] if self.highlighted is not None else None

    def queue_ids(self) -> list[str]:
        return [o.id for o in self._options if o.id and not o.disabled]

    # -- content -----------------------------------------------------------------------
    def _line(self, label: Text | str, n: int | None, option_id: str) -> Text:
        marker = "▸" if option_id == self.current else " "
        count = compact(n) if n is not None else "…"  # not counted yet (the app's first frame)
        label_w = WIDTH - 2 - max(7, len(count) + 1)
        text = Text(marker + " ")
        if isinstance(label, Text):
            label.truncate(label_w, overflow="ellipsis", pad=True)
            text.append_text(label)
        else:
            text.append(fit(label, label_w))
        text.append(count.rjust(WIDTH - 2 - label_w), Style(dim=True))
        return text

    def update_queues(
        self,
        counts: dict,
        mailboxes: list[tuple[str, int]],
        campaigns: list[tuple[str, str | None, int]],
        current: str,
        colours: dict[str, str],
    ) -> None:
        state = (
            tuple(sorted(counts.items(), key=repr)),
            tuple(mailboxes),
            tuple(campaigns),
            current,
            tuple(sorted(colours.items())),
        )
        if state == self._state:
            return
        self._state = state
        moved = current != self.current
        self.current = current

        def queue(label: Text | str, n: int | None, option_id: str) -> Option:
            return Option(self._line(label, n, option_id), option_id)

        options = [queue("Needs reply", counts.get(("needs", None)), "needs")]  # None: counted later
        options.append(dataclasses.replace(queue("All", counts.get(("all", None), 0), "all"), rule_after=True))
        for key in ORDER:
            known = INTENTS[key]
            colour = colours.get(known.variable) or FALLBACK_COLOURS[known.variable]
            label = Text()
            label.append(known.glyph, Style(color=colour, bold=True))
            label.append(" " + known.label, Style(color=colour))
            options.append(queue(label, counts.get(("intent", key), 0), f"intent:{key}"))
        # intents the server sent that we do not know, so nothing is hidden
        for (kind, key), n in sorted(counts.items(), key=repr):
            if kind == "intent" and key not in INTENTS:
                options.append(queue(look(key).label, n, f"intent:{key}"))
        # put away locally (cache/local.py): out of the queues above
        options[-1] = dataclasses.replace(options[-1], rule_after=True)
        for kind in ("done", "snoozed"):
            options.append(queue(kind.title(), counts.get((kind, None), 0), kind))
        if mailboxes:
            options.append(Option(Text("Mailboxes", style="bold"), disabled=True))
            for address, n in mailboxes:
                options.append(queue(safe_line(address), n, f"mailbox:{address}"))
        if campaigns:
            options.append(Option(Text("Campaigns", style="bold"), disabled=True))
            for cid, name, n in campaigns:
                options.append(queue(safe_line(name or cid), n, f"campaign:{cid}"))
        highlighted = self.highlighted_option.id if self.highlighted_option and not moved else current
        old, self._options = self._options, options
        if [(o.id, o.rule_after) for o in old] == [(o.id, o.rule_after) for o in options]:
            # the same queues (a switch moved the marker, a count changed): redraw those lines
            for index, (before, after) in enumerate(zip(old, options)):
                if before != after:
                    self._forget(index)
        else:
            self._lines = [
                (i, rule) for i, o in enumerate(options) for rule in ((False, True) if o.rule_after else (False,))
            ]
            self._strips.clear()
            set_virtual_size(self, Size(WIDTH, len(self._lines)))
            self.refresh()
        ids = [o.id for o in options]
        target = highlighted if highlighted in ids else current if current in ids else None
        self._highlight(ids.index(target) if target is not None else 0)

    # -- drawing -----------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_y) + y
        width = self.scrollable_content_region.width
        if not 0 <= index < len(self._lines):
            return Strip.blank(width, self.base_style)
        key = (index, self._lines[index][0] == self.highlighted, self.has_focus)
        strip = self._strips.get(key)
        if strip is None or strip.cell_length != width:
            strip = self._strips[key] = self._draw(index, width, key[1])
        return strip

    def _draw(self, index: int, width: int, highlighted: bool) -> Strip:
        base = self.base_style
        option_index, rule = self._lines[index]
        if rule:
            style = base + self.get_component_rich_style("sidebar--rule")
            return Strip([Segment("─" * width, style)], width)
        option = self._options[option_index]
        if option.disabled:
            base += self.get_component_rich_style("sidebar--disabled")
        elif highlighted:
            base += self.get_component_rich_style("sidebar--highlighted")
        prompt = option.prompt
        style = prompt.style if isinstance(prompt.style, Style) else Style.parse(prompt.style)
        segments = Segment.apply_style(prompt.render(self.app.console), base + style)  # spans only
        return Strip(segments).crop_extend(0, width, base)

    def _line_of(self, option_index: int) -> int:
        return next(i for i, (o, rule) in enumerate(self._lines) if o == option_index and not rule)

    def _refresh_option(self, option_index: int | None) -> None:
        if option_index is None or not self._lines:
            return
        y = self._line_of(option_index) - int(self.scroll_y)
        if 0 <= y < self.scrollable_content_region.height:
            self.refresh_lines(y)

    def _forget(self, option_index: int) -> None:
        """Draw the option's line again (its prompt changed)."""
        line = self._line_of(option_index)
        for key in [k for k in self._strips if k[0] == line]:
            del self._strips[key]
        self._refresh_option(option_index)

    def _highlight(self, option_index: int) -> None:
        if option_index == self.highlighted:
            return
        self._refresh_option(self.highlighted)
        self.highlighted = option_index
        self._refresh_option(option_index)
        if self.is_mounted:
            line = self._line_of(option_index)
            self.scroll_to_region(Region(0, line, 1, 1), animate=False, immediate=True)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # -- keys and the mouse --------------------------------------------------------------
    def _step(self, start: int, step: int) -> None:
        """The highlight to the first queue from ``start`` on in direction ``step``."""
        index = start
        while 0 <= index < len(self._options):
            if not self._options[index].disabled:
                self._highlight(index)
                return
            index += step

    def action_cursor_down(self) -> None:
        self._step((self.highlighted if self.highlighted is not None else -1) + 1, 1)

    def action_cursor_up(self) -> None:
        self._step((self.highlighted if self.highlighted is not None else len(self._options)) - 1, -1)

    def action_first(self) -> None:
        self._step(0, 1)

    def action_last(self) -> None:
        self._step(len(self._options) - 1, -1)

    def action_page_down(self) -> None:
        page = max(1, self.scrollable_content_region.height - 1)
        self._step(min(len(self._options) - 1, (self.highlighted or 0) + page), -1)

    def action_page_up(self) -> None:
        page = max(1, self.scrollable_content_region.height - 1)
        self._step(max(0, (self.highlighted or 0) - page), 1)

    def action_select(self) -> None:
        option = self.highlighted_option
        if option is not None and option.id and not option.disabled:
            self.post_message(self.Selected(self, option.id))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        index = int(self.scroll_y) + offset.y if offset is not None else -1
        if 0 <= index < len(self._lines) and not self._lines[index][1]:
            option_index = self._lines[index][0]
            if not self._options[option_index].disabled:
                self._highlight(option_index)
                self.action_select()
