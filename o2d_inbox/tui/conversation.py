"""The conversation pane: one thread read like a chat.

A Line-API ScrollView: show() lays the thread out once into a list of Strips at the pane's
width (re-laid on resize, fold toggles and finished HTML conversions) and render_line() only
crops the visible ones, so a 50-message thread costs one layout and scrolling costs nothing.

What it shows
- a header: subject, intent badge (glyph + word, coloured), campaign, mailbox, flags;
- each message as "who → whom" with cc and a relative date. The prospect's messages sit on
  the left behind a "▌" bar, ours are indented and carry a "▐" bar on the right: side,
  indent and bar tell them apart, colour only adds to it;
- the text body when there is one, else the HTML body through render.html.html_to_text;
  bodies over INLINE_HTML_CHARS are converted in a thread worker ("converting…" meanwhile),
  and every conversion is kept in a small LRU so reopening a thread is instant;
- quoted history (render.quote.split_quoted) folded to "▸ N quoted lines". `z` expands or
  folds every quote in the thread; a click on a fold line toggles that one;
- only the latest MESSAGE_WINDOW messages are laid out; older ones sit behind a
  "▴ N earlier messages" line (`m` or a click lays out MESSAGE_WINDOW more), so a
  10,000-message thread opens as fast and as small as a 200-message one;
- `pending` outbox rows at the bottom as our messages with a dashed bar and their state:
  draft / queued (sending in N s, ticking each second) / sending / sent / failed: reason;
- `note` (e.g. "Messages not cached yet — you are offline") instead of a failure.

Network text is sanitised by render.text and put into rich Text objects: it is never parsed
as markup and never reaches the terminal as escape sequences.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from rich.cells import chop_cells
from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from o2d_inbox.render.dates import relative
from o2d_inbox.render.text import cell_len, fit, safe_line, safe_text
from o2d_inbox.tui.intents import FALLBACK_COLOURS, look
from o2d_inbox.tui.keys import bindings, key_for
from o2d_inbox.tui.scrolling import BaseStyle, set_virtual_size

__all__ = ["ConversationView", "INLINE_HTML_CHARS", "MAX_BODY_CHARS", "MAX_BLOCK_LINES", "MESSAGE_WINDOW"]

#: HTML bodies up to this size are converted on the spot (a few ms); larger ones in a worker.
INLINE_HTML_CHARS = 10_000
#: A text body is cut here for display (the whole text stays in the cache).
MAX_BODY_CHARS = 100_000
#: At most this many lines of one body (or of its quoted history) are laid out.
MAX_BLOCK_LINES = 1_500
#: A thread opens with its latest this-many messages laid out; `m` lays out this many more.
MESSAGE_WINDOW = 200
_EARLIER = "earlier"  # the fold key of the "N earlier messages" line
_HTML_CACHE_SIZE = 256
_CONVERT_FAILED = "[this HTML body could not be converted]"

_PENDING_STATE = {
    "draft": ("✎", "draft"),
    "scheduled": ("◌", "queued"),
    "sending": ("↻", "sending"),
    "accepted": ("↻", "sending"),
    "sent": ("✓", "sent"),
    "failed": ("✕", "failed"),
    "cancelled": ("⊘", "cancelled"),
}


def _local_now() -> datetime:
    return datetime.now().astimezone()


class ConversationView(BaseStyle, ScrollView, can_focus=True):
    """One thread's messages; call ``await show(thread, messages, note=, pending=)``."""

    BINDINGS = bindings("pane")

    COMPONENT_CLASSES = {
        "conversation--subject",
        "conversation--meta",
        "conversation--rule",
        "conversation--theirs",
        "conversation--ours",
        "conversation--who",
        "conversation--quoted",
        "conversation--fold",
        "conversation--pending",
        "conversation--failed",
        "conversation--note",
        "conversation--match",
    }

    DEFAULT_CSS = """
    ConversationView { background: $surface; scrollbar-gutter: stable; overflow-y: scroll; }
    ConversationView.-fits {
        scrollbar-color: $surface; scrollbar-color-hover: $surface; scrollbar-color-active: $surface;
        scrollbar-background: $surface; scrollbar-background-hover: $surface; scrollbar-background-active: $surface;
    }
    ConversationView > .conversation--subject { text-style: bold; }
    ConversationView > .conversation--meta { color: $text-muted; }
    ConversationView > .conversation--rule { color: $panel-lighten-2; }
    ConversationView > .conversation--theirs { color: $secondary; }
    ConversationView > .conversation--ours { color: $primary; }
    ConversationView > .conversation--who { text-style: bold; }
    ConversationView > .conversation--quoted { color: $text-muted; }
    ConversationView > .conversation--fold { color: $accent; }
    ConversationView > .conversation--pending { color: $warning; }
    ConversationView > .conversation--failed { color: $error; text-style: bold; }
    ConversationView > .conversation--note { color: $text-muted; text-style: italic; }
    ConversationView > .conversation--match { background: $warning 35%; text-style: bold; }
    """

    class HtmlConverted(Message):
        """A worker finished converting one HTML body."""

        def __init__(self, key: tuple[str, int], text: str) -> None:
            super().__init__()
            self.key, self.text = key, text

    def __init__(
        self,
        *,
        now: Callable[[], datetime] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._now = now or _local_now
        self._thread: Any = None
        self._messages: list[Any] = []
        self._pending: list[Any] = []
        self._note: str | None = None
        self._expanded: set[str] = set()  # block keys whose quoted history is open
        self._window = MESSAGE_WINDOW  # how many of the latest messages are laid out
        self._html: OrderedDict[tuple[str, int], str] = OrderedDict()
        self._converting: set[tuple[str, int]] = set()
        self._lines: list[Strip] = []
        self._folds: dict[int, str] = {}  # line index of a fold line -> block key
        self._starts: dict[str, int] = {}  # block key -> its first line
        self._laid_width = 0
        self._laid_styles: tuple = ()
        self._signature: tuple | None = None  # _style_signature until the next style update
        self._open_at_latest = False  # scroll to the latest message at the next layout
        self._ticker: Timer | None = None  # re-lays out each second while a countdown shows
        self._match: re.Pattern[str] | None = None  # the words a search found, highlighted

    # ------------------------------------------------------------------ public API

    async def show(
        self,
        thread: Any,
        messages: list[Any],
        *,
        note: str | None = None,
        pending: list[Any] | None = None,
    ) -> None:
        """Show `thread` (a ThreadRow, or None for "nothing selected") with its messages in
        order, `pending` outbox items after them and `note` under the header."""
        same_thread = thread is not None and self._thread is not None and thread.id == self._thread.id
        if not same_thread:
            self._expanded.clear()
            self._window = MESSAGE_WINDOW
        # a reader who was at the end of the thread follows a message that just arrived
        follow = same_thread and len(messages) > len(self._messages) and self.scroll_offset.y >= self.max_scroll_y
        self._thread, self._messages = thread, list(messages)
        self._note, self._pending = note, list(pending or [])
        self._open_at_latest = not same_thread or follow
        self._relayout(keep_anchor=same_thread)

    @property
    def text_lines(self) -> list[str]:
        """The laid-out lines as plain text (for tests and accessibility dumps)."""
        return [strip.text for strip in self._lines]

    def highlight(self, words: Sequence[str]) -> None:
        """Mark where ``words`` (a search's words and phrases) occur in the subject and the
        bodies: case-insensitive, at the start of a word, as the search matches them (a
        word typed whole or as its beginning). () ends the highlighting."""
        wanted = sorted({w.strip() for w in words if w.strip()}, key=lambda w: (-len(w), w.lower()))
        pattern = (
            re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in wanted) + ")", re.IGNORECASE) if wanted else None
        )
        if (pattern and pattern.pattern) != (self._match and self._match.pattern):
            self._match = pattern
            self._relayout(keep_anchor=True)

    @property
    def shown_messages(self) -> list[Any]:
        """The messages laid out (the latest ones; older ones wait behind "earlier")."""
        return self._messages[self.hidden_messages :]

    @property
    def hidden_messages(self) -> int:
        """How many of the oldest messages are not laid out (behind the "earlier" line)."""
        return max(0, len(self._messages) - self._window)

    def action_earlier(self) -> None:
        """Lay out the next MESSAGE_WINDOW older messages, the one at the top staying put."""
        hidden = self.hidden_messages
        if not hidden:
            return
        first = f"m:{self._messages[hidden].id}"
        on_screen = self._starts.get(first, 0) - self.scroll_offset.y
        self._window += MESSAGE_WINDOW
        self._relayout(keep_anchor=True)
        if on_screen > 0:  # read from above it: the message stays where it was on screen
            self.scroll_to(y=max(0, self._starts[first] - on_screen), animate=False, immediate=True, force=True)

    def action_toggle_quotes(self) -> None:
        """Open every folded quote, or fold them all when all are open."""
        keys = set(self._folds.values()) - {_EARLIER}
        if keys - self._expanded:
            self._expanded |= keys
        else:
            self._expanded -= keys
        self._relayout(keep_anchor=True)

    # ------------------------------------------------------------------ events

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        key = self._folds.get(offset.y + self.scroll_offset.y)
        if key == _EARLIER:
            self.action_earlier()
        elif key is not None:
            self._expanded ^= {key}
            self._relayout(keep_anchor=True)

    def on_resize(self, event: events.Resize) -> None:
        if self._content_width() != self._laid_width:
            self._relayout(keep_anchor=True)
        else:
            self._mark_fit()

    def _mark_fit(self) -> None:
        # The scrollbar is always there, drawn in the background's colour while the thread
        # fits: showing and hiding it laid the whole screen out again (a third of all `j`s).
        self.set_class(len(self._lines) <= self.scrollable_content_region.height, "-fits")

    def notify_style_update(self) -> None:
        super().notify_style_update()
        # colours are baked into the strips: re-lay out on a theme switch, not on every
        # focus/hover change that leaves our styles as they were
        self._signature = None
        if self.is_mounted and self._lines and self._style_signature() != self._laid_styles:
            self._relayout(keep_anchor=True)

    def _style_signature(self) -> tuple:
        # looked up again only after a style update: each thread shown (every `j`) lays out
        signature = self._signature
        if signature is None or signature[2] != self.app.theme:
            signature = self._signature = (
                self.base_style,
                tuple(self._style(name) for name in sorted(self.COMPONENT_CLASSES)),
                self.app.theme,
            )
        return signature

    def on_conversation_view_html_converted(self, event: HtmlConverted) -> None:
        event.stop()
        self._converting.discard(event.key)
        self._remember(event.key, event.text)
        if any(self._html_key(m) == event.key for m in self._messages):
            self._relayout(keep_anchor=True)

    # ------------------------------------------------------------------ rendering

    def render_line(self, y: int) -> Strip:
        index = y + self.scroll_offset.y
        width = self.scrollable_content_region.width
        # the style the strips were laid out with (notify_style_update re-lays them out when it
        # changes); before any, the widget's (an empty pane is all blank lines)
        base = self._laid_styles[0] if self._laid_styles else self.base_style
        if 0 <= index < len(self._lines):
            strip = self._lines[index]
        else:
            strip = Strip.blank(width, base)
        return strip.crop_extend(self.scroll_offset.x, self.scroll_offset.x + width, base)

    def _content_width(self) -> int:
        return max(self.scrollable_content_region.width, 1)

    def _style(self, name: str) -> Style:
        # The full style: $text-muted has alpha and must be blended against our own
        # background; a partial style blends it against nothing (near-white on a light theme).
        return self.get_component_rich_style(name, partial=False)

    def _colour(self, variable: str) -> Style:
        colour = self.app.theme_variables.get(variable) or FALLBACK_COLOURS.get(variable)
        return Style(color=colour) if colour else Style()

    def _opening_line(self) -> int:
        """Open on the latest message (its header), or the top when the thread fits."""
        if not self._messages:
            return 0
        return self._starts.get(f"m:{self._messages[-1].id}", 0)

    def _relayout(self, *, keep_anchor: bool = False) -> None:
        if not self.is_mounted or not self.size.width:
            # not laid out yet, or hidden (a narrow list): on_resize lays the thread out when
            # the pane shows again, even at the width it had before
            self._laid_width = 0
            return
        anchor: tuple[str, int] | None = None
        if keep_anchor and self._lines:
            top = self.scroll_offset.y
            key = max(
                (k for k, start in self._starts.items() if start <= top),
                key=lambda k: self._starts[k],
                default=None,
            )
            if key is not None:
                anchor = (key, top - self._starts[key])
        width = self._content_width()
        self._laid_width = width
        self._laid_styles = self._style_signature()
        self._lines, self._folds, self._starts = _Layout(self, width).build()
        set_virtual_size(self, Size(width, len(self._lines)))
        self._mark_fit()
        self._tick_while_counting_down()
        if self._open_at_latest:
            self._open_at_latest = False
            self.scroll_to(y=self._opening_line(), animate=False, immediate=True, force=True)
        elif anchor is not None and anchor[0] in self._starts:
            self.scroll_to(y=self._starts[anchor[0]] + anchor[1], animate=False, immediate=True, force=True)
        self.refresh()

    def _tick_while_counting_down(self) -> None:
        now = self._now().timestamp()
        counting = any(
            getattr(item, "state", None) == "scheduled" and (getattr(item, "send_after", None) or 0) > now
            for item in self._pending
        )
        if counting and self._ticker is None:
            self._ticker = self.set_interval(1.0, self._tick)
        elif not counting and self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    def _tick(self) -> None:
        self._relayout(keep_anchor=True)

    # ------------------------------------------------------------------ bodies

    @staticmethod
    def _html_key(message: Any) -> tuple[str, int]:
        return (str(message.id), len(message.body_html or ""))

    def _remember(self, key: tuple[str, int], text: str) -> None:
        self._html[key] = text
        self._html.move_to_end(key)
        while len(self._html) > _HTML_CACHE_SIZE:
            self._html.popitem(last=False)

    def _body(self, message: Any) -> str | None:
        """Safe display text of a message; None while its HTML is being converted."""
        if message.body_text and message.body_text.strip():
            body = message.body_text
            if len(body) > MAX_BODY_CHARS:
                body = body[:MAX_BODY_CHARS] + "\n\n[… truncated]"
            return safe_text(body)
        html = message.body_html
        if not html or not html.strip():
            return ""
        key = self._html_key(message)
        if key in self._html:
            self._html.move_to_end(key)
            return self._html[key]
        if len(html) <= INLINE_HTML_CHARS:
            text = _convert(html)
            self._remember(key, text)
            return text
        if key not in self._converting:
            self._converting.add(key)
            self._convert_in_thread(key, html)
        return None

    @work(thread=True, group="conversation-html", exit_on_error=False)
    def _convert_in_thread(self, key: tuple[str, int], html: str) -> None:
        self.post_message(self.HtmlConverted(key, _convert(html)))


