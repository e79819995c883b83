"""Error mapping, retries, 429 Retry-After, and the key never leaking (httpx.MockTransport)."""

from __future__ import annotations

import json
import logging
import math
import traceback
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest

from o2d_inbox.api import (
    ApiError,
    AuthError,
    BadRequestError,
    ConflictError,
    NetworkError,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    ReplyRequest,
    ServerError,
    UniboxClient,
    WorkspaceAccessError,
    WorkspaceChoiceError,
    parse_retry_after,
)

from .conftest import API_KEY, BASE_URL

PAGE = {"threads": [{"id": "thr_1"}], "next_cursor": None}
REPLY_OK = {"status": "queued", "message_id": "<m@x>", "operation_id": "op_1"}


def envelope(error: str, message: str) -> dict:
    return {"detail": {"error": error, "message": message}}


class Script:
    """Answers requests from a list of steps (a Response, an exception to raise, or a callable)."""

    def __init__(self, *steps, then=None) -> None:
        self.steps = list(steps)
        self.then = then  # answer once the steps run out
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0) if self.steps else self.then
        if isinstance(step, BaseException):
            raise step
        if callable(step):
            return step(request)
        return step


def ok(data=PAGE) -> httpx.Response:
    return httpx.Response(200, json=data)


# --- error mapping ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls", "exit_code"),
    [
        (400, BadRequestError, 5),
        (401, AuthError, 3),
        (403, WorkspaceAccessError, 3),
        (404, NotFoundError, 5),
        (409, ConflictError, 5),
    ],
)
async def test_4xx_maps_to_typed_error_without_retry(make_client, sleeps, status, cls, exit_code):
    script = Script(then=httpx.Response(status, json=envelope("some_code", "The server says no")))
    client = make_client(script)
    with pytest.raises(cls) as info:
        await client.threads_page()
    err = info.value
    assert (err.status, err.code, err.exit_code) == (status, "some_code", exit_code)
    assert str(err) == f"GET /threads: HTTP {status} some_code: The server says no"
    assert len(script.requests) == 1 and sleeps.calls == []


async def test_documented_error_envelope_reaches_the_message(make_client):
    body = {
        "detail": {"error": "workspace_not_found", "message": "Workspace 999 does not exist or you don't have access"}
    }
    client = make_client(Script(then=httpx.Response(403, json=body)), workspace_id=999)
    with pytest.raises(WorkspaceAccessError, match="HTTP 403 workspace_not_found: Workspace 999 does not exist"):
        await client.capabilities()


async def test_fastapi_validation_list_and_plain_text_bodies(make_client):
    fastapi = {
        "detail": [
            {"loc": ["query", "limit"], "msg": "Input should be less than or equal to 200", "type": "less_than_equal"}
        ]
    }
    client = make_client(
        Script(
            httpx.Response(422, json=fastapi), httpx.Response(400, text="bad cursor\n"), httpx.Response(404, text="")
        )
    )
    with pytest.raises(BadRequestError) as info:
        await client.threads_page()
    assert info.value.code == "validation_error"
    assert "query.limit: Input should be less than or equal to 200" in str(info.value)
    with pytest.raises(BadRequestError, match=r"^GET /threads: HTTP 400: bad cursor$"):
        await client.threads_page(cursor="stale")
    with pytest.raises(NotFoundError, match=r"HTTP 404: Not Found$"):
        await client.thread_messages("thr_gone")


