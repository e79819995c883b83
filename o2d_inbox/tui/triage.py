"""Triage at speed: done / snooze / note, bulk selection, rapid triage mode, one undo stack.

``TriageActions`` is a mixin of InboxApp placed before OutboxActions, so it extends the
outbox's ``set_intent`` (intents for the selection: one outbox item per thread, through the
same function) and ``action_undo`` (one key, one stack) instead of adding twins.

- Local states (cache/local.py) take many ids at once and return a LocalChange; intents
  return outbox items. Each action pushes one ``UndoEntry`` holding either; `u` pops the
  newest: undo_local, or outbox.undo per item (an intent already sent is reverted by queuing
  its previous value). A reply / forward scheduled after the newest entry is the outbox's own
  undo (its id is above the entry's ``mark``).
- Rapid triage (`T`): after each action on the current thread the cursor goes to the next
  one (the preview follows it); a tally in the header. With a selection, actions apply to
  every selected thread and the selection ends.
- Setting `unsubscribe` offers to suppress the prospects (outbox/compliance.py), queued once
  per address (candidates leave out addresses already queued).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from o2d_inbox.outbox import compliance
from o2d_inbox.cache import local
from o2d_inbox.outbox import queue as outbox
from o2d_inbox.cache import queries
from o2d_inbox.cache.local import LocalChange
from o2d_inbox.outbox.queue import OutboxItem, OutboxRefused
from o2d_inbox.cache.queries import ThreadRow
from o2d_inbox.tui.header import HeaderBar
from o2d_inbox.tui.intent_picker import CLEAR
from o2d_inbox.tui.intents import INTENTS
from o2d_inbox.tui.snooze import NoteScreen, SnoozeScreen, proposed_return, snooze_choices, title_of

__all__ = ["TriageActions", "UndoEntry", "UndoStack", "Tally"]

UNDO_DEPTH = 200
WAKE_CHECK_EVERY = 60.0  # seconds between looks for snoozes that ended


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
        del self.entries[:-self.depth]

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

    def text(self) -> str:
        parts = [f"triaged {self.total}"]
        for key, n in sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0])):
            look = INTENTS.get(key)
            parts.append(f"{n} {look.label if look else key}")
        return " · ".join(parts)


def _count(n: int) -> str:
    return "1 thread" if n == 1 else f"{n} threads"


def _selected(n: int) -> str:
    """A bulk action's notice names the selection: it may be off screen (scrolled away, or
    the list hidden behind the reader) while the thread on screen is another one."""
    return "1 selected thread" if n == 1 else f"{n} selected threads"


class TriageActions:
    """Mixed into InboxApp (needs: conn, read_only, guard, clock, threads, shown_thread, show_thread,
    refresh_counts, update_titles, update_status, notify, push_screen and OutboxActions)."""

    triage_mode = False
    _undo_stack: UndoStack | None = None
    _tally: Tally | None = None

    @property
    def undo_stack(self) -> UndoStack:
        if self._undo_stack is None:
            self._undo_stack = UndoStack()
        return self._undo_stack

    @property
    def tally(self) -> Tally:
        if self._tally is None:
            self._tally = Tally()
        return self._tally

    # -- lifecycle: snoozes that ended come back ------------------------------------------
    def on_mount(self) -> None:
        self._wake_check()
        self.set_interval(WAKE_CHECK_EVERY, self._wake_check)

    def on_sync_finished(self, message: Any) -> None:
        self._wake_check()

    def _wake_check(self) -> None:
        if not self.read_only and local.wake_due(self.conn, self.clock()):
            self._reload_lists()

    def _reload_lists(self) -> None:
        self.threads.load(keep_anchor=True)
        self.refresh_counts()
        self.update_titles()

    # -- selection ---------------------------------------------------------------------
    @property
    def selection(self) -> set[str]:
        return self.threads.selection

    def _selected_rows(self) -> list[ThreadRow]:
        rows = (queries.thread(self.conn, tid) for tid in sorted(self.selection))
        return [r for r in rows if r is not None]

    def action_select(self) -> None:
        threads = self.threads
        row = threads.selected
        if row is None:
            return
        if row.id in threads.selection:
            threads.selection.discard(row.id)
        else:
            threads.selection.add(row.id)
        threads.anchor = row.id
        threads.refresh_line(threads.cursor)
        threads.action_cursor_down()
        self.show_triage_state()

    def action_select_range(self) -> None:
        threads = self.threads
        if threads.anchor is None:
            self.action_select()
            return
        start = threads._locate(threads.anchor, fallback=threads.cursor)
        low, high = sorted((start, threads.cursor))
        for index in range(low, high + 1):
            row = threads.row(index)
            if row is not None:
                threads.selection.add(row.id)
        threads.anchor = threads.selected.id if threads.selected else None
        threads.refresh()
        self.show_triage_state()

    def clear_selection(self) -> bool:
        """Esc: drop the selection; False when there was none."""
        threads = self.threads
        if not threads.selection:
            return False
        threads.selection.clear()
        threads.anchor = None
        threads.refresh()
        self.show_triage_state()
        return True

    def _targets(self) -> tuple[list[ThreadRow], bool]:
        """(threads an action applies to, whether they are a bulk selection)."""
        if self.selection:
            return self._selected_rows(), True
        thread = self.shown_thread
        if thread is None:
            self.notify("No thread selected", timeout=2)
            return [], False
        return [queries.thread(self.conn, thread.id) or thread], False

    # -- header: tally and selection ----------------------------------------------------
    def show_triage_state(self) -> None:
        header = self.query_one("#header", HeaderBar)
        parts = [self._workspace_label()]
        if self.triage_mode:
            parts.append("TRIAGE · " + self.tally.text())
        if self.selection:
            parts.append(f"{len(self.selection)} selected")
        header.left = " · ".join(parts)
        header.refresh()

    # -- after an action ----------------------------------------------------------------
    def _outbox_mark(self) -> int:
        return outbox.newest_id(self.conn)

    async def _acted(self, entry: UndoEntry, targets: list[ThreadRow], bulk: bool,
                     notice: str | None, current: ThreadRow | None = None) -> None:
        entry.mark = self._outbox_mark()
        entry.threads = [t.id for t in targets]
        self.undo_stack.push(entry)
        if self.triage_mode:
            self.tally.add(entry.tally)
        if bulk:
            self.threads.selection.clear()
            self.threads.anchor = None
        current = current or self.threads.selected
        self._reload_lists()
        moved_on = False
        if self.triage_mode and not bulk and current is not None and current.id in entry.threads:
            after = self.threads.selected
            if after is not None and after.id == current.id:
                self.threads.action_cursor_down()  # still in the queue: go to the next one
            moved_on = True
        shown = self.shown_thread
        if shown is not None and not moved_on:
            await self.show_thread(queries.thread(self.conn, shown.id) or shown)
        self.update_status()
        self.show_triage_state()
        if notice:
            self.notify(f"{notice} · {self.key_for('app.undo')} to undo", timeout=3, markup=False)

    # -- done / snooze / note -----------------------------------------------------------
    async def action_done(self) -> None:
        targets, bulk = self._targets()
        if not targets:
            return
        done = not all(t.local_done for t in targets)  # `e` on done threads brings them back
        change = local.mark_done(self.conn, [t.id for t in targets], done)
        entry = UndoEntry(change.summary, local=change, tally=["done"] * len(change) if done else [])
        notice = f"Marked {_selected(len(change))} {'done' if done else 'not done'}" if bulk else change.summary
        await self._acted(entry, targets, bulk, notice)

    def action_snooze(self) -> None:
        targets, bulk = self._targets()
        if not targets:
            return
        if all(t.local_snoozed_until is not None for t in targets):
            self.call_later(self._snooze, targets, bulk, None)  # `s` on snoozed threads wakes them
            return
        back = None
        if not bulk:
            back = proposed_return(targets[0], queries.messages(self.conn, targets[0].id))
        title = title_of(targets[0]) if not bulk else _count(len(targets))

        def chosen(until: datetime | None) -> None:
            if until is not None:
                self.call_later(self._snooze, targets, bulk, until)

        self.push_screen(SnoozeScreen(title, snooze_choices(self.clock().astimezone(), back)), self.guard(chosen))

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

    def action_note(self) -> None:
        thread = self.shown_thread
        if thread is None:
            self.notify("No thread selected", timeout=2)
            return
        state = local.get_local(self.conn, thread.id)

        def saved(text: str | None) -> None:
            if text is not None:
                self.call_later(self._save_note, thread, text)

        self.push_screen(NoteScreen(title_of(thread), state.note if state else None), self.guard(saved))

    async def _save_note(self, thread: ThreadRow, text: str) -> None:
        change = local.set_note(self.conn, thread.id, text)
        entry = UndoEntry(change.summary, local=change)
        entry.mark, entry.threads = self._outbox_mark(), [thread.id]
        self.undo_stack.push(entry)  # a note is not triage: no tally, the cursor stays
        self.threads.load(keep_anchor=True)  # the list's cached rows carry the old note
        await self.show_thread(queries.thread(self.conn, thread.id) or thread)
        self.notify("Note saved" if text.strip() else "Note removed", timeout=2)

    # -- intents (extends OutboxActions.set_intent) --------------------------------------
    async def set_intent(self, key: str, threads: list[Any] | None = None) -> list[OutboxItem]:
        bulk = threads is None and bool(self.selection)
        if threads is None:
            threads, _ = self._targets()
            if not threads:
                return []
        current = self.threads.selected
        items = await super().set_intent(key, threads)  # type: ignore[misc]
        if not items:
            if self.triage_mode and not bulk and current is not None and \
                    all((t.reply_intent or CLEAR) == key for t in threads):
                self.threads.action_cursor_down()  # already so: a triage verdict all the same
            return items
        look = INTENTS.get(key)
        label = f"{look.glyph} {look.label}" if look else key
        entry = UndoEntry(f"{_count(len(items))} → {label}", items=[i.id for i in items],
                          tally=[key] * len(items))
        notice = f"{_selected(len(items))} → {look.label if look else key}" if bulk else None
        await self._acted(entry, threads, bulk, notice, current)
        if key == "unsubscribe":
            self._offer_suppression(entry, [i.thread_id for i in items if i.thread_id])
        return items

    def _offer_suppression(self, entry: UndoEntry, thread_ids: list[str]) -> None:
        found: dict[str, str] = {}  # address -> the thread it came from
        for tid in thread_ids:
            for address in compliance.suppression_candidates(self.conn, tid):
                found.setdefault(address, tid)
        if not found:
            return
        from o2d_inbox.render.text import safe_line
        from o2d_inbox.tui.compose import ConfirmScreen

        shown = ", ".join(safe_line(a) for a in list(found)[:3]) + (" …" if len(found) > 3 else "")
        question = (f"Add {shown} to the suppression list? "
                    "No campaign will write to " + ("it" if len(found) == 1 else "them") + " again.")

        def answered(yes: bool | None) -> None:
            if yes:
                self._suppress(entry, found)

        self.push_screen(ConfirmScreen(question, yes="Suppress", no="Not now"), self.guard(answered))

    def _suppress(self, entry: UndoEntry, found: dict[str, str]) -> None:
        by_thread: dict[str, list[str]] = {}
        for address, tid in found.items():
            by_thread.setdefault(tid, []).append(address)
        for tid, addresses in by_thread.items():
            try:
                # after that thread's intent item; undoable with it while scheduled
                item = outbox.queue_suppress(self.conn, addresses, "unsubscribe", thread_id=tid,
                                             undo_seconds=self._undo_seconds(), now=self.outbox_now())
            except OutboxRefused as exc:
                self.notify(str(exc), severity="error", timeout=4, markup=False)
                continue
            entry.items.append(item.id)
        entry.mark = max(entry.mark, self._outbox_mark())
        self.wake_outbox()
        self.update_status()
        self.notify(f"Suppression of {len(found)} address{'es' if len(found) != 1 else ''} queued",
                    timeout=3)

    # -- undo (extends OutboxActions.action_undo) ----------------------------------------
    async def action_undo(self) -> None:
        entry = self.undo_stack.peek()
        latest = self.latest_scheduled()
        if entry is None or (latest is not None and latest.id > entry.mark):
            await super().action_undo()  # type: ignore[misc]
            return
        self.undo_stack.pop()
        if entry.local is not None:
            local.undo_local(self.conn, entry.local)
        late = 0
        for item_id in entry.items:
            item = outbox.get(self.conn, item_id)
            if item is None or outbox.undo(self.conn, item_id, now=self.outbox_now()) is not None:
                continue
            if item.kind == "intent" and item.state != "cancelled" and item.thread_id:
                # already at the server: put the previous value back the same way
                outbox.queue_intent(self.conn, item.thread_id, item.prev_value or CLEAR,
                                    undo_seconds=0, now=self.outbox_now())
            elif item.state != "cancelled":
                late += 1
        if entry.items:
            self.wake_outbox()
        if self.triage_mode:
            self.tally.remove(entry.tally)
        self._reload_lists()
        if entry.threads:  # back to the first thread the action touched
            target = self.threads._locate(entry.threads[0], fallback=self.threads.cursor)
            self.threads.move_to(target)
        shown = self.shown_thread
        if shown is not None:
            await self.show_thread(queries.thread(self.conn, shown.id) or shown)
        self.update_status()
        self.show_triage_state()
        # one intent: the outbox's own wording
        what = "Intent change undone" if entry.local is None and len(entry.threads) == 1 else \
            f"Undone: {entry.label}"
        self.notify(what + (f" ({late} already sent)" if late else ""), timeout=2, markup=False)

    # -- rapid triage mode --------------------------------------------------------------
    def action_triage(self) -> None:
        self.triage_mode = not self.triage_mode
        if self.triage_mode:
            self._tally = Tally()
            self.threads.focus()
            key = self.key_for
            self.notify(f"Rapid triage: {key('thread.intent_1')}–{key('thread.intent_6')} intent · "
                        f"{key('thread.done')} done · {key('thread.snooze')} snooze · {key('app.undo')} undo · "
                        f"{key('app.triage')} ends", timeout=4, markup=False)
        else:
            self.notify(f"Triage ended: {self.tally.text()}", timeout=3)
        self.screen.set_class(self.triage_mode, "-triage")
        if self.screen.has_class("-no-pane"):
            # too narrow for list and pane side by side: the conversation takes the screen
            # (the keys act on it and bring the next one), T gives the list back
            self.screen.set_class(self.triage_mode, "-reading")
            if not self.triage_mode:
                self.threads.focus()
        self.show_triage_state()
