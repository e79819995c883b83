"""Helpers shared by the test folders: seeded simulators and clients, cache checks, simulators
on real ports, a cache file made read-only or damaged."""

from __future__ import annotations

import asyncio
import random

from o2d_inbox.api.client import UniboxClient
from o2d_inbox.simulator import SimConfig, Simulator

API_KEY = "ot2d_store_tests_key_0123456789"
WORKSPACE = 42


async def no_wait(seconds: float) -> None:
    """Backoff and Retry-After waits skipped (the client still counts its retries)."""
    await asyncio.sleep(0)


def make_sim(threads: int = 120, **kwargs) -> Simulator:
    return Simulator(SimConfig(threads=threads, seed=kwargs.pop("seed", 11), **kwargs))


def make_client(sim: Simulator, **kwargs) -> UniboxClient:
    kwargs.setdefault("sleep", no_wait)
    kwargs.setdefault("max_retries", 8)
    kwargs.setdefault("rng", random.Random(3))
    return UniboxClient("http://sim.test", API_KEY, WORKSPACE, transport=sim.transport(), **kwargs)


def cached_snapshot(conn) -> dict[str, dict]:
    """The cache in the shape of Simulator.thread_snapshot()."""
    return {
        r[0]: {"replyIntent": r[1], "message_count": r[2]}
        for r in conn.execute("SELECT id, reply_intent, message_count FROM threads")
    }


def counts_are_right(conn) -> bool:
    """view_counts (kept by triggers) equal a recount from scratch."""
    from o2d_inbox.cache.schema import RECOUNT_SQL

    kept = {(r[0], r[1]): (r[2], r[3]) for r in conn.execute("SELECT * FROM view_counts") if r[3] != 0}
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS vc_check AS SELECT * FROM view_counts WHERE 0")
    conn.execute("DELETE FROM vc_check")
    conn.execute(RECOUNT_SQL.replace("INSERT INTO view_counts", "INSERT INTO vc_check", 1))
    fresh = {(r[0], r[1]): (r[2], r[3]) for r in conn.execute("SELECT * FROM vc_check")}
    return kept == fresh


# --- a simulator on a real 127.0.0.1 port, in its own process ---------------------------------

SERVE = """
import sys, uvicorn
from o2d_inbox.simulator import SimConfig, Simulator, create_app, listen_socket
threads, seed = int(sys.argv[1]), int(sys.argv[2])
app = create_app(Simulator(SimConfig(threads=threads, seed=seed)))
sock = listen_socket("127.0.0.1", 0)
print(sock.getsockname()[1], flush=True)
uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
"""


def refusing_socket():
    """A bound 127.0.0.1 socket that does not listen: connecting to its port is refused, and no
    other test (xdist runs several processes) can take the port while the socket is held."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def send_json(handler, body: bytes, status: int = 200, *, close: bool = False) -> None:
    """A hand-written test server's answer (an http.server request handler's): ``body`` as
    JSON; ``close``: the connection ends with it (the next request needs a new one)."""
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    if close:
        handler.send_header("Connection", "close")
    handler.end_headers()
    handler.wfile.write(body)


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    import socket
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def serve_simulator(threads: int, seed: int = 11):
    """(process, base_url) of a simulator on a port the child picks itself (port 0, so parallel
    test processes never race for one); stop it with stop(process)."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(threads), str(seed)], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError(f"the simulator did not start (exit {proc.wait(10)})")
        port = int(line)
        wait_for_port(port)
    except BaseException:
        stop(proc)
        raise
    return proc, f"http://127.0.0.1:{port}"


def stop(proc) -> None:
    """Stop a process we started, by its own pid."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except Exception:  # noqa: BLE001
            proc.kill()
            proc.wait()
    if proc.stdout:
        proc.stdout.close()


def search_triggers(conn) -> set[str]:
    return {
        r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'trg_search_%'")
    }


def thread_indexes(conn) -> set[str]:
    """The threads table's own indexes (its primary key's automatic one aside)."""
    return {
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'threads' AND sql IS NOT NULL"
        )
    }


def search_index_whole(conn) -> bool:
    """The search indexes hold exactly what an FTS5 'rebuild' from the cache would put there
    (every term of every thread and message, with the list-order keys), and every search
    trigger of a fresh cache is in place to keep them so."""
    import sqlite3

    from o2d_inbox.cache.migrations import ensure_schema

    fresh = sqlite3.connect(":memory:", isolation_level=None)
    ensure_schema(fresh)
    if search_triggers(conn) != search_triggers(fresh):
        return False
    snapshots = []
    for _ in range(2):
        snap = {}
        for fts in ("search_threads", "search_messages"):
            conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.v_{fts} USING fts5vocab(main, {fts}, instance)")
            snap[fts] = sorted(tuple(r) for r in conn.execute(f"SELECT term, doc, col, offset FROM temp.v_{fts}"))
        snapshots.append(snap)
        if len(snapshots) == 1:
            conn.execute("SAVEPOINT whole")  # works in autocommit and in legacy-transaction mode
            for fts in ("search_threads", "search_messages"):
                conn.execute(f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')")
    conn.execute("ROLLBACK TO whole")  # the check leaves the cache as it found it
    conn.execute("RELEASE whole")
    return snapshots[0] == snapshots[1] and bool(snapshots[0]["search_threads"])


def damage_table(path, table: str, *, one_leaf: bool = False) -> int:
    """Overwrite every page of ``table``'s b-tree (or one leaf page in the middle) in the
    (closed, checkpointed) cache file with garbage, as a failing disk would; returns how many."""
    import sqlite3

    conn = sqlite3.connect(path)
    pages = [
        r[0]
        for r in conn.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND (pagetype = 'leaf' OR ?) ORDER BY path", (table, not one_leaf)
        )
    ]
    if one_leaf:
        pages = [pages[len(pages) // 2]]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with open(path, "r+b") as f:
        for page in pages:
            f.seek((page - 1) * size)
            f.write(bytes([0xA5]) * size)
    return len(pages)


def make_read_only(path, request) -> None:
    """``path`` (a file or a folder) made read-only for this process until the test ends: chmod,
    and for root, whom chmod does not stop, ``chattr +i``; skips only when neither works."""
    import os
    import shutil
    import subprocess

    import pytest

    mode = path.stat().st_mode
    path.chmod(mode & ~0o222)
    request.addfinalizer(lambda: path.chmod(mode))
    if not os.access(path, os.W_OK):
        return
    if (
        shutil.which("chattr") is None
        or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0
    ):
        pytest.skip("running as root, and this filesystem has no chattr +i to make a file read-only")
    request.addfinalizer(lambda: subprocess.run(["chattr", "-i", str(path)], check=False))


# --- a simulator on a real 127.0.0.1 port, in a thread of this process -------------------------


class SimServer:
    """The simulator served by uvicorn on 127.0.0.1:<free port>, in a thread of this process,
    so a test can read its counters (sim.deliveries) while a CLI subprocess talks to it."""

    def __init__(self, **sim_kwargs) -> None:
        import threading

        import uvicorn

        from o2d_inbox.simulator import create_app, listen_socket

        sim_kwargs.setdefault("threads", 40)
        sim_kwargs.setdefault("seed", 5)
        sim_kwargs.setdefault("hostile", False)
        self.sim = Simulator(SimConfig(**sim_kwargs))
        self._sock = listen_socket("127.0.0.1", 0)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(self.sim), log_level="error", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)
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