async def test_server_text_is_one_sanitized_truncated_line(make_client):
    nasty = "line one\nline two\x1b[31m RED\x07\u202e" + "x" * 1000
    client = make_client(Script(then=httpx.Response(400, json=envelope("bad\x1b]0;title\x07", nasty))))
    with pytest.raises(BadRequestError) as info:
        await client.threads_page()
    text = str(info.value)
    assert "\n" not in text and "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "line one line two [31m RED" in text
    assert len(text) <= 300 and text.endswith("…")


# --- retries ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_on_get_is_retried_with_capped_jittered_backoff(make_client, sleeps, status):
    script = Script(then=httpx.Response(status, text="upstream sad"))
    client = make_client(script, max_retries=4, backoff_base=0.5, backoff_max=2.0)
    with pytest.raises(ServerError) as info:
        await client.threads_page()
    assert info.value.status == status and info.value.exit_code == 5
    assert f"HTTP {status}: upstream sad" in str(info.value)
    assert len(script.requests) == 5
    assert client.stats.requests == 5 and client.stats.retries == 4
    ceilings = [0.5, 1.0, 2.0, 2.0]  # base * 2**n, capped at backoff_max
    assert len(sleeps.calls) == 4
    assert all(0 <= s <= c for s, c in zip(sleeps.calls, ceilings, strict=True))
    assert len(set(sleeps.calls)) > 1  # jittered, not a fixed delay


async def test_transient_5xx_then_success(make_client, sleeps):
    script = Script(httpx.Response(503), httpx.Response(500), then=ok())
    client = make_client(script)
    page = await client.threads_page()
    assert page.threads[0].id == "thr_1"
    assert client.stats.requests == 3 and client.stats.retries == 2 and len(sleeps.calls) == 2


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ReadError("connection reset"),
        httpx.RemoteProtocolError("Server disconnected"),
        httpx.ReadTimeout("timed out"),
        httpx.ConnectError("refused"),
    ],
    ids=["read-error", "remote-protocol", "read-timeout", "connect-error"],
)
async def test_dropped_connection_on_get_is_retried(make_client, exc):
    script = Script(exc, exc, then=ok())
    client = make_client(script)
    assert (await client.threads_page()).threads[0].id == "thr_1"
    assert len(script.requests) == 3 and client.stats.retries == 2


async def test_connection_errors_become_network_error_after_retries(make_client, sleeps):
    script = Script(then=httpx.RemoteProtocolError("Server disconnected without sending a response."))
    client = make_client(script, max_retries=2)
    with pytest.raises(NetworkError) as info:
        await client.capabilities()
    assert info.value.exit_code == 4 and info.value.status is None
    assert "GET /threads/capabilities" in str(info.value) and "Server disconnected" in str(info.value)
    assert len(script.requests) == 3 and len(sleeps.calls) == 2


async def test_refused_connection_on_a_real_socket(sleeps, closed_port):
    async with UniboxClient(
        f"http://127.0.0.1:{closed_port}", API_KEY, 1, max_retries=1, sleep=sleeps, timeout=2.0
    ) as client:
        with pytest.raises(NetworkError, match="could not connect"):
            await client.capabilities()
    assert client.stats.requests == 2


async def test_mutation_retries_resend_the_same_idempotency_key_and_body(make_client, sleeps):
    script = Script(
        httpx.ReadError("reset"),
        httpx.Response(502),
        httpx.ReadTimeout("slow"),
        then=httpx.Response(200, json=REPLY_OK),
    )
    client = make_client(script)
    result = await client.reply("thr_1", ReplyRequest(bodyText="Hello"), idempotency_key="key-123")
    assert result.operation_id == "op_1"
    assert len(script.requests) == 4
    assert [r.headers["idempotency-key"] for r in script.requests] == ["key-123"] * 4
    assert {r.content for r in script.requests} == {b'{"bodyText":"Hello"}'}


async def test_every_mutation_requires_an_idempotency_key(make_client):
    client = make_client(Script(then=ok(REPLY_OK)))
    with pytest.raises(TypeError):
        await client.reply("thr_1", ReplyRequest(bodyText="x"))  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        await client.set_reply_intent("thr_1", "interested")  # type: ignore[call-arg]


async def test_a_post_without_idempotency_key_is_never_repeated(make_client, sleeps):
    script = Script(then=httpx.ReadError("reset"))
    client = make_client(script)
    with pytest.raises(NetworkError):
        await client._request("POST", "/threads/new", json={"toAddress": "a@b"})
    script2 = Script(then=httpx.Response(503))
    client2 = make_client(script2)
    with pytest.raises(ServerError):
        await client2._request("POST", "/threads/new", json={"toAddress": "a@b"})
    assert len(script.requests) == 1 and len(script2.requests) == 1 and sleeps.calls == []


async def test_max_retries_zero_means_one_attempt(make_client):
    script = Script(then=httpx.Response(500))
    client = make_client(script, max_retries=0)
    with pytest.raises(ServerError):
        await client.threads_page()
    assert len(script.requests) == 1


# --- 429 ----------------------------------------------------------------------------------


