"""Every key action of the inbox, in one table: the keymap's vocabulary.

Each ``Action`` is named once here, with its binding id (what ``[keymap]`` in config.toml
rebinds: users' files use these ids, so an id never changes), default keys, description,
help section, palette entry and where it applies. The TUI generates from this table the
Bindings of each screen and widget, the footer (``show``), the help screen and the palette;
``key_for`` turns an id into the key the user actually presses, so a hint such as
"u to undo" follows a rebound key. Headless (no Textual): ``doctor`` checks a keymap with
``check_keymap`` without starting the TUI.

Key names are Textual's: ``ctrl+r``, ``question_mark`` (or ``?``), ``f1``, ``space``;
several keys are separated by commas.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass

from o2d_inbox.render.intents import INTENTS, ORDER

__all__ = [
    "ACTIONS",
    "Action",
    "BY_ID",
    "CLEAR",
    "GROUPS",
    "NUMBERED",
    "actions_for",
    "check_keymap",
    "key_for",
    "keys_of",
]

#: The intents `1`…`6` set, in the sidebar's order (what the user sees is what the number does).
NUMBERED: list[str] = [key for key in ORDER if key != "unclassified"]
CLEAR = "unclassified"  # no classification (PATCH replyIntent null)

# Where an action applies (the widget or screen whose bindings it is):
#   app     the app, over every screen
#   inbox   the inbox screen (whatever pane has focus)   list     the thread list
#   pane    the conversation                             sidebar  the queues sidebar
#   compose / confirm / intent / outbox / snooze / note / template / help / stats / export /
#   quit / goto: those dialogs


@dataclass(frozen=True)
class Action:
    id: str  # the binding id the keymap uses ("" = a palette command without a key)
    keys: str  # default keys, Textual names, comma-separated ("" = none)
    action: str  # the Textual action it runs on its context's node
    description: str  # footer and help text
    group: str  # help section
    context: str  # where it applies (see above)
    show: bool = False  # in the footer
    palette: str | None = None  # the palette entry's name (None: not in the palette)
    palette_help: str = ""  # the palette entry's help; " · key X" is added from the keymap
    in_help: bool = True
    priority: bool = False  # runs even where a text field has focus


def _intent(key: str) -> str:
    look = INTENTS[key]
    return f"{look.glyph} {look.label}"


_A = Action
ACTIONS: tuple[Action, ...] = (
    # -- the thread list --------------------------------------------------------------------
    _A("thread.down", "j,down", "cursor_down", "Down", "Thread list", "list"),
    _A("thread.up", "k,up", "cursor_up", "Up", "Thread list", "list"),
    _A("thread.first", "g,home", "first", "First", "Thread list", "list"),
    _A("thread.last", "G,end", "last", "Last", "Thread list", "list"),
    _A("thread.page_down", "pagedown,ctrl+d", "page_down", "Page down", "Thread list", "list"),
    _A("thread.page_up", "pageup,ctrl+u", "page_up", "Page up", "Thread list", "list"),
    _A("thread.open", "enter", "open", "Open", "Thread list", "list", show=True, palette="Open the selected thread"),
    # -- the conversation -------------------------------------------------------------------
    _A("conversation.toggle_quotes", "z", "toggle_quotes", "Quoted", "Conversation", "pane", show=True),
    # -- the inbox, whichever pane has focus ------------------------------------------------
    _A("app.quit", "q", "app.quit", "Quit", "App", "inbox", show=True, palette="Quit"),
    _A(
        "app.help",
        "question_mark",
        "help",
        "Help",
        "App",
        "inbox",
        show=True,
        palette="Help: keys",
        palette_help="every key and its binding id",
    ),
    _A(
        "app.filter",
        "slash",
        "filter",
        "Search",
        "App",
        "inbox",
        show=True,
        palette="Search the cache",
        palette_help='words, "phrases", from: to: intent: mailbox: campaign: before: after:',
    ),
    _A(
        "app.toggle_relevant",
        "t",
        "toggle_relevant",
        "Relevant/full",
        "App",
        "inbox",
        show=True,
        palette="Toggle relevant / full feed",
        palette_help="show or hide warmup and postmaster threads",
    ),
    _A(
        "app.sync",
        "R",
        "sync",
        "Sync",
        "App",
        "inbox",
        show=True,
        palette="Sync now",
        palette_help="fetch new and changed threads",
    ),
    _A(
        "",
        "",
        "sync(True)",
        "Full reconcile",
        "App",
        "inbox",
        palette="Full reconcile",
        palette_help="walk every thread page (intents changed elsewhere)",
    ),
    _A("app.focus_next", "tab", "focus_next_pane", "Next pane", "App", "inbox"),
    _A("app.focus_previous", "shift+tab", "focus_previous_pane", "Previous pane", "App", "inbox"),
    _A("app.next_queue", "right_square_bracket", "next_queue", "Next queue", "App", "inbox", palette="Next queue"),
    _A(
        "app.previous_queue",
        "left_square_bracket",
        "previous_queue",
        "Previous queue",
        "App",
        "inbox",
        palette="Previous queue",
    ),
    _A("app.back", "escape", "back", "Back", "App", "inbox"),
    # the app's own (over every screen), so the footer shows it as Textual's palette key
    _A("app.command_palette", "ctrl+p", "command_palette", "Palette", "App", "app"),
    _A(
        "thread.reply",
        "r",
        "reply",
        "Reply",
        "App",
        "inbox",
        show=True,
        palette="Reply to the thread",
        palette_help="compose a reply",
    ),
    _A(
        "thread.forward",
        "f",
        "forward",
        "Forward",
        "App",
        "inbox",
        show=True,
        palette="Forward the thread",
        palette_help="compose a forward",
    ),
    _A(
        "app.compose_new",
        "c",
        "compose_new",
        "New",
        "App",
        "inbox",
        show=True,
        palette="New message",
        palette_help="compose a new message",
    ),
    _A(
        "thread.intent",
        "i",
        "pick_intent",
        "Intent",
        "App",
        "inbox",
        show=True,
        palette="Set intent …",
        palette_help="pick the thread's reply intent",
    ),
    *[
        _A(
            f"thread.intent_{n}",
            str(n),
            f"set_intent('{key}')",
            f"Intent: {_intent(key)}",
            "App",
            "inbox",
            palette=f"Set intent: {_intent(key)}",
            palette_help="override the classification",
        )
        for n, key in enumerate(NUMBERED, 1)
    ],
    _A(
        "",
        "",
        f"set_intent('{CLEAR}')",
        "Clear the intent",
        "App",
        "inbox",
        palette="Set intent: ? clear (unclassified)",
        palette_help="remove the classification",
    ),
    _A(
        "app.undo",
        "u,ctrl+z",
        "undo",
        "Undo",
        "App",
        "inbox",
        palette="Undo the last send / intent change",
        palette_help="while it is queued",
    ),
    _A(
        "app.outbox",
        "o",
        "outbox",
        "Outbox",
        "App",
        "inbox",
        show=True,
        palette="Outbox",
        palette_help="queued, failed and recent items; retry / cancel",
    ),
    _A(
        "thread.done",
        "e",
        "done",
        "Done",
        "App",
        "inbox",
        palette="Mark done / not done",
        palette_help="put the thread (or the selection) away",
    ),
    _A(
        "thread.snooze",
        "s",
        "snooze",
        "Snooze",
        "App",
        "inbox",
        palette="Snooze …",
        palette_help="until the out-of-office return date, tomorrow, Monday",
    ),
    _A(
        "thread.note",
        "n",
        "note",
        "Note",
        "App",
        "inbox",
        palette="Private note …",
        palette_help="a note on this thread, kept on this machine",
    ),
    # selecting is the list's: in the conversation, space pages down
    _A(
        "thread.select",
        "space",
        "screen.select",
        "Select",
        "App",
        "list",
        palette="Select the thread",
        palette_help="toggle, for bulk actions",
    ),
    _A(
        "thread.select_range",
        "v",
        "screen.select_range",
        "Select range",
        "App",
        "list",
        palette="Select a range",
        palette_help="from the last selected thread to here",
    ),
    _A(
        "app.triage",
        "T",
        "triage",
        "Triage mode",
        "App",
        "inbox",
        palette="Rapid triage mode",
        palette_help="one key per thread, then the next",
    ),
    _A("conversation.page_down", "space", "page_down", "Page down", "Conversation", "pane"),
    _A("conversation.earlier", "m", "earlier", "Earlier messages", "Conversation", "pane"),
    # -- reach out from the inbox: stats, export, copy, links (tui/lead_actions.py) ------------
    _A(
        "leads.stats",
        "percent_sign",
        "leads('stats')",
        "Reply stats",
        "Leads",
        "inbox",
        palette="Reply stats",
        palette_help="replies per day by intent, campaigns, response times (this queue)",
    ),
    _A(
        "leads.export",
        "X",
        "leads('export')",
        "Export",
        "Leads",
        "inbox",
        palette="Export leads …",
        palette_help="the queue on screen, or the selection, to CSV / JSON Lines",
    ),
    _A(
        "leads.copy_address",
        "y",
        "leads('copy_address')",
        "Copy address",
        "Leads",
        "inbox",
        palette="Copy the prospect's address",
        palette_help="to the terminal clipboard",
    ),
    _A(
        "leads.copy_thread_id",
        "Y",
        "leads('copy_thread_id')",
        "Copy thread id",
        "Leads",
        "inbox",
        palette="Copy the thread id",
        palette_help="to the terminal clipboard",
    ),
    _A(
        "leads.links",
        "L",
        "leads('links')",
        "Links",
        "Leads",
        "inbox",
        palette="Open a link …",
        palette_help="the links of the conversation on screen, newest message first",
    ),
    # -- end of the reach-out block ----------------------------------------------------------
    # -- the triage loop: reading on, unread, select all, going to a queue ----------------
    _A("conversation.next_thread", "j", "screen.next_thread", "Next thread", "Conversation", "pane"),
    _A("conversation.previous_thread", "k", "screen.previous_thread", "Previous thread", "Conversation", "pane"),
    _A(
        "thread.mark_unread",
        "U",
        "mark_unread",
        "Mark unread",
        "App",
        "inbox",
        palette="Mark unread",
        palette_help="the thread (or the selection) shows ● again",
    ),
    _A(
        "thread.next_unread",
        "N",
        "next_unread",
        "Next unread",
        "App",
        "inbox",
        palette="Next unread thread",
        palette_help="the next unread thread of this queue",
    ),
    _A(
        "thread.select_all",
        "asterisk,ctrl+a",
        "screen.select_all",
        "Select all",
        "App",
        "list",
        palette="Select all in the queue",
        palette_help="every thread of the list, for bulk actions",
    ),
    _A(
        "app.sort",
        "O",
        "sort",
        "Sort",
        "App",
        "inbox",
        palette="Sort: the next order",
        palette_help="oldest wait / newest / by intent, for every queue (Snoozed keeps wake order)",
    ),
    _A(
        "app.go_to",
        "apostrophe",
        "go_to",
        "Go to queue …",
        "App",
        "inbox",
        palette="Go to a queue …",
        palette_help="then n needs reply, a all, 1–7 an intent, d done, s snoozed",
    ),
    # -- the queues sidebar (tui/sidebar.py; its arrows, home, end and page keys are its own) ---
    _A("queues.down", "j", "cursor_down", "Down", "Queues sidebar", "sidebar"),
    _A("queues.up", "k", "cursor_up", "Up", "Queues sidebar", "sidebar"),
    _A("", "enter", "select", "Show the queue", "Queues sidebar", "sidebar"),
    # -- dialogs ----------------------------------------------------------------------------
    _A("compose.send", "ctrl+s", "send('stay')", "Send", "Compose", "compose", show=True),
    # priority: ctrl+d is also the editor's delete-right (the Delete key still does that)
    _A(
        "compose.send_next",
        "ctrl+n",
        "send('next')",
        "Send, then the next thread",
        "Compose",
        "compose",
        show=True,
        priority=True,
    ),
    _A(
        "compose.send_done",
        "ctrl+d",
        "send('done')",
        "Send, then mark the thread done",
        "Compose",
        "compose",
        show=True,
        priority=True,
    ),
    _A(
        "compose.original",
        "ctrl+o",
        "toggle_original",
        "Show / hide their message",
        "Compose",
        "compose",
        show=True,
        priority=True,
    ),
    _A("compose.editor", "ctrl+e", "editor", "Edit in $EDITOR", "Compose", "compose", show=True, priority=True),
    _A("compose.close", "escape", "close", "Close (keeps the draft)", "Compose", "compose", show=True),
    _A("compose.template", "ctrl+t", "template", "Insert a template", "Compose", "compose", show=True, priority=True),
    # Field changes are priority bindings: a plain one is found only after the key has travelled
    # through the focused field's queue, and by then the keys typed after Tab have been forwarded
    # to that same field ("…@soylentfoods.comSUBJ" in To).
    _A("compose.next_field", "tab", "field(1)", "Next field", "Compose", "compose", priority=True),
    _A("compose.previous_field", "shift+tab", "field(-1)", "Previous field", "Compose", "compose", priority=True),
    _A("confirm.yes", "y", "answer(True)", "Yes", "Confirm", "confirm", show=True, in_help=False),
    _A("confirm.no", "n,escape", "answer(False)", "No", "Confirm", "confirm", show=True, in_help=False),
    _A("intent.close", "escape,q,i", "close", "Close", "Intent picker", "intent", show=True),
    *[
        _A(f"intent.pick_{n}", str(n), f"pick('{key}')", INTENTS[key].label, "Intent picker", "intent")
        for n, key in enumerate(NUMBERED, 1)
    ],
    _A("intent.pick_0", "0", f"pick('{CLEAR}')", "clear", "Intent picker", "intent", in_help=False),
    _A("outbox.retry", "r", "retry", "Retry", "Outbox screen", "outbox", show=True),
    _A("outbox.cancel", "x,d", "cancel_item", "Cancel", "Outbox screen", "outbox", show=True),
    _A("outbox.open", "enter", "open_item", "Open draft", "Outbox screen", "outbox", show=True),
    _A("outbox.close", "escape,q,o", "close", "Back", "Outbox screen", "outbox", show=True),
    _A("outbox.down", "j", "move(1)", "Down", "Outbox screen", "outbox"),
    _A("outbox.up", "k", "move(-1)", "Up", "Outbox screen", "outbox"),
    *[_A(f"snooze.pick_{n}", str(n), f"pick({n - 1})", f"choice {n}", "Snooze", "snooze") for n in range(1, 10)],
    _A("snooze.cancel", "escape", "cancel", "Cancel", "Snooze", "snooze", show=True),
    _A("note.save", "ctrl+s", "save", "Save", "Note", "note", show=True),
    _A("note.cancel", "escape", "cancel", "Cancel", "Note", "note", show=True),
    _A("template.close", "escape", "dismiss(None)", "Close", "Template picker", "template", show=True, in_help=False),
    _A("template.down", "j", "down", "Down", "Template picker", "template", in_help=False),
    _A("template.up", "k", "up", "Up", "Template picker", "template", in_help=False),
    _A("help.close", "escape,q,question_mark", "dismiss", "Close", "Help", "help", show=True, in_help=False),
    # -- the stats screen and the export dialog (tui/stats_screen.py, tui/export_dialog.py) -----
    _A("stats.window", "w", "next_window", "Window", "Reply stats", "stats", show=True),
    _A("stats.refresh", "r", "refresh_stats", "Refresh", "Reply stats", "stats", show=True),
    _A("stats.close", "escape,q", "close", "Back", "Reply stats", "stats", show=True),
    _A("export.cancel", "escape", "cancel", "Cancel", "Export", "export", show=True, in_help=False),
    # -- the triage loop's dialogs: quitting with items in their undo window, going to a queue
    _A("quit.send", "s", "answer('send')", "Send now, then quit", "Quit", "quit", show=True),
    _A("quit.keep", "k,q", "answer('keep')", "Keep queued, quit", "Quit", "quit", show=True),
    _A("quit.cancel", "c", "answer('cancel')", "Don't send (back to draft), quit", "Quit", "quit", show=True),
    _A("quit.stay", "escape", "answer(None)", "Stay", "Quit", "quit", show=True),
    _A("go.needs", "n", "go('needs')", "Needs reply", "Go to queue", "goto"),
    _A("go.all", "a", "go('all')", "All", "Go to queue", "goto"),
    *[
        _A(f"go.intent_{n}", str(n), f"go('intent:{key}')", f"{_intent(key)}", "Go to queue", "goto")
        for n, key in enumerate(ORDER, 1)
    ],
    _A("go.done", "d", "go('done')", "Done", "Go to queue", "goto"),
    _A("go.snoozed", "s", "go('snoozed')", "Snoozed", "Go to queue", "goto"),
    _A("go.cancel", "escape", "go(None)", "Cancel", "Go to queue", "goto", in_help=False),
)

#: Actions by binding id (the keymap's vocabulary).
BY_ID: dict[str, Action] = {a.id: a for a in ACTIONS if a.id}
#: Help sections in the order the help screen lists them.
GROUPS: list[str] = list(dict.fromkeys(a.group for a in ACTIONS if a.in_help and a.keys))


def actions_for(context: str) -> list[Action]:
    """The actions with keys that apply in ``context``, in table order."""
    return [a for a in ACTIONS if a.context == context and a.keys]


def keys_of(action_id: str, keymap: dict[str, str] | None = None) -> str:
    """The keys bound to ``action_id`` now: the keymap's, else the default."""
    return (keymap or {}).get(action_id) or BY_ID[action_id].keys


