"""Triage at speed: done / snooze / note / intents, bulk selection, rapid triage mode, and
the one undo of the inbox (``TriageController``, a plain class over a ``TriageHost``).

- Local states (cache/local.py) take many ids at once and return a LocalChange; intents
  return outbox items. Each action pushes one ``UndoEntry`` holding either; `u` pops the
  newest: undo_local, or outbox.undo per item (an intent already sent is reverted by queuing
  its previous value). A reply / forward scheduled after the newest entry is the outbox's own
  undo (its id is above the entry's ``mark``): one key, one service, whatever was done last.
- Rapid triage (`T`): after each action on the current thread the cursor goes to the next
  one (the preview follows it); a tally in the header. With a selection, actions apply to
  every selected thread, the notice says how many, and the selection ends.
- Setting `unsubscribe` offers to suppress the prospects (outbox/compliance.py), queued once
  per address (candidates leave out addresses already queued).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from o2d_inbox.cache import local, queries
from o2d_inbox.cache.local import LocalChange
from o2d_inbox.cache.queries import ThreadRow
from o2d_inbox.keymap import CLEAR
from o2d_inbox.outbox import queue as outbox
from o2d_inbox.outbox.queue import OutboxItem, OutboxRefused
from o2d_inbox.render.text import safe_line
from o2d_inbox.tui.intents import INTENTS
from o2d_inbox.tui.thread_list import ThreadList

__all__ = ["Tally", "TriageController", "TriageHost", "UndoEntry", "UndoStack"]

UNDO_DEPTH = 200
WAKE_CHECK_EVERY = 60.0  # seconds between looks for snoozes that ended
SELECT_ALL_MAX = 10_000  # select all stops here: a bulk action on more is a CLI job


@dataclass
class UndoEntry:
    label: str
    local: LocalChange | None = None
    items: list[int] = field(default_factory=list)  # outbox item ids
    tally: list[str] = field(default_factory=list)  # what the action added to the tally
    threads: list[str] = field(default_factory=list)
    mark: int = 0  # newest outbox id when pushed: later scheduled items are not this entry's


class UndoStack:
    def __init__(self, depth: int = UNDO_DEPTH) -> None:
        self.depth = depth
        self.entries: list[UndoEntry] = []

    def push(self, entry: UndoEntry) -> None:
        self.entries.append(entry)
        del self.entries[: -self.depth]

    def peek(self) -> UndoEntry | None:
        return self.entries[-1] if self.entries else None

    def pop(self) -> UndoEntry | None:
        return self.entries.pop() if self.entries else None

    def __len__(self) -> int:
        return len(self.entries)


class Tally:
    """'triaged 7 · 3 interested · 2 done' (threads handled in this triage session)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def add(self, keys: list[str]) -> None:
        self.counts.update(keys)

    def remove(self, keys: list[str]) -> None:
        self.counts.subtract(keys)
        self.counts = +self.counts

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def text(self, short: bool = False) -> str:
        """'triaged 7 · 3 interested · 2 done'; short: '7 · 3 int, 2 done' (a narrow header)."""
        ranked = sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if short:
            each = [f"{n} {INTENTS[key].short if key in INTENTS else key}" for key, n in ranked]
            return " · ".join([str(self.total), *([", ".join(each)] if each else [])])
        parts = [f"triaged {self.total}"]
        for key, n in ranked:
            look = INTENTS.get(key)
            parts.append(f"{n} {look.label if look else key}")
        return " · ".join(parts)


def _count(n: int) -> str:
    return "1 thread" if n == 1 else f"{n} threads"


def _selected(n: int) -> str:
    """A bulk action's notice names the selection: it may be off screen (scrolled away, or
    the list hidden behind the reader) while the thread on screen is another one."""
    return "1 selected thread" if n == 1 else f"{n} selected threads"