async def test_429_waits_retry_after_seconds_then_retries(make_client, sleeps):
    script = Script(
        httpx.Response(429, headers={"Retry-After": "3"}),
        httpx.Response(429, headers={"Retry-After": "1.5"}),
        then=ok(),
    )
    client = make_client(script)
    await client.threads_page()
    assert sleeps.calls == [3.0, 1.5]
    assert client.stats.rate_limited == 2 and client.stats.retries == 2


async def test_429_retry_after_http_date(make_client, sleeps):
    when = datetime.now(timezone.utc) + timedelta(seconds=20)
    script = Script(httpx.Response(429, headers={"Retry-After": format_datetime(when, usegmt=True)}), then=ok())
    client = make_client(script)
    await client.threads_page()
    [waited] = sleeps.calls
    assert 17 <= waited <= 20


async def test_429_retry_after_is_capped_and_falls_back_to_backoff(make_client, sleeps):
    script = Script(
        httpx.Response(429, headers={"Retry-After": "3600"}),
        httpx.Response(429, headers={"Retry-After": "soon"}),
        httpx.Response(429),
        then=ok(),
    )
    client = make_client(script, backoff_base=0.5, backoff_max=8.0)
    await client.threads_page()
    assert sleeps.calls[0] == 60.0
    assert 0 <= sleeps.calls[1] <= 1.0 and 0 <= sleeps.calls[2] <= 2.0


async def test_429_after_max_retries_raises_rate_limit_with_retry_after(make_client, sleeps):
    script = Script(
        then=httpx.Response(429, headers={"Retry-After": "5"}, json=envelope("rate_limited", "Too many requests"))
    )
    client = make_client(script, max_retries=3)
    with pytest.raises(RateLimitError) as info:
        await client.reply("thr_1", ReplyRequest(bodyText="x"), idempotency_key="k")
    assert info.value.retry_after == 5.0 and info.value.status == 429
    assert "HTTP 429 rate_limited: Too many requests" in str(info.value)
    assert sleeps.calls == [5.0, 5.0, 5.0] and len(script.requests) == 4


def test_parse_retry_after():
    now = datetime(2026, 3, 9, 10, 0, tzinfo=timezone.utc)
    assert parse_retry_after("7", now=now) == 7.0
    assert parse_retry_after("Mon, 09 Mar 2026 10:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Mon, 09 Mar 2026 09:00:00 GMT", now=now) == 0.0  # in the past
    assert parse_retry_after("-4", now=now) == 0.0
    for bad in (None, "", "later", "nan"):
        assert parse_retry_after(bad, now=now) is None


# --- malformed responses ---------------------------------------------------------------------


async def test_malformed_json_is_retried_then_protocol_error(make_client, sleeps):
    script = Script(then=httpx.Response(200, content=b'{"threads": [{"id": "thr_1"'))
    client = make_client(script, max_retries=2)
    with pytest.raises(ProtocolError, match="GET /threads: HTTP 200: the response is not valid JSON"):
        await client.threads_page()
    assert len(script.requests) == 3


async def test_malformed_json_once_then_good(make_client):
    script = Script(httpx.Response(200, content=b"\xff\xfe garbage"), then=ok())
    client = make_client(script)
    assert (await client.threads_page()).threads[0].id == "thr_1"


@pytest.mark.parametrize(
    "body",
    [
        {"threads": "not a list"},
        [1, 2, 3],
    ],
)
async def test_wrong_shape_is_a_protocol_error_at_once(make_client, body):
    script = Script(then=httpx.Response(200, json=body))
    client = make_client(script)
    with pytest.raises(ProtocolError, match=r"^GET /threads: unexpected response shape"):
        await client.threads_page()
    assert len(script.requests) == 1


async def test_empty_body_where_one_is_needed(make_client):
    client = make_client(Script(then=httpx.Response(200)))
    with pytest.raises(ProtocolError, match="empty"):
        await client.capabilities()


# --- workspaces ---------------------------------------------------------------------------


async def test_resolve_workspace_prefers_the_configured_id(make_client):
    script = Script(then=ok([]))
    client = make_client(script, workspace_id=7)
    assert await client.resolve_workspace() == 7 and script.requests == []


async def test_resolve_workspace_with_several_lists_them(make_client):
    several = [{"workspace_id": 42, "project_name": "Main"}, {"workspace_id": 43, "project_name": "Side\x1b[2J"}]
    client = make_client(Script(then=ok(several)), workspace_id=None)
    with pytest.raises(WorkspaceChoiceError) as info:
        await client.threads_page()
    assert info.value.exit_code == 2
    assert "2 workspaces" in str(info.value) and "42 (Main)" in str(info.value) and "43 (Side [2J)" in str(info.value)
    assert client.workspace_id is None


