"""Cursor pages read ahead: GET /threads on a thread of its own, over one kept-alive connection.

    reader = PageReader(httpx.Client(...), may_read_ahead=lambda: True)
    response, ahead = await reader.get("/threads", params, headers)   # an httpx.Response
    await reader.close()                     # the thread has ended when this returns

A walk's pages form a chain: a page's request can only leave once the page before has arrived
with its ``next_cursor``. On the event loop that moment waits for the loop to get round to the
answer (it is busy validating the page before, and shares the interpreter with the cache
writer), and every request pays for the asynchronous client's machinery. Here a thread that
does nothing else receives the page, reads its ``next_cursor`` (``next_cursor_of``: from the
page's last bytes, where a server puts it after the threads) and sends the next request at
once (``may_read_ahead()`` permitting), before handing the page over; the loop finds it in
flight when it asks for it (``ahead`` True) and validates the page meanwhile. Waiting on the
socket releases the interpreter, so the thread costs the loop nothing.

The reader is only a transport: statuses, retries, waits and errors are the client's
(api/client.py ``_request``), for a page read ahead as for any other. A request the loop
asks for that is not the one read ahead (a retry after an error, another cursor) is sent
after it, and the page read ahead is dropped: a cursor read wrongly costs a request, never a
page. The client reads ahead only while the server has not paced it (no 429 yet): a paced
request must wait for its slot before it leaves.
"""

from __future__ import annotations

import asyncio
import queue
import re
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import httpx

from o2d_inbox.api.models import OptStr, Wire

__all__ = ["PageHead", "PageReader", "next_cursor_of"]


class PageHead(Wire):
    """A cursor page's ``next_cursor`` alone: pydantic-core skips the items without building them."""

    next_cursor: OptStr = None


#: The page's last member, when it is ``"next_cursor"`` with null or a string that needs no
#: escapes: ``"next_cursor": "c2"}`` at the very end of the body, after ``{`` or ``,``.
_LAST_MEMBER = re.compile(rb'"next_cursor"\s*:\s*(?:null|"([^"\\\x00-\x1f]*)")\s*}\s*')
_TAIL_BYTES = 512  # where that member is looked for: the end of the body
_SPACE = b" \t\r\n"


def next_cursor_of(body: bytes) -> str | None:
    """The ``next_cursor`` of a cursor page, for a request sent before the page is validated.

    Read from the end of the body when the page's last member is ``next_cursor`` (what a
    server sends after its items; in valid JSON nothing else can end that way: a quote
    inside a string is escaped, and a member of a nested object has its ``}`` after it);
    else from a parse of the whole body that skips the items (PageHead, ~0.2 ms a page of
    200 threads, paid on the way to the next request). Either way the loop validates the
    page in full and asks for the page after it by what that says: a cursor read here that
    differs (a body that is not JSON after all) only sends a request nobody asks for.
    ValueError: the body is not a page."""
    at = body.rfind(b'"next_cursor"', max(0, len(body) - _TAIL_BYTES))
    before = at - 1
    while before >= 0 and body[before] in _SPACE:
        before -= 1
    if before >= 0 and body[before] in b"{," and (member := _LAST_MEMBER.fullmatch(body, at)) is not None:
        cursor = member.group(1)
        try:
            return None if cursor is None else cursor.decode()
        except UnicodeDecodeError:
            pass  # not UTF-8: the parse below says what it is
    return PageHead.model_validate_json(body).next_cursor


@dataclass(eq=False)
class _Page:
    """One GET of a page, by the reader's thread."""

    path: str
    params: dict[str, Any]
    headers: dict[str, str]
    asked: bool = True  # False: read ahead, and the loop has not asked for it yet
    following: dict[str, Any] | None = None  # arrived before it was asked for: the next page's params
    future: Future = field(default_factory=Future)

    @property
    def key(self) -> tuple:
        return _key(self.path, self.params)


def _key(path: str, params: dict[str, Any]) -> tuple:
    return path, tuple(sorted(params.items()))