class TriageHost(Protocol):
    """What triage needs from the inbox screen."""

    @property
    def conn(self) -> sqlite3.Connection: ...
    @property
    def read_only(self) -> bool: ...
    def clock(self) -> datetime: ...

    @property
    def threads(self) -> ThreadList: ...
    @property
    def shown_thread(self) -> ThreadRow | None: ...
    async def show_thread(self, thread: ThreadRow | None) -> None: ...
    def reload_lists(self) -> None: ...
    def update_header(self) -> None: ...
    def update_status(self) -> None: ...
    def notify(self, message: str, *, severity: Any = ..., timeout: float | None = ..., markup: bool = ...) -> None: ...
    def push_screen(self, screen: Any, callback: Any = ...) -> Any: ...
    def call_later(self, callback: Callable[..., Any], *args: Any) -> bool: ...
    def guard(self, callback: Callable[..., Any]) -> Callable[..., Any]: ...
    def key_for(self, action_id: str) -> str: ...
    def focus_list(self) -> None: ...
    def set_reading(self, reading: bool) -> None: ...
    def narrow(self) -> bool: ...
    def set_class(self, add: bool, *class_names: str) -> Any: ...


class OutboxQueue(Protocol):
    """What triage needs from the outbox controller: queue intents, undo a scheduled item."""

    def queue_intents(self, key: str, threads: list[ThreadRow]) -> list[OutboxItem]: ...
    def latest_scheduled(self) -> OutboxItem | None: ...
    async def undo_latest(self) -> None: ...
    async def refresh_views(self, *, lists: bool = False) -> None: ...
    def undo_seconds(self) -> float: ...
    def now(self) -> float: ...
    def wake(self) -> None: ...