async def test_resolve_workspace_with_none(make_client):
    client = make_client(Script(then=ok([])), workspace_id=None)
    with pytest.raises(WorkspaceChoiceError, match="no workspace"):
        await client.resolve_workspace()


async def test_first_scoped_call_resolves_the_only_workspace_once(make_client):
    def route(request):
        return ok([{"workspace_id": 9}]) if request.url.path == "/workspaces" else ok()

    script = Script(then=route)
    client = make_client(script, workspace_id=None)
    await client.threads_page()
    await client.threads_page()
    assert [r.url.path for r in script.requests] == ["/workspaces", "/threads", "/threads"]
    assert script.requests[-1].url.params["workspaceId"] == "9" and client.workspace_id == 9


# --- cursor iteration ---------------------------------------------------------------------


def cursor_pages(request: httpx.Request) -> httpx.Response:
    nxt = {None: "c1", "c1": "c2", "c2": None}
    cur = request.url.params.get("cursor")
    return ok({"threads": [{"id": f"thr_{cur}"}], "next_cursor": nxt[cur]})


async def test_iter_thread_pages_follows_cursors_and_reports_them(make_client):
    script = Script(then=cursor_pages)
    client = make_client(script)
    pages = [p async for p in client.iter_thread_pages(limit=2, reply_intent="interested")]
    assert [(p.cursor, p.next_cursor) for p in pages] == [(None, "c1"), ("c1", "c2"), ("c2", None)]
    assert [p.threads[0].id for p in pages] == ["thr_None", "thr_c1", "thr_c2"]
    assert all(r.url.params["replyIntent"] == "interested" and r.url.params["limit"] == "2" for r in script.requests)


async def test_iter_thread_pages_resumes_from_a_saved_cursor(make_client):
    client = make_client(Script(then=cursor_pages))
    pages = [p async for p in client.iter_thread_pages(start_cursor="c1")]
    assert [p.cursor for p in pages] == ["c1", "c2"]


async def test_iter_thread_pages_stops_on_a_repeating_cursor(make_client):
    client = make_client(Script(then=ok({"threads": [], "next_cursor": "same"})))
    got = []
    with pytest.raises(ProtocolError, match="already given"):
        async for page in client.iter_thread_pages():
            got.append(page)
    assert len(got) == 2


async def test_a_plain_page_retries_malformed_json_and_refuses_a_wrong_shape_at_once(make_client):
    """threads_page_plain (a sync's pages): malformed JSON is retried; threads of the wrong
    shape are the same one-line ProtocolError as threads_page gives, and not retried (they
    would not change)."""
    bad_threads = {"threads": "not a list", "next_cursor": "c9"}
    script = Script(
        httpx.Response(200, content=b'{"threads": [{"id": "thr_1"'),
        httpx.Response(200, json=bad_threads),
        httpx.Response(200, json=bad_threads),
        then=cursor_pages,
    )
    client = make_client(script)
    errors = []
    for read in (client.threads_page_plain, client.threads_page):
        with pytest.raises(ProtocolError, match=r"^GET /threads: unexpected response shape at threads") as caught:
            await read(cursor="c1")
        errors.append(str(caught.value))
    assert errors[0] == errors[1] and "\n" not in errors[0]
    assert len(script.requests) == 3  # the malformed body once more; each wrong shape once
    page = await client.threads_page_plain(cursor="c1")
    assert (page.cursor, page.next_cursor) == ("c1", "c2")
    assert [t["id"] for t in page.threads] == ["thr_c1"]  # plain data (the sync's path)


async def test_limit_outside_the_documented_range_is_refused(make_client):
    client = make_client(Script(then=ok()))
    with pytest.raises(ValueError):
        await client.threads_page(limit=201)


async def test_list_campaigns_follows_all_pages(make_client):
    def route(request):
        if request.url.params.get("cursor") == "p2":
            return ok({"items": [{"id": "cmp_2"}], "next_cursor": None})
        return ok({"items": [{"id": "cmp_1", "status": "some_new_status"}], "next_cursor": "p2"})

    client = make_client(Script(then=route))
    camps = await client.list_campaigns()
    assert [(c.id, c.status) for c in camps] == [("cmp_1", "some_new_status"), ("cmp_2", None)]


