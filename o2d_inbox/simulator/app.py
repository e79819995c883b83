"""The Starlette app: documented Unibox/Campaign endpoints, auth, idempotency, faults."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import math
import re
import socket
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from o2d_inbox.simulator.core import SimulatedDrop, World
from o2d_inbox.simulator.corpus import INTENTS, MAILBOXES
from o2d_inbox.simulator.generator import KIND_POSTMASTER, KIND_WARMING, ThreadMeta, iso

EMAIL_RE = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")
PAGE_CACHE_BYTES = 64 << 20


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.headers = status, error, message, headers


def envelope(status: int, error: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": {"error": error, "message": message}}, status, headers=headers)


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


_SURROGATE = re.compile("[\ud800-\udfff]")


def utf8(text: str) -> bytes:
    """JSON text as UTF-8. A lone surrogate (only ever inside a JSON string here) is written
    as its escape, ``\\ud800``: valid JSON, as a server written in another language may send it."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode()


def dumps(obj: Any) -> bytes:
    return utf8(_ENCODER.encode(obj))


def ok(obj: Any, status: int = 200) -> Response:
    return Response(dumps(obj), status, media_type="application/json")


@dataclass
class Ctx:
    ws: int


# --- cursors: an opaque, signed position key --------------------------------------------------


def _sig(secret: bytes, payload: str) -> str:
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()[:12]


def encode_cursor(secret: bytes, *parts: int) -> str:
    payload = "v1." + ".".join(map(str, parts))
    raw = f"{payload}.{_sig(secret, payload)}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(secret: bytes, cursor: str, n: int) -> tuple[int, ...]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        payload, _, sig = raw.rpartition(".")
        parts = payload.split(".")
        if parts[0] != "v1" or len(parts) != n + 1 or not hmac.compare_digest(sig, _sig(secret, payload)):
            raise ValueError
        return tuple(int(p) for p in parts[1:])
    except (ValueError, UnicodeDecodeError):
        raise ApiError(
            400, "invalid_cursor", "The cursor is invalid or expired; restart the listing without a cursor"
        ) from None


# --- query parsing ---------------------------------------------------------------------------


def q_int(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "validation_error", f"{name} must be an integer") from None
    if not lo <= value <= hi:
        raise ApiError(400, "validation_error", f"{name} must be between {lo} and {hi}")
    return value


