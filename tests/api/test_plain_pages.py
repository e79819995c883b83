"""A sync validates thread pages into plain dicts (api/models.plain, RawThreadsPage.parse);
threads_page() into models (RawThreadsPage.model). Both must read every page alike: the same
values, the same tolerance (unknown fields and values, lenient types and dates, lone
surrogates, items without an id skipped and counted), the same errors."""

from __future__ import annotations

import json

import httpx
import pytest

from o2d_inbox.api.errors import ProtocolError
from tests.helpers import API_KEY, make_sim

HOSTILE_ITEMS = [
    {
        "id": "t_full",
        "external_thread_id": "<x@y>",
        "subject": "Re: hi",
        "subject_display": "hi",
        "last_message": {
            "from_email": "a@b.io",
            "date_received": "2026-03-09T14:30:00Z",
            "body_text": "hey",
            "unknown": [1, 2],
        },
        "is_warming": False,
        "is_postmaster": True,
        "message_count": 3,
        "replyIntent": "interested",
        "campaignId": "cmp_1",
        "newField": {"nested": True},
    },
    {
        "id": "t_types",
        "subject": 12,
        "is_warming": "yes",
        "is_postmaster": 1,
        "message_count": "7x",
        "replyIntent": "brand_new_intent",
        "campaignId": 99,
    },
    {"id": "t_dates_naive", "last_message": {"date_received": "2026-03-09T10:00:00"}},
    {"id": "t_dates_offset", "last_message": {"date_received": "2026-03-09T12:00:00+02:00"}},
    {"id": "t_dates_bad", "last_message": {"date_received": "yesterday", "from_email": None}},
    {"id": "t_year_1_east", "last_message": {"date_received": "0001-01-01T00:30:00+01:00"}},
    {"id": "t_no_last", "last_message": None, "message_count": None},
    {"id": 7, "subject": "numeric id", "last_message": "not an object"},
    {"subject": "no id at all"},
    None,
    "a string",
    {"id": "t_lone", "subject": "lone \ud800 surrogate", "last_message": {"from_email": "x\udfff@y.io"}},
]


async def raw_pages(make_client, bodies: list[bytes]):
    queue = list(bodies)
    client = make_client(
        lambda request: httpx.Response(200, content=queue.pop(0), headers={"content-type": "application/json"})
    )
    return [await client.threads_page_raw(cursor=f"c{i}") for i in range(len(bodies))]


def as_plain(model_page) -> tuple:
    return ([t.model_dump() for t in model_page.threads], model_page.next_cursor, model_page.skipped, model_page.cursor)


async def test_hostile_items_read_alike(make_client):
    body = json.dumps({"threads": HOSTILE_ITEMS, "next_cursor": "c2", "extra": 1}).encode()
    (raw,) = await raw_pages(make_client, [body])
    plain, model = raw.parse(), raw.model()
    assert (plain.threads, plain.next_cursor, plain.skipped, plain.cursor) == as_plain(model)
    # what the rules say, on the plain side
    by_id = {t["id"]: t for t in plain.threads}
    assert plain.skipped == 3 and "7" in by_id and by_id["7"]["last_message"] is None
    assert by_id["t_types"]["message_count"] == 0 and by_id["t_types"]["is_warming"] is True
    assert by_id["t_types"]["campaignId"] == "99" and by_id["t_types"]["replyIntent"] == "brand_new_intent"
    assert by_id["t_dates_offset"]["last_message"]["date_received"].isoformat() == "2026-03-09T10:00:00+00:00"
    assert by_id["t_dates_bad"]["last_message"]["date_received"] is None
    assert by_id["t_lone"]["subject"] == "lone \ufffd surrogate"
    assert "newField" not in by_id["t_full"] and "unknown" not in by_id["t_full"]["last_message"]


async def test_the_simulators_pages_read_alike(make_client):
    """Every page of a seeded world with the pathological records (dates before 1970 and
    after 2106, lone surrogates, terminal escapes in an intent)."""
    sim = make_sim(threads=120, pathological=True)
    transport = sim.transport()
    bodies = []
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sim.test", headers={"Authorization": f"Bearer {API_KEY}"}
    ) as http:
        cursor = None
        while True:
            params = {"workspaceId": 42, "limit": 50, **({"cursor": cursor} if cursor else {})}
            body = (await http.get("/threads", params=params)).content
            bodies.append(body)
            cursor = json.loads(body).get("next_cursor")
            if not cursor:
                break
    assert len(bodies) >= 3
    for raw in await raw_pages(make_client, bodies):
        plain, model = raw.parse(), raw.model()
        assert (plain.threads, plain.next_cursor, plain.skipped, plain.cursor) == as_plain(model)
        assert plain.threads and all(isinstance(t, dict) for t in plain.threads)


@pytest.mark.parametrize("body", [b'{"threads": "not a list"}', b'{"threads": {"id": "x"}}', b'{"threads": 5}'])
async def test_a_page_of_the_wrong_shape_fails_alike(make_client, body):
    (raw,) = await raw_pages(make_client, [body])  # its cursor reads; its threads do not
    errors = []
    for validate in (raw.parse, raw.model):
        with pytest.raises(ProtocolError) as caught:
            validate()
        errors.append(str(caught.value))
    assert errors[0] == errors[1] and errors[0].startswith("GET /threads: unexpected response shape at threads")