async def test_undocumented_shapes_are_read_tolerantly(make_client):
    def route(request):
        path = request.url.path
        if path.endswith("/status"):
            return ok({"status": {"email": "a@b.c", "suppressed": True, "reason": "manual"}})
        if "outbound-operations" in path:
            return ok({"status": "delivering_soon", "extra": 1})
        return httpx.Response(204)

    client = make_client(Script(then=route))
    st = await client.suppression_status("a@b.c")
    assert (st.email, st.suppressed, st.reason) == ("a@b.c", True, "manual")
    op = await client.operation_status("op_9")
    assert (op.operation_id, op.status, op.is_final) == ("op_9", "delivering_soon", False)
    res = await client.set_reply_intent("thr_1", "meeting_booked", idempotency_key="k")
    assert (res.thread_id, res.replyIntent) == ("thr_1", "meeting_booked")


# --- the key never leaks ------------------------------------------------------------------


def leaks(text: str) -> bool:
    return API_KEY in text or API_KEY[5:] in text


async def test_key_appears_in_no_error_repr_or_log(make_client, caplog):
    caplog.set_level(logging.DEBUG)
    echo = f"invalid key {API_KEY} (Bearer {API_KEY})"
    client = make_client(
        Script(
            httpx.Response(401, json=envelope("invalid_api_key", echo)),
            httpx.Response(400, text=echo),
            httpx.Response(400, json={"detail": [{"loc": ["header", "authorization"], "msg": echo}]}),
            httpx.Response(500, text=echo),
            then=httpx.ReadError(echo),
        )
    )  # the last call retries until its patience runs out
    errors: list[ApiError] = []
    for _ in range(4):
        with pytest.raises(ApiError) as info:
            await client.threads_page()
        errors.append(info.value)
    assert [type(e) for e in errors] == [AuthError, BadRequestError, BadRequestError, NetworkError]
    for err in errors:
        for text in (str(err), repr(err), " ".join(map(str, err.args)), "".join(traceback.format_exception(err))):
            assert not leaks(text), text
        assert "ot2d_…" + API_KEY[-4:] in str(err)
    assert not leaks(repr(client)) and "ot2d_…" in repr(client)
    assert not leaks(caplog.text)
    assert "retrying GET /threads" in caplog.text


async def test_a_key_echoed_with_an_invisible_character_inside_is_still_masked(make_client):
    secret = API_KEY[5:]
    half = len(secret) // 2
    split = f"ot2d_{secret[:half]}\u200b{secret[half:]}"  # shown as two words once cleaned
    client = make_client(Script(httpx.Response(400, json=envelope("bad_request", f"key {split} refused"))))
    with pytest.raises(BadRequestError) as info:
        await client.threads_page()
    text = str(info.value)
    assert secret[:half] not in text and secret[half:] not in text, text
    assert "bad_request" in text


def test_bad_keys_are_refused_without_echoing_them():
    with pytest.raises(AuthError) as info:
        UniboxClient(BASE_URL, "ot2d_secret\u2019value_with_quote")
    assert "secret" not in str(info.value)
    with pytest.raises(AuthError, match="no API key"):
        UniboxClient(BASE_URL, "  ")


async def test_bearer_header_on_every_request_including_retries(make_client):
    script = Script(httpx.Response(503), then=ok())
    client = make_client(script)
    await client.threads_page()
    assert [r.headers["authorization"] for r in script.requests] == [f"Bearer {API_KEY}"] * 2
    assert json.loads(script.requests[0].url.params["workspaceId"]) == 42


async def test_redirects_are_not_followed(make_client):
    script = Script(then=httpx.Response(301, headers={"Location": "https://elsewhere.test/threads"}))
    client = make_client(script)
    with pytest.raises(ProtocolError, match="unexpected redirect to https://elsewhere.test/threads"):
        await client.threads_page()
    assert len(script.requests) == 1


async def test_a_damaged_compressed_body_is_retried(make_client):
    def damaged(request):  # decoded only when the client reads it, as off the network
        return httpx.Response(200, headers={"Content-Encoding": "gzip"}, stream=httpx.ByteStream(b"not gzip at all"))

    script = Script(damaged, then=ok())
    client = make_client(script)
    assert (await client.threads_page()).threads[0].id == "thr_1"
    assert len(script.requests) == 2