def _convert(html: str) -> str:
    from o2d_inbox.render.html import html_to_text  # html2text: only once a body needs it

    try:
        return html_to_text(html)
    except Exception:  # noqa: BLE001 - a broken body must not take the pane down
        return _CONVERT_FAILED


_WORD = re.compile(r"\s*\S+\s*|\s+")


def wrap(text: str, width: int) -> list[str]:
    """Plain text word-wrapped to `width` cells; words longer than a line are folded, wide
    characters never split. Much cheaper than rich Text.wrap for single-style text."""
    out: list[str] = []
    for para in text.split("\n"):
        if cell_len(para) <= width:
            out.append(para)
            continue
        line, used = "", 0
        for word in _WORD.findall(para):
            bare = word.rstrip()
            size = cell_len(bare)
            if used and used + size > width:
                out.append(line.rstrip())
                line, used = "", 0
                bare = bare.lstrip()
                size = cell_len(bare)
            if size > width:
                pieces = chop_cells(bare, width)
                out.extend(pieces[:-1])
                line, used = pieces[-1], cell_len(pieces[-1])
            else:
                line, used = line + bare, used + size
            spaces = word[len(word.rstrip()) :]
            line, used = line + spaces, used + len(spaces)
        out.append(line.rstrip())
    return out


Part = tuple[str, Style]


