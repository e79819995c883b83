"""A sync validates thread pages into plain dicts (api/models.plain, threads_page_plain);
threads_page() into models. Both must read every page alike: the same values, the same
tolerance (unknown fields and values, lenient types and dates, lone surrogates, items without
an id skipped and counted), the same errors. What a sync reads of a page is stored as data:
hostile strings arrive in the cache exactly as sent. The page reader's cheap read of a page's
``next_cursor`` (api/reader.next_cursor_of) says what the full validation says."""

from __future__ import annotations

import json

import httpx
import pytest

from o2d_inbox.api.errors import ProtocolError
from o2d_inbox.api.reader import PageHead, next_cursor_of
from o2d_inbox.cache.db import open_db
from o2d_inbox.sync.engine import SyncEngine
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

#: Strings a server could send to break a terminal, markup, SQL or a search: data, stored as sent.
HOSTILE_STRINGS = {
    "escape": "\x1b[2J\x1b[Hpwned\x07",
    "markup": "[bold red]urgent[/] [link=file:///etc/passwd]x[/link]",
    "bidi": "invoice \u202egpj.exe",
    "nul": "a\x00b",
    "sql": "'); DROP TABLE threads; --",
    "fts": 'NEAR("x" OR *) AND subject:',
    "long": "x" * 100_000,
    "cursor_like": '", "next_cursor": "evil"}',
}


def page_body(threads, next_cursor="c2", **extra) -> bytes:
    return json.dumps({"threads": threads, "next_cursor": next_cursor, **extra}).encode()


async def read_both(make_client, body: bytes):
    """(threads_page_plain, threads_page) of the same body; a ProtocolError's message instead
    of a page where one is raised."""
    client = make_client(
        lambda request: httpx.Response(200, content=body, headers={"content-type": "application/json"})
    )
    read = []
    for method in (client.threads_page_plain, client.threads_page):
        try:
            read.append(await method(cursor="c1"))
        except ProtocolError as exc:
            read.append(str(exc))
    return read


def as_plain(model_page) -> tuple:
    return ([t.model_dump() for t in model_page.threads], model_page.next_cursor, model_page.skipped, model_page.cursor)


def assert_alike(plain, model) -> None:
    if isinstance(model, str):
        assert plain == model and "\n" not in plain and API_KEY not in plain
        return
    assert (plain.threads, plain.next_cursor, plain.skipped, plain.cursor) == as_plain(model)


async def test_hostile_items_read_alike(make_client):
    body = page_body(HOSTILE_ITEMS, extra=1)
    plain, model = await read_both(make_client, body)
    assert_alike(plain, model)
    # what the rules say, on the plain side
    by_id = {t["id"]: t for t in plain.threads}
    assert plain.skipped == 3 and "7" in by_id and by_id["7"]["last_message"] is None
    assert by_id["t_types"]["message_count"] == 0 and by_id["t_types"]["is_warming"] is True
    assert by_id["t_types"]["campaignId"] == "99" and by_id["t_types"]["replyIntent"] == "brand_new_intent"
    assert by_id["t_dates_offset"]["last_message"]["date_received"].isoformat() == "2026-03-09T10:00:00+00:00"
    assert by_id["t_dates_bad"]["last_message"]["date_received"] is None
    assert by_id["t_lone"]["subject"] == "lone \ufffd surrogate"
    assert "newField" not in by_id["t_full"] and "unknown" not in by_id["t_full"]["last_message"]