def q_time(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    text = raw.strip().replace(" ", "+")  # a '+' offset not percent-encoded arrives as a space
    if text[-1:] in "Zz":
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(400, "validation_error", f"{name} must be an ISO-8601 date-time") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp() // 1) if dt.microsecond == 0 else int(dt.timestamp()) + 1


def body_json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid_json", "The request body is not valid JSON") from None


def field_str(
    payload: dict[str, Any], name: str, *, required: bool = False, email: bool = False, max_len: int = 200_000
) -> str | None:
    value = payload.get(name)
    if value is None:
        if required:
            raise ApiError(400, "validation_error", f"{name} is required")
        return None
    if not isinstance(value, str):
        raise ApiError(400, "validation_error", f"{name} must be a string")
    if len(value) > max_len:
        raise ApiError(400, "validation_error", f"{name} is too long")
    if email and not EMAIL_RE.match(value.strip()):
        raise ApiError(400, "validation_error", f"{name} is not a valid email address")
    return value.strip() if email else value


# --- the app ---------------------------------------------------------------------------------


class Api:
    def __init__(self, sim: World) -> None:
        self.sim = sim
        self.secret = hashlib.sha256(f"o2d-sim-cursor/{sim.cfg.seed}".encode()).digest()
        self.page_cache: dict[tuple[Any, ...], bytes] = {}
        self.page_cache_bytes = 0

    # auth: 401 before anything else, then workspaceId (400 if missing, 403 if not allowed)
    def auth(self, request: Request, workspace: bool = True) -> Ctx:
        header = request.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        key = key.strip()
        if not header:
            raise ApiError(401, "invalid_api_key", "Missing API key: send 'Authorization: Bearer ot2d_…'")
        if scheme.lower() != "bearer" or not self.sim.key_valid(key):
            raise ApiError(401, "invalid_api_key", "Invalid or expired API key")
        if not workspace:
            return Ctx(ws=0)
        raw = request.query_params.get("workspaceId")
        if raw is None or raw == "":
            raise ApiError(400, "validation_error", "workspaceId query parameter is required")
        try:
            ws = int(raw)
        except ValueError:
            raise ApiError(400, "validation_error", "workspaceId must be an integer") from None
        if ws not in self.sim.key_workspaces(key):
            raise ApiError(403, "workspace_not_found", f"Workspace {ws} does not exist or you don't have access")
        return Ctx(ws=ws)

    def thread(self, ctx: Ctx, tid: str) -> ThreadMeta:
        meta = self.sim.inboxes[ctx.ws].get(tid)
        if meta is None:
            raise ApiError(404, "thread_not_found", "Thread not found in this workspace")
        return meta

    # ---- read endpoints --------------------------------------------------------------------
    async def workspaces(self, request: Request) -> Response:
        self.auth(request, workspace=False)
        key = request.headers["authorization"].partition(" ")[2].strip()
        return ok(
            [
                {
                    "workspace_id": ws,
                    "project_name": "Cool Outreach" if ws == self.sim.primary else f"Workspace {ws}",
                    "type": "default",
                    "description": "Simulated workspace",
                    "max_mailboxes": 100,
                    "role": "owner",
                }
                for ws in self.sim.key_workspaces(key)
            ]
        )

    async def capabilities(self, request: Request) -> Response:
        self.auth(request)
        return ok({"inbox": True, "outbound": True, "syncMode": "incremental", "providers": ["opensrs", "maildoso"]})

    async def debug(self, request: Request) -> Response:
        ctx = self.auth(request)
        inbox = self.sim.inboxes[ctx.ws]
        return ok(
            {
                "workspaceId": ctx.ws,
                "serverTime": iso(self.sim.now().timestamp()),
                "threadCount": inbox.count(),
                "mailboxes": [m for m, _ in MAILBOXES],
                "syncMode": "incremental",
                "modes": ["full", "relevant"],
                "simulator": True,
            }
        )

    async def threads(self, request: Request) -> Response:
        ctx = self.auth(request)
        inbox = self.sim.inboxes[ctx.ws]
        # an unchanged inbox gives the same page for the same query: repeated walks (benchmark
        # rounds, reconciles) are served from memory
        cache_key = (
            ctx.ws,
            inbox.version,
            tuple(sorted((k, v) for k, v in request.query_params.multi_items() if k != "workspaceId")),
        )
        cached = self.page_cache.get(cache_key)
        if cached is not None:
            return Response(cached, 200, media_type="application/json")
        body = self._threads_page(request, ctx)
        self.page_cache[cache_key] = body
        self.page_cache_bytes += len(body)
        while self.page_cache_bytes > PAGE_CACHE_BYTES:
            self.page_cache_bytes -= len(self.page_cache.pop(next(iter(self.page_cache))))
        return Response(body, 200, media_type="application/json")

    def _threads_page(self, request: Request, ctx: Ctx) -> bytes:
        qp = request.query_params
        limit = q_int(request, "limit", 50, 1, 200)
        since = q_time(request, "updatedSince")
        after = None
        if qp.get("cursor"):
            last_ts, position = decode_cursor(self.secret, qp["cursor"], 2)
            after = (last_ts, position)
        preds: list[Callable[[ThreadMeta], bool]] = []
        mailbox = (qp.get("mailboxId") or "").strip().lower()
        if mailbox:
            preds.append(lambda m: m.mailbox_email == mailbox)
        intent = qp.get("replyIntent") or None
        if intent is not None:
            if intent == "unclassified":
                preds.append(lambda m: m.intent is None)
            elif intent in INTENTS:
                preds.append(lambda m: m.intent == intent)
            else:
                raise ApiError(
                    400, "validation_error", "replyIntent must be one of " + ", ".join(INTENTS) + " or unclassified"
                )
        mode = (qp.get("mode") or "").lower()
        if mode not in ("", "full", "relevant"):
            raise ApiError(400, "validation_error", "mode must be full or relevant")
        relevant = qp.get("relevant", "").lower()
        if relevant not in ("", "true", "false", "1", "0"):
            raise ApiError(400, "validation_error", "relevant must be true or false")
        if mode == "relevant" or relevant in ("true", "1"):
            preds.append(lambda m: m.kind not in (KIND_WARMING, KIND_POSTMASTER) and m.has_incoming())
        pred = (lambda m: all(p(m) for p in preds)) if len(preds) > 1 else (preds[0] if preds else None)
        items, next_key = self.sim.inboxes[ctx.ws].page(after, limit, pred, since)
        cursor = dumps(encode_cursor(self.secret, *next_key) if next_key else None)
        return b'{"threads":[' + utf8(",".join(m.wire_json() for m in items)) + b'],"next_cursor":' + cursor + b"}"

    async def messages(self, request: Request) -> Response:
        ctx = self.auth(request)
        meta = self.thread(ctx, request.path_params["thread_id"])
        return ok({"replyIntent": meta.intent, "campaignId": meta.campaign, "messages": meta.messages()})

    async def operation(self, request: Request) -> Response:
        self.auth(request)
        status = self.sim.operation(request.path_params["op_id"])
        if status is None:
            raise ApiError(404, "operation_not_found", "Outbound operation not found")
        return ok(status)

    async def campaigns(self, request: Request) -> Response:
        ctx = self.auth(request)
        limit = q_int(request, "limit", 50, 1, 200)
        start = (
            decode_cursor(self.secret, request.query_params["cursor"], 1)[0]
            if request.query_params.get("cursor")
            else 0
        )
        items = self.sim.campaigns_for(ctx.ws)
        page = items[start : start + limit]
        more = start + limit < len(items)
        return ok({"items": page, "next_cursor": encode_cursor(self.secret, start + limit) if more else None})

    async def campaign_stats(self, request: Request) -> Response:
        ctx = self.auth(request)
        stats = self.sim.campaign_stats(ctx.ws, request.path_params["campaign_id"])
        if stats is None:
            raise ApiError(404, "campaign_not_found", "Campaign not found in this workspace")
        return ok(stats)

    async def suppression_status(self, request: Request) -> Response:
        ctx = self.auth(request)
        email = (request.query_params.get("email") or "").strip()
        if not EMAIL_RE.match(email):
            raise ApiError(400, "validation_error", "email must be a valid email address")
        entry = self.sim.suppressions[ctx.ws].get(email.lower())
        return ok(
            {
                "email": email.lower(),
                "suppressed": entry is not None,
                "reason": entry["reason"] if entry else None,
                "createdAt": entry["createdAt"] if entry else None,
            }
        )

    # ---- mutations -------------------------------------------------------------------------
    async def mutate(self, request: Request, perform: Callable[[Ctx, Any], tuple[int, Any]]) -> Response:
        """Idempotency-Key: same key + same request → stored answer, nothing done again;
        same key + a different request → 409. Only 2xx answers are stored."""
        ctx = self.auth(request)
        raw = await request.body()
        payload = body_json(raw)
        key = request.headers.get("idempotency-key")
        if key is not None and not (1 <= len(key) <= 255 and key.isprintable()):
            raise ApiError(400, "validation_error", "Idempotency-Key must be 1-255 printable characters")
        canonical = json.dumps(
            [request.method, request.url.path, ctx.ws, payload], sort_keys=True, separators=(",", ":")
        )  # key order is not a change
        fp = hashlib.sha256(canonical.encode()).hexdigest()
        if key is not None and key in self.sim.idempotency:
            stored_fp, status, body = self.sim.idempotency[key]
            if stored_fp != fp:
                raise ApiError(
                    409, "idempotency_key_conflict", "This Idempotency-Key was already used with a different request"
                )
            return Response(body, status, media_type="application/json", headers={"Idempotent-Replayed": "true"})
        if not isinstance(payload, dict):
            raise ApiError(400, "validation_error", "The request body must be a JSON object")
        status, result = perform(ctx, payload)
        body = dumps(result)
        self.sim.performed.append((request.method, request.url.path, key))
        if key is not None:
            self.sim.idempotency[key] = (fp, status, body)
            self.sim.deliveries[key] = self.sim.deliveries.get(key, 0) + 1
        request.scope["sim.performed"] = True
        return Response(body, status, media_type="application/json")

    def _sender(self, payload: dict[str, Any], default: str) -> str:
        """The mailbox a message goes out from (recorded in ``sim.sent_messages``). Strict
        (``require_sender``): it must be named and be one of the workspace's mailboxes."""
        strict = self.sim.cfg.require_sender
        sender = field_str(payload, "fromMailboxAddress", email=not strict)
        if sender is None or not sender.strip():
            if strict:
                raise ApiError(400, "invalid_from_mailbox", "fromMailboxAddress is required")
            return default
        sender = sender.strip().lower()
        if sender not in (m for m, _ in MAILBOXES):
            raise ApiError(
                400,
                "invalid_from_mailbox" if strict else "mailbox_not_found",
                "fromMailboxAddress is not a mailbox of this workspace",
            )
        return sender

    @staticmethod
    def _bodies(payload: dict[str, Any], required: bool) -> tuple[str | None, str | None]:
        text = field_str(payload, "bodyText")
        body_html = field_str(payload, "bodyHtml")
        if required and not (text or body_html):
            raise ApiError(400, "validation_error", "bodyText or bodyHtml is required")
        return text, body_html

    async def reply(self, request: Request) -> Response:
        tid = request.path_params["thread_id"]

        def perform(ctx: Ctx, payload: dict[str, Any]) -> tuple[int, Any]:
            meta = self.thread(ctx, tid)
            text, body_html = self._bodies(payload, True)
            sender = self._sender(payload, meta.mailbox_email)
            subject = meta.subject_full()
            if not subject.lower().startswith("re:"):
                subject = "Re: " + subject
            op, _ = self.sim.send(
                ctx.ws,
                "reply",
                thread_id=tid,
                sender=sender,
                to=meta.prospect_email,
                subject=subject,
                text=text,
                html_body=body_html,
            )
            return 200, {"status": "queued", "message_id": op.message_id, "operation_id": op.operation_id}

        return await self.mutate(request, perform)

    async def forward(self, request: Request) -> Response:
        tid = request.path_params["thread_id"]

        def perform(ctx: Ctx, payload: dict[str, Any]) -> tuple[int, Any]:
            meta = self.thread(ctx, tid)
            to = field_str(payload, "toAddress", required=True, email=True)
            text, body_html = self._bodies(payload, False)
            sender = self._sender(payload, meta.mailbox_email)
            op, _ = self.sim.send(
                ctx.ws,
                "forward",
                thread_id=tid,
                sender=sender,
                to=to or "",
                subject="Fwd: " + meta.subject_display(),
                text=text,
                html_body=body_html,
            )
            return 200, {"status": "queued", "message_id": op.message_id, "operation_id": op.operation_id}

        return await self.mutate(request, perform)

    async def new(self, request: Request) -> Response:
        def perform(ctx: Ctx, payload: dict[str, Any]) -> tuple[int, Any]:
            to = field_str(payload, "toAddress", required=True, email=True)
            subject = field_str(payload, "subject", required=True, max_len=2000)
            text, body_html = self._bodies(payload, True)
            sender = self._sender(payload, MAILBOXES[0][0])
            op, meta = self.sim.send(
                ctx.ws,
                "new",
                thread_id=None,
                sender=sender,
                to=to or "",
                subject=subject or "",
                text=text,
                html_body=body_html,
            )
            return 200, {
                "status": "queued",
                "message_id": op.message_id,
                "thread_id": op.thread_id,
                "operation_id": op.operation_id,
            }

        return await self.mutate(request, perform)

    async def reply_intent(self, request: Request) -> Response:
        tid = request.path_params["thread_id"]

        def perform(ctx: Ctx, payload: dict[str, Any]) -> tuple[int, Any]:
            self.thread(ctx, tid)
            if "replyIntent" not in payload:
                raise ApiError(400, "validation_error", "replyIntent is required")
            intent = payload["replyIntent"]
            if intent is not None and intent not in INTENTS:
                raise ApiError(400, "validation_error", "replyIntent must be one of " + ", ".join(INTENTS) + " or null")
            meta = self.sim.inboxes[ctx.ws].touch(tid)
            assert meta is not None
            meta.intent = intent  # a reclassification is not a new message: no updatedSince bump
            return 200, {"id": tid, "replyIntent": intent}

        return await self.mutate(request, perform)

    async def suppress(self, request: Request) -> Response:
        def perform(ctx: Ctx, payload: dict[str, Any]) -> tuple[int, Any]:
            emails = payload.get("emails")
            if not isinstance(emails, list) or not emails or len(emails) > 1000:
                raise ApiError(400, "validation_error", "emails must be a list of 1-1000 addresses")
            if not all(isinstance(e, str) and EMAIL_RE.match(e.strip()) for e in emails):
                raise ApiError(400, "validation_error", "emails contains an invalid address")
            reason = field_str(payload, "reason", max_len=200) or "manual_suppression"
            table = self.sim.suppressions[ctx.ws]
            now = iso(self.sim.now().timestamp())
            normalized = list(dict.fromkeys(e.strip().lower() for e in emails))
            for e in normalized:
                table[e] = {"reason": reason, "createdAt": now}
            return 200, {"upserted": len(normalized), "emails": normalized, "reason": reason}

        return await self.mutate(request, perform)


def listen_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket to hand uvicorn (``Server.run(sockets=[…])``); port 0 picks one.

    Created with proto=IPPROTO_TCP because asyncio sets TCP_NODELAY only on sockets that say
    they are TCP (uvicorn's own binding does not): without it every small response, whose
    headers and body are two writes, waited ~40 ms for the client's delayed ACK."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class ServedInThread:
    """``with ServedInThread(sim) as served:`` serves ``sim`` on ``served.url`` (a free
    127.0.0.1 port) from a thread of this process, for tests and benchmarks that run a client
    in another process and then look at the simulator's own state."""

    def __init__(self, sim: World, host: str = "127.0.0.1") -> None:
        import threading

        import uvicorn

        self.sim = sim
        self._sock = listen_socket(host, 0)
        self.url = f"http://{host}:{self._sock.getsockname()[1]}"
        self._server = uvicorn.Server(
            uvicorn.Config(create_app(sim), log_level="critical", access_log=False, lifespan="off")
        )
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    def __enter__(self) -> ServedInThread:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()


def create_app(sim: World) -> Starlette:
    """The Starlette app; ``app.state.sim`` is the simulator. Faults are the outermost middleware
    (inside Starlette's ServerErrorMiddleware, which lets a simulated drop through untouched
    because the response has started by then)."""
    api = Api(sim)

    async def on_api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return envelope(exc.status, exc.error, exc.message, exc.headers)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return envelope(exc.status_code, code, str(exc.detail))

    routes = [
        Route("/workspaces", api.workspaces, methods=["GET"]),
        Route("/threads", api.threads, methods=["GET"]),
        Route("/threads/capabilities", api.capabilities, methods=["GET"]),
        Route("/threads/debug", api.debug, methods=["GET"]),
        Route("/threads/new", api.new, methods=["POST"]),
        Route("/threads/outbound-operations/{op_id}", api.operation, methods=["GET"]),
        Route("/threads/{thread_id}/messages", api.messages, methods=["GET"]),
        Route("/threads/{thread_id}/reply", api.reply, methods=["POST"]),
        Route("/threads/{thread_id}/forward", api.forward, methods=["POST"]),
        Route("/threads/{thread_id}/reply-intent", api.reply_intent, methods=["PATCH"]),
        Route("/campaigns", api.campaigns, methods=["GET"]),
        Route("/campaigns/suppressions", api.suppress, methods=["POST"]),
        Route("/campaigns/suppressions/status", api.suppression_status, methods=["GET"]),
        Route("/campaigns/{campaign_id}/stats", api.campaign_stats, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(FaultMiddleware, sim=sim)],
        exception_handlers={ApiError: on_api_error, HTTPException: on_http_error},
    )
    app.state.sim = sim
    return app


class FaultMiddleware:
    """Request log, live replies, the per-request faults; a handler crash → 500 envelope."""

    def __init__(self, app: Any, sim: World) -> None:
        self.app, self.sim = app, sim

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        sim, f, rng = self.sim, self.sim.faults, self.sim.fault_rng
        method, path = scope["method"], scope["path"]
        key = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"idempotency-key"), None)

        def log(status: int) -> None:  # 0 = the connection was dropped
            sim.request_log.append((method, path, key, status))

        # one draw per knob, in a fixed order, so a seed replays the same fault sequence
        r_drop, r_429, r_fail, r_after, r_bad, r_lat = (rng.random() for _ in range(6))
        delay = f.latency + f.latency_jitter * r_lat
        if delay > 0:
            await asyncio.sleep(delay)
        sim.tick()
        if r_drop < f.drop_rate:
            log(0)
            await _cut(send)
            raise SimulatedDrop(after=False)
        wait: float | None = None  # a 429 asking for this many seconds
        if f.rate_limit_rps > 0:
            free_in = sim.rate_limiter.take(sim.now().timestamp(), f.rate_limit_rps, f.rate_limit_burst)
            if free_in > 0:  # whole milliseconds, rounded up, never 0
                wait = max(1, math.ceil(round(free_in * 1000, 3))) / 1000
        if wait is None and r_429 < f.rate_limit_rate:
            wait = f.retry_after
        if wait is not None:
            log(429)
            resp = envelope(429, "rate_limited", "Rate limit exceeded; retry later", {"Retry-After": f"{wait:g}"})
            return await resp(scope, receive, send)
        if r_fail < f.fail_rate:
            status = (500, 502, 503)[int(r_fail / f.fail_rate * 3) % 3]
            log(status)
            code = {500: "internal_error", 502: "bad_gateway", 503: "service_unavailable"}[status]
            return await envelope(status, code, "Simulated server failure")(scope, receive, send)

        captured: list[MutableMapping[str, Any]] = []

        async def capture(message: MutableMapping[str, Any]) -> None:
            captured.append(message)

        try:
            await self.app(scope, receive, capture)
        except Exception:  # a simulator bug: answer like a server would, log it for us
            logging.getLogger(__name__).exception("simulator error on %s %s", method, path)
            captured.clear()
            await envelope(500, "internal_error", "Internal server error")(scope, receive, capture)
        start = captured[0]
        status = start["status"]
        body = b"".join(m.get("body", b"") for m in captured[1:])
        if scope.get("sim.performed") and r_after < f.drop_after_rate:
            log(0)  # the work is done and stored; the client never hears about it
            await _cut(send)
            raise SimulatedDrop(after=True)
        if 200 <= status < 300 and r_bad < f.malformed_rate and body:
            body = body[: max(1, len(body) // 2)]  # truncated JSON, still labelled JSON
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        log(status)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _cut(send: Any) -> None:
    """Start a response and never finish it: raising afterwards makes an ASGI server close the
    socket mid-response (raising *before* the start would make uvicorn answer 500 instead)."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"1024")],
        }
    )
