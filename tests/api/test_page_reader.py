"""Thread pages read ahead on the network (api/reader.py): against the simulator on a real
port, the next page's request leaves before the caller asks for it, and every rule of the
client (errors, retries, 429 pacing, the key kept out of messages) holds for it."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading

import pytest

from o2d_inbox.api.client import UniboxClient
from o2d_inbox.api.errors import AuthError, ProtocolError
from tests.helpers import API_KEY, WORKSPACE, no_wait, send_json


def network_client(url: str, key: str = API_KEY, **kwargs) -> UniboxClient:
    kwargs.setdefault("sleep", no_wait)
    kwargs.setdefault("max_retries", 8)
    return UniboxClient(url, key, WORKSPACE, **kwargs)


async def walk(client: UniboxClient, limit: int = 25) -> list[str]:
    return [t.id async for page in client.iter_thread_pages(limit=limit) for t in page.threads]


def page_requests(sim) -> list[int]:
    return [status for method, path, _, status in sim.request_log if (method, path) == ("GET", "/threads")]


async def test_each_page_is_requested_once_and_before_it_is_asked_for(sim_server):
    server = sim_server(threads=120)
    async with network_client(server.url) as client:
        ids = await walk(client)
        assert ids == server.sim.thread_ids()
        pages = -(-len(ids) // 25)
        # every page but the first was on its way when the walk asked for it; none twice
        assert client.stats.read_ahead == pages - 1
        assert page_requests(server.sim) == [200] * pages
    assert not any(t.name == "o2d-page-reader" and t.is_alive() for t in threading.enumerate())


async def test_a_bad_network_still_yields_every_page(sim_server):
    """Server errors, dropped connections and malformed bodies, read ahead or not: retried by
    the client's rules until every page has arrived, once each."""
    server = sim_server(threads=300, fail_rate=0.2, drop_rate=0.1, malformed_rate=0.1)
    async with network_client(server.url, max_retries=30) as client:
        assert await walk(client) == server.sim.thread_ids()
        assert client.stats.retries > 0 and client.stats.read_ahead > 0
    statuses = page_requests(server.sim)
    assert statuses.count(200) >= -(-300 // 25) and set(statuses) - {200} != set()


async def test_a_rejected_key_is_an_auth_error_that_does_not_show_it(sim_server):
    server = sim_server(threads=40)
    key = "ot2d_wrong_secret_0123456789abcdef"
    async with network_client(server.url, key) as client:
        with pytest.raises(AuthError) as caught:
            await client.threads_page_plain(limit=25)
    assert "0123456789abcdef" not in str(caught.value) and "\n" not in str(caught.value)


async def test_once_the_server_paces_us_no_page_leaves_before_its_slot(sim_server):
    """A read-ahead refused with a 429 is the last one: from then on each page waits for the
    pacer (api/pacing.py) before it is sent."""
    server = sim_server(threads=200, rate_limit_rps=40.0, rate_limit_burst=1.0)
    async with network_client(server.url, sleep=asyncio.sleep, patience=30.0) as client:
        assert await walk(client) == server.sim.thread_ids()
        assert client.stats.rate_limited >= 1 and client.pacer.rate is not None
        assert client.stats.read_ahead <= 1  # only the one read before the first 429
    statuses = page_requests(server.sim)
    first_429 = statuses.index(429)
    assert first_429 <= 1  # page 2 read ahead at once, before the first token was back


def _holding(keep_alive: bool):
    """A server handler: page 1 at once (with a next cursor); any later request held until
    ``release`` (or 30 s); ``held`` is set once a held request stops waiting. Without
    ``keep_alive`` each answer closes its connection, so the next request makes a new one."""
    release, held = threading.Event(), threading.Event()

    class Holding(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if "cursor=" in self.path:
                release.wait(30)
                held.set()
            send_json(self, json.dumps({"threads": [{"id": "t1"}], "next_cursor": "c2"}).encode(), close=not keep_alive)

        def log_message(self, *args) -> None:
            pass

    return Holding, release, held


@pytest.mark.parametrize("keep_alive", [True, False], ids=["kept-alive", "new-connection"])
async def test_closing_the_client_cuts_off_a_page_read_ahead_in_flight(keep_alive):
    """The walk stops after page 1 while page 2, read ahead, waits on a server that holds it:
    closing the client ends the reader's thread without waiting for that answer, whether page
    2 went on page 1's connection or on one made for it."""
    handler, release, held = _holding(keep_alive)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        client = network_client(f"http://127.0.0.1:{server.server_address[1]}", timeout=60.0)
        raw = await client.threads_page_plain(limit=25)
        assert raw.next_cursor == "c2"
        reader = client._reader
        assert reader is not None and reader._ahead is not None  # page 2 is on its way
        await client.aclose()
        assert not reader._thread.is_alive()
        assert not held.is_set()  # closed while the server still held page 2, not after
    finally:
        release.set()
        server.shutdown()
        server.server_close()


async def test_a_malformed_page_is_one_line_after_its_retries(sim_server):
    server = sim_server(threads=40, malformed_rate=1.0)
    async with network_client(server.url, max_retries=2) as client:
        with pytest.raises(ProtocolError) as caught:
            await client.threads_page_plain(limit=25)
    assert "not valid JSON" in str(caught.value) and "\n" not in str(caught.value)
    assert page_requests(server.sim) == [200] * 3


class _DamagedOnce(http.server.BaseHTTPRequestHandler):
    """Two pages; the first answer of page 1 is damaged in its middle, its end intact (so its
    next_cursor reads from the end); ``asked`` records each request's cursor."""

    protocol_version = "HTTP/1.1"
    asked: list[str | None] = []

    def do_GET(self) -> None:
        cursor = "c2" if "cursor=c2" in self.path else None
        self.asked.append(cursor)
        if cursor is None:
            body = b'{"threads": [{"id": "t1"}], "next_cursor": "c2"}'
            if self.asked.count(None) == 1:
                body = body.replace(b"[{", b"[{{")
        else:
            body = b'{"threads": [{"id": "t2"}], "next_cursor": null}'
        send_json(self, body)

    def log_message(self, *args) -> None:
        pass


async def test_a_cursor_read_from_a_damaged_page_costs_a_request_not_a_page():
    """Page 1 arrives damaged with an intact end: its cursor is read and page 2 requested
    ahead; the client finds page 1 malformed and asks again; the walk still gets every page
    once and in order (page 2 is requested a second time, after the good page 1)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _DamagedOnce)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        async with network_client(f"http://127.0.0.1:{server.server_address[1]}") as client:
            assert await walk(client) == ["t1", "t2"]
            assert client.stats.retries == 1
        assert _DamagedOnce.asked == [None, "c2", None, "c2"]
    finally:
        server.shutdown()
        server.server_close()