# One thread (or one page) per row: what a careless or hostile server may send.
MALFORMED_THREADS = {
    "missing every optional field": {"id": "t"},
    "missing last_message fields": {"id": "t", "last_message": {}},
    "null everywhere": {
        "id": "t",
        "subject": None,
        "last_message": {"from_email": None, "date_received": None, "body_text": None},
        "is_warming": None,
        "is_postmaster": None,
        "message_count": None,
        "replyIntent": None,
    },
    "null id": {"id": None, "subject": "x"},
    "empty id": {"id": "", "subject": "x"},
    "object id": {"id": {"x": 1}},
    "bool id": {"id": True},
    "float id": {"id": 1.5},
    "wrong types": {
        "id": "t",
        "subject": ["a", "list"],
        "subject_display": {"an": "object"},
        "is_warming": "no",
        "is_postmaster": 2,
        "message_count": 3.9,
        "replyIntent": 5,
    },
    "count as text": {"id": "t", "message_count": "12"},
    "count too big": {"id": "t", "message_count": 10**30},
    "count negative": {"id": "t", "message_count": -4},
    "unknown intent": {"id": "t", "replyIntent": "maybe_later"},
    "intent with an escape": {"id": "t", "replyIntent": HOSTILE_STRINGS["escape"]},
    "date as a number": {"id": "t", "last_message": {"date_received": 1700000000}},
    "date only": {"id": "t", "last_message": {"date_received": "2026-03-09"}},
    "date with a space": {"id": "t", "last_message": {"date_received": "2026-03-09 10:00:00Z"}},
    "date with fractions": {"id": "t", "last_message": {"date_received": "2026-03-09T10:00:00.123456789Z"}},
    "date out of range": {"id": "t", "last_message": {"date_received": "2026-02-30T10:00:00Z"}},
    "leap second": {"id": "t", "last_message": {"date_received": "2026-06-30T23:59:60Z"}},
    "date far offset": {"id": "t", "last_message": {"date_received": "9999-12-31T23:30:00-01:00"}},
    "last_message a list": {"id": "t", "last_message": ["x"]},
    "from_email a number": {"id": "t", "last_message": {"from_email": 42}},
    **{
        f"hostile {k}": {"id": f"t_{k}", "subject": v, "last_message": {"body_text": v}}
        for k, v in HOSTILE_STRINGS.items()
    },
}


@pytest.mark.parametrize("thread", MALFORMED_THREADS.values(), ids=MALFORMED_THREADS.keys())
async def test_a_malformed_thread_reads_alike(make_client, thread):
    plain, model = await read_both(make_client, page_body([thread, {"id": "t_fine"}]))
    assert_alike(plain, model)
    assert plain.threads[-1]["id"] == "t_fine"  # one odd thread never costs its page


MALFORMED_PAGES = {
    "threads not a list": b'{"threads": "not a list", "next_cursor": "c2"}',
    "threads an object": b'{"threads": {"id": "x"}}',
    "threads a number": b'{"threads": 5}',
    "threads null": b'{"threads": null, "next_cursor": null}',
    "no threads": b'{"next_cursor": null}',
    "a list, not a page": b'[{"id": "t"}]',
    "a string": b'"threads"',
    "next_cursor a number": b'{"threads": [{"id": "t"}], "next_cursor": 5}',
    "next_cursor an object": b'{"threads": [{"id": "t"}], "next_cursor": {"c": 1}}',
    "next_cursor empty": b'{"threads": [{"id": "t"}], "next_cursor": ""}',
    "next_cursor twice": b'{"threads": [], "next_cursor": "a", "next_cursor": "b"}',
    "lone surrogate in the cursor": b'{"threads": [], "next_cursor": "c\\ud800"}',
}


@pytest.mark.parametrize("body", MALFORMED_PAGES.values(), ids=MALFORMED_PAGES.keys())
async def test_a_malformed_page_reads_or_fails_alike(make_client, body):
    plain, model = await read_both(make_client, body)
    assert_alike(plain, model)


async def test_a_page_of_the_wrong_shape_is_one_line_naming_where(make_client):
    plain, model = await read_both(make_client, MALFORMED_PAGES["threads not a list"])
    assert plain == model and plain.startswith("GET /threads: unexpected response shape at threads")


