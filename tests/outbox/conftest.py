"""Fixtures of the outbox tests: a fresh cache with a few threads, a fake clock."""

from __future__ import annotations

import pytest

from o2d_inbox.cache.db import open_db


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


# --- against the in-process simulator -------------------------------------------------------


class SimWorld:
    """A simulator on simulated time, a client on its in-process transport, and helpers.

    Time is the simulator's clock: every sleep (the client's back-off, Retry-After, the
    dispatcher's polling) advances it instead of waiting, so the tests run in milliseconds
    while the operations still progress queued → sending → sent."""

    def __init__(self, conn, **sim_kwargs) -> None:
        from o2d_inbox.api.client import UniboxClient
        from o2d_inbox.simulator import EXAMPLE_KEY, SimConfig, Simulator

        sim_kwargs.setdefault("threads", 40)
        sim_kwargs.setdefault("seed", 7)
        sim_kwargs.setdefault("hostile", False)
        self.sim = Simulator(SimConfig(**sim_kwargs))
        self.conn = conn
        self.client = UniboxClient(
            "http://sim.test", EXAMPLE_KEY, 42, transport=self.sim.transport(), sleep=self.sleep, max_retries=4
        )
        snap = self.sim.thread_snapshot()
        # threads one may reply to (an unsubscribed recipient is refused; tested elsewhere)
        self.thread_ids = [
            t for t in self.sim.thread_ids() if not t.startswith("thr_x_") and snap[t]["replyIntent"] != "unsubscribe"
        ]
        conn.executemany(
            "INSERT OR IGNORE INTO threads (id, reply_intent) VALUES (?, ?)",
            [(t, snap[t]["replyIntent"]) for t in self.thread_ids],
        )

    def clock(self) -> float:
        return self.sim.now().timestamp()

    async def sleep(self, seconds: float) -> None:
        self.sim.advance(seconds)

    def dispatcher(self, **kwargs):
        from o2d_inbox.outbox.dispatcher import Dispatcher

        kwargs.setdefault("poll_backoff", (1, 2))
        return Dispatcher(self.conn, self.client, clock=self.clock, sleep=self.sleep, **kwargs)

    def posts(self) -> list[tuple[str, str, str | None, int]]:
        return [r for r in self.sim.request_log if r[0] in ("POST", "PATCH")]


@pytest.fixture
async def world(conn):
    w = SimWorld(conn)
    yield w
    await w.client.aclose()


@pytest.fixture
def make_world(conn):
    made = []

    def make(**kwargs) -> SimWorld:
        made.append(SimWorld(conn, **kwargs))
        return made[-1]

    yield make
