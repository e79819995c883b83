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
        self.client = UniboxClient("http://sim.test", EXAMPLE_KEY, 42, transport=self.sim.transport(),
                                   sleep=self.sleep, max_retries=4)
        snap = self.sim.thread_snapshot()
        # threads one may reply to (an unsubscribed recipient is refused; tested elsewhere)
        self.thread_ids = [t for t in self.sim.thread_ids()
                           if not t.startswith("thr_x_") and snap[t]["replyIntent"] != "unsubscribe"]
        conn.executemany("INSERT OR IGNORE INTO threads (id, reply_intent) VALUES (?, ?)",
                         [(t, snap[t]["replyIntent"]) for t in self.thread_ids])

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


# --- a simulator on a real port, and the CLI's environment -----------------------------------

class SimServer:
    """The simulator served by uvicorn on 127.0.0.1:<free port>, in a thread of this process,
    so a test can read its counters (sim.deliveries) while a CLI subprocess talks to it."""

    def __init__(self, **sim_kwargs) -> None:
        import threading

        import uvicorn

        from o2d_inbox.simulator import SimConfig, Simulator, create_app, listen_socket

        sim_kwargs.setdefault("threads", 40)
        sim_kwargs.setdefault("seed", 5)
        sim_kwargs.setdefault("hostile", False)
        self.sim = Simulator(SimConfig(**sim_kwargs))
        self._sock = listen_socket("127.0.0.1", 0)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(self.sim), log_level="error", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]},
                                        daemon=True)
        self._thread.start()
        import time

        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("simulator did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._sock.close()


@pytest.fixture
def sim_server():
    servers = []

    def start(**kwargs) -> SimServer:
        servers.append(SimServer(**kwargs))
        return servers[-1]

    yield start
    for s in servers:
        s.stop()


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    """An isolated HOME/XDG and the O2D_INBOX_* variables for one server; returns a function
    (server) -> env dict, also applied to this process for in-process cli.main() calls."""
    root = tmp_path / "home"
    root.mkdir()

    def for_server(server: SimServer | None, cache=None) -> dict[str, str]:
        from o2d_inbox.simulator import EXAMPLE_KEY

        values = {"HOME": str(root), "XDG_CONFIG_HOME": str(root / "cfg"), "XDG_DATA_HOME": str(root / "data"),
                  "OUTREACH2DAY_API_KEY": EXAMPLE_KEY, "O2D_INBOX_WORKSPACE": "42",
                  "O2D_INBOX_CACHE": str(cache or tmp_path / "cli-cache.db"),
                  "O2D_INBOX_BASE_URL": server.url if server else "http://127.0.0.1:9"}
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("O2D_INBOX_CONFIG", raising=False)
        import os

        return dict(os.environ)

    return for_server