async def test_the_simulators_pages_read_alike(make_client):
    """Every page of a seeded world with the pathological records (dates before 1970 and
    after 2106, lone surrogates, terminal escapes in an intent)."""
    sim = make_sim(threads=120, pathological=True)
    bodies = []
    async with httpx.AsyncClient(
        transport=sim.transport(), base_url="http://sim.test", headers={"Authorization": f"Bearer {API_KEY}"}
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
    for body in bodies:
        plain, model = await read_both(make_client, body)
        assert_alike(plain, model)
        assert plain.threads and all(isinstance(t, dict) for t in plain.threads)
        assert next_cursor_of(body) == plain.next_cursor


async def test_hostile_strings_are_stored_as_sent(make_client, tmp_path):
    """A sync stores what it validated as data: no markup, escape or SQL is interpreted, and
    nothing is cut (the list's snippet aside, which is the body's start)."""
    threads = [
        {"id": f"t_{k}", "subject": v, "replyIntent": v, "campaignId": v, "last_message": {"from_email": v}}
        for k, v in HOSTILE_STRINGS.items()
    ]
    body = page_body(threads, next_cursor=None)
    client = make_client(
        lambda request: (
            httpx.Response(200, content=body)
            if request.url.path == "/threads"
            else httpx.Response(200, json={"items": [], "messages": []})
        )
    )
    conn = open_db(tmp_path / "cache.db")
    try:
        await SyncEngine(conn, client).sync()
        stored = {
            r[0]: r[1:] for r in conn.execute("SELECT id, subject, reply_intent, campaign_id, last_from FROM threads")
        }
    finally:
        conn.close()
    assert stored == {f"t_{k}": (v, v, v, v) for k, v in HOSTILE_STRINGS.items()}


# --- the page reader's read of next_cursor --------------------------------------------------

CURSOR_BODIES = {
    "last, a plain string": b'{"threads": [{"id": "t"}], "next_cursor": "djEuMTc5"}',
    "last, null": b'{"threads": [], "next_cursor": null}',
    "last, spaced and newlines": b'{\n  "threads": [],\n  "next_cursor" :\t"c2"\n}\n',
    "last, unicode": '{"threads": [], "next_cursor": "caf\u00e9-\u2603"}'.encode(),
    "last, with an escape": b'{"threads": [], "next_cursor": "a\\"b\\u00e9"}',
    "last, a number": b'{"threads": [], "next_cursor": 5}',
    "last, empty": b'{"threads": [], "next_cursor": ""}',
    "first": b'{"next_cursor": "c2", "threads": [{"id": "t"}]}',
    "absent": b'{"threads": [{"id": "t", "subject": "next_cursor"}]}',
    "a subject that says it, last": b'{"threads": [{"id": "t", "subject": "\\", \\"next_cursor\\": \\"evil\\"}"}]}',
    "a value that says it, last": b'{"threads": [], "note": "next_cursor"}',
    "nested, last": b'{"threads": [], "more": {"next_cursor": "evil"}}',
    "nested and real": b'{"threads": [{"id": "t", "next_cursor": "evil"}], "next_cursor": "c2"}',
    "twice": b'{"threads": [], "next_cursor": "a", "next_cursor": "b"}',
    "in a list, last": b'{"threads": [], "more": [{"next_cursor": "evil"}]}',
}


@pytest.mark.parametrize("body", CURSOR_BODIES.values(), ids=CURSOR_BODIES.keys())
async def test_the_readers_cursor_is_the_pages(make_client, body):
    (plain, _) = await read_both(make_client, body)
    assert next_cursor_of(body) == PageHead.model_validate_json(body).next_cursor == plain.next_cursor


def test_a_body_that_is_no_page_has_no_cursor_to_read_ahead():
    """Not a page, or one only the client's repair reads (a lone surrogate escape): nothing is
    read ahead; the client judges the page when it arrives."""
    for body in (
        b"",
        b"<html>busy</html>",
        b'{"threads": [{"id": "t"',
        MALFORMED_PAGES["lone surrogate in the cursor"],
    ):
        with pytest.raises(ValueError):
            next_cursor_of(body)


async def test_a_lone_surrogate_in_the_cursor_is_repaired(make_client):
    plain, model = await read_both(make_client, MALFORMED_PAGES["lone surrogate in the cursor"])
    assert plain.next_cursor == model.next_cursor == "c\ufffd"
