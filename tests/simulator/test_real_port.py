"""The `o2d-inbox simulator` command on a real 127.0.0.1 port, used by httpx from this process."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time

import httpx
import pytest

pytestmark = pytest.mark.slow
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _start(*args: str) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-m", "o2d_inbox", "simulator", "--host", "127.0.0.1", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if sel.select(timeout=0.2):
            line = proc.stdout.readline()
            match = re.search(r"http://127\.0\.0\.1:\d+", line)
            if match:
                assert "ot2d_" in line  # an example key to paste
                return proc, match.group(0)
        if proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError("simulator did not start: " + (proc.stderr.read() or ""))


def _wait_ready(url: str) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            httpx.get(url + "/workspaces", timeout=1)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_serves_a_real_port_with_real_dropped_connections():
    proc, url = _start("--threads", "300", "--drop-rate", "0.4", "--seed", "3")
    try:
        _wait_ready(url)
        headers = {"Authorization": "Bearer ot2d_real_port"}
        outcomes = []
        with httpx.Client(base_url=url, headers=headers, timeout=5) as http:
            for _ in range(16):
                try:
                    r = http.get("/threads", params={"workspaceId": 42, "limit": 200})
                    assert r.status_code == 200 and len(r.json()["threads"]) == 200
                    outcomes.append("ok")
                except (httpx.RemoteProtocolError, httpx.ReadError):
                    # the socket really closed mid-answer: seen as a broken response, or as a
                    # reset when the close reaches us while we still read (timing decides)
                    outcomes.append("dropped")
            assert {"ok", "dropped"} <= set(outcomes)
            r = None
            for _ in range(20):  # an idempotent retry loop, as a client would do
                try:
                    r = http.post(
                        "/threads/thr_000001/reply",
                        params={"workspaceId": 42},
                        json={"bodyText": "hi"},
                        headers={"Idempotency-Key": "rp-1"},
                    )
                    break
                except (httpx.RemoteProtocolError, httpx.ReadError):
                    continue
            assert r is not None and r.status_code == 200 and r.json()["status"] == "queued"
    finally:
        os.kill(proc.pid, signal.SIGINT)  # Ctrl-C
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    stderr = proc.stderr.read()
    assert code == 0, stderr
    assert "Traceback" not in stderr and "SimulatedDrop" not in stderr


def test_busy_port_is_one_line_error():
    proc, url = _start("--threads", "10")
    try:
        port = url.rsplit(":", 1)[1]
        env = dict(os.environ, PYTHONPATH=ROOT)
        res = subprocess.run(
            [sys.executable, "-m", "o2d_inbox", "simulator", "--port", port],
            capture_output=True,
            text=True,
            timeout=20,
            env=env,
            cwd=ROOT,
        )
        assert res.returncode == 2
        assert res.stderr.count("\n") == 1 and "cannot listen" in res.stderr
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


@pytest.mark.parametrize("ours", [True, False], ids=["listen_socket", "plain-socket"])
async def test_the_simulators_connections_send_small_responses_at_once(ours):
    """asyncio (so uvicorn) turns Nagle off only on sockets created as TCP: listen_socket's
    connections get TCP_NODELAY, a plain socket()'s do not (each small response then waited
    ~40 ms for a delayed ACK: headers and body are two writes)."""
    import asyncio
    import socket

    from o2d_inbox.simulator import listen_socket

    if ours:
        sock = listen_socket("127.0.0.1", 0)
    else:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
    seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.set_result(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(on_connect, sock=sock)
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", sock.getsockname()[1])
        nodelay = await asyncio.wait_for(seen, 5)
        writer.close()
    finally:
        server.close()
        await server.wait_closed()
    assert bool(nodelay) is ours