class TriageController:
    def __init__(self, host: TriageHost, outbox_queue: OutboxQueue) -> None:
        self.host = host
        self.outbox = outbox_queue
        self.triage_mode = False
        self.undo_stack = UndoStack()
        self.tally = Tally()

    @property
    def conn(self) -> sqlite3.Connection:
        return self.host.conn

    # -- snoozes that ended come back ------------------------------------------------------
    def wake_check(self) -> None:
        if not self.host.read_only and local.wake_due(self.conn, self.host.clock()):
            self.host.reload_lists()

    # -- selection ---------------------------------------------------------------------
    @property
    def selection(self) -> set[str]:
        return self.host.threads.selection

    def select(self) -> None:
        self.host.threads.toggle_select()
        self.host.update_header()

    def select_range(self) -> None:
        self.host.threads.select_range()
        self.host.update_header()

    def select_all(self) -> None:
        """Every thread of the list selected (up to SELECT_ALL_MAX), for one bulk action."""
        threads = self.host.threads
        count = min(threads.count, SELECT_ALL_MAX)
        for index in range(count):
            row = threads.row(index)
            if row is not None:
                threads.selection.add(row.id)
        threads.refresh()
        self.host.update_header()
        more = f" (the first {SELECT_ALL_MAX:,} of {threads.count:,})" if threads.count > count else ""
        self.host.notify(f"{_selected(len(threads.selection))}{more} · esc clears", timeout=3)

    def clear_selection(self) -> bool:
        """Esc: drop the selection; False when there was none."""
        if not self.host.threads.clear_selection():
            return False
        self.host.update_header()
        return True

    def _targets(self) -> tuple[list[ThreadRow], bool]:
        """(threads an action applies to, whether they are a bulk selection): the selection
        when there is one, else the thread on screen."""
        if self.selection:
            rows = (queries.thread(self.conn, tid) for tid in sorted(self.selection))
            return [r for r in rows if r is not None], True
        thread = self.host.shown_thread
        if thread is None:
            self.host.notify("No thread selected", timeout=2)
            return [], False
        return [queries.thread(self.conn, thread.id) or thread], False

    def banner(self) -> tuple[str, str] | None:
        """The header's triage part while in triage mode, in full and short:
        ('TRIAGE · triaged 7 · 3 interested', 'TRIAGE 7 · 3★')."""
        if not self.triage_mode:
            return None
        return "TRIAGE · " + self.tally.text(), "TRIAGE " + self.tally.text(short=True)

    # -- after an action ----------------------------------------------------------------
    async def _acted(
        self,
        entry: UndoEntry,
        targets: list[ThreadRow],
        bulk: bool,
        notice: str | None,
        current: ThreadRow | None = None,
        following: ThreadRow | None = None,
    ) -> None:
        """``following``: the row below ``current`` before the action (an intent sort moves a
        re-classified thread to its new group: rapid triage goes on where the user was)."""
        host, threads = self.host, self.host.threads
        entry.mark = outbox.newest_id(self.conn)
        entry.threads = [t.id for t in targets]
        self.undo_stack.push(entry)
        if self.triage_mode:
            self.tally.add(entry.tally)
        if bulk:
            threads.clear_selection()
        current = current or threads.selected
        host.reload_lists()
        moved_on = False
        if self.triage_mode and not bulk and current is not None and current.id in entry.threads:
            after = threads.selected
            if after is not None and after.id == current.id:  # still in the queue: the next one
                if following is not None:
                    threads.move_to_thread(following.id)
                if threads.selected is not None and threads.selected.id == current.id:
                    threads.action_cursor_down()
            moved_on = True
        shown = host.shown_thread
        if shown is not None and not moved_on:
            await host.show_thread(queries.thread(self.conn, shown.id) or shown)
        host.update_status()
        host.update_header()
        if notice:
            host.notify(f"{notice} · {host.key_for('app.undo')} to undo", timeout=3, markup=False)

    # -- done / snooze / note -----------------------------------------------------------
    async def done(self) -> None:
        targets, bulk = self._targets()
        if not targets:
            return
        done = not all(t.local_done for t in targets)  # `e` on done threads brings them back
        change = local.mark_done(self.conn, [t.id for t in targets], done)
        entry = UndoEntry(change.summary, local=change, tally=["done"] * len(change) if done else [])
        notice = f"Marked {_selected(len(change))} {'done' if done else 'not done'}" if bulk else change.summary
        await self._acted(entry, targets, bulk, notice)

    async def mark_unread(self) -> None:
        """`U`: the thread (or the selection) unread again, to come back to it."""
        targets, bulk = self._targets()
        if not targets:
            return
        change = local.mark_unread(self.conn, [t.id for t in targets])
        notice = f"Marked {_selected(len(change))} unread" if bulk else change.summary
        await self._acted(UndoEntry(change.summary, local=change), targets, bulk, notice)

    async def put_away(self, thread_id: str) -> None:
        """Mark one thread done whatever is on screen (send-and-done names its thread)."""
        thread = queries.thread(self.conn, thread_id)
        if thread is None or thread.local_done:
            return
        change = local.mark_done(self.conn, [thread_id], True)
        entry = UndoEntry(change.summary, local=change, tally=["done"] if self.triage_mode else [])
        await self._acted(entry, [thread], False, f"Sent and {change.summary}", current=thread)

    def snooze(self) -> None:
        targets, bulk = self._targets()
        if not targets:
            return
        host = self.host
        if all(t.local_snoozed_until is not None for t in targets):
            host.call_later(self._snooze, targets, bulk, None)  # `s` on snoozed threads wakes them
            return
        from o2d_inbox.tui.snooze import SnoozeScreen, proposed_return, snooze_choices, title_of

        back = None
        if not bulk:
            back = proposed_return(targets[0], queries.messages(self.conn, targets[0].id))
        title = title_of(targets[0]) if not bulk else _selected(len(targets))

        def chosen(until: datetime | None) -> None:
            if until is not None:
                host.call_later(self._snooze, targets, bulk, until)

        host.push_screen(SnoozeScreen(title, snooze_choices(host.clock().astimezone(), back)), host.guard(chosen))

    async def _snooze(self, targets: list[ThreadRow], bulk: bool, until: datetime | None) -> None:
        ids = [t.id for t in targets]
        if until is None:
            change = local.unsnooze(self.conn, ids)
            entry = UndoEntry(change.summary, local=change)
        else:
            change = local.snooze(self.conn, ids, until)
            entry = UndoEntry(change.summary, local=change, tally=["snoozed"] * len(change))
        when = f" until {until.astimezone():%a %-d %b %H:%M}" if until is not None else ""
        if bulk:
            notice = f"{'Woke' if until is None else 'Snoozed'} {_selected(len(change))}{when}"
        else:
            notice = change.summary + when
        await self._acted(entry, targets, bulk, notice)

    def note(self) -> None:
        host = self.host
        thread = host.shown_thread
        if thread is None:
            host.notify("No thread selected", timeout=2)
            return
        state = local.get_local(self.conn, thread.id)
        from o2d_inbox.tui.snooze import NoteScreen, title_of

        def saved(text: str | None) -> None:
            if text is not None:
                host.call_later(self._save_note, thread, text)

        host.push_screen(NoteScreen(title_of(thread), state.note if state else None), host.guard(saved))

    async def _save_note(self, thread: ThreadRow, text: str) -> None:
        change = local.set_note(self.conn, thread.id, text)
        entry = UndoEntry(change.summary, local=change)
        entry.mark, entry.threads = outbox.newest_id(self.conn), [thread.id]
        self.undo_stack.push(entry)  # a note is not triage: no tally, the cursor stays
        self.host.threads.load(keep_anchor=True)  # the list's cached rows carry the old note
        await self.host.show_thread(queries.thread(self.conn, thread.id) or thread)
        self.host.notify("Note saved" if text.strip() else "Note removed", timeout=2)

    # -- intents -------------------------------------------------------------------------
    def pick_intent(self) -> None:
        host = self.host
        thread = host.shown_thread
        if thread is None:
            host.notify("No thread selected", timeout=2)
            return

        def chosen(key: str | None) -> None:
            if key is not None:
                host.call_later(self.set_intent, key)

        from o2d_inbox.tui.intent_picker import IntentPicker

        title = safe_line(thread.prospect or thread.last_from or thread.id)
        host.push_screen(IntentPicker(thread.reply_intent, title), host.guard(chosen))

    async def set_intent(self, key: str) -> list[OutboxItem]:
        """Queue ``key`` for the selection, else the thread on screen: one outbox item per
        thread that is not already so, one undo entry for them all."""
        threads, bulk = self._targets()
        if not threads:
            return []
        current = self.host.threads.selected
        following = self.host.threads.row(self.host.threads.cursor + 1) if current is not None else None
        todo = [t for t in threads if (t.reply_intent or CLEAR) != key]
        if not todo:
            already = INTENTS[key]
            self.host.notify(f"Already {already.glyph} {already.label}", timeout=2)
            if self.triage_mode and not bulk and current is not None:
                self.host.threads.action_cursor_down()  # already so: a triage verdict all the same
            return []
        items = self.outbox.queue_intents(key, todo)
        if not items:
            return items
        await self.outbox.refresh_views(lists=True)
        look = INTENTS.get(key)
        label = f"{look.glyph} {look.label}" if look else key
        entry = UndoEntry(f"{_count(len(items))} → {label}", items=[i.id for i in items], tally=[key] * len(items))
        notice = f"{_selected(len(items))} → {look.label if look else key}" if bulk else None
        await self._acted(entry, threads, bulk, notice, current, following)
        if key == "unsubscribe":
            self._offer_suppression(entry, [i.thread_id for i in items if i.thread_id])
        return items

    def _offer_suppression(self, entry: UndoEntry, thread_ids: list[str]) -> None:
        from o2d_inbox.outbox import compliance  # imported on first use: the start has none

        found: dict[str, str] = {}  # address -> the thread it came from
        for tid in thread_ids:
            for address in compliance.suppression_candidates(self.conn, tid):
                found.setdefault(address, tid)
        if not found:
            return
        shown = ", ".join(safe_line(a) for a in list(found)[:3]) + (" …" if len(found) > 3 else "")
        question = (
            f"Add {shown} to the suppression list? "
            "No campaign will write to " + ("it" if len(found) == 1 else "them") + " again."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._suppress(entry, found)

        from o2d_inbox.tui.compose import ConfirmScreen

        self.host.push_screen(ConfirmScreen(question, yes="Suppress", no="Not now"), self.host.guard(answered))

    def _suppress(self, entry: UndoEntry, found: dict[str, str]) -> None:
        by_thread: dict[str, list[str]] = {}
        for address, tid in found.items():
            by_thread.setdefault(tid, []).append(address)
        for tid, addresses in by_thread.items():
            try:
                # after that thread's intent item; undoable with it while scheduled
                item = outbox.queue_suppress(
                    self.conn,
                    addresses,
                    "unsubscribe",
                    thread_id=tid,
                    undo_seconds=self.outbox.undo_seconds(),
                    now=self.outbox.now(),
                )
            except OutboxRefused as exc:
                self.host.notify(str(exc), severity="error", timeout=4, markup=False)
                continue
            entry.items.append(item.id)
        entry.mark = max(entry.mark, outbox.newest_id(self.conn))
        self.outbox.wake()
        self.host.update_status()
        self.host.notify(f"Suppression of {len(found)} address{'es' if len(found) != 1 else ''} queued", timeout=3)

    # -- the one undo ---------------------------------------------------------------------
    async def undo(self) -> None:
        """Take back what was done last: a triage action (local states, intents) or a queued
        message (back to its draft), whichever is newer."""
        host, threads = self.host, self.host.threads
        entry = self.undo_stack.peek()
        latest = self.outbox.latest_scheduled()
        if entry is None or (latest is not None and latest.id > entry.mark):
            await self.outbox.undo_latest()
            return
        self.undo_stack.pop()
        if entry.local is not None:
            local.undo_local(self.conn, entry.local)
        late = 0
        for item_id in entry.items:
            item = outbox.get(self.conn, item_id)
            if item is None or outbox.undo(self.conn, item_id, now=self.outbox.now()) is not None:
                continue
            if item.kind == "intent" and item.state != "cancelled" and item.thread_id:
                # already at the server: put the previous value back the same way
                outbox.queue_intent(
                    self.conn, item.thread_id, item.prev_value or CLEAR, undo_seconds=0, now=self.outbox.now()
                )
            elif item.state != "cancelled":
                late += 1
        if entry.items:
            self.outbox.wake()
        if self.triage_mode:
            self.tally.remove(entry.tally)
        host.reload_lists()
        if entry.threads:  # back to the first thread the action touched
            threads.move_to_thread(entry.threads[0])
        shown = host.shown_thread
        if shown is not None:
            await host.show_thread(queries.thread(self.conn, shown.id) or shown)
        host.update_status()
        host.update_header()
        # one intent: the outbox's own wording
        what = "Intent change undone" if entry.local is None and len(entry.threads) == 1 else f"Undone: {entry.label}"
        host.notify(what + (f" ({late} already sent)" if late else ""), timeout=2, markup=False)

    # -- rapid triage mode --------------------------------------------------------------
    def toggle_triage(self) -> None:
        host = self.host
        self.triage_mode = not self.triage_mode
        if self.triage_mode:
            self.tally = Tally()
            host.focus_list()
            key = host.key_for
            host.notify(
                f"Rapid triage: {key('thread.intent_1')}–{key('thread.intent_6')} intent · "
                f"{key('thread.done')} done · {key('thread.snooze')} snooze · {key('app.undo')} undo · "
                f"{key('app.triage')} ends",
                timeout=4,
                markup=False,
            )
        else:
            host.notify(f"Triage ended: {self.tally.text()}", timeout=3)
        host.set_class(self.triage_mode, "-triage")
        if host.narrow():
            # too narrow for list and pane side by side: the conversation takes the screen
            # (the keys act on it and bring the next one), T gives the list back
            host.set_reading(self.triage_mode)
            if not self.triage_mode:
                host.focus_list()
        host.update_header()