class _Layout:
    """Lays one thread out into strips at a fixed width (one pass, no widget state kept).

    Lines are built from segments directly (not rich Text objects): a 50-message thread is
    laid out in a few milliseconds."""

    def __init__(self, view: ConversationView, width: int) -> None:
        self.view = view
        self.width = width
        # the styles _relayout just looked up (the widget's, then each component's)
        signature = view._style_signature()
        self.base = signature[0]
        self._components = dict(zip(sorted(view.COMPONENT_CLASSES), signature[1]))
        self._styles: dict[str, Style] = {}
        self.lines: list[Strip] = []
        self.folds: dict[int, str] = {}
        self.starts: dict[str, int] = {}
        # ours are pushed right by `gutter` cells, theirs leave the same room on the right
        self.gutter = min(8, width // 6) if width >= 40 else 0
        self.inner = max(width - self.gutter - 2, 1)

    def style(self, name: str) -> Style:
        """A component style over the widget's base style (looked up once per layout)."""
        found = self._styles.get(name)
        if found is None:
            found = self._styles[name] = self.base + self._components[name]
        return found

    def build(self) -> tuple[list[Strip], dict[int, str], dict[str, int]]:
        v = self.view
        thread = v._thread
        note = self.style("conversation--note")
        if thread is None:
            self._plain("No thread selected.", note)
            return self.lines, self.folds, self.starts
        self._header(thread)
        if v._note:
            self._plain(safe_line(v._note), note)
            self._blank()
        if not v._messages and not v._note and not v._pending:
            self._plain("No messages in the cache for this thread.", note)
        hidden = v.hidden_messages
        if hidden:
            self.folds[len(self.lines)] = _EARLIER
            more = min(hidden, MESSAGE_WINDOW)
            self._plain(
                f"▴ {hidden:,} earlier messages · {key_for(v.app, 'conversation.earlier')} shows {more:,} more",
                self.style("conversation--fold"),
            )
            self._blank()
        for message in v._messages[hidden:]:
            self._message(message)
        for item in v._pending:
            self._pending(item)
        return self.lines, self.folds, self.starts

    # -- primitives

    def _emit(self, parts: list[Part], used: int) -> None:
        segments = [Segment(text, style) for text, style in parts if text]
        if used < self.width:
            segments.append(Segment(" " * (self.width - used), self.base))
        self.lines.append(Strip(segments, max(used, self.width)))

    def _blank(self) -> None:
        self.lines.append(Strip([Segment(" " * self.width, self.base)], self.width))

    def _plain(self, text: str, style: Style, *, marked: bool = False) -> None:
        """Full-width wrapped text with one cell of margin (``marked``: search words shown)."""
        for line in wrap(text, max(self.width - 1, 1)):
            parts = self._marked(line, style) if marked else [(line, style)]
            self._emit([(" ", self.base), *parts], 1 + cell_len(line))

    def _marked(self, line: str, style: Style) -> list[Part]:
        """``line`` in ``style``, with the search's words in the match style over it."""
        pattern = self.view._match
        if pattern is None:
            return [(line, style)]
        parts: list[Part] = []
        at = 0
        for found in pattern.finditer(line):
            parts += [
                (line[at : found.start()], style),
                (found.group(), style + self._components["conversation--match"]),
            ]
            at = found.end()
        parts.append((line[at:], style))
        return parts

    def _chunks(self, chunks: list[Part], separator: Part) -> None:
        """Chunks on as few lines as fit, never split inside one (unless it alone is too wide)."""
        room = max(self.width - 1, 1)
        line: list[Part] = []
        used = 0
        for text, style in chunks:
            size = cell_len(text)
            if line and used + cell_len(separator[0]) + size > room:
                self._emit([(" ", self.base), *line], 1 + used)
                line, used = [], 0
            if line:
                line.append(separator)
                used += cell_len(separator[0])
            if size > room:
                text = fit(text, room).rstrip()
                size = cell_len(text)
            line.append((text, style))
            used += size
        if line:
            self._emit([(" ", self.base), *line], 1 + used)

    def _boxed(self, parts: list[Part], used: int, ours: bool, bar: Part) -> None:
        """One line of a message block: the bar and indent on our side or theirs."""
        if ours:
            pad = " " * (self.inner - used + 1)
            self._emit([(" " * self.gutter, self.base), *parts, (pad, self.base), bar], self.width)
        else:
            self._emit([bar, (" ", self.base), *parts], 2 + used)

    def _wrapped(self, text: str, style: Style, ours: bool, bar: Part) -> None:
        lines = wrap(text, self.inner)
        if len(lines) > MAX_BLOCK_LINES:  # keeps a pathological body from stalling the pane
            hidden = len(lines) - MAX_BLOCK_LINES
            lines = lines[:MAX_BLOCK_LINES] + [f"[… {hidden:,} more lines not shown]"]
        for line in lines:
            self._boxed(self._marked(line, style), cell_len(line), ours, bar)

    # -- blocks

    def _header(self, thread: Any) -> None:
        v = self.view
        subject = safe_line(thread.subject_display or thread.subject) or "(no subject)"
        self._plain(subject, self.style("conversation--subject"), marked=True)
        intent = look(thread.reply_intent)
        meta = self.style("conversation--meta")
        chunks: list[Part] = [
            (f"{intent.glyph} {intent.label}", self.base + v._colour(intent.variable) + Style(bold=True))
        ]
        for label, value in (
            ("campaign", thread.campaign_name or thread.campaign_id),
            ("mailbox", thread.mailbox),
            ("prospect", thread.prospect),
        ):
            if value:
                chunks.append((f"{label}: {safe_line(value)}", meta))
        for flag in ("warming", "postmaster"):
            if getattr(thread, f"is_{flag}", False):
                chunks.append((flag, meta))
        self._chunks(chunks, (" · ", meta))
        # local states (cache/local.py; tui/triage.py sets them)
        until = getattr(thread, "local_snoozed_until", None)
        if getattr(thread, "local_done", False):
            self._plain(f"✓ done ({key_for(self.view.app, 'thread.done')} brings it back)", meta)
        elif until is not None:
            self._plain(f"⏾ snoozed until {until.astimezone():%a %-d %b %H:%M}", meta)
        note = getattr(thread, "local_note", None)
        if note:
            for line in note.splitlines()[:5]:
                self._plain("✎ " + safe_line(line), self.style("conversation--note"))
        self._emit([("─" * self.width, self.style("conversation--rule"))], self.width)
        self._blank()

    def _who(self, message: Any) -> str:
        mailbox = (self.view._thread.mailbox or "").lower()
        ours = not message.is_incoming
        sender = "you" if ours else (safe_line(message.from_email) or "unknown sender")

        def name(address: str) -> str:
            return "you" if mailbox and address.strip().lower() == mailbox else safe_line(address)

        to = ", ".join(name(a) for a in message.to_emails or []) or "—"
        return f"{sender} → {to}"

    def _title(self, who: str, when: str, ours: bool, bar: Part) -> None:
        room = self.inner - cell_len(when) - 1 if when else self.inner
        if who and when and room < 12 and cell_len(who) > room:  # very narrow: the date gets its own line
            self._title(who, "", ours, bar)
            self._title("", when, ours, bar)
            return
        if cell_len(who) > room:
            who = fit(who, room).rstrip()
        gap = " " * (self.inner - cell_len(who) - cell_len(when))
        parts = [(who, self.style("conversation--who")), (gap, self.base), (when, self.style("conversation--meta"))]
        self._boxed(parts, self.inner, ours, bar)

    def _body_lines(self, key: str, body: str | None, ours: bool, bar: Part) -> None:
        v = self.view
        if body is None:
            self._wrapped("converting…", self.style("conversation--note"), ours, bar)
            return
        from o2d_inbox.render.quote import split_quoted  # its patterns: once a body is shown

        new, quoted = split_quoted(body)
        if new:
            self._wrapped(new, self.base, ours, bar)
        elif not quoted:
            self._wrapped("(no text)", self.style("conversation--note"), ours, bar)
        if quoted:
            count = quoted.count("\n") + 1
            is_open = key in v._expanded
            noun = "quoted line" if count == 1 else "quoted lines"
            self.folds[len(self.lines)] = key
            fold = f"{'▾' if is_open else '▸'} {count} {noun}"
            self._boxed([(fold, self.style("conversation--fold"))], cell_len(fold), ours, bar)
            if is_open:
                self._wrapped(quoted, self.style("conversation--quoted"), ours, bar)

    def _message(self, message: Any) -> None:
        v = self.view
        key = f"m:{message.id}"
        self.starts[key] = len(self.lines)
        ours = not message.is_incoming
        bar = ("▐", self.style("conversation--ours")) if ours else ("▌", self.style("conversation--theirs"))
        when = relative(message.date, v._now()) if message.date else ""
        self._title(self._who(message), when, ours, bar)
        if message.cc_emails:
            cc = "cc: " + ", ".join(safe_line(a) for a in message.cc_emails)
            self._wrapped(cc, self.style("conversation--meta"), ours, bar)
        self._body_lines(key, v._body(message), ours, bar)
        self._blank()

    def _pending(self, item: Any) -> None:
        v = self.view
        key = f"o:{getattr(item, 'id', id(item))}"
        self.starts[key] = len(self.lines)
        payload = getattr(item, "payload", None) or {}
        state = getattr(item, "state", "") or ""
        kind = getattr(item, "kind", "") or ""
        failed = state == "failed"
        status_style = self.style("conversation--failed" if failed else "conversation--pending")
        bar = ("┆", status_style)
        glyph, label = _PENDING_STATE.get(state, ("·", safe_line(state) or "pending"))
        status = f"{glyph} {safe_line(kind) or 'message'} {label}"
        if state == "scheduled" and getattr(item, "send_after", None):
            seconds = int(item.send_after - v._now().timestamp() + 0.999)
            if seconds > 0:
                status += f" · sending in {seconds} s"
        if failed and getattr(item, "last_error", None):
            status += f": {safe_line(item.last_error)}"
        if kind == "intent":
            who = f"you: intent → {look(payload.get('replyIntent')).label}"
        elif payload.get("toAddress"):
            who = f"you → {safe_line(payload.get('toAddress'))}"
        else:
            to = safe_line(v._thread.prospect) if v._thread else ""
            who = f"you → {to}" if to else "you"
        self._title(who, "", True, bar)
        self._wrapped(status, status_style, True, bar)
        if kind != "intent":
            self._body_lines(key, safe_text(payload.get("bodyText")), True, bar)
        self._blank()
