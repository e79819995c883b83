"""The queue sidebar: Needs reply, All, one row per intent, then mailboxes and campaigns,
each with its live count. Option ids are view ids (see view_id / view_from_id)."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from o2d_inbox.cache.queries import View
from o2d_inbox.render.text import fit, safe_line
from o2d_inbox.tui.intents import FALLBACK_COLOURS, INTENTS, ORDER, look
from o2d_inbox.tui.keys import bindings

WIDTH = 26  # content cells


def view_id(view: View) -> str:
    return view.kind if view.kind in ("all", "needs", "done", "snoozed") else f"{view.kind}:{view.key}"


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


class Sidebar(OptionList):
    BINDINGS = bindings("sidebar")

    DEFAULT_CSS = """
    Sidebar { width: 30; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.current = "needs"
        self._state: tuple | None = None
        self._layout: list[str | None] = []

    def _line(self, label: Text | str, n: int | None, option_id: str) -> Text:
        marker = "▸" if option_id == self.current else " "
        count = compact(n) if n is not None else ""
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
        options: list[Option | None] = [
            Option(self._line("Needs reply", counts.get(("needs", None), 0), "needs"), id="needs"),
            Option(self._line("All", counts.get(("all", None), 0), "all"), id="all"),
            None,
        ]
        for key in ORDER:
            known = INTENTS[key]
            colour = colours.get(known.variable) or FALLBACK_COLOURS[known.variable]
            label = Text()
            label.append(known.glyph, Style(color=colour, bold=True))
            label.append(" " + known.label, Style(color=colour))
            options.append(
                Option(self._line(label, counts.get(("intent", key), 0), f"intent:{key}"), id=f"intent:{key}")
            )
        # intents the server sent that we do not know, so nothing is hidden
        for (kind, key), n in sorted(counts.items(), key=repr):
            if kind == "intent" and key not in INTENTS:
                options.append(Option(self._line(look(key).label, n, f"intent:{key}"), id=f"intent:{key}"))
        options.append(None)  # put away locally (cache/local.py): out of the queues above
        for kind in ("done", "snoozed"):
            options.append(Option(self._line(kind.title(), counts.get((kind, None), 0), kind), id=kind))
        if mailboxes:
            options.append(Option(Text("Mailboxes", style="bold"), disabled=True))
            for address, n in mailboxes:
                options.append(Option(self._line(safe_line(address), n, f"mailbox:{address}"), id=f"mailbox:{address}"))
        if campaigns:
            options.append(Option(Text("Campaigns", style="bold"), disabled=True))
            for cid, name, n in campaigns:
                options.append(Option(self._line(safe_line(name or cid), n, f"campaign:{cid}"), id=f"campaign:{cid}"))
        highlighted = self.highlighted_option.id if self.highlighted_option and not moved else current
        layout = [(o.id if o else None) for o in options]
        if layout == self._layout:
            # same queues: swap only the changed prompts (set_options would relayout the screen)
            for option in options:
                if option is not None and option.id is not None and option.prompt != self.get_option(option.id).prompt:
                    self.replace_option_prompt(option.id, option.prompt)
            self.refresh()
        else:
            self._layout = layout
            self.set_options(options)
        try:
            self.highlighted = self.get_option_index(highlighted or current)
        except OptionDoesNotExist:  # the queue disappeared: highlight the current one
            try:
                self.highlighted = self.get_option_index(current)
            except OptionDoesNotExist:
                self.highlighted = 0

    def queue_ids(self) -> list[str]:
        return [o.id for o in self.options if o.id and not o.disabled]
