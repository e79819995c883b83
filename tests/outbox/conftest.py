"""Fixtures of the outbox tests: a fresh cache with a few threads, a fake clock."""

from __future__ import annotations

import pytest

from o2d_inbox.store.db import open_db


class FakeClock:
    def __init__(self, t: float = 1_800_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def conn(tmp_path):
    c = open_db(tmp_path / "cache.db")
    c.executemany(
        "INSERT INTO threads (id, subject, mailbox, reply_intent, prospect) VALUES (?, ?, ?, ?, ?)",
        [
            ("thr_1", "Hello", "john@ours.test", "interested", "p1@them.test"),
            ("thr_2", "Other", None, None, "p2@them.test"),
            ("thr_unsub", "Stop", "john@ours.test", "unsubscribe", "p3@them.test"),
        ],
    )
    yield c
    c.close()