async def test_429_without_retry_after_still_reports_a_wait(make_client):
    client = make_client(Script(then=httpx.Response(429)), max_retries=1, backoff_base=1.0, backoff_max=8.0)
    with pytest.raises(RateLimitError) as info:
        await client.threads_page()
    assert info.value.retry_after == 2.0  # the backoff ceiling after one retry


async def test_503_retry_after_is_honoured(make_client, sleeps):
    script = Script(httpx.Response(503, headers={"Retry-After": "4"}), then=ok())
    client = make_client(script)
    await client.threads_page()
    assert sleeps.calls == [4.0]


async def test_clearing_an_intent_sends_json_null(make_client):
    script = Script(then=ok({"id": "thr_1", "replyIntent": None}))
    client = make_client(script)
    result = await client.set_reply_intent("thr_1", None, idempotency_key="k")
    assert json.loads(script.requests[0].content) == {"replyIntent": None}
    assert result.replyIntent is None


# --- patience: retries bounded by time without progress -------------------------------------


async def test_a_long_run_of_failures_is_ridden_out_not_counted(make_client, sleeps):
    """Twelve failures in a row (5xx, drops, garbled bodies) are well inside the patience:
    the request succeeds where a count of 4 retries would have given up."""
    faults = [httpx.Response(503), httpx.ReadError("reset"), httpx.Response(200, content=b'{"threads": [')] * 4
    script = Script(*faults, then=ok())
    client = make_client(script)
    assert (await client.threads_page()).threads[0].id == "thr_1"
    assert len(script.requests) == 13 and client.stats.retries == 12
    assert sleeps.now < client.patience


@pytest.mark.parametrize(
    ("answer", "cls"),
    [
        (httpx.Response(502), ServerError),
        (httpx.RemoteProtocolError("Server disconnected"), NetworkError),
        (httpx.Response(200, content=b"{not json"), ProtocolError),
    ],
)
async def test_a_request_gives_up_once_its_patience_has_run_out(make_client, sleeps, answer, cls):
    script = Script(then=answer)
    client = make_client(script, patience=60.0, backoff_max=4.0)
    with pytest.raises(cls) as info:
        await client.threads_page()
    assert info.value.exhausted  # a caller doing optional work stops asking
    # every retry was within the patience; the last wait may end a little after it
    assert 60.0 <= sleeps.now < 60.0 + 4.0
    assert len(script.requests) > 15  # bounded by time, not by a small count


async def test_a_non_retryable_error_is_not_exhausted(make_client):
    client = make_client(Script(then=httpx.Response(404)))
    with pytest.raises(NotFoundError) as info:
        await client.thread_messages("thr_gone")
    assert not info.value.exhausted


async def test_a_server_never_reached_is_offline_within_seconds(make_client, sleeps):
    """Connection refused before the server ever answered: offline after OFFLINE_PATIENCE,
    not after minutes; once it has answered, the same failure is ridden out for the whole
    patience (a restart of the server mid-sync)."""
    from o2d_inbox.api.client import OFFLINE_PATIENCE

    refused = httpx.ConnectError("All connection attempts failed")
    script = Script(then=refused)
    client = make_client(script, patience=300.0)
    with pytest.raises(NetworkError, match="could not connect") as info:
        await client.capabilities()
    assert info.value.exit_code == 4
    assert OFFLINE_PATIENCE <= sleeps.now < OFFLINE_PATIENCE + client.backoff_max
    script.then = ok({"threads": [], "next_cursor": None})
    await client.threads_page()  # the server is back and answers
    script.steps = [refused] * 30  # then goes away for a while (30 retries: minutes of backoff)
    started = sleeps.now
    await client.threads_page()
    assert sleeps.now - started > 60


# --- 429: pacing, not failure -------------------------------------------------------------


async def test_429s_are_waited_out_beyond_any_retry_count(make_client, sleeps):
    script = Script(*[httpx.Response(429, headers={"Retry-After": "2"})] * 10, then=ok())
    client = make_client(script)
    await client.threads_page()
    assert client.stats.rate_limited == 10 and len(script.requests) == 11
    assert sleeps.calls[:1] == [2.0] and sleeps.now >= 20.0


