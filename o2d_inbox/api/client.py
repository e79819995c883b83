"""Async client of the Outreach2day Unibox API (one pooled httpx.AsyncClient; on the network,
thread pages through a PageReader: api/reader.py).

The interface (the other layers code against exactly these signatures):

    client = UniboxClient(base_url, api_key, workspace_id=None, *, transport=None,
                          timeout=15.0, patience=300.0, max_retries=None, backoff_base=0.25,
                          backoff_max=8.0, sleep=asyncio.sleep, clock=None,
                          # additions: connect_timeout=5.0, retry_after_max=60.0,
                          #            rng=random.Random() (jitter), user_agent="o2d-inbox",
                          #            on_wait=None (callback: what the client waits for)
    async with client: ...            # or await client.aclose()
    client.workspace_id               # int | None; set by resolve_workspace()
    client.stats                      # ClientStats: requests, retries, rate_limited, read_ahead (tests/benchmarks)
    client.waiting                    # str | None: "rate limited, resuming in 4 s", for a status line
    client.on_wait                    # Callable[[str | None], None] | None: called when it changes
    client.pacer.rate                 # float | None: the request rate learned from 429s (req/s)

    await client.list_workspaces() -> list[Workspace]                      GET /workspaces
    await client.resolve_workspace() -> int     # the configured one, or the only one visible
    await client.capabilities() -> Capabilities                            GET /threads/capabilities
    await client.threads_page(*, limit=200, cursor=None, mailbox_id=None, reply_intent=None,
                              updated_since: datetime | None = None) -> ThreadsPage   GET /threads
    await client.threads_page_plain(**same) -> PlainThreadsPage   # the same page as plain dicts (a sync's)
    client.iter_thread_pages(**same filters, start_cursor=None) -> AsyncIterator[ThreadsPage]
    await client.thread_messages(thread_id) -> ThreadMessages     GET /threads/{id}/messages
    await client.reply(thread_id, ReplyRequest, *, idempotency_key) -> ReplyResponse
                                                                  POST /threads/{id}/reply
    await client.forward(thread_id, ForwardRequest, *, idempotency_key) -> ReplyResponse
                                                                  POST /threads/{id}/forward
    await client.send_new(NewMessageRequest, *, idempotency_key) -> SendResponse
                                                                  POST /threads/new
    await client.operation_status(operation_id) -> OperationStatus
                                                  GET /threads/outbound-operations/{id}
    await client.set_reply_intent(thread_id, intent, *, idempotency_key) -> ReplyIntentResult
                                                  PATCH /threads/{id}/reply-intent
    await client.list_campaigns() -> list[Campaign]           GET /campaigns (all cursor pages)
    await client.add_suppressions(emails, reason, *, idempotency_key) -> SuppressionUpsertResult
                                                  POST /campaigns/suppressions
    await client.suppression_status(email) -> SuppressionStatus
                                                  GET /campaigns/suppressions/status
    await client.campaign_stats(campaign_id) -> CampaignStats    GET /campaigns/{id}/stats

Rules: Bearer auth; workspaceId query param on every call but /workspaces; retries with
exponential backoff + jitter on connection errors and 5xx for GET and for POST/PATCH that
carry an Idempotency-Key; 429 waits Retry-After (seconds or HTTP date) then retries; errors
raised as the typed classes in errors.py; the key never appears in str/repr/log.

Details the docs leave open (decided here, recorded in docs/api-notes.md):
- Retries are bounded by time without progress, not by a count: a request gives up once it
  has gone ``patience`` seconds (default 300) without an answer it could use; the wait before
  its last try may end a little later. A server this client has never reached (the
  connection is refused or cannot be made) is offline after OFFLINE_PATIENCE (8 s), not
  minutes. ``max_retries`` (None by default) is an extra cap on the number of retries, for
  callers that want one quick answer (a probe: ``max_retries=0``). An error raised when no
  request of the client got a usable answer for the whole patience has ``exhausted`` set:
  the server is gone, not just this request failing (callers doing optional work stop).
- Backoff is "full jitter": sleep uniform(0, min(backoff_max, backoff_base * 2**attempt)).
- 429 is retried for every method (the server refused before doing anything) and is not a
  failure: it is the server pacing us (api/pacing.py). Every request of the client waits out
  ``Retry-After`` (delta seconds or HTTP date, capped at ``retry_after_max``, 60 s; the
  backoff when the header is missing or unreadable), and the client learns a request rate
  that makes the next 429 rare. Time spent rate limited counts against ``patience`` only
  while no other request of the client gets an answer either. Giving up on a 429:
  RateLimitError with ``retry_after`` set to the wait the server asked for (else the backoff
  ceiling). A 5xx with ``Retry-After`` (e.g. 503) waits that long too (that request only).
- Waits of a second or more are published as ``client.waiting`` / ``on_wait`` ("rate limited,
  resuming in 4 s", "server error, retrying in 2 s") so a progress line can say why it stalls.
- An injected ``sleep`` without a ``clock`` stands for time passing: the client's clock is
  then the monotonic clock plus every second slept, so patience still runs out in tests.
- A 2xx body that is not JSON is retried like a 5xx (safe requests only), then ProtocolError.
  JSON of the wrong shape is not retried (it would not change): ProtocolError at once.
- ``updatedSince`` is sent as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC, floored to the second, so the
  window never shrinks); naive datetimes are taken as UTC.
- Every page from ``threads_page``/``iter_thread_pages`` carries ``page.cursor``: the cursor it
  was requested with (None for the first page). Persist ``page.next_cursor`` after storing a
  page to resume later; ``iter_thread_pages`` stops when ``next_cursor`` is null and raises
  ProtocolError if the server repeats a cursor (it would loop forever).
- Endpoints that need ``workspaceId`` resolve the workspace on first use if none was given.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from o2d_inbox.api.errors import (
    ApiError,
    AuthError,
    BadRequestError,
    ConflictError,
    NetworkError,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    ServerError,
    WorkspaceAccessError,
    WorkspaceChoiceError,
)
from o2d_inbox.api.keys import checked_key, mask_key, scrub_keys
from o2d_inbox.api.models import (
    PLAIN_THREADS_PAGE,
    Campaign,
    CampaignsPage,
    CampaignStats,
    Capabilities,
    ForwardRequest,
    NewMessageRequest,
    OperationStatus,
    PlainThreadsPage,
    ReplyIntentPatch,
    ReplyIntentResult,
    ReplyRequest,
    ReplyResponse,
    SendResponse,
    SuppressionStatus,
    SuppressionUpsert,
    SuppressionUpsertResult,
    ThreadMessages,
    ThreadsPage,
    Workspace,
    has_surrogate_escape,
    plain_threads_page,
    repair,
)
from o2d_inbox.api.pacing import Pacer
from o2d_inbox.api.reader import PageReader

__all__ = ["ClientStats", "UniboxClient", "format_updated_since", "mask_key", "parse_retry_after"]

log = logging.getLogger("o2d_inbox.api")

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")

DEFAULT_PATIENCE = 300.0  # seconds without a usable answer before a request gives up
#: A server this client has never reached (connection refused, no route, DNS) is offline,
#: not flaky: said within seconds, not minutes.
OFFLINE_PATIENCE = 8.0
REPORT_WAITS_FROM = 1.0  # seconds: shorter waits are not worth a status line
MAX_MESSAGE_CHARS = 300
MAX_PAGE_LIMIT = 200
CAMPAIGN_PAGE_LIMIT = 50  # the value the docs use in their examples
_EMPTY = object()  # a 2xx response without a body

# pydantic's name for a model in its messages ("… or instance of ThreadsPage"): Python, not the API.
_INSTANCE_OF = re.compile(r" or instance of \w+")
# C0/C1 controls, DEL, and invisible formatting characters (bidi overrides, zero-width):
# a server message must not be able to move the cursor or reorder text on a terminal.
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]+")


@dataclass
class ClientStats:
    requests: int = 0  # HTTP attempts sent, retries included
    retries: int = 0  # attempts that were repeats of an earlier one
    rate_limited: int = 0  # 429 responses received
    waited: float = 0.0  # seconds slept: backoff, Retry-After and pacing
    read_ahead: int = 0  # thread pages that had been requested before they were asked for


def one_line(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Control characters out, whitespace collapsed, cut to ``limit`` characters."""
    text = " ".join(_UNSAFE_CHARS.sub(" ", text).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def format_updated_since(value: datetime) -> str:
    """``updatedSince`` as the docs write it: UTC, seconds, ``Z`` (naive means UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or HTTP date); None if unusable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


_STATUS_ERRORS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthError,
    403: WorkspaceAccessError,
    404: NotFoundError,
    409: ConflictError,
    422: BadRequestError,  # FastAPI's validation errors
    429: RateLimitError,
}


def _describe_detail(detail: Any) -> tuple[str | None, str | None]:
    """(code, message) out of an envelope's ``detail``: an object, a FastAPI list, or a string."""
    if isinstance(detail, dict):
        code = detail.get("error")
        message = detail.get("message")
        return (str(code) if code is not None else None, str(message) if message is not None else None)
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                loc = ".".join(str(p) for p in item.get("loc") or [] if p != "body")
                msg = str(item.get("msg") or item.get("message") or "")
                parts.append(f"{loc}: {msg}" if loc else msg)
            else:
                parts.append(str(item))
        return "validation_error", "; ".join(p for p in parts if p) or None
    if detail is not None:
        return None, str(detail)
    return None, None


class UniboxClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        workspace_id: int | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 15.0,
        patience: float = DEFAULT_PATIENCE,
        max_retries: int | None = None,
        backoff_base: float = 0.25,
        backoff_max: float = 8.0,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        clock: Callable[[], float] | None = None,
        connect_timeout: float = 5.0,
        retry_after_max: float = 60.0,
        rng: random.Random | None = None,
        user_agent: str = "o2d-inbox",
        on_wait: Callable[[str | None], None] | None = None,
    ) -> None:
        self._api_key = api_key = checked_key(api_key)
        self.base_url = base_url.rstrip("/")
        self.workspace_id = workspace_id
        self.stats = ClientStats()
        self.patience = max(0.0, float(patience))
        self.max_retries = None if max_retries is None else max(0, int(max_retries))
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max
        self._sleep = sleep
        self._slept = 0.0
        if clock is None:
            clock = time.monotonic if sleep is asyncio.sleep else self._virtual_clock
        self._clock = clock
        self.pacer = Pacer(clock)
        self._answered_at = -math.inf  # the last time any request got an answer it could use
        self.on_wait = on_wait
        self._waits: dict[object, tuple[str, float]] = {}  # pause -> (reason, until)
        self._rng = rng or random.Random()
        self._resolve_lock = asyncio.Lock()
        http_settings: dict[str, Any] = dict(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout, connect=min(timeout, connect_timeout)),
            headers={
                "Authorization": f"Bearer {api_key}",
                "Accept": "application/json",
                "User-Agent": user_agent,
            },
            follow_redirects=False,  # a redirect could carry the Authorization header elsewhere
        )
        if transport is None:
            # One TLS context for both clients (this one and the page reader's): loading the
            # CA certificates costs ~25 ms of CPU for each.
            http_settings["verify"] = httpx.create_ssl_context()
        self._http = httpx.AsyncClient(transport=transport, **http_settings)
        # Thread pages go through a PageReader (its own thread and synchronous client, the
        # same settings) on the network; an injected transport (the in-process simulator,
        # a test's mock) serves them on the event loop like every other request.
        self._page_http: Callable[[], httpx.Client] | None = (
            (lambda: httpx.Client(**http_settings)) if transport is None else None
        )
        self._reader: PageReader | None = None

    def __repr__(self) -> str:
        return (
            f"UniboxClient(base_url={self.base_url!r}, workspace_id={self.workspace_id!r}, "
            f"api_key={mask_key(self._api_key)!r})"
        )

    async def __aenter__(self) -> UniboxClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        reader, self._reader = self._reader, None
        try:
            if reader is not None:
                await reader.close()
        finally:
            await self._http.aclose()

    # --- workspaces ---------------------------------------------------------------------

    async def list_workspaces(self) -> list[Workspace]:
        data = await self._request("GET", "/workspaces", workspace=False)
        if isinstance(data, dict) and isinstance(data.get("items"), list):
            data = data["items"]  # tolerate the paginated envelope other lists use
        return [self._parse(Workspace, item, "GET /workspaces") for item in self._as_list(data, "GET /workspaces")]

    async def resolve_workspace(self) -> int:
        if self.workspace_id is not None:
            return self.workspace_id
        async with self._resolve_lock:
            if self.workspace_id is not None:
                return self.workspace_id
            workspaces = await self.list_workspaces()
            if len(workspaces) == 1:
                self.workspace_id = workspaces[0].workspace_id
                return self.workspace_id
            if not workspaces:
                raise WorkspaceChoiceError("the API key has access to no workspace")
            listed = ", ".join(
                f"{w.workspace_id} ({one_line(w.project_name, 40)})" if w.project_name else str(w.workspace_id)
                for w in workspaces
            )
            raise WorkspaceChoiceError(
                one_line(
                    f"the API key has access to {len(workspaces)} workspaces; choose one with "
                    f"--workspace ID or O2D_INBOX_WORKSPACE: {listed}"
                )
            )

    # --- Unibox reads ---------------------------------------------------------------------

    async def capabilities(self) -> Capabilities:
        return self._parse(
            Capabilities, await self._request("GET", "/threads/capabilities"), "GET /threads/capabilities"
        )

    async def threads_page(
        self,
        *,
        limit: int = 200,
        cursor: str | None = None,
        mailbox_id: str | None = None,
        reply_intent: str | None = None,
        updated_since: datetime | None = None,
    ) -> ThreadsPage:
        def decode(body: bytes) -> ThreadsPage:
            page = self._parse_json(ThreadsPage, body, "GET /threads")
            page._cursor = cursor
            return page

        return await self._thread_pages_request(decode, limit, cursor, mailbox_id, reply_intent, updated_since)

    async def threads_page_plain(
        self,
        *,
        limit: int = 200,
        cursor: str | None = None,
        mailbox_id: str | None = None,
        reply_intent: str | None = None,
        updated_since: datetime | None = None,
    ) -> PlainThreadsPage:
        """``threads_page`` as plain data (models.ThreadData dicts: a sync's hot path, a third
        cheaper than models), validated by pydantic-core straight from the bytes, once. On the
        network the next page is on its way meanwhile (api/reader.py reads it ahead)."""

        def decode(body: bytes) -> PlainThreadsPage:
            return plain_threads_page(self._parse_json(PLAIN_THREADS_PAGE, body, "GET /threads"), cursor)

        return await self._thread_pages_request(decode, limit, cursor, mailbox_id, reply_intent, updated_since)

    async def _thread_pages_request(
        self,
        decode: Callable[[bytes], R],
        limit: int,
        cursor: str | None,
        mailbox_id: str | None,
        reply_intent: str | None,
        updated_since: datetime | None,
    ) -> R:
        """GET /threads with these filters, its body ``decode``d: malformed JSON is retried,
        a page of the wrong shape is a ProtocolError at once (it would not change)."""
        if not 1 <= limit <= MAX_PAGE_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE_LIMIT}, not {limit}")
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        if mailbox_id is not None:
            params["mailboxId"] = mailbox_id
        if reply_intent is not None:
            params["replyIntent"] = reply_intent
        if updated_since is not None:
            params["updatedSince"] = format_updated_since(updated_since)
        result: R = await self._request("GET", "/threads", params=params, decode=decode, read_ahead=True)
        return result

    async def iter_thread_pages(
        self,
        *,
        limit: int = 200,
        mailbox_id: str | None = None,
        reply_intent: str | None = None,
        updated_since: datetime | None = None,
        start_cursor: str | None = None,
    ) -> AsyncIterator[ThreadsPage]:
        cursor = start_cursor
        seen: set[str] = set()
        while True:
            page = await self.threads_page(
                limit=limit,
                cursor=cursor,
                mailbox_id=mailbox_id,
                reply_intent=reply_intent,
                updated_since=updated_since,
            )
            yield page
            cursor = page.next_cursor
            if not cursor:
                return
            if cursor in seen:
                raise ProtocolError(
                    "GET /threads: the server returned a cursor it had already given; stopping instead of looping"
                )
            seen.add(cursor)

    async def thread_messages(self, thread_id: str) -> ThreadMessages:
        path = f"/threads/{_seg(thread_id)}/messages"
        return self._parse(ThreadMessages, await self._request("GET", path), f"GET {path}")

    async def operation_status(self, operation_id: str) -> OperationStatus:
        path = f"/threads/outbound-operations/{_seg(operation_id)}"
        data = _unwrap(
            await self._request("GET", path), ("status", "operation_id"), ("operation", "data", "item", "result")
        )
        status = self._parse(OperationStatus, data, f"GET {path}")
        if status.operation_id is None:
            status.operation_id = operation_id
        return status

    # --- Unibox mutations (always with an Idempotency-Key, hence always retryable) -----------

    async def reply(self, thread_id: str, request: ReplyRequest, *, idempotency_key: str) -> ReplyResponse:
        path = f"/threads/{_seg(thread_id)}/reply"
        data = await self._request("POST", path, json=_body(request), idempotency_key=idempotency_key)
        return self._parse(ReplyResponse, data, f"POST {path}")

    async def forward(self, thread_id: str, request: ForwardRequest, *, idempotency_key: str) -> ReplyResponse:
        path = f"/threads/{_seg(thread_id)}/forward"
        data = await self._request("POST", path, json=_body(request), idempotency_key=idempotency_key)
        return self._parse(ReplyResponse, data, f"POST {path}")

    async def send_new(self, request: NewMessageRequest, *, idempotency_key: str) -> SendResponse:
        data = await self._request("POST", "/threads/new", json=_body(request), idempotency_key=idempotency_key)
        return self._parse(SendResponse, data, "POST /threads/new")

    async def set_reply_intent(self, thread_id: str, intent: str | None, *, idempotency_key: str) -> ReplyIntentResult:
        """Override the classification; ``None`` clears it (``{"replyIntent": null}``)."""
        path = f"/threads/{_seg(thread_id)}/reply-intent"
        body = ReplyIntentPatch(replyIntent=intent).model_dump(mode="json")  # null is meaningful here
        data = await self._request("PATCH", path, json=body, idempotency_key=idempotency_key)
        if data is _EMPTY:  # the response is undocumented; an empty 2xx means accepted
            data = {}
        result = self._parse(ReplyIntentResult, data, f"PATCH {path}")
        if result.thread_id is None and result.id is None:
            result.thread_id = thread_id
        if "replyIntent" not in result.model_fields_set:
            result.replyIntent = intent
        return result

    # --- campaigns and suppressions -------------------------------------------------------

    async def list_campaigns(self) -> list[Campaign]:
        campaigns: list[Campaign] = []
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            params: dict[str, Any] = {"limit": CAMPAIGN_PAGE_LIMIT}
            if cursor:
                params["cursor"] = cursor
            data = await self._request("GET", "/campaigns", params=params)
            if isinstance(data, list):  # tolerate an unpaginated list
                data = {"items": data}
            page = self._parse(CampaignsPage, data, "GET /campaigns")
            campaigns.extend(page.items)
            cursor = page.next_cursor
            if not cursor:
                return campaigns
            if cursor in seen:
                raise ProtocolError("GET /campaigns: the server returned a cursor it had already given")
            seen.add(cursor)

    async def add_suppressions(
        self, emails: Iterable[str], reason: str | None, *, idempotency_key: str
    ) -> SuppressionUpsertResult:
        body = _body(SuppressionUpsert(emails=list(emails), reason=reason))
        data = await self._request("POST", "/campaigns/suppressions", json=body, idempotency_key=idempotency_key)
        if data is _EMPTY:
            data = {}
        return self._parse(SuppressionUpsertResult, data, "POST /campaigns/suppressions")

    async def suppression_status(self, email: str) -> SuppressionStatus:
        path = "/campaigns/suppressions/status"
        data = _unwrap(
            await self._request("GET", path, params={"email": email}),
            ("suppressed", "email"),
            ("status", "suppression", "data", "item", "result"),
        )
        status = self._parse(SuppressionStatus, data, f"GET {path}")
        if status.email is None:
            status.email = email
        return status

    # --- the one request loop -------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        idempotency_key: str | None = None,
        workspace: bool = True,
        decode: Callable[[bytes], Any] | None = None,
        read_ahead: bool = False,
    ) -> Any:
        """Send, retry what is safe to retry, return the decoded JSON (``_EMPTY`` for no body),
        or ``decode(body)`` (it raises ValueError for malformed JSON: retried like json.loads).
        ``read_ahead``: a cursor page, sent by the PageReader (when on the network), which
        asks for the next page as soon as this one arrives; every answer, the read-ahead's
        too, goes through the rules below."""
        query: dict[str, Any] = {}
        if workspace:
            query["workspaceId"] = await self.resolve_workspace()
        query.update(params or {})
        headers = {}
        if idempotency_key is not None:
            if not idempotency_key:
                raise ValueError("idempotency_key must not be empty")
            headers["Idempotency-Key"] = idempotency_key
        # Only requests the server can see twice without acting twice are repeated.
        retryable = method == "GET" or idempotency_key is not None
        what = f"{method} {path}"
        attempt = 0
        since = self._clock()  # this request's time without progress starts now
        while True:
            delay = await self._take_slot()
            self.stats.requests += 1
            sent_at = self.pacer.sent()
            try:
                if read_ahead and self._page_http is not None:
                    if self._reader is None:
                        # Reading ahead while no 429 was seen: once the server paces us, every
                        # request waits for its slot here (api/pacing.py) before it leaves.
                        self._reader = PageReader(self._page_http(), lambda: self.pacer.rate is None)
                    response, ahead = await self._reader.get(path, query, headers)
                    self.stats.read_ahead += ahead
                else:
                    response = await self._http.request(method, path, params=query, json=json, headers=headers)
            except (httpx.TransportError, httpx.DecodingError) as exc:
                # DecodingError: a body whose Content-Encoding did not decode, i.e. it arrived damaged.
                reason = _transport_reason(exc)
                offline = self._answered_at == -math.inf and isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))
                if (
                    retryable
                    and self._may_retry(attempt, since, offline=offline)
                    and not isinstance(exc, httpx.UnsupportedProtocol)
                ):
                    attempt = await self._retry(attempt, what, reason, None, "connection problem")
                    continue
                raise NetworkError(
                    self._message(what, None, None, reason), exhausted=retryable and self._gone(since, offline)
                ) from None

            status = response.status_code
            if status == 429 or status >= 500:
                # A 503 may carry Retry-After too; honoured the same way.
                wait = parse_retry_after(response.headers.get("Retry-After"))
                if wait is not None:
                    wait = min(wait, self.retry_after_max)
            if status == 429:
                self.stats.rate_limited += 1
                asked = wait if wait is not None else self._backoff_ceiling(attempt)
                self.pacer.rate_limited(sent_at, asked)
                # Pacing, not failure, while the server answers our other requests.
                since = max(since, self._answered_at)
                if self._may_retry(attempt, since):
                    # no wait here: the pacer's, which every request of this client waits out
                    self.stats.retries += 1
                    attempt += 1
                    log.debug(
                        "retrying %s after HTTP 429: Retry-After %.2fs, pacing at %.2f/s",
                        what,
                        asked,
                        self.pacer.rate or 0.0,
                    )
                    continue
                raise self._error(response, what, retry_after=asked, exhausted=self._gone(since))
            if status >= 500:
                if retryable and self._may_retry(attempt, since):
                    attempt = await self._retry(attempt, what, f"HTTP {status}", wait, "server error")
                    continue
                raise self._error(response, what, retry_after=wait, exhausted=retryable and self._gone(since))
            if status >= 400:
                self._answered(delay > 0)  # the server answered: it is reachable and serving
                raise self._error(response, what)
            if status >= 300:
                # Not followed: the Authorization header must not travel to another host.
                where = response.headers.get("Location", "")
                raise ProtocolError(
                    self._message(what, status, None, f"unexpected redirect to {where} (check the base URL)"),
                    status=status,
                )

            body = response.content
            try:
                if not body.strip() and decode is None:
                    result = _EMPTY
                else:
                    result = decode(body) if decode is not None else _loads(body)
            except ValueError:
                if retryable and self._may_retry(attempt, since):
                    attempt = await self._retry(attempt, what, "malformed JSON", None, "malformed response")
                    continue
                raise ProtocolError(
                    self._message(what, status, None, "the response is not valid JSON"),
                    status=status,
                    exhausted=retryable and self._gone(since),
                ) from None
            self._answered(delay > 0)
            return result

    # --- retry policy and waits -------------------------------------------------------------

    def _may_retry(self, attempt: int, since: float, *, offline: bool = False) -> bool:
        """Another try, unless the optional count cap is reached or ``patience`` seconds have
        passed since this request's last progress (its start, or for a 429 the client's last
        answer); OFFLINE_PATIENCE while the server has never been reached at all."""
        if self.max_retries is not None and attempt >= self.max_retries:
            return False
        patience = min(self.patience, OFFLINE_PATIENCE) if offline else self.patience
        return self._clock() - since < patience

    def _gone(self, since: float, offline: bool = False) -> bool:
        """No request of this client has had a usable answer for the whole patience."""
        patience = min(self.patience, OFFLINE_PATIENCE) if offline else self.patience
        return self._clock() - max(since, self._answered_at) >= patience

    async def _take_slot(self) -> float:
        """Wait for this request's turn (the pacer's rate, a Retry-After); returns the wait."""
        waited = 0.0
        while True:
            epoch = self.pacer.epoch
            delay, held = self.pacer.reserve()
            if delay > 0:
                await self._pause(delay, "rate limited" if held else None)
                waited += delay
            if self.pacer.epoch == epoch:  # no 429 meanwhile: the slot still stands
                return waited

    def _answered(self, paced: bool) -> None:
        self._answered_at = self._clock()
        self.pacer.succeeded(paced)

    async def _retry(self, attempt: int, what: str, reason: str, wait: float | None, waiting_for: str) -> int:
        """Wait before a retry of a failure (``wait``, else the jittered backoff)."""
        if wait is None:
            wait = self._rng.uniform(0, self._backoff_ceiling(attempt))
        self.stats.retries += 1
        log.debug("retrying %s after %s in %.2fs (retry %d)", what, self._scrub(one_line(reason)), wait, attempt + 1)
        await self._pause(wait, waiting_for)
        return attempt + 1

    def _backoff_ceiling(self, attempt: int) -> float:
        return min(self.backoff_max, self.backoff_base * (2 ** min(attempt, 32)))

    async def _pause(self, seconds: float, reason: str | None) -> None:
        """Sleep ``seconds``; a wait worth mentioning is published in ``waiting`` meanwhile."""
        self.stats.waited += seconds
        if reason is None or seconds < REPORT_WAITS_FROM:
            await self._sleep_for(seconds)
            return
        token = object()
        self._waits[token] = (reason, self._clock() + seconds)
        self._tell()
        try:
            await self._sleep_for(seconds)
        finally:
            del self._waits[token]
            self._tell()

    async def _sleep_for(self, seconds: float) -> None:
        await self._sleep(seconds)
        self._slept += seconds

    def _virtual_clock(self) -> float:
        return time.monotonic() + self._slept

    @property
    def waiting(self) -> str | None:
        """What the client waits for, e.g. "rate limited, resuming in 4 s" (None: nothing)."""
        if not self._waits:
            return None
        reason, until = max(self._waits.values(), key=lambda w: w[1])
        seconds = max(1, math.ceil(until - self._clock()))
        verb = "resuming" if reason == "rate limited" else "retrying"
        return f"{reason}, {verb} in {seconds} s"

    def _tell(self) -> None:
        if self.on_wait is not None:
            self.on_wait(self.waiting)

    def _error(
        self, response: httpx.Response, what: str, *, retry_after: float | None = None, exhausted: bool = False
    ) -> ApiError:
        status = response.status_code
        code, message = None, None
        try:
            data = _loads(response.content)
        except ValueError:
            data = None
            message = response.text
        if data is not None:
            if isinstance(data, dict) and "detail" in data:
                code, message = _describe_detail(data["detail"])
            elif isinstance(data, dict) and ("error" in data or "message" in data):
                code, message = _describe_detail(data)
            else:
                message = response.text
        if not (message or "").strip():
            message = response.reason_phrase
        cls = _STATUS_ERRORS.get(status) or (ServerError if status >= 500 else ApiError)
        if code is not None:
            code = one_line(code, 60)
        return cls(
            self._message(what, status, code, message or ""),
            status=status,
            code=code,
            retry_after=retry_after,
            exhausted=exhausted,
        )

    def _message(self, what: str, status: int | None, code: str | None, detail: str) -> str:
        head = f"{what}: HTTP {status}" if status is not None else what
        if code:
            head += f" {code}"
        text = f"{head}: {detail}" if detail else head
        return self._scrub(one_line(text))

    def _scrub(self, text: str) -> str:
        """The key never leaves this object, even if a server echoes it back: applied after
        one_line, so a key split by an invisible character is still masked (scrub_keys)."""
        return scrub_keys(text, self._api_key)

    def _parse(self, model: type[M] | TypeAdapter[Any], data: Any, what: str) -> Any:
        """``data`` validated as ``model`` (a model, or a TypeAdapter of a plain form);
        ProtocolError for the wrong shape."""
        if data is _EMPTY:
            raise ProtocolError(self._message(what, None, None, "the response is empty"))
        try:
            return model.validate_python(data) if isinstance(model, TypeAdapter) else model.model_validate(data)
        except ValidationError as exc:
            first: dict[str, Any] = dict(exc.errors()[0]) if exc.error_count() else {}
            where = ".".join(str(p) for p in first.get("loc", ())) or "response"
            # The input value is deliberately left out: it is server text and may be anything.
            msg = _INSTANCE_OF.sub("", str(first.get("msg", "invalid")))
            raise ProtocolError(
                self._message(what, None, None, f"unexpected response shape at {where}: {msg}")
            ) from None

    def _parse_json(self, model: type[M] | TypeAdapter[Any], body: bytes, what: str) -> Any:
        """``_parse`` of a raw body; malformed JSON raises ValueError (the caller retries)."""
        if not body.strip():
            raise ProtocolError(self._message(what, None, None, "the response is empty"))
        try:
            return model.validate_json(body) if isinstance(model, TypeAdapter) else model.model_validate_json(body)
        except ValidationError as exc:
            errors = exc.errors()
            malformed = bool(errors) and errors[0].get("type") == "json_invalid"
        # Rare: decoded twice. pydantic-core refuses a lone surrogate escape that json.loads
        # reads (and _loads repairs); else the same one-line shape error as _parse.
        try:
            data = _loads(body)
        except ValueError:
            if malformed:
                raise ValueError("malformed JSON") from None
            raise ProtocolError(self._message(what, None, None, "the response is not valid JSON")) from None
        return self._parse(model, data, what)

    def _as_list(self, data: Any, what: str) -> list[Any]:
        if not isinstance(data, list):
            raise ProtocolError(self._message(what, None, None, "unexpected response shape: expected a list"))
        return data

    # --- campaign stats (003) -----------------------------------------------------------------

    async def campaign_stats(self, campaign_id: str) -> CampaignStats:
        """GET /campaigns/{id}/stats: the campaign's contacts and sends as the server counts them."""
        path = f"/campaigns/{_seg(campaign_id)}/stats"
        data = _unwrap(await self._request("GET", path), ("contacts", "sends"), ("stats", "data", "item", "result"))
        stats = self._parse(CampaignStats, data, f"GET {path}")
        if stats.campaignId is None:
            stats.campaignId = campaign_id
        return stats