_MODIFIERS = {"ctrl", "shift", "alt", "meta", "super", "hyper"}
_NAMED = {
    "escape",
    "enter",
    "return",
    "tab",
    "space",
    "backspace",
    "left",
    "right",
    "up",
    "down",
    "home",
    "end",
    "insert",
    "delete",
    "pageup",
    "pagedown",
    *(f"f{n}" for n in range(1, 25)),
}

# Textual's short names for characters whose Unicode names are long ("solidus")
_SHORT = {"slash": "/", "backslash": "\\", "at": "@", "minus": "-", "plus": "+", "underscore": "_"}


def _char(name: str) -> str | None:
    """The character a key name stands for ('question_mark' -> '?'); None for enter, f1, …"""
    if name in _SHORT:
        return _SHORT[name]
    if name in _NAMED:
        return None
    try:
        found = unicodedata.lookup(name.replace("_", " "))
    except KeyError:
        return None
    return found if len(found) == 1 else None


def _display(key: str) -> str:
    """One key as a user types it: '?' for question_mark, ']' for right_square_bracket."""
    *mods, name = key.strip().split("+")
    if len(name) > 1:
        name = _char(name) or name
    return "+".join([*mods, name])


def key_for(action_id: str, keymap: dict[str, str] | None = None, *, every: bool = False) -> str:
    """The key to press for ``action_id`` as a hint names it ('e', '?'), after the keymap;
    every=True: all its keys ('u / ctrl+z')."""
    keys = [_display(k) for k in keys_of(action_id, keymap).split(",") if k.strip()]
    return " / ".join(keys if every else keys[:1])


def _key_ok(key: str) -> bool:
    *mods, name = key.strip().split("+")
    if not name or any(m not in _MODIFIERS for m in mods):
        return False
    return (len(name) == 1 and name.isprintable()) or name in _NAMED or _char(name) is not None


def check_keymap(keymap: dict[str, str]) -> list[str]:
    """One line per entry of ``keymap`` that does nothing: an id not in the table (with the
    nearest id, a likely typo) or keys that are not key names. Empty when all is well."""
    problems = []
    for action_id, keys in keymap.items():
        if action_id not in BY_ID:
            near = difflib.get_close_matches(action_id, list(BY_ID), n=1)
            problems.append(
                f"keymap: unknown binding id {action_id!r}"
                + (f" (did you mean {near[0]!r}?)" if near else " (? in the inbox lists them)")
            )
            continue
        bad = [k.strip() for k in keys.split(",") if not _key_ok(k)]
        if bad:
            problems.append(f"keymap: {action_id} = {keys!r}: not a key name: {', '.join(map(repr, bad))}")
    return problems