async def test_endless_429s_without_any_other_answer_give_up_after_the_patience(make_client, sleeps):
    script = Script(
        then=httpx.Response(429, headers={"Retry-After": "5"}, json=envelope("rate_limited", "Too many requests"))
    )
    client = make_client(script, patience=30.0)
    with pytest.raises(RateLimitError) as info:
        await client.threads_page()
    assert info.value.retry_after == 5.0 and info.value.exit_code == 5 and info.value.exhausted
    assert 30.0 <= sleeps.now <= 35.0 + 1e-6


async def test_retry_after_holds_every_request_of_the_client():
    """A 429 for one request makes the others wait too: a request started while the first
    waits out its Retry-After reaches the server only after it (real time, a lower bound)."""
    import asyncio
    import time

    arrivals: list[tuple[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        arrivals.append((request.url.path, time.monotonic()))
        if len(arrivals) == 1:
            return httpx.Response(429, headers={"Retry-After": "0.3"})
        return ok()

    async with UniboxClient(BASE_URL, API_KEY, 42, transport=httpx.MockTransport(handler)) as client:
        first = asyncio.ensure_future(client.capabilities())
        while client.stats.rate_limited == 0:
            await asyncio.sleep(0)
        await client.threads_page()  # started during the first one's Retry-After
        await first
    refused_at = arrivals[0][1]
    later = dict(arrivals[1:])
    assert later["/threads"] >= refused_at + 0.3 and later["/threads/capabilities"] >= refused_at + 0.3


async def test_the_client_learns_the_servers_rate(make_client, sleeps):
    """Against a token bucket of 5 requests/s (burst 2) on the same fake clock, 200 requests
    in a row: after a few 429s the client paces itself just under the limit, so the next
    429s are rare and the throughput stays close to what the server allows."""
    from o2d_inbox.simulator.core import TokenBucket

    bucket = TokenBucket()

    def limited(request: httpx.Request) -> httpx.Response:
        wait = bucket.take(sleeps.clock(), 5.0, 2.0)
        if wait > 0:  # as the simulator says it: whole milliseconds, at least one
            return httpx.Response(429, headers={"Retry-After": f"{max(1, math.ceil(wait * 1000)) / 1000:g}"})
        return ok()

    client = make_client(Script(then=limited))
    for _ in range(200):
        await client.threads_page()
    assert client.stats.rate_limited < 20  # an unpaced client collects one per success
    assert 200 / sleeps.now > 0.75 * 5.0  # requests/s achieved, of the 5 allowed
    assert 3.0 < client.pacer.rate < 7.0


async def test_the_wait_is_published_for_a_progress_line(make_client):
    seen: list[str | None] = []
    script = Script(
        httpx.Response(503, headers={"Retry-After": "2"}),
        httpx.Response(429, headers={"Retry-After": "4"}),
        httpx.Response(500),
        then=ok(),
    )
    client = make_client(script, on_wait=seen.append, backoff_base=0.01)
    await client.threads_page()
    # the short jittered backoff after the 500 is not worth a line
    assert seen == ["server error, retrying in 2 s", None, "rate limited, resuming in 4 s", None]
    assert client.waiting is None


async def test_one_failing_request_among_answered_ones_is_not_exhausted():
    """A request that fails for its whole patience while the server answers the client's
    other requests gives up, but not as "the server is gone" (``exhausted`` stays False), so
    a sync counts that thread and goes on; with no answers at all it is exhausted."""
    import asyncio

    broken = {"on": True}

    def handler(request: httpx.Request) -> httpx.Response:
        if "thr_bad" in request.url.path or not broken["on"]:
            return httpx.Response(500)
        return ok()

    async with UniboxClient(
        BASE_URL, API_KEY, 42, transport=httpx.MockTransport(handler), patience=0.3, backoff_base=0.01, backoff_max=0.02
    ) as client:
        done = asyncio.Event()

        async def others() -> None:
            while not done.is_set():
                await client.threads_page()
                await asyncio.sleep(0.01)

        busy = asyncio.ensure_future(others())
        try:
            with pytest.raises(ServerError) as info:
                await client.thread_messages("thr_bad")
        finally:
            done.set()
            await busy
        assert not info.value.exhausted
        broken["on"] = False  # now nothing is answered
        with pytest.raises(ServerError) as info:
            await client.threads_page()
        assert info.value.exhausted
