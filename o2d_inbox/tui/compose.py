"""Compose a reply (`r`), a forward (`f`) or a new message (`c`) in a modal over the inbox.

The text is an outbox *draft* from the first keystroke: saved (debounced) with
outbox.queue.save_draft while one types, so a crash or `esc` keeps it and `r` on the same
thread resumes it. `ctrl+s` (or the Send button) schedules the draft with the undo window
(config.undo_seconds) and closes; the dispatcher sends it when the window has passed.
`ctrl+e` opens $VISUAL / $EDITOR on the text with the app suspended and reads it back.
A reply to a thread whose prospect asked to be unsubscribed, or to a suppressed address, says
so in a warning line from the moment compose opens, and ctrl+s asks first.

Send and then: ctrl+s sends and stays, ctrl+n sends and asks for the next thread, ctrl+d sends
and asks to mark the thread done. The screen is dismissed with a ``Sent(item, then)`` (then is
"stay", "next" or "done"; always "stay" for a new message, which has no thread); what "next"
and "done" do is the caller's.

The prospect's last message (its new part, without the history it quotes) stays on screen
above the editor (ctrl+o hides / shows it), and a reply sends it quoted below the text:
"On <date>, <address> wrote:" and "> " lines, a <blockquote> in the HTML (render.compose).
The editor holds only what the user writes; a resumed draft gets its quote taken off again.

Signatures (templates.signature_for): the From mailbox's file, else default.txt, is put below
an empty editor when compose opens; choosing another From swaps it while the user has left it
as it was.

Merge fields ({company}, {{first_name}}, …) left in the text are highlighted in the editor,
listed on a warning line, and sending is refused until they are filled in or removed.

From: a reply or forward offers its thread's own mailbox (never the configured
``from_mailbox``, which is the default of new messages only). While the cache does not know
it, From reads "the thread's own mailbox" and, with a client, the thread's messages are
fetched to learn it; the dispatcher learns it before sending otherwise. A new message needs
a sender: the configured default, or one chosen here.

The body's HTML is derived from the text by render.compose (in outbox.queue), never here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult, SuspendNotSupported
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from o2d_inbox.cache import queries
from o2d_inbox.cache.db import cache_error
from o2d_inbox.editor import EditorFailed, edit_text
from o2d_inbox.outbox import queue as outbox
from o2d_inbox.outbox.queue import OutboxItem, OutboxRefused
from o2d_inbox.render.compose import quote_text, with_quote
from o2d_inbox.render.html import html_to_text
from o2d_inbox.render.quote import attribution, split_quoted
from o2d_inbox.render.text import safe_line, safe_text
from o2d_inbox.templates import UNFILLED, signature_for, unfilled_fields
from o2d_inbox.tui.compliance_check import ASK_DELAY, ask_server
from o2d_inbox.tui.dialog import SeeThrough, see_through
from o2d_inbox.tui.keys import bindings
from o2d_inbox.tui.text_box import TextBox

__all__ = ["ComposeScreen", "ConfirmScreen", "DRAFT_SAVE_DELAY", "Sent", "find_draft", "template_command"]

DRAFT_SAVE_DELAY = 0.4  # seconds of stillness before the draft is written to the cache

_TITLES = {"reply": "Reply", "forward": "Forward", "new": "New message"}
_THREAD_MAILBOX = "the thread's own mailbox"  # From, while the cache does not know it


Then = Literal["stay", "next", "done"]


@dataclass(frozen=True)
class Sent:
    """What compose is dismissed with after a send: the scheduled item, and what the user
    asked to happen next (ctrl+s stay, ctrl+n next thread, ctrl+d mark the thread done)."""

    item: OutboxItem
    then: Then = "stay"


@dataclass(frozen=True)
class Original:
    """The prospect's message shown above the editor (and quoted below a reply)."""

    who: str | None
    when: Any  # datetime | None
    text: str  # its new part, without the history it quotes
    preview: bool = False  # only the thread's snippet is cached: shown, never quoted


def last_incoming(conn, thread: Any) -> Original | None:
    """The newest cached message from the prospect, else the thread's snippet when the last
    word is theirs."""
    if thread is None:
        return None
    for message in reversed(queries.messages(conn, thread.id)):
        if not message.is_incoming:
            continue
        body = message.body_text if (message.body_text or "").strip() else html_to_text(message.body_html)
        new = split_quoted(body or "")[0].strip()
        if new:
            return Original(message.from_email, message.date, new)
    snippet = getattr(thread, "snippet", None)
    if snippet and getattr(thread, "needs_reply", False):
        return Original(getattr(thread, "last_from", None), getattr(thread, "last_date", None), snippet, preview=True)
    return None