class PageReader:
    def __init__(self, http: httpx.Client, may_read_ahead: Callable[[], bool]) -> None:
        self._http = http
        self._may_read_ahead = may_read_ahead
        self._jobs: queue.SimpleQueue[_Page | None] = queue.SimpleQueue()
        self._lock = threading.Lock()  # guards _ahead and a page's asked / following
        self._ahead: _Page | None = None  # the page read ahead (in flight, or arrived)
        self._socket: socket.socket | None = None  # the kept-alive connection's, to end a wait
        self._stopping = False
        self._ended: Future = Future()
        self._thread = threading.Thread(target=self._serve, name="o2d-page-reader", daemon=True)
        self._thread.start()

    # --- the event loop's side ---------------------------------------------------------------

    async def get(self, path: str, params: dict[str, Any], headers: dict[str, str]) -> tuple[httpx.Response, bool]:
        """(the response to GET ``path`` with ``params``, whether it had been read ahead);
        raises what httpx raised (httpx.TransportError …)."""
        key = _key(path, params)
        with self._lock:
            page, self._ahead = self._ahead, None
            ahead = page is not None and page.key == key
            if page is not None and ahead:
                page.asked = True
                if page.following is not None:  # it arrived before it was asked for: go on now
                    self._ahead = _Page(path, page.following, headers, asked=False)
                    self._jobs.put(self._ahead)
            else:  # nothing read ahead, or not this page (dropped: its chain ends there)
                page = _Page(path, params, headers)
                self._jobs.put(page)
        return await asyncio.wrap_future(page.future), ahead

    async def close(self) -> None:
        """End the thread: a request still in flight (a page read ahead that nobody will ask
        for, against a server that takes its time) is cut off by shutting its socket, and no
        request leaves after this (one connecting meanwhile is shut as it connects)."""
        with self._lock:
            self._stopping = True
            sock = self._socket
        self._jobs.put(None)
        _shut(sock)
        try:
            await asyncio.wrap_future(self._ended)
        finally:
            self._thread.join()

    # --- the reader's thread -----------------------------------------------------------------

    def _serve(self) -> None:
        try:
            while (page := self._jobs.get()) is not None:
                self._fetch(page)
        finally:
            self._http.close()
            self._ended.set_result(None)

    def _fetch(self, page: _Page) -> None:
        """``page``, then the pages after it while the loop keeps asking for them: one page
        ahead at most (a loop that has not asked for the one read ahead yet resumes the
        chain when it does)."""
        while page.future.set_running_or_notify_cancel():  # False: the caller gave up on it
            with self._lock:
                stopping = self._stopping
            if stopping:  # closing: the kept-alive socket is shut, a new one must not be made
                page.future.set_exception(httpx.ReadError("the page reader is closed"))
                return
            try:
                response = self._http.get(
                    page.path, params=page.params, headers=page.headers, extensions={"trace": self._trace}
                )
            except Exception as exc:  # noqa: BLE001 - the caller's to judge (api/client.py)
                page.future.set_exception(exc)
                return
            following = self._following(page.params, response)
            nxt = None
            with self._lock:
                # Published before this answer is handed over: the loop's request for the
                # next page must find it, not send it a second time.
                if following is not None and page.asked:
                    nxt = self._ahead = _Page(page.path, following, page.headers, asked=False)
                else:
                    page.following = following
            page.future.set_result(response)
            if nxt is None:
                return
            page = nxt

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's account of a request: a connection made for it is known at once (close()
        shuts it), not when its answer arrives; made while closing, it is shut here."""
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            stream = info.get("return_value")
            with self._lock:
                self._socket = stream.get_extra_info("socket") if stream is not None else None
                stopping = self._stopping
            if stopping:
                _shut(self._socket)

    def _following(self, params: dict[str, Any], response: httpx.Response) -> dict[str, Any] | None:
        """The next page's params, when it may be read ahead."""
        if self._stopping or response.status_code != 200 or not self._may_read_ahead():
            return None
        try:
            cursor = next_cursor_of(response.content)
        except ValueError:  # not a page (the client says so when it reads it)
            return None
        if not cursor or cursor == params.get("cursor"):
            return None
        return {**params, "cursor": cursor}


def _shut(sock: socket.socket | None) -> None:
    """End every wait on ``sock`` (closing it would not wake a thread blocked reading it)."""
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:  # closed already
            pass
