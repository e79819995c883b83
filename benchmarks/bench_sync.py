"""Sync benchmark: the engine against a hand-written baseline, same server, same run.

    .venv/bin/python benchmarks/bench_sync.py            # ~a few minutes
    .venv/bin/python benchmarks/bench_sync.py --quick    # smaller, one round
    .venv/bin/python benchmarks/bench_sync.py --parts 1 --profile   # part 1 and where its time goes

Prints figures, asserts nothing about speed. What it measures (medians of --rounds):
1. full sync of N threads (threads only) from `o2d-inbox simulator` on a real 127.0.0.1
   port, SyncEngine beside the floor (a minimal loop: httpx + json + executemany into a bare
   table, one transaction per 200-thread page), at two server latencies in the same run: 0 ms
   (the server answers at once: our CPU sets the pace) and --latency-ms (20 by default; the
   simulator sleeps, as a real API takes tens to hundreds of ms per page). Both ratios (floor
   wall / engine wall, goals >= 0.5x and >= 1.0x) and the CPU of this process (engine / floor,
   goal <= 2x; the server runs in another process), split by thread: the event loop's, the
   page reader's (api/reader.py) and the cache writer's (sync/writer.py). --extras adds the floor into the cache's
   own table, the engine without its bulk-load mode and the engine without its writer thread
   (sync/writer.py; at both latencies); --profile a cProfile of one engine sync, CPU time by
   part on the event loop's thread and on the writer's.
2. full sync with messages of M threads (a second simulator): engine vs a minimal
   concurrent loop (httpx.AsyncClient, 8 in flight, json, executemany).
3. incremental sync of 100 new replies into a 1,000,000-thread cache (built once with
   executemany of synthetic rows, kept in the temp dir between runs).
4. peak memory of a child process that runs only that sync (RSS, and Python's own heap by
   tracemalloc; SQLite's page cache is capped by the cache_size pragma): a full sync of N/5
   and of N threads; an incremental sync into caches of 200,000 and 1,000,000 threads.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from memory import peak_rss_mb  # noqa: E402  (benchmarks/memory.py)

from o2d_inbox.api.client import UniboxClient  # noqa: E402
from o2d_inbox.api.models import PLAIN_THREADS_PAGE, ReplyRequest, ThreadsPage, plain_threads_page  # noqa: E402
from o2d_inbox.api.reader import PageHead, next_cursor_of  # noqa: E402
from o2d_inbox.cache.db import PAGE_SIZE, open_db  # noqa: E402
from o2d_inbox.cache.migrations import MIGRATIONS  # noqa: E402
from o2d_inbox.cache.schema import RECOUNT_SQL, SCHEMA_VERSION  # noqa: E402
from o2d_inbox.sync import engine as sync_module  # noqa: E402
from o2d_inbox.sync import writer as writer_module  # noqa: E402
from o2d_inbox.sync.engine import SyncEngine  # noqa: E402

KEY = "ot2d_benchmark_key_0123456789"
WS = 42
TMP = Path(tempfile.gettempdir()) / "o2d-bench"


# --- a simulator in its own process ---------------------------------------------------------


class Server:
    def __init__(self, threads: int, seed: int = 42, latency: float = 0.0) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "o2d_inbox",
                "simulator",
                "--port",
                str(self.port),
                "--threads",
                str(threads),
                "--seed",
                str(seed),
                "--latency",
                str(latency),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise SystemExit("the simulator did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def client_for(server: Server) -> UniboxClient:
    return UniboxClient(server.url, KEY, WS)


def fresh_cache(name: str) -> Path:
    TMP.mkdir(parents=True, exist_ok=True)
    path = TMP / f"{name}-{os.getpid()}.db"
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def drop_cache(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


# --- 1. threads only ------------------------------------------------------------------------


def drop_triggers(conn: sqlite3.Connection, like: str = "%") -> None:
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE ?", (like,)
    ).fetchall():
        conn.execute(f"DROP TRIGGER {name}")


async def engine_full(
    server: Server, *, messages: bool = False, bulk: bool = True, threaded: bool = True
) -> tuple[float, int, int]:
    """A full sync into a fresh cache (``bulk``: with the first walk's bulk-load mode;
    ``threaded``: the cache work on its writer thread, else inline on the event loop's)."""
    path = fresh_cache("engine")
    conn = open_db(path)
    sync_module.BULK_LOAD = bulk
    writer_module.THREADED = threaded
    async with client_for(server) as client:
        engine = SyncEngine(conn, client)
        t = time.perf_counter()
        try:
            result = await engine.sync(full=True, messages=messages)
        finally:
            sync_module.BULK_LOAD = True
            writer_module.THREADED = True
        seconds = time.perf_counter() - t
    threads = conn.execute("SELECT count(*) FROM threads").fetchone()[0]
    msgs = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    conn.close()
    drop_cache(path)
    assert result.full
    return seconds, threads, msgs


BARE = """
CREATE TABLE threads (id TEXT PRIMARY KEY, subject TEXT, last_from TEXT, last_date TEXT,
    last_snippet TEXT, is_warming INT, is_postmaster INT, message_count INT, reply_intent TEXT,
    campaign_id TEXT);
CREATE TABLE messages (id TEXT PRIMARY KEY, thread_id TEXT, from_email TEXT, to_emails TEXT,
    subject TEXT, date_received TEXT, body_text TEXT, body_html TEXT, is_incoming INT);
"""


SAME_SCHEMA_INSERT = (
    "INSERT OR REPLACE INTO threads (id, subject, last_from, last_date, last_snippet, is_warming, "
    "is_postmaster, message_count, reply_intent, campaign_id, last_ts) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)


def baseline_full(server: Server, *, same_schema: bool = False) -> tuple[float, int]:
    """The hand-written loop: httpx + json + executemany, one transaction per page; into a
    bare table, or (same_schema) into the cache's own threads table and indexes (no counts)."""
    path = fresh_cache("baseline")
    if same_schema:
        conn = open_db(path)
        drop_triggers(conn)  # a minimal loop keeps neither counts nor a search index
        insert = SAME_SCHEMA_INSERT
    else:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(BARE)
        insert = "INSERT OR REPLACE INTO threads VALUES (?,?,?,?,?,?,?,?,?,?)"
    t = time.perf_counter()
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {KEY}"}) as http:
        cursor = None
        while True:
            params = {"workspaceId": WS, "limit": 200}
            if cursor:
                params["cursor"] = cursor
            data = json.loads(http.get("/threads", params=params).content)
            rows = [
                (
                    t["id"],
                    t.get("subject"),
                    (t.get("last_message") or {}).get("from_email"),
                    (t.get("last_message") or {}).get("date_received"),
                    ((t.get("last_message") or {}).get("body_text") or "")[:300],
                    t.get("is_warming"),
                    t.get("is_postmaster"),
                    t.get("message_count"),
                    t.get("replyIntent"),
                    t.get("campaignId"),
                )
                for t in data["threads"]
            ]
            if same_schema:  # the list order's column
                rows = [
                    (*r, int(datetime.fromisoformat(r[3].replace("Z", "+00:00")).timestamp()) if r[3] else 0)
                    for r in rows
                ]
            conn.execute("BEGIN")
            conn.executemany(insert, rows)
            conn.execute("COMMIT")
            cursor = data.get("next_cursor")
            if not cursor:
                break
    seconds = time.perf_counter() - t
    n = conn.execute("SELECT count(*) FROM threads").fetchone()[0]
    conn.close()
    drop_cache(path)
    return seconds, n


async def baseline_messages(server: Server, concurrency: int = 8) -> tuple[float, int, int]:
    """Threads as above, then every thread's messages, `concurrency` requests in flight."""
    path = fresh_cache("baseline-msg")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(BARE)
    t = time.perf_counter()
    async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {KEY}"}) as http:
        cursor, ids = None, []
        while True:
            params = {"workspaceId": WS, "limit": 200}
            if cursor:
                params["cursor"] = cursor
            data = json.loads((await http.get("/threads", params=params)).content)
            rows = [
                (
                    t["id"],
                    t.get("subject"),
                    None,
                    None,
                    None,
                    t.get("is_warming"),
                    t.get("is_postmaster"),
                    t.get("message_count"),
                    t.get("replyIntent"),
                    t.get("campaignId"),
                )
                for t in data["threads"]
            ]
            ids += [r[0] for r in rows]
            conn.execute("BEGIN")
            conn.executemany("INSERT OR REPLACE INTO threads VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
            conn.execute("COMMIT")
            cursor = data.get("next_cursor")
            if not cursor:
                break
        queue = iter(ids)

        async def worker() -> None:
            for tid in queue:
                data = json.loads((await http.get(f"/threads/{tid}/messages", params={"workspaceId": WS})).content)
                rows = [
                    (
                        m["id"],
                        tid,
                        m.get("from_email"),
                        json.dumps(m.get("to_emails")),
                        m.get("subject"),
                        m.get("date_received"),
                        m.get("body_text"),
                        m.get("body_html"),
                        m.get("is_incoming"),
                    )
                    for m in data["messages"]
                ]
                conn.execute("BEGIN")
                conn.executemany("INSERT OR REPLACE INTO messages VALUES (?,?,?,?,?,?,?,?,?)", rows)
                conn.execute("COMMIT")

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - t
    n = conn.execute("SELECT count(*) FROM threads").fetchone()[0]
    m = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
    conn.close()
    drop_cache(path)
    return seconds, n, m


def validation_only(server: Server, pages: int = 50) -> tuple[float, float, float, float, float, int]:
    """(json.loads, ThreadsPage.model_validate_json, the sync's plain validation, the page
    reader's cursor read by a parse that skips the threads and from the body's end: seconds;
    threads) on real bodies."""
    bodies = []
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {KEY}"}) as http:
        cursor = None
        for _ in range(pages):
            params = {"workspaceId": WS, "limit": 200, **({"cursor": cursor} if cursor else {})}
            body = http.get("/threads", params=params).content
            bodies.append(body)
            cursor = json.loads(body).get("next_cursor")
            if not cursor:
                break
    n = sum(len(json.loads(b)["threads"]) for b in bodies)

    def timed(read: Callable[[bytes], object]) -> float:
        t = time.perf_counter()
        for body in bodies:
            read(body)
        return time.perf_counter() - t

    loads = timed(json.loads)
    validate = timed(ThreadsPage.model_validate_json)
    plain = timed(lambda body: plain_threads_page(PLAIN_THREADS_PAGE.validate_json(body)))
    head = timed(PageHead.model_validate_json)
    tail = timed(next_cursor_of)
    return loads, validate, plain, head, tail, n


# --- 3. incremental into a 1,000,000-thread cache ------------------------------------------


def big_cache(n: int, server_threads: int) -> Path:
    """A cache of ``n`` synthetic threads (the first ``server_threads`` carry the server's ids),
    built once with executemany and kept in the temp dir."""
    path = TMP / f"cache-{n}-v{SCHEMA_VERSION}-p{PAGE_SIZE}.db"
    if path.exists():
        return path
    TMP.mkdir(parents=True, exist_ok=True)
    building = Path(f"{path}.building")
    drop_cache(building)
    t = time.perf_counter()
    conn = open_db(building)
    # Bulk load without the count triggers, then migration 2 again: triggers + one recount.
    drop_triggers(conn)
    intents = ["interested", "not_interested", "out_of_office", "bounced", "unsubscribe", "neutral", None]
    mailboxes = ["john@cooloutreach.com", "sarah@cooloutreach.com", "mike@getcooloutreach.com", None]
    now = int(time.time()) - 86400
    conn.execute("BEGIN")
    batch = []
    for i in range(n):
        tid = f"thr_{i:06d}" if i < server_threads else f"syn_{i:07d}"
        ts = now - i * 15
        date = datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        warm = int(i % 23 == 0)
        batch.append(
            (
                tid,
                f"<{tid}@example.com>",
                f"Re: subject {i}",
                f"subject {i}",
                f"p{i}@example.com",
                date,
                ts,
                "Hi there, thanks for reaching out about the thing",
                warm,
                0,
                1 + i % 5,
                intents[i % 7],
                f"cmp_{i % 9}",
                mailboxes[i % 4],
                int(not warm),
                i % 3 == 0,
                0,
                1,
            )
        )
        if len(batch) == 10000:
            conn.executemany(
                "INSERT INTO threads (id, external_thread_id, subject, subject_display, last_from, last_date, "
                "last_ts, last_snippet, is_warming, is_postmaster, message_count, reply_intent, campaign_id, "
                "mailbox, relevant, needs_reply, unread, walk_gen) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                batch,
            )
            batch.clear()
    conn.execute("COMMIT")
    conn.execute("BEGIN")
    for migration in MIGRATIONS[2:]:  # the triggers again (counts, search), each with its rebuild
        for statement in migration:
            if callable(statement):
                statement(conn)
            elif not statement.lstrip().upper().startswith("ALTER TABLE"):  # columns exist already
                conn.execute(statement)
    conn.execute("COMMIT")
    conn.execute("BEGIN")
    conn.execute("DELETE FROM view_counts")
    conn.execute(RECOUNT_SQL)
    conn.execute("COMMIT")
    conn.close()
    os.replace(building, path)
    print(f"  (built the {n:,}-thread cache once in {time.perf_counter() - t:.1f} s: {path})")
    return path


async def incremental_run(server: Server, cache: Path, replies: int, server_threads: int) -> tuple[float, int, int]:
    conn = open_db(cache)
    async with client_for(server) as client:
        # the simulator's clock (its debug endpoint), as a previous sync would have left it
        server_now = httpx.get(
            f"{server.url}/threads/debug", params={"workspaceId": WS}, headers={"Authorization": f"Bearer {KEY}"}
        ).json()["serverTime"]
        conn.execute("BEGIN")
        for key, value in (("watermark", server_now), ("walk_gen", "1"), ("last_full_at", repr(time.time()))):
            conn.execute("INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)", (key, value))
        conn.execute("DELETE FROM sync_state WHERE key = 'walk'")
        conn.execute("COMMIT")
        # 100 new messages on the server (our replies: each bumps its thread for updatedSince)
        span = server_threads - 40  # seeded ids thr_000020… (hostile-content ids sit among the first)
        base = int(time.time() * 1000) % span
        for k in range(replies):
            tid = f"thr_{(base + k * 7) % span + 20:06d}"
            await client.reply(tid, ReplyRequest(bodyText="bench reply"), idempotency_key=str(uuid.uuid4()))
        engine = SyncEngine(conn, client)
        t = time.perf_counter()
        result = await engine.sync()
        seconds = time.perf_counter() - t
    conn.close()
    assert not result.full
    return seconds, result.new + result.changed, result.new


# --- 4. memory: one sync per child process ---------------------------------------------------


class _At:
    """A running server, by URL (what the child process is told)."""

    def __init__(self, url: str) -> None:
        self.url = url


def rss_child(kind: str, url: str, arg: str, threads: str) -> None:
    """In a child process: run one sync, print its peak RSS and its peak of Python
    allocations (tracemalloc), in MB."""
    import tracemalloc

    tracemalloc.start()
    if kind == "full":
        asyncio.run(engine_full(_At(url)))
    else:
        asyncio.run(incremental_run(_At(url), Path(arg), 100, int(threads)))
    print(peak_rss_mb(), tracemalloc.get_traced_memory()[1] / 2**20)


def peak_memory(kind: str, server: Server, arg: str = "", threads: int = 0) -> str:
    """'RSS MB (Python heap MB)' of a child process running one sync."""
    out = subprocess.run(
        [sys.executable, __file__, "--rss-child", kind, server.url, arg, str(threads)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rss, heap = (float(x) for x in out.split()[-2:])
    return f"{rss:4.0f} MB ({heap:4.1f} MB)"


# --- 1. threads only: both latencies beside the floor --------------------------------------

GOALS = {0.0: 0.5, None: 1.0}  # floor/engine throughput: at zero latency, at a real latency
CPU_GOAL = 2.0  # engine CPU / floor CPU


def threads_only(n: int, rounds: int, latency_ms: float, *, extras: bool) -> None:
    """Engine and floor at 0 ms and at ``latency_ms`` per request, interleaved round by round
    (a busy moment of the machine hits all alike); medians, ratios to the floor of the same run."""
    lats = [0.0] + ([latency_ms] if latency_ms > 0 else [])
    print(f"\n1. full sync, threads only, {n:,} threads (real port), median of {rounds}")
    servers = {lat: Server(n, latency=lat / 1000) for lat in lats}
    wall: dict[tuple, list[float]] = {}
    cpu: dict[tuple, list[float]] = {}
    stored: dict[tuple, int] = {}
    by_thread: dict[tuple, dict[str, list[float]]] = {}  # (lat, kind) -> thread -> CPU seconds per run

    def timed(key: tuple, fn: Callable[[], tuple]) -> None:
        threads: dict[str, float] = {}
        c, t, loop = time.process_time(), time.perf_counter(), time.thread_time()
        with thread_cpu(threads):
            out = fn()
        wall.setdefault(key, []).append(time.perf_counter() - t)
        cpu.setdefault(key, []).append(time.process_time() - c)
        threads["loop"] = time.thread_time() - loop  # the event loop runs on this thread
        for name, seconds in threads.items():
            by_thread.setdefault(key, {}).setdefault(name, []).append(seconds)
        stored[key] = out[1]

    try:
        for server in servers.values():
            baseline_full(server)  # untimed: the simulator builds its pages on the first walk
        for _ in range(rounds):
            for lat in lats:
                server = servers[lat]
                timed((lat, "engine"), lambda: asyncio.run(engine_full(server)))
                timed((lat, "floor"), lambda: baseline_full(server))
                if extras and lat == 0:
                    timed((lat, "same"), lambda: baseline_full(server, same_schema=True))
                    timed((lat, "nobulk"), lambda: asyncio.run(engine_full(server, bulk=False)))
                if extras:
                    timed((lat, "inline"), lambda: asyncio.run(engine_full(server, threaded=False)))
        loads, validate, plain, head, tail, vn = validation_only(servers[0.0])
    finally:
        for server in servers.values():
            server.stop()
    print(
        f"  {'server latency':15s} {'floor':>8s} {'engine':>8s} {'ratio':>6s} {'goal':>6s}   "
        f"{'CPU: floor':>10s} {'engine':>7s} {'ratio':>6s} {'goal':>6s}   runs (engine wall)"
    )
    for lat in lats:
        fw, ew = median(wall[(lat, "floor")]), median(wall[(lat, "engine")])
        fc, ec = median(cpu[(lat, "floor")]), median(cpu[(lat, "engine")])
        goal = GOALS.get(lat, GOALS[None])
        runs = " ".join(f"{x:.2f}" for x in wall[(lat, "engine")])
        print(
            f"  {f'{lat:g} ms':15s} {fw:7.2f}s {ew:7.2f}s {fw / ew:5.2f}x {goal:5.2f}x   "
            f"{fc:9.2f}s {ec:6.2f}s {ec / fc:5.2f}x {CPU_GOAL:5.2f}x   {runs}"
        )
        assert stored[(lat, "engine")] == stored[(lat, "floor")] == n, "a sync stored the wrong number of threads"
    print(
        "  ratio: floor wall / engine wall (above 1: the engine is faster); CPU: this process only "
        "(the server runs in another), engine / floor"
    )
    for lat in lats:
        fc = median(cpu[(lat, "floor")])
        split = "  ".join(
            f"{name} {median(runs):.2f}s ({median(runs) / fc:.2f}x)"
            for name, runs in by_thread[(lat, "engine")].items()
            if name in ("loop", "reader", "writer")
        )
        print(f"  engine CPU by thread at {lat:g} ms (x the floor's whole CPU): {split}")
    if extras:
        for lat, key, label in [
            (0.0, "same", "floor into the cache's table + indexes"),
            (0.0, "nobulk", "engine without bulk load (indexes kept live)"),
        ] + [(lat, "inline", f"engine, cache work inline (no writer thread), {lat:g} ms") for lat in lats]:
            w, c = median(wall[(lat, key)]), median(cpu[(lat, key)])
            fw = median(wall[(lat, "floor")])
            print(f"  {label:52s} {w:6.2f}s wall ({fw / w:4.2f}x the floor) {c:6.2f}s CPU")
    print(
        f"  json.loads {vn / loads:,.0f} threads/s; pydantic: into models {vn / validate:,.0f} threads/s "
        f"(= {1e6 * validate / vn:.1f} us/thread), into plain dicts (the sync's) {vn / plain:,.0f} threads/s "
        f"(= {1e6 * plain / vn:.1f} us/thread)"
    )
    pages = -(-vn // 200)
    print(
        f"  the page reader's next_cursor: {1e6 * tail / pages:.0f} us/page from the body's end "
        f"(a parse skipping the threads: {1e6 * head / pages:.0f} us/page)"
    )


@contextlib.contextmanager
def thread_cpu(into: dict[str, float]) -> Iterator[None]:
    """CPU seconds of the page reader's and the cache writer's threads (time.thread_time at
    their end), added into ``into["reader"]`` / ``into["writer"]`` while this lasts."""
    from o2d_inbox.api.reader import PageReader
    from o2d_inbox.sync.writer import CacheWriter

    serves = {CacheWriter: CacheWriter._serve, PageReader: PageReader._serve}

    def timed(serve: Callable[[Any], None], name: str) -> Callable[[Any], None]:
        def run(self: Any) -> None:
            try:
                serve(self)
            finally:
                into[name] = into.get(name, 0.0) + time.thread_time()

        return run

    CacheWriter._serve = timed(serves[CacheWriter], "writer")  # type: ignore[method-assign]
    PageReader._serve = timed(serves[PageReader], "reader")  # type: ignore[method-assign]
    try:
        yield
    finally:
        for cls, serve in serves.items():
            cls._serve = serve  # type: ignore[method-assign]


def profile_engine(n: int) -> None:
    """One engine sync at zero latency under cProfile: where this process's time goes, by part,
    the event loop's thread and the cache writer's thread (sync/writer.py) added up."""
    import cProfile
    import pstats

    from o2d_inbox.api.reader import PageReader
    from o2d_inbox.sync.writer import CacheWriter

    server = Server(n)
    thread_profiles: dict[str, list[cProfile.Profile]] = {"writer": [], "reader": []}

    def profiled(serve: Callable[[Any], None], name: str) -> Callable[[Any], None]:
        def run(self: Any) -> None:  # cProfile sees only the thread that enables it
            prof = cProfile.Profile(time.thread_time)
            thread_profiles[name].append(prof)
            prof.runcall(serve, self)

        return run

    serves = {CacheWriter: CacheWriter._serve, PageReader: PageReader._serve}
    try:
        asyncio.run(engine_full(server))  # warm: imports, the server's first pages
        CacheWriter._serve = profiled(serves[CacheWriter], "writer")  # type: ignore[method-assign]
        PageReader._serve = profiled(serves[PageReader], "reader")  # type: ignore[method-assign]
        prof = cProfile.Profile(time.thread_time)  # CPU time: a loaded machine's waits left out
        prof.enable()
        seconds, _, _ = asyncio.run(engine_full(server))
        prof.disable()
    finally:
        for cls, serve in serves.items():
            cls._serve = serve  # type: ignore[method-assign]
        server.stop()
    profiles = {"loop": [prof], **thread_profiles}
    groups = {name: _profile_groups(pstats.Stats(*ps)) if ps else {} for name, ps in profiles.items()}
    print(
        f"\n   profile: one engine sync of {n:,} threads at 0 ms ({seconds:.2f} s wall; cProfile slows "
        "Python code, not SQLite or the kernel), CPU seconds on each thread:"
    )
    print(f"     {'':52s} " + " ".join(f"{name:>7s}" for name in groups))
    every = set().union(*groups.values())
    for group in sorted(every, key=lambda g: -sum(gs.get(g, 0.0) for gs in groups.values())):
        times = [gs.get(group, 0.0) for gs in groups.values()]
        if sum(times) >= 0.005:
            print(f"     {group:52s} " + " ".join(f"{t:6.2f}s" for t in times))
    print(f"     {'busy (all but waiting)':52s} " + " ".join(f"{_busy(gs):6.2f}s" for gs in groups.values()))
    both = pstats.Stats(prof)
    for extra in thread_profiles.values():
        for p in extra:
            both.add(p)
    both.sort_stats("tottime").print_stats(15)


WAITING = ("waiting: epoll (the server, the writer)", "waiting: a thread's queue (nothing to do)")


def _busy(groups: dict[str, float]) -> float:
    return sum(t for g, t in groups.items() if g not in WAITING)


def _profile_groups(stats: Any) -> dict[str, float]:
    """Seconds by part of the sync, from one thread's cProfile stats."""
    groups: dict[str, float] = {}
    for (file, _line, name), (_cc, _nc, tt, _ct, callers) in stats.stats.items():
        sqlite = name in (
            "<method 'execute' of 'sqlite3.Connection' objects>",
            "<method 'executemany' of 'sqlite3.Connection' objects>",
        )
        if sqlite or (file == "~" and callers and _group(file, name) == "other"):
            # SQLite by what it was doing; other built-ins (datetime, str, …) by who called them
            for (cfile, _cl, cname), caller in callers.items():
                group = _sqlite_group(cfile, cname) if sqlite else _group(cfile, cname)
                groups[group] = groups.get(group, 0.0) + caller[2]
            continue
        group = _group(file, name)
        groups[group] = groups.get(group, 0.0) + tt
    return groups


def _sqlite_group(file: str, name: str) -> str:
    if name == "transaction":
        return "sqlite: BEGIN / COMMIT (fsync: synchronous=FULL)"
    if name == "bulk_end":
        return "sqlite: indexes + search index built at the end"
    if name in ("_insert_rows", "upsert_threads"):
        return "sqlite: a page's rows (insert, update, counts)"
    return f"sqlite: other ({name})"


def _group(file: str, name: str) -> str:
    if "pydantic" in file or "validate_json" in name or "/api/models.py" in file:
        return "validation (pydantic, api/models.py)"
    if any(k in file for k in ("httpx", "httpcore", "anyio", "h11", "sniffio", "ssl")) or "socket" in name:
        return "HTTP client (httpx, httpcore, sockets)"
    if "/api/" in file:
        return "api/client.py, api/reader.py"
    if "/cache/writes.py" in file:
        return "cache/writes.py: rows from threads (Python)"
    if "epoll" in name:
        return WAITING[0]
    if "_queue.SimpleQueue" in name:
        return WAITING[1]
    if "asyncio" in file or "select" in name or "selectors" in file:
        return "event loop"
    if "/sync/" in file:
        return "sync/engine.py, sync/writer.py"
    return "other"


# --- 3, 4 and 2 --------------------------------------------------------------------------------


def part_3_4(n_threads: int, n_big: int, rounds: int) -> None:
    server = Server(n_threads)
    try:
        print(f"\n3. incremental sync: 100 new replies into a {n_big:,}-thread cache")
        cache = big_cache(n_big, n_threads)
        inc = []
        for _ in range(rounds):
            s, touched, new = asyncio.run(incremental_run(server, cache, 100, n_threads))
            inc.append(s)
        print(
            f"  engine            {median(inc) * 1000:6.0f} ms  ({touched} threads from the server, "
            f"{new} new to the cache)"
        )

        print("\n4. peak memory of a process running only that sync: RSS (Python heap)")
        small_cache = big_cache(n_big // 5, n_threads)
        inc_small = peak_memory("incremental", server, str(small_cache), n_threads)
        inc_big = peak_memory("incremental", server, str(cache), n_threads)
        full_big = peak_memory("full", server)
    finally:
        server.stop()
    server = Server(n_threads // 5)
    try:
        full_small = peak_memory("full", server)
    finally:
        server.stop()
    print(f"  full sync of {n_threads // 5:>9,} threads: {full_small}   of {n_threads:>9,}: {full_big}")
    print(f"  incremental, {n_big // 5:>9,}-thread cache: {inc_small}   {n_big:>9,}: {inc_big}")


def part_2(n_msg_threads: int, rounds: int | None) -> None:
    server = Server(n_msg_threads, seed=7)
    try:
        print(f"\n2. full sync with messages, {n_msg_threads:,} threads (real port; floor 8 in flight, engine up to 8)")
        eng, base = [], []
        for _ in range(rounds or 1):  # server-bound, and a minute a round: one by default
            s, n, m = asyncio.run(engine_full(server, messages=True))
            eng.append(s)
            s2, n2, m2 = asyncio.run(baseline_messages(server))
            base.append(s2)
        e, b = median(eng), median(base)
        print(f"  engine            {e:6.2f} s  {n / e:9,.0f} threads/s  {m / e:9,.0f} messages/s  ({m:,} messages)")
        print(f"  baseline          {b:6.2f} s  {n2 / b:9,.0f} threads/s  {m2 / b:9,.0f} messages/s  ({m2:,} messages)")
        print(f"  engine/baseline   {b / e:6.2f}x throughput")
    finally:
        server.stop()


# --- main -----------------------------------------------------------------------------------


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="20k / 2k / 200k threads, one round")
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument(
        "--latency-ms",
        type=float,
        default=20.0,
        help="per-request server latency measured beside 0 ms in part 1 (default 20; 0: only 0 ms)",
    )
    ap.add_argument("--parts", default="1,3,4,2", help="which parts to run, e.g. --parts 1 (default: all)")
    ap.add_argument(
        "--extras",
        action="store_true",
        help="part 1 also runs the floor into the cache's own table, the engine without bulk load "
        "and the engine without its writer thread",
    )
    ap.add_argument(
        "--profile", action="store_true", help="after part 1: one engine sync at 0 ms under cProfile, time by part"
    )
    ap.add_argument("--rss-child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.rss_child:
        rss_child(*args.rss_child)
        return
    parts = {p.strip() for p in args.parts.split(",")}
    rounds = args.rounds or (1 if args.quick else 3)
    n_threads = 20_000 if args.quick else 100_000
    n_msg_threads = 2_000 if args.quick else 10_000
    n_big = 200_000 if args.quick else 1_000_000

    print(
        f"o2d-inbox sync benchmark: rounds={rounds}, python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}"
    )
    if "1" in parts:
        threads_only(n_threads, rounds, args.latency_ms, extras=args.extras)
    if args.profile:
        profile_engine(n_threads)
    if "3" in parts or "4" in parts:
        part_3_4(n_threads, n_big, rounds)
    if "2" in parts:
        part_2(n_msg_threads, args.rounds)
    shutil.rmtree(TMP / "none", ignore_errors=True)


if __name__ == "__main__":
    main()
