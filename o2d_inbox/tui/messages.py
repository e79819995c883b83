"""Typed messages the workers post to the app (each worker ends by posting one)."""

from __future__ import annotations

from textual.message import Message


class SyncProgressed(Message):
    """A burst of progress collapses into the latest one."""

    def __init__(self, phase: str, done: int, total: int | None) -> None:
        super().__init__()
        self.phase, self.done, self.total = phase, done, total

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SyncProgressed)


class SyncFinished(Message):
    def __init__(self, result) -> None:  # sync.engine.SyncResult
        super().__init__()
        self.result = result


class MessagesFetched(Message):
    def __init__(self, thread_id: str, count: int) -> None:
        super().__init__()
        self.thread_id, self.count = thread_id, count
