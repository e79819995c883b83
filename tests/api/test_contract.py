"""Contract tests: the exact JSON examples of the docs (000, 001, 003) parse to what the docs
say, request models serialize to exactly the documented keys, and each call goes to the
documented method, path and query."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from o2d_inbox.api import (
    Campaign,
    CampaignsPage,
    Capabilities,
    ErrorEnvelope,
    ForwardRequest,
    NewMessageRequest,
    ReplyIntentPatch,
    ReplyRequest,
    ReplyResponse,
    SendResponse,
    SuppressionUpsert,
    ThreadMessages,
    ThreadsPage,
    Workspace,
)

from .conftest import API_KEY

UTC = timezone.utc

# --- literal examples copied from the docs ------------------------------------------------

DOC_WORKSPACES = """[
{
"workspace_id": 42,
"project_name": "My Outreach Project",
"type": "default",
"description": "Q1 outreach",
"max_mailboxes": 100,
"role": "owner"
}
]"""

DOC_CAPABILITIES = """{
  "inbox": true,
  "outbound": true,
  "syncMode": "incremental",
  "providers": ["opensrs", "maildoso"]
}"""

DOC_THREADS = """{
  "threads": [
    {
      "id": "thr_abc123",
      "external_thread_id": "msg-id@mail.com",
      "subject": "Re: Partnership opportunity",
      "subject_display": "Partnership opportunity",
      "last_message": {
        "from_email": "prospect@company.com",
        "date_received": "2026-03-09T14:30:00Z",
        "body_text": "Hi John, thanks for reaching out..."
      },
      "is_warming": false,
      "is_postmaster": false,
      "message_count": 3,
      "replyIntent": "interested",
      "campaignId": "cmp_xyz789"
    }
  ],
  "next_cursor": "cursor_def456"
}"""

DOC_MESSAGES = """{
  "replyIntent": "interested",
  "campaignId": "cmp_xyz789",
  "messages": [
    {
      "id": "msg_001",
      "message_id": "<unique-id@mail.com>",
      "from_email": "john@cooloutreach.com",
      "to_emails": ["prospect@company.com"],
      "cc_emails": [],
      "subject": "Partnership opportunity",
      "date_received": "2026-03-08T10:00:00Z",
      "body_text": "Hi, I wanted to reach out about...",
      "body_html": "<p>Hi, I wanted to reach out about...</p>",
      "is_incoming": false,
      "folder": "sent"
    },
    {
      "id": "msg_002",
      "message_id": "<reply-id@company.com>",
      "from_email": "prospect@company.com",
      "to_emails": ["john@cooloutreach.com"],
      "cc_emails": [],
      "subject": "Re: Partnership opportunity",
      "date_received": "2026-03-09T14:30:00Z",
      "body_text": "Hi John, thanks for reaching out...",
      "body_html": "<p>Hi John, thanks for reaching out...</p>",
      "is_incoming": true,
      "folder": "inbox"
    }
  ]
}"""

DOC_REPLY_REQUEST = """{
  "bodyText": "Thanks for your interest! Let's schedule a call.",
  "bodyHtml": "<p>Thanks for your interest! Let's schedule a call.</p>",
  "fromMailboxAddress": "john@cooloutreach.com"
}"""

DOC_REPLY_RESPONSE = """{
  "status": "queued",
  "message_id": "<reply-msg-id@cooloutreach.com>",
  "operation_id": "op_reply_123"
}"""

DOC_NEW_REQUEST = """{
  "toAddress": "newprospect@company.com",
  "subject": "Quick question about your product",
  "bodyText": "Hi, I saw your product on...",
  "bodyHtml": "<p>Hi, I saw your product on...</p>",
  "fromMailboxAddress": "john@cooloutreach.com"
}"""

DOC_NEW_RESPONSE = """{
  "status": "queued",
  "message_id": "<new-msg-id@cooloutreach.com>",
  "thread_id": "thr_new123",
  "operation_id": "op_send_456"
}"""

DOC_FORWARD_REQUEST = """{
  "toAddress": "colleague@company.com",
  "bodyText": "FYI — check this reply from the prospect",
  "fromMailboxAddress": "john@cooloutreach.com"
}"""

DOC_INTENT_PATCH = """{
  "replyIntent": "interested"
}"""

DOC_ERROR = """{
"detail": {
"error": "workspace_not_found",
"message": "Workspace 999 does not exist or you don't have access"
}
}"""

DOC_CAMPAIGN = """{
"id": "cmp_abc123",
"workspaceId": 42,
"name": "Q1 SaaS Outreach",
"priority": "HIGH",
"status": "draft",
"createdAt": "2026-03-09T10:00:00Z",
"updatedAt": "2026-03-09T10:00:00Z"
}"""

DOC_SUPPRESSIONS = """{
"emails": ["do-not-email@company.com", "unsubscribed@example.com"],
"reason": "manual_suppression"
}"""


# --- responses parse to what the docs say -------------------------------------------------


def test_workspace_list_example():
    [ws] = [Workspace.model_validate(item) for item in json.loads(DOC_WORKSPACES)]
    assert ws.workspace_id == 42
    assert ws.project_name == "My Outreach Project"
    assert ws.type == "default"
    assert ws.description == "Q1 outreach"
    assert ws.max_mailboxes == 100
    assert ws.role == "owner"


def test_capabilities_example():
    caps = Capabilities.model_validate_json(DOC_CAPABILITIES)
    assert caps.inbox is True
    assert caps.outbound is True
    assert caps.syncMode == "incremental"
    assert caps.providers == ["opensrs", "maildoso"]


def test_threads_page_example():
    page = ThreadsPage.model_validate_json(DOC_THREADS)
    assert page.next_cursor == "cursor_def456"
    [t] = page.threads
    assert t.id == "thr_abc123"
    assert t.external_thread_id == "msg-id@mail.com"
    assert t.subject == "Re: Partnership opportunity"
    assert t.subject_display == "Partnership opportunity"
    assert t.last_message.from_email == "prospect@company.com"
    assert t.last_message.date_received == datetime(2026, 3, 9, 14, 30, tzinfo=UTC)
    assert t.last_message.body_text == "Hi John, thanks for reaching out..."
    assert t.is_warming is False
    assert t.is_postmaster is False
    assert t.message_count == 3
    assert t.replyIntent == "interested"
    assert t.campaignId == "cmp_xyz789"


def test_thread_messages_example():
    tm = ThreadMessages.model_validate_json(DOC_MESSAGES)
    assert tm.replyIntent == "interested"
    assert tm.campaignId == "cmp_xyz789"
    sent, received = tm.messages
    assert (sent.id, sent.message_id) == ("msg_001", "<unique-id@mail.com>")
    assert sent.from_email == "john@cooloutreach.com"
    assert sent.to_emails == ["prospect@company.com"]
    assert sent.cc_emails == []
    assert sent.subject == "Partnership opportunity"
    assert sent.date_received == datetime(2026, 3, 8, 10, 0, tzinfo=UTC)
    assert sent.body_text == "Hi, I wanted to reach out about..."
    assert sent.body_html == "<p>Hi, I wanted to reach out about...</p>"
    assert sent.is_incoming is False
    assert sent.folder == "sent"
    assert (received.id, received.message_id) == ("msg_002", "<reply-id@company.com>")
    assert received.from_email == "prospect@company.com"
    assert received.to_emails == ["john@cooloutreach.com"]
    assert received.subject == "Re: Partnership opportunity"
    assert received.date_received == datetime(2026, 3, 9, 14, 30, tzinfo=UTC)
    assert received.body_html == "<p>Hi John, thanks for reaching out...</p>"
    assert received.is_incoming is True
    assert received.folder == "inbox"


def test_reply_response_example():
    r = ReplyResponse.model_validate_json(DOC_REPLY_RESPONSE)
    assert (r.status, r.message_id, r.operation_id) == ("queued", "<reply-msg-id@cooloutreach.com>", "op_reply_123")


def test_new_message_response_example():
    r = SendResponse.model_validate_json(DOC_NEW_RESPONSE)
    assert (r.status, r.message_id, r.thread_id, r.operation_id) == (
        "queued",
        "<new-msg-id@cooloutreach.com>",
        "thr_new123",
        "op_send_456",
    )


def test_error_envelope_example():
    env = ErrorEnvelope.model_validate_json(DOC_ERROR)
    assert env.detail.error == "workspace_not_found"
    assert env.detail.message == "Workspace 999 does not exist or you don't have access"


def test_campaign_example():
    c = Campaign.model_validate_json(DOC_CAMPAIGN)
    assert c.id == "cmp_abc123"
    assert c.workspaceId == 42
    assert c.name == "Q1 SaaS Outreach"
    assert c.priority == "HIGH"
    assert c.status == "draft"
    assert c.createdAt == datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
    assert c.updatedAt == datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
    page = CampaignsPage.model_validate({"items": [json.loads(DOC_CAMPAIGN)], "next_cursor": None})
    assert page.items == [c] and page.next_cursor is None


# --- request models serialize to exactly the documented JSON -------------------------------


@pytest.mark.parametrize(
    ("model", "doc"),
    [
        (ReplyRequest, DOC_REPLY_REQUEST),
        (NewMessageRequest, DOC_NEW_REQUEST),
        (ForwardRequest, DOC_FORWARD_REQUEST),
        (ReplyIntentPatch, DOC_INTENT_PATCH),
        (SuppressionUpsert, DOC_SUPPRESSIONS),
    ],
)
def test_request_models_round_trip_to_the_documented_json(model, doc):
    documented = json.loads(doc)
    assert model.model_validate(documented).model_dump(mode="json", exclude_none=True) == documented


# --- tolerance --------------------------------------------------------------------------


def test_unknown_fields_and_values_are_tolerated_and_missing_optionals_are_none():
    data = json.loads(DOC_THREADS)
    thread = data["threads"][0]
    thread["replyIntent"] = "meeting_booked"  # not in the documented list
    thread["brand_new_field"] = {"nested": [1, 2]}
    for key in ("external_thread_id", "subject_display", "last_message", "campaignId"):
        del thread[key]
    data["extra_top_level"] = True
    page = ThreadsPage.model_validate(data)
    t = page.threads[0]
    assert t.replyIntent == "meeting_booked"
    assert t.external_thread_id is None and t.subject_display is None
    assert t.last_message is None and t.campaignId is None
    assert not hasattr(t, "brand_new_field")


def test_minimal_thread_and_message_parse_with_defaults():
    page = ThreadsPage.model_validate({"threads": [{"id": "thr_1"}]})
    t = page.threads[0]
    assert (t.subject, t.replyIntent, t.message_count, t.is_warming) == (None, None, 0, False)
    assert page.next_cursor is None
    tm = ThreadMessages.model_validate({"messages": [{"id": "m1", "date_received": "not a date"}]})
    assert tm.messages[0].date_received is None and tm.messages[0].to_emails == []


@pytest.mark.parametrize("from_bytes", [True, False], ids=["json-bytes", "python-dict"])
def test_odd_values_are_coerced_never_fatal(from_bytes):
    """Well-formed values take pydantic's native path, everything else the lenient one:
    both give the same kinds of value, and times are always aware UTC."""
    odd = {
        "threads": [
            {
                "id": "t1",
                "subject": 42,
                "is_warming": "yes",
                "is_postmaster": 1,
                "message_count": "7",
                "replyIntent": None,
                "campaignId": 12,
                "last_message": {"from_email": "a@x.io", "date_received": "2026-03-09T12:00:00+02:00"},
            },
            {
                "id": "t2",
                "subject": ["not", "a", "string"],
                "is_warming": "nope",
                "message_count": "many",
                "last_message": {"date_received": "yesterday-ish", "body_text": {"html": True}},
            },
            {"id": "t3", "message_count": 2.0, "last_message": {"date_received": "2026-03-09 10:00:00"}},
        ],
        "next_cursor": 17,
    }
    page = ThreadsPage.model_validate_json(json.dumps(odd)) if from_bytes else ThreadsPage.model_validate(odd)
    t1, t2, t3 = page.threads
    assert (t1.subject, t1.is_warming, t1.is_postmaster, t1.message_count, t1.campaignId) == ("42", True, True, 7, "12")
    assert t1.last_message.date_received == datetime(2026, 3, 9, 10, 0, tzinfo=timezone.utc)
    assert t1.last_message.date_received.utcoffset() == timedelta(0)
    assert isinstance(t2.subject, str) and t2.is_warming is False and t2.message_count == 0
    assert t2.last_message.date_received is None and isinstance(t2.last_message.body_text, str)
    assert t3.message_count == 2
    assert t3.last_message.date_received == datetime(2026, 3, 9, 10, 0, tzinfo=timezone.utc)  # naive = UTC
    assert page.next_cursor == "17"
    tm = ThreadMessages.model_validate(
        {"messages": [{"id": "m1", "to_emails": "one@x.io", "cc_emails": ["a@x.io", None, 5], "is_incoming": "true"}]}
    )
    m = tm.messages[0]
    assert (m.to_emails, m.cc_emails, m.is_incoming) == (["one@x.io"], ["a@x.io", "5"], True)


@pytest.mark.parametrize("from_bytes", [True, False], ids=["json-bytes", "python-dict"])
def test_unusable_items_are_skipped_and_counted_the_rest_kept(from_bytes):
    odd = {
        "threads": [
            {"subject": "no id"},
            None,
            "text",
            {"id": None},
            {"id": 7, "last_message": "not an object"},
            {"id": "t2", "last_message": [1]},
            {"id": "t3", "last_message": {"date_received": "0001-01-01T00:00:00+01:00"}},  # no UTC form
            {"id": "t4", "last_message": {"date_received": "9999-12-31T23:59:59-01:00"}},
        ]
    }
    page = ThreadsPage.model_validate_json(json.dumps(odd)) if from_bytes else ThreadsPage.model_validate(odd)
    assert [t.id for t in page.threads] == ["7", "t2", "t3", "t4"] and page.skipped == 4
    assert page.threads[0].last_message is None and page.threads[1].last_message is None
    assert page.threads[2].last_message.date_received is None
    assert page.threads[3].last_message.date_received is None
    tm = ThreadMessages.model_validate({"messages": [{"id": "m1"}, {"subject": "no id"}, 3]})
    assert [m.id for m in tm.messages] == ["m1"] and tm.skipped == 2
    assert ThreadsPage.model_validate({"threads": [{"id": "t"}]}).skipped == 0


async def test_lone_surrogates_are_repaired_where_the_response_is_decoded(make_client):
    """A lone surrogate escape is valid JSON: pydantic-core refuses it, json.loads keeps it as a
    code point no UTF-8 encoder takes. The client reads the page anyway, each lone surrogate
    as U+FFFD; a valid pair stays the character it encodes."""
    threads = (
        b'{"threads":[{"id":"t\\ud800","subject":"a \\ud800 b \\uDFFF c \\ud83d\\ude00",'
        b'"replyIntent":"\\udc00x","last_message":{"from_email":"x\\ud83d@y.io"}}],"next_cursor":null}'
    )
    messages = b'{"replyIntent":"\\ud800","messages":[{"id":"m1","body_text":"\\ud83d!","to_emails":["\\udfff"]}]}'
    bodies = {"/threads": threads, "/threads/t\ufffd/messages": messages}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=bodies[request.url.path])

    client = make_client(handler)
    page = await client.threads_page()
    t = page.threads[0]
    assert (t.id, t.subject, t.replyIntent) == ("t\ufffd", "a \ufffd b \ufffd c \U0001f600", "\ufffdx")
    assert t.last_message.from_email == "x\ufffd@y.io"
    tm = await client.thread_messages(t.id)
    assert (tm.replyIntent, tm.messages[0].body_text, tm.messages[0].to_emails) == ("\ufffd", "\ufffd!", ["\ufffd"])


# --- each call: documented method, path, query, headers, body -----------------------------


class Recorder:
    """A MockTransport handler answering from a {(method, path): json} table, recording requests."""

    def __init__(self, routes: dict[tuple[str, str], object]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        body = self.routes[(request.method, request.url.path)]
        return httpx.Response(200, content=body if isinstance(body, str) else json.dumps(body))

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


async def test_every_call_uses_the_documented_route(make_client):
    op_status = {"operation_id": "op_reply_123", "status": "sent"}
    rec = Recorder(
        {
            ("GET", "/workspaces"): DOC_WORKSPACES,
            ("GET", "/threads/capabilities"): DOC_CAPABILITIES,
            ("GET", "/threads"): DOC_THREADS.replace('"cursor_def456"', "null"),
            ("GET", "/threads/thr_abc123/messages"): DOC_MESSAGES,
            ("POST", "/threads/thr_abc123/reply"): DOC_REPLY_RESPONSE,
            ("POST", "/threads/thr_abc123/forward"): DOC_REPLY_RESPONSE,
            ("POST", "/threads/new"): DOC_NEW_RESPONSE,
            ("GET", "/threads/outbound-operations/op_reply_123"): op_status,
            ("PATCH", "/threads/thr_abc123/reply-intent"): {"id": "thr_abc123", "replyIntent": "interested"},
            ("GET", "/campaigns"): {"items": [json.loads(DOC_CAMPAIGN)], "next_cursor": None},
            ("POST", "/campaigns/suppressions"): {"upserted": 2},
            ("GET", "/campaigns/suppressions/status"): {"email": "someone@company.com", "suppressed": True},
        }
    )
    client = make_client(rec, workspace_id=None)

    assert await client.resolve_workspace() == 42
    assert rec.last.url.params.get("workspaceId") is None  # /workspaces is not scoped

    async def check(coro, method, path, query=None, body=None, key=None):
        result = await coro
        req = rec.last
        assert (req.method, req.url.path) == (method, path)
        assert dict(req.url.params) == {"workspaceId": "42", **(query or {})}
        assert req.headers["authorization"] == f"Bearer {API_KEY}"
        assert req.headers.get("idempotency-key") == key
        if body is not None:
            assert json.loads(req.content) == json.loads(body)
        return result

    caps = await check(client.capabilities(), "GET", "/threads/capabilities")
    assert caps.syncMode == "incremental"
    page = await check(
        client.threads_page(
            limit=50,
            mailbox_id="john@cooloutreach.com",
            reply_intent="interested",
            updated_since=datetime(2026, 3, 9, 10, 0, tzinfo=UTC),
        ),
        "GET",
        "/threads",
        {
            "limit": "50",
            "mailboxId": "john@cooloutreach.com",
            "replyIntent": "interested",
            "updatedSince": "2026-03-09T10:00:00Z",
        },
    )
    assert page.threads[0].id == "thr_abc123" and page.cursor is None
    msgs = await check(client.thread_messages("thr_abc123"), "GET", "/threads/thr_abc123/messages")
    assert [m.id for m in msgs.messages] == ["msg_001", "msg_002"]
    reply = await check(
        client.reply("thr_abc123", ReplyRequest.model_validate_json(DOC_REPLY_REQUEST), idempotency_key="k-reply"),
        "POST",
        "/threads/thr_abc123/reply",
        body=DOC_REPLY_REQUEST,
        key="k-reply",
    )
    assert reply.operation_id == "op_reply_123"
    await check(
        client.forward("thr_abc123", ForwardRequest.model_validate_json(DOC_FORWARD_REQUEST), idempotency_key="k-fwd"),
        "POST",
        "/threads/thr_abc123/forward",
        body=DOC_FORWARD_REQUEST,
        key="k-fwd",
    )
    sent = await check(
        client.send_new(NewMessageRequest.model_validate_json(DOC_NEW_REQUEST), idempotency_key="k-new"),
        "POST",
        "/threads/new",
        body=DOC_NEW_REQUEST,
        key="k-new",
    )
    assert sent.thread_id == "thr_new123"
    op = await check(client.operation_status("op_reply_123"), "GET", "/threads/outbound-operations/op_reply_123")
    assert op.status == "sent" and op.is_final and not op.is_failed
    res = await check(
        client.set_reply_intent("thr_abc123", "interested", idempotency_key="k-int"),
        "PATCH",
        "/threads/thr_abc123/reply-intent",
        body=DOC_INTENT_PATCH,
        key="k-int",
    )
    assert res.replyIntent == "interested"
    camps = await check(client.list_campaigns(), "GET", "/campaigns", {"limit": "50"})
    assert [c.id for c in camps] == ["cmp_abc123"]
    await check(
        client.add_suppressions(
            ["do-not-email@company.com", "unsubscribed@example.com"], "manual_suppression", idempotency_key="k-sup"
        ),
        "POST",
        "/campaigns/suppressions",
        body=DOC_SUPPRESSIONS,
        key="k-sup",
    )
    st = await check(
        client.suppression_status("someone@company.com"),
        "GET",
        "/campaigns/suppressions/status",
        {"email": "someone@company.com"},
    )
    assert st.suppressed is True


async def test_optional_reply_fields_are_left_out_not_sent_as_null(make_client):
    rec = Recorder({("POST", "/threads/t1/reply"): DOC_REPLY_RESPONSE})
    client = make_client(rec)
    await client.reply("t1", ReplyRequest(bodyText="hi"), idempotency_key="k")
    assert json.loads(rec.last.content) == {"bodyText": "hi"}


async def test_ids_cannot_escape_their_path_segment(make_client):
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path)
        return httpx.Response(200, content=DOC_MESSAGES)

    client = make_client(handler)
    await client.thread_messages("../workspaces?x=1")
    assert seen == [b"/threads/..%2Fworkspaces%3Fx%3D1/messages?workspaceId=42"]


def test_updated_since_is_utc_with_z():
    from o2d_inbox.api import format_updated_since

    plus_two = timezone(timedelta(hours=2))
    assert format_updated_since(datetime(2026, 3, 9, 12, 0, 30, 999_000, tzinfo=plus_two)) == "2026-03-09T10:00:30Z"
    assert format_updated_since(datetime(2026, 3, 9, 10, 0)) == "2026-03-09T10:00:00Z"  # naive = UTC