def _location(text: str, index: int) -> tuple[int, int]:
    """(row, column) in a TextArea of the character at ``index`` of ``text``."""
    before = text[:index]
    return before.count("\n"), len(before) - (before.rfind("\n") + 1)


class _Body(TextArea):
    """The editor, with merge fields left in the text painted as errors."""

    def get_line(self, line_index: int) -> Text:
        line = super().get_line(line_index)
        matches = list(UNFILLED.finditer(line.plain))
        if matches:
            colour = self.app.theme_variables.get("error") or "red"
            for match in matches:
                line.stylize(Style(color=colour, bold=True, reverse=True), match.start(), match.end())
        return line


def find_draft(conn, kind: str, thread_id: str | None) -> OutboxItem | None:
    """The newest draft of ``kind`` for ``thread_id`` (what `r` / `f` resume)."""
    drafts = [i for i in outbox.list_items(conn, ["draft"]) if i.kind == kind and i.thread_id == thread_id]
    return drafts[-1] if drafts else None


class ConfirmScreen(SeeThrough, ModalScreen[bool]):
    """A yes/no question; `y` / enter on the first button says yes, `n` / esc no."""

    BINDINGS = bindings("confirm")

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 64; height: auto; border: thick $error; background: $surface; padding: 1 2;
    }
    ConfirmScreen Horizontal { height: auto; margin-top: 1; }
    ConfirmScreen Button { margin-right: 2; }
    """

    def __init__(self, question: str, yes: str = "Send anyway", no: str = "Cancel") -> None:
        super().__init__()
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.question))
            with Horizontal():
                yield Button(f"{self.yes} (y)", id="yes", variant="error")
                yield Button(f"{self.no} (n)", id="no")

    def on_mount(self) -> None:
        see_through(self)
        self.query_one("#no", Button).focus()  # the safe answer is the default

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class ComposeScreen(SeeThrough, ModalScreen[Sent | None]):
    """Dismissed with Sent(item, then) after a send, None after `esc`."""

    BINDINGS = bindings("compose")

    DEFAULT_CSS = """
    ComposeScreen { align: center middle; }
    ComposeScreen > #compose-box {
        width: 90%; max-width: 110; height: 80%; border: round $primary; background: $surface;
        padding: 0 1;
    }
    ComposeScreen .field { height: 1; margin-bottom: 1; }
    ComposeScreen .field > Label { width: 9; color: $text-muted; }
    ComposeScreen .field > Input, ComposeScreen .field > Select { width: 1fr; }
    ComposeScreen #body { height: 1fr; border: round $panel-lighten-2; }
    ComposeScreen #body:focus { border: round $accent; }
    ComposeScreen #compose-bar { height: 1; margin-top: 1; }
    ComposeScreen #compose-status { width: 1fr; color: $text-muted; }
    ComposeScreen #compose-warning, ComposeScreen #compose-fields {
        height: auto; color: $error; text-style: bold; display: none;
    }
    ComposeScreen #original-head { height: 1; color: $text-muted; }
    ComposeScreen #original-text {
        height: auto; max-height: 30%; overflow-y: auto; color: $text-muted;
        border-left: outer $panel-lighten-2; padding: 0 1; margin-bottom: 1;
    }
    ComposeScreen #send { min-width: 10; height: 1; border: none; }
    """

    def __init__(
        self,
        conn,
        kind: str,
        *,
        thread: Any = None,
        draft: OutboxItem | None = None,
        mailboxes: list[str] | None = None,
        default_from: str | None = None,
        undo_seconds: float = 10,
        now: Callable[[], float] | None = None,
        quoted_subject: str | None = None,
        config_dir: Path | None = None,
        client: Callable[[], Any] | None = None,
    ) -> None:
        super().__init__()
        # the API client (the app builds it on first use; None offline): asked for the
        # thread's own mailbox and a recipient's suppression; without one, the cache answers
        self.client: Callable[[], Any] = client or (lambda: None)
        if kind not in _TITLES:
            raise ValueError(f"cannot compose a {kind!r}")
        self.conn = conn
        self.kind = kind
        self.thread = thread
        self.thread_id = thread.id if thread is not None else (draft.thread_id if draft else None)
        self.draft_id: int | None = draft.id if draft is not None else None
        self.undo_seconds = undo_seconds
        self._now = now
        payload = dict(draft.payload) if draft is not None else {}
        self._initial = payload
        self._saved: dict[str, Any] | None = self._comparable(payload) if draft is not None else None
        sender = payload.get("fromMailboxAddress") or (getattr(thread, "mailbox", None) if thread else None)
        if kind == "new":
            sender = sender or default_from
        self.mailboxes = list(dict.fromkeys([*([sender] if sender else []), *(mailboxes or [])]))
        self.sender = sender
        self.quoted_subject = quoted_subject
        self.config_dir = config_dir if config_dir is not None else _config_dir()
        self.original = last_incoming(conn, thread) if kind in ("reply", "forward") else None
        self._quote: tuple[str, str] | None = None  # (attribution, text) a reply sends below it
        if kind == "reply" and self.original is not None and not self.original.preview:
            self._quote = (attribution(self.original.who, self.original.when), self.original.text)
        self._text, self.quoting, self._signature = self._initial_text(payload, draft is not None)
        self._original_shown = True
        self._save_timer: Timer | None = None
        self._done = False
        self.unsaved: str | None = None  # why the last draft save failed (a cache fault)
        self._discard_asked = False  # esc was pressed once on an unsaved draft
        #: set once a field has focus: the keys typed right after r / f / c wait for it
        self.ready = asyncio.Event()

    def _initial_text(self, payload: dict[str, Any], resumed: bool) -> tuple[str, bool, str | None]:
        """(editor text, quote on?, the signature block at its end that compose manages)."""
        text = payload.get("bodyText") or ""
        quoting = self._quote is not None
        if resumed and self._quote is not None:  # i.e. quoting, so far
            block = "\n\n" + quote_text(*self._quote)
            if text.endswith(block) or text == block[2:]:
                text = text[: -len(block)] if text.endswith(block) else ""
            elif split_quoted(text)[1]:
                quoting = False  # it quotes something already (another message): send it as it is
        signature = signature_for(self.sender, self.config_dir)
        managed = "\n\n" + signature if signature else None
        if not resumed:
            return (managed or ""), quoting, managed
        return text, quoting, (managed if managed and text.endswith(managed) else None)

    # -- layout ------------------------------------------------------------------------
    def _title(self) -> Text:
        title = _TITLES[self.kind]
        thread = self.thread
        if thread is not None:
            who = safe_line(getattr(thread, "prospect", None) or getattr(thread, "last_from", None) or "")
            subject = safe_line(getattr(thread, "subject_display", None) or getattr(thread, "subject", None) or "")
            title += "".join(f" · {part}" for part in (who, subject) if part)
        return Text(title)

    def compose(self) -> ComposeResult:
        p = self._initial
        with Vertical(id="compose-box") as box:
            box.border_title = self._title()
            box.border_subtitle = Text("ctrl+s send · ^n send+next · ^d send+done · ^e $EDITOR · esc close")
            with Horizontal(classes="field"):
                yield Label("From")
                options = [(safe_line(m), m) for m in self.mailboxes]
                if self.sender:
                    yield Select(options, value=self.sender, allow_blank=False, compact=True, id="from")
                else:  # a reply's: learned (below, or by the dispatcher); a new message's: chosen
                    prompt = "choose a sender" if self.kind == "new" else _THREAD_MAILBOX
                    yield Select(options, prompt=prompt, compact=True, id="from")
            if self.kind in ("forward", "new"):
                with Horizontal(classes="field"):
                    yield Label("To")
                    yield TextBox(
                        p.get("toAddress") or "",
                        placeholder="name@example.com",
                        compact=True,
                        id="to",
                        select_on_focus=False,
                    )  # coming back must not replace what is typed
            if self.kind == "new":
                with Horizontal(classes="field"):
                    yield Label("Subject")
                    yield TextBox(
                        p.get("subject") or "", placeholder="subject", compact=True, id="subject", select_on_focus=False
                    )
            yield Static("", id="compose-warning")  # a suppressed recipient (outbox/compliance.py)
            if self.original is not None:
                yield Static(self._original_head(), id="original-head")
                yield Static(Text(safe_text(self.original.text)), id="original-text")
            yield _Body(self._text, id="body", soft_wrap=True, tab_behavior="focus")
            yield Static("", id="compose-fields")  # merge fields left unfilled
            with Horizontal(id="compose-bar"):
                yield Static("", id="compose-status")
                yield Button("Send ^s", id="send", variant="primary", compact=True)

    def on_mount(self) -> None:
        see_through(self)
        body = self.query_one("#body", TextArea)
        body.cursor_blink = False if self.app.is_headless else body.cursor_blink
        # focus now (set_focus), not by focus(), which queues it behind the keys already typed
        if self.kind in ("forward", "new") and not self._initial.get("toAddress"):
            self.set_focus(self.query_one("#to", Input))
        else:
            self.set_focus(body)
        # the cursor goes where the user writes: above a signature compose put there
        body.move_cursor(_location(self._text, len(self._text) - len(self._signature or "")))
        if self.draft_id is not None:
            self._status("draft resumed")
        if self.app.size.height < 30 and self.original is not None:  # the editor needs the rows
            self.action_toggle_original()
        self._check_recipient()
        self._check_fields()
        ask_server(self)  # the server's word on a suppression, cached (tui/compliance_check.py)
        client = self.client()
        if not self.sender and self.kind in outbox.SENDER_KINDS and self.thread_id and client is not None:
            self.run_worker(
                self._learn_sender(client, self.thread_id), group="sender", exclusive=True, exit_on_error=False
            )
        self.ready.set()

    async def _learn_sender(self, client: Any, thread_id: str) -> None:
        """Ask for the thread's messages to show (and store) its own mailbox as From."""
        from o2d_inbox.outbox.dispatcher import learn_thread_mailbox

        try:
            mailbox = await learn_thread_mailbox(self.conn, client, thread_id)
        except Exception:  # noqa: BLE001 - offline / odd answer: the dispatcher learns it later
            return
        if not mailbox or self._done or not self.is_attached:
            return
        select = self.query_one("#from", Select)
        if select.is_blank():  # the user has not picked one meanwhile
            self.mailboxes = list(dict.fromkeys([mailbox, *self.mailboxes]))
            select.set_options([(safe_line(m), m) for m in self.mailboxes])
            select.value = mailbox  # Select.Changed swaps the signature

    def _original_head(self) -> Text:
        original = self.original
        assert original is not None
        head = Text("▾ " if self._original_shown else "▸ ", style="bold")
        head.append(safe_line(original.who or "They") + " wrote")
        if original.when is not None:
            head.append(f" · {original.when:%a} {original.when.day} {original.when:%b %H:%M}")
        if original.preview:
            head.append(" · preview only (the message is not in the cache)")
        elif self.kind == "reply":
            head.append(" · quoted below your reply" if self.quoting else " · not quoted")
        head.append(" · ctrl+o hides" if self._original_shown else " · ctrl+o shows")
        return head

    def action_toggle_original(self) -> None:
        if self.original is None:
            return
        self._original_shown = not self._original_shown
        self.query_one("#original-text", Static).display = self._original_shown
        self.query_one("#original-head", Static).update(self._original_head())

    # -- signature ---------------------------------------------------------------------
    def _swap_signature(self, sender: str | None) -> None:
        """Put ``sender``'s signature in place of the one compose put there, unless the user
        has edited that one (then it is theirs and stays)."""
        new = signature_for(sender, self.config_dir)
        block = "\n\n" + new if new else None
        body = self.body
        text = body.text
        if block == self._signature:
            return
        if self._signature is not None:
            if not text.endswith(self._signature):
                return
            start = _location(text, len(text) - len(self._signature))
            body.replace(block or "", start, body.document.end, maintain_selection_offset=True)
        elif block is not None and not self._typed().strip():
            body.insert(block, body.document.end, maintain_selection_offset=True)
        else:
            return
        self._signature = block

    # -- the draft ---------------------------------------------------------------------
    @property
    def body(self) -> TextArea:
        return self.query_one("#body", TextArea)

    def _typed(self) -> str:
        """What the user wrote: the editor without the signature compose put there."""
        text = self.body.text if self.is_mounted else self._text
        if self._signature and text.endswith(self._signature):
            return text[: -len(self._signature)]
        return text

    def payload(self) -> dict[str, Any]:
        """The request body as on the wire: a reply's text with the message it answers quoted
        below (render.compose); otherwise bodyHtml is derived by outbox.queue."""
        text = self.body.text
        payload: dict[str, Any] = {}
        if self._typed().strip() or self.kind != "forward":  # a forward may go without a note
            payload["bodyText"] = text
            if self.quoting and self._quote is not None and self._typed().strip():
                payload["bodyText"], payload["bodyHtml"] = with_quote(text, *self._quote)
        sender = self.query_one("#from", Select).value
        if isinstance(sender, str) and sender:
            payload["fromMailboxAddress"] = sender
        if self.kind in ("forward", "new"):
            payload["toAddress"] = self.query_one("#to", Input).value.strip()
        if self.kind == "new":
            payload["subject"] = self.query_one("#subject", Input).value.strip()
        return payload

    @staticmethod
    def _comparable(payload: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in payload.items() if k != "bodyHtml"}

    def _has_content(self, payload: dict[str, Any]) -> bool:
        """Anything the user wrote (a signature or quote compose added alone is not)."""
        return bool(self._typed().strip()) or any((payload.get(k) or "").strip() for k in ("toAddress", "subject"))

    def _status(self, text: str) -> None:
        if self.is_mounted:
            self.query_one("#compose-status", Static).update(Text(text))

    def _stamp(self) -> float | None:
        return self._now() if self._now is not None else None

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._check_fields()
        self._schedule_save()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._check_fields()
        if event.input.id == "to":
            self._check_recipient()
            ask_server(self, ASK_DELAY)
        self._schedule_save()

    def recipient(self) -> str | None:
        """Who the message goes to: a reply's prospect, else the To field."""
        if self.kind == "reply":
            return getattr(self.thread, "prospect", None)
        try:
            return self.query_one("#to", Input).value.strip() or None
        except Exception:  # noqa: BLE001 - not composed yet
            return None

    def _refusal(self) -> str | None:
        """A reply to a prospect who asked to be unsubscribed (their reply intent)."""
        if self.kind != "reply" or not self.thread_id or not outbox.reply_refusal(self.conn, self.thread_id):
            return None
        return (
            f"{safe_line(getattr(self.thread, 'prospect', None) or 'The recipient')} asked to be "
            "unsubscribed (reply intent 'unsubscribe')"
        )

    def _check_recipient(self) -> str | None:
        """Show (or hide) the warning line: an unsubscribe reply intent, a suppressed
        recipient. Returns the suppression warning."""
        from o2d_inbox.outbox.compliance import suppression_warning

        warning = suppression_warning(self.conn, self.recipient())
        shown = [w for w in (self._refusal(), warning and safe_line(warning)) if w]
        for line in self.query("#compose-warning").results(Static):
            line.update(Text("⚠ " + " · ".join(shown) + " · ctrl+s asks first") if shown else Text())
            line.display = bool(shown)
        return warning

    def _unfilled(self) -> list[str]:
        fields = unfilled_fields(self._typed())
        for field_id in ("#subject",):
            for box in self.query(field_id).results(Input):
                fields += [f for f in unfilled_fields(box.value) if f not in fields]
        return fields

    def _check_fields(self) -> list[str]:
        """Show (or hide) the line naming the merge fields still in the text."""
        fields = self._unfilled()
        for line in self.query("#compose-fields").results(Static):
            line.update(
                Text("⚠ not filled in: " + ", ".join(safe_line(f) for f in fields) + " · edit or remove before sending")
                if fields
                else Text()
            )
            line.display = bool(fields)
        return fields

    def action_template(self) -> None:
        from o2d_inbox.tui.templates_picker import insert_template

        insert_template(self)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        value = event.value if isinstance(event.value, str) else None
        if value != self.sender:
            self.sender = value
            self._swap_signature(value)
        self._schedule_save()

    def _schedule_save(self) -> None:
        if self._done:
            return
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(DRAFT_SAVE_DELAY, self.save_now)

    def save_now(self) -> OutboxItem | None:
        """Write the draft if it changed (nothing is written for an untouched empty form)."""
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        payload = self.payload()
        if self.draft_id is None and not self._has_content(payload):
            return None
        if self._saved == self._comparable(payload):
            return None
        try:
            try:
                item = outbox.save_draft(
                    self.conn, self.kind, self.thread_id, payload, draft_id=self.draft_id, now=self._stamp()
                )
            except OutboxRefused:
                # the draft was sent, cancelled or scheduled elsewhere meanwhile: keep the text anyway
                item = outbox.save_draft(self.conn, self.kind, self.thread_id, payload, now=self._stamp())
        except Exception as exc:  # only a cache fault is handled here
            fault = cache_error(exc)
            if fault is None:
                raise
            # Disk full, read-only, damaged: the text stays on screen, and the user is told
            # (once: the save is tried again after every pause in typing; the status line stays).
            told, self.unsaved = self.unsaved, safe_line(str(fault))
            self._status("⚠ draft NOT saved")
            if self.unsaved != told:
                self.notify(self.unsaved, severity="error", timeout=10, markup=False)
            return None
        self.unsaved = None
        self.draft_id = item.id
        self._saved = self._comparable(payload)
        self._status("draft saved")
        return item

    # -- send / close ------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "send":
            event.stop()
            self.action_send()

    def _problem(self, payload: dict[str, Any]) -> str | None:
        if self.kind in ("forward", "new") and not payload.get("toAddress"):
            return "Who is it for? Fill in To"
        if self.kind in ("reply", "new") and not self._typed().strip():
            return "The message is empty"
        if self.kind == "new" and not payload.get("fromMailboxAddress"):
            return "Who is it from? Choose From"
        return None

    def action_send(self, then: Then = "stay") -> None:
        if self.kind == "new":
            then = "stay"  # a new message has no thread to go on from
        payload = self.payload()
        problem = self._problem(payload)
        if problem is None and (fields := self._check_fields()):
            problem = f"Fill in or remove {', '.join(safe_line(f) for f in fields)} before sending"
        self.save_now()  # now, not by the pending timer: its "draft saved" would hide a refusal
        if problem:
            self._status(problem)
            self.notify(problem, severity="warning", timeout=4, markup=False)
            return
        # a valid form has content, so there is a draft now
        if self.unsaved:  # what could not be saved cannot be queued either: it stays here
            return
        reason = self._refusal()
        warning = self._check_recipient()
        if reason or warning:
            question = f"{reason}." if reason else f"{safe_line(warning)}."
            self.app.push_screen(
                ConfirmScreen(f"{question}\nSend this {_TITLES[self.kind].lower()} anyway?"),
                lambda yes: self._schedule(then) if yes else self._status("not sent · the draft is kept"),
            )
            return
        self._schedule(then)

    def _schedule(self, then: Then = "stay") -> None:
        assert self.draft_id is not None  # action_send saved the form (it has content) first
        try:
            item = outbox.schedule_draft(self.conn, self.draft_id, self.undo_seconds, now=self._stamp())
        except OutboxRefused as exc:
            self._status(str(exc))
            self.notify(safe_line(str(exc)), severity="error", timeout=4, markup=False)
            return
        except Exception as exc:
            if (fault := cache_error(exc)) is None:
                raise
            self._status("⚠ not sent: the draft is kept")
            self.notify(safe_line(str(fault)), severity="error", timeout=10, markup=False)
            return
        self._done = True
        self.dismiss(Sent(item, then))

    def action_close(self) -> None:
        self.save_now()
        if self.unsaved and not self._discard_asked:  # nothing may be lost without the user saying so
            self._discard_asked = True
            self._status("⚠ draft NOT saved · esc again discards it · ctrl+e opens it in $EDITOR to keep it")
            return
        self._done = True
        if self.unsaved:
            self.notify("Discarded: the draft could not be saved", severity="warning", timeout=4)
        elif self.draft_id is not None and not self._has_content(self.payload()):
            outbox.cancel(self.conn, self.draft_id, now=self._stamp())
            self.notify("Empty draft discarded", timeout=2)
        elif self.draft_id is not None:
            again = {"reply": " · r resumes it", "forward": " · f resumes it"}.get(self.kind, " · o lists it")
            self.notify("Draft kept" + again, timeout=3)
        self.dismiss(None)

    def action_field(self, step: int) -> None:
        self.focus_next() if step > 0 else self.focus_previous()

    # -- $EDITOR -----------------------------------------------------------------------
    def action_editor(self) -> None:
        try:
            text = edit_text(self.body.text, around=self.app.suspend)
        except SuspendNotSupported:
            self.notify("This terminal cannot hand over to an editor", severity="warning", timeout=3)
            return
        except EditorFailed as exc:
            self.notify(f"{safe_line(str(exc))}; the text is unchanged", severity="warning", timeout=4, markup=False)
            return
        self.body.load_text(text)
        self.body.move_cursor(self.body.document.end)
        self.save_now()
        self.refresh()


def template_command(app: Any) -> tuple[str, str, Callable[[], None]]:
    """The palette's entry: inserts into the compose panel that is open (ctrl+t there)."""

    def run() -> None:
        compose = next((s for s in reversed(app.screen_stack) if isinstance(s, ComposeScreen)), None)
        if compose is None:
            app.notify("Open a reply first (r), then insert a template", timeout=3)
        else:
            compose.action_template()

    return ("Insert a reply template", "in compose: filled from the thread · key ctrl+t", run)


def _config_dir() -> Path:
    from o2d_inbox.config import default_config_file

    return default_config_file().parent