def _seg(value: str) -> str:
    """An id as one path segment ("../" or "?" in an id must not change the URL)."""
    return quote(str(value), safe="")


def _body(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True)


def _loads(body: bytes) -> Any:
    data = json.loads(body)  # ValueError (JSONDecodeError, UnicodeDecodeError) if malformed
    return repair(data) if has_surrogate_escape(body) else data


def _unwrap(data: Any, own_keys: tuple[str, ...], envelope_keys: tuple[str, ...]) -> Any:
    """``{"<envelope>": {...}}`` → the inner object, when the outer one has none of its own fields.

    Used where the docs name an "EnvelopeOut" schema without showing it.
    """
    if not isinstance(data, dict):
        return data
    if any(k in data and not isinstance(data[k], dict) for k in own_keys):
        return data
    for key in envelope_keys:
        inner = data.get(key)
        if isinstance(inner, dict):
            return inner
    return data


def _transport_reason(exc: httpx.RequestError) -> str:
    kind = {
        httpx.ConnectTimeout: "connection timed out",
        httpx.ReadTimeout: "read timed out",
        httpx.WriteTimeout: "write timed out",
        httpx.PoolTimeout: "connection pool timed out",
        httpx.ConnectError: "could not connect",
        httpx.ReadError: "connection dropped while reading",
        httpx.WriteError: "connection dropped while writing",
        httpx.RemoteProtocolError: "the server broke the HTTP protocol (connection dropped?)",
        httpx.DecodingError: "the response body arrived damaged",
    }.get(type(exc), type(exc).__name__)
    detail = str(exc)
    return f"{kind} ({detail})" if detail else kind
