"""`ctrl+t` in compose: pick a reply template (templates.py) for the thread's intent, then the
'any' ones, each shown filled with the thread's merge fields; the chosen text goes into the
editor, where the user reads (and may edit) it before sending with ctrl+s.

Template files are untrusted text: shown as rich Text, never markup.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from o2d_inbox.cache import queries
from o2d_inbox.render.text import safe_line
from o2d_inbox.templates import Template, fill, load_templates, sender_first_name, templates_for
from o2d_inbox.tui.dialog import SeeThrough, see_through
from o2d_inbox.tui.keys import bindings

__all__ = ["PREVIEW_LINES", "TemplatePicker", "filled_templates", "insert_template", "known_texts", "sender_name_for"]

PREVIEW_LINES = 6  # lines of each filled template shown in the picker


def _config_dir():
    from o2d_inbox.config import default_config_file

    return default_config_file().parent


def sender_name_for(from_address: str | None, config: Any, thread: Any) -> str | None:
    """{sender_name}: the first name in the sending mailbox (the compose From, else the
    config's from_mailbox, else the thread's mailbox), as templates.sender_first_name reads one."""
    for address in (from_address, getattr(config, "from_mailbox", None), getattr(thread, "mailbox", None)):
        if address:
            name = sender_first_name(address)
            if name:
                return name
    return None


def known_texts(conn: Any, thread: Any) -> list[str]:
    """What the cache holds about a thread, where its company's name may be spelled: the
    subject, then the cached messages (newest first)."""
    texts = [getattr(thread, "subject", None) or ""]
    thread_id = getattr(thread, "id", None)
    if conn is not None and thread_id:
        texts += [m.body_text or "" for m in reversed(queries.messages(conn, thread_id))]
    return texts


def filled_templates(
    thread: Any, sender_name: str | None, config_dir: Any = None, known: list[str] | None = None
) -> list[tuple[Template, str]]:
    """(template, its text filled from ``thread``) for the thread's intent, then 'any'."""
    templates = load_templates(config_dir if config_dir is not None else _config_dir())
    intent = getattr(thread, "reply_intent", None)
    return [
        (t, fill(t, thread=thread, sender_name=sender_name, known=known or ()))
        for t in templates_for(templates, intent)
    ]


class TemplatePicker(SeeThrough, ModalScreen[str | None]):
    """Dismissed with the chosen filled text, or None (esc)."""

    BINDINGS = bindings("template")

    DEFAULT_CSS = """
    TemplatePicker { align: center middle; }
    TemplatePicker > Vertical {
        width: 84; max-width: 95%; height: auto; max-height: 85%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    TemplatePicker OptionList { height: auto; max-height: 100%; border: none; }
    TemplatePicker #template-empty { color: $text-muted; padding: 1 0; }
    """

    def __init__(self, choices: list[tuple[Template, str]], title: str) -> None:
        super().__init__()
        self.choices = choices
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text(self.title_text)
            box.border_subtitle = Text("enter inserts · esc closes")
            if not self.choices:
                yield Static(Text("No templates. Add files under <config>/templates/<intent>/"), id="template-empty")
                return
            options: list[Option | None] = []
            for i, (template, text) in enumerate(self.choices):
                if i:
                    options.append(None)
                options.append(Option(self._prompt(template, text), id=str(i)))
            yield OptionList(*options, id="templates")

    @staticmethod
    def _prompt(template: Template, text: str) -> Text:
        prompt = Text()
        prompt.append(safe_line(template.name) or "(untitled)", style="bold")
        where = "any intent" if template.intent == "any" else template.intent.replace("_", " ")
        prompt.append(f"  · {where}", style="dim")
        lines = text.split("\n")
        for line in lines[:PREVIEW_LINES]:
            prompt.append("\n  " + safe_line(line))
        if len(lines) > PREVIEW_LINES:
            prompt.append(f"\n  … {len(lines) - PREVIEW_LINES} more lines", style="dim italic")
        return prompt

    def on_mount(self) -> None:
        see_through(self)
        if self.choices:
            self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:  # every choice's id is its index (separators have none)
            self.dismiss(self.choices[int(event.option.id)][1])

    def action_down(self) -> None:
        if self.choices:
            self.query_one(OptionList).action_cursor_down()

    def action_up(self) -> None:
        if self.choices:
            self.query_one(OptionList).action_cursor_up()


def insert_template(compose: Any, on_inserted: Callable[[], None] | None = None) -> None:
    """Open the picker for a ComposeScreen (its thread, its From) and put the chosen text in
    its editor: in place of an empty body, else at the cursor."""
    thread = compose.thread
    if thread is None:  # a new message: no prospect to fill from; the 'any' templates still help
        thread = SimpleNamespace(reply_intent="any", prospect=None, mailbox=None, needs_reply=False, last_from=None)
    from_value = None
    try:
        from textual.widgets import Select

        value = compose.query_one("#from", Select).value
        from_value = value if isinstance(value, str) else None
    except Exception:  # noqa: BLE001 - no From field: fall back to the config / thread
        pass
    choices = filled_templates(
        thread, sender_name_for(from_value, compose.app.config, thread), known=known_texts(compose.conn, thread)
    )
    who = safe_line(getattr(thread, "prospect", None) or "")
    title = "Templates" + (f" · {who}" if who else "")

    def chosen(text: str | None) -> None:
        if text is None:
            return
        body = compose.body
        if body.text.strip():
            body.insert(text)
        else:
            body.load_text(text)
            body.move_cursor(body.document.end)
        body.focus()
        compose.save_now()
        if on_inserted is not None:
            on_inserted()

    compose.app.push_screen(TemplatePicker(choices, title), chosen)
