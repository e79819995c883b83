"""The read side: every queue pages in order, keyset == offset, counts agree, O(page) plans."""

from __future__ import annotations

import pytest

from o2d_inbox.cache import local
from o2d_inbox.cache import queries as q

VIEWS = [
    q.View("all"),
    q.View("all", relevant=False),
    q.View("needs"),
    q.View("needs", relevant=False),
    q.View("intent", "interested"),
    q.View("intent", "unclassified", relevant=False),
    q.View("mailbox", "john@cooloutreach.io"),
    q.View("mailbox", "john@cooloutreach.io", relevant=False),
    q.View("campaign", "c-q4", relevant=False),
]


def _replied(conn):
    """Threads with a reply queued, in flight or sent since the prospect's last message."""
    return {
        r[0]
        for r in conn.execute(
            "SELECT o.thread_id FROM outbox AS o JOIN threads AS t ON t.id = o.thread_id WHERE o.kind = 'reply' "
            "AND o.state IN ('scheduled', 'sending', 'accepted', 'sent') AND o.send_after >= t.last_ts"
        )
    }


def _needs(t, replied):
    """Needs reply, the obvious way: the prospect wrote last, a reply is for it, none is on its way."""
    return (
        t.needs_reply
        and t.reply_intent in ("interested", "neutral", None)
        and not t.local_done
        and t.local_snoozed_until is None
        and t.id not in replied
    )


def _sort_key(view):
    """The list order of ``view`` as a Python sort key (with reverse)."""
    rank = {i: n for n, i in enumerate(q.INTENT_ORDER)}
    if view.order == "intent":
        sign = 1 if view.kind == "needs" else -1
        return (
            lambda t: (
                rank.get(t.reply_intent, len(rank)),
                sign * t.last_ts,
                t.id if sign > 0 else tuple(-ord(c) for c in t.id),
            )
        ), False
    if view.order == "wake":
        return (lambda t: (t.local_snoozed_until, t.id)), False
    return (lambda t: t.key), view.order == "newest"


def _expected(conn, view):
    """The queue computed the slow, obvious way in Python."""
    out = []
    replied = _replied(conn)
    for t in (q.thread(conn, r[0]) for r in conn.execute("SELECT id FROM threads")):
        if view.relevant and not t.relevant:
            continue
        if view.kind == "needs" and not _needs(t, replied):
            continue
        if view.kind == "intent" and t.reply_intent != (None if view.key == "unclassified" else view.key):
            continue
        if view.kind == "mailbox" and t.mailbox != view.key:
            continue
        if view.kind == "campaign" and t.campaign_id != view.key:
            continue
        if view.kind == "done" and not t.local_done:
            continue
        if view.kind == "snoozed" and t.local_snoozed_until is None:
            continue
        out.append(t)
    key, reverse = _sort_key(view)
    out.sort(key=key, reverse=reverse)
    return [t.id for t in out]


@pytest.mark.parametrize("view", VIEWS, ids=repr)
def test_pages_count_and_position(cache, view):
    expected = _expected(cache, view)
    assert expected, "the fixture must populate every tested queue"
    assert q.count(cache, view) == len(expected)
    paged, after = [], None
    while True:
        page = q.rows(cache, view, len(paged), 17, after=after)
        if not page:
            break
        assert [t.id for t in q.rows(cache, view, len(paged), 17)] == [t.id for t in page]
        paged += page
        after = page[-1].key
    assert [t.id for t in paged] == expected
    middle = paged[len(paged) // 2]
    assert q.position(cache, view, middle) == len(paged) // 2


def test_needs_is_interested_first_then_oldest_wait_and_all_newest_first(cache):
    needs = q.rows(cache, q.View("needs"), 0, 1000)
    interested = [t for t in needs if t.reply_intent == "interested"]
    assert interested and len(interested) < len(needs)
    assert needs[: len(interested)] == interested
    assert [t.last_ts for t in interested] == sorted(t.last_ts for t in interested)
    assert {t.reply_intent for t in needs} == {"interested", "neutral", None}
    everything = q.rows(cache, q.View("all"), 0, 10)
    assert [t.last_ts for t in everything] == sorted((t.last_ts for t in everything), reverse=True)


def test_sidebar_counts_match_queues(cache):
    counts = q.sidebar_counts(cache, True)
    for (kind, key), n in counts.items():
        assert n == len(_expected(cache, q.View(kind, key))), (kind, key)
    assert ("intent", "unclassified") in counts
    assert [m for m, _ in q.mailboxes(cache)] and all(n > 0 for _, n in q.mailboxes(cache))
    assert {name for _, name, _ in q.campaigns(cache)} == {"Q4 SaaS founders", "Agencies EU", "Retarget 2026"}


def test_thread_messages_and_mark_read(cache):
    t = q.thread(cache, "t0000003")
    msgs = q.messages(cache, "t0000003")
    assert t.messages_cached and len(msgs) == t.message_count
    assert [m.date for m in msgs] == sorted(m.date for m in msgs)
    assert q.thread(cache, "nope") is None
    cache.execute("UPDATE threads SET unread = 1 WHERE id = 't0000003'")
    local.mark_read(cache, "t0000003")
    assert not q.thread(cache, "t0000003").unread


@pytest.mark.parametrize("view", VIEWS, ids=repr)
def test_plans_use_an_index_and_never_sort_the_queue(cache, view):
    sql, params = q._ordered_keys_sql(cache, view, None)
    steps = [r[3] for r in cache.execute(f"EXPLAIN QUERY PLAN {sql} LIMIT 50 OFFSET 100", params)]
    plan = " | ".join(steps)
    # every step on threads walks an index in list order; nothing sorts the whole queue
    assert all("INDEX" in s for s in steps if "threads" in s), plan
    assert "TEMP B-TREE" not in plan, plan


def test_trigger_maintained_counts_agree_with_the_queues():
    """view_counts as the schema's triggers keep it (no recount) matches what rows() lists."""
    from o2d_inbox.cache.db import open_db
    from tests.seed import seed_cache

    conn = open_db(":memory:")
    seed_cache(conn, 150, recount=False)
    conn.execute(
        "UPDATE threads SET reply_intent = 'interested', needs_reply = 1 - needs_reply "
        "WHERE id IN ('t0000001', 't0000002')"
    )
    conn.execute("DELETE FROM threads WHERE id = 't0000004'")
    for relevant in (True, False):
        for (kind, key), n in q.sidebar_counts(conn, relevant).items():
            assert n == len(_expected(conn, q.View(kind, key, relevant=relevant))), (kind, key, relevant)


# --- filters combined, as `o2d-inbox threads` names them -------------------------------------

FILTERS = [
    {"needs_reply": True},
    {"needs_reply": True, "relevant": True},
    {"intent": "neutral"},
    {"intent": "unclassified", "relevant": True},
    {"needs_reply": True, "intent": "interested"},
    {"mailbox": "john@cooloutreach.io", "campaign": "c-q4"},
    {"intent": "neutral", "mailbox": "sales@cooloutreach.io", "relevant": True},
    {"needs_reply": True, "campaign": "c-agency", "mailbox": "amy@growthlane.co"},
]


def _put_away_some(conn):
    """Mark done / snooze a few threads of each needs-reply and intent queue."""
    from datetime import timedelta

    from tests.seed import NOW

    needs = [r[0] for r in conn.execute("SELECT id FROM threads WHERE needs_reply = 1 ORDER BY id LIMIT 6")]
    other = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM threads WHERE needs_reply = 0 AND reply_intent IS NOT NULL ORDER BY id LIMIT 6"
        )
    ]
    local.mark_done(conn, needs[:3] + other[:3])
    local.snooze(conn, needs[3:] + other[3:], NOW + timedelta(days=2))
    return needs + other


def _expected_filtered(conn, f):
    """The filters applied the slow, obvious way: put-away threads leave needs-reply and intent."""
    out = []
    replied = _replied(conn)
    for t in (q.thread(conn, r[0]) for r in conn.execute("SELECT id FROM threads")):
        away = t.local_done or t.local_snoozed_until is not None
        if f.get("relevant") and not t.relevant:
            continue
        if f.get("needs_reply") and not _needs(t, replied):
            continue
        if "intent" in f and (away or t.reply_intent != (None if f["intent"] == "unclassified" else f["intent"])):
            continue
        if "mailbox" in f and t.mailbox != f["mailbox"]:
            continue
        if "campaign" in f and t.campaign_id != f["campaign"]:
            continue
        out.append(t)
    key, reverse = _sort_key(q.filtered(**f))
    out.sort(key=key, reverse=reverse)
    return [t.id for t in out]


@pytest.mark.parametrize("filters", FILTERS, ids=repr)
def test_filtered_views_page_count_and_position(cache, filters):
    put_away = _put_away_some(cache)
    view = q.filtered(**filters)
    expected = _expected_filtered(cache, filters)
    assert expected, "the fixture must populate every tested combination"
    paged, after = [], None
    while page := q.rows(cache, view, len(paged), 7, after=after):
        assert [t.id for t in q.rows(cache, view, len(paged), 7)] == [t.id for t in page]
        paged += page
        after = page[-1].key
    assert [t.id for t in paged] == expected
    assert q.count(cache, view) == len(expected)
    assert q.position(cache, view, paged[len(paged) // 2]) == len(paged) // 2
    if "needs_reply" in filters or "intent" in filters:
        assert not set(put_away) & set(expected)


def test_a_single_filter_is_the_tui_queue(cache):
    """What the sidebar opens is what the same filter names: same view, same counts table."""
    assert q.filtered(needs_reply=True, relevant=True) == q.View("needs")
    assert q.filtered(intent="neutral") == q.View("intent", "neutral", relevant=False)
    assert q.filtered(mailbox="amy@growthlane.co", relevant=True) == q.View("mailbox", "amy@growthlane.co")
    assert q.filtered() == q.View("all", relevant=False)
    with pytest.raises(ValueError):
        q.View("all", narrow=(("needs", None),))


@pytest.mark.parametrize(
    "filters", [{"needs_reply": True}, {"needs_reply": True, "relevant": True}, {"intent": "neutral"}], ids=repr
)
def test_filtered_queue_plans_seek_the_open_queue_index(cache, filters):
    """`threads --needs-reply` / `--intent` read the partial index of the open queue, covering."""
    sql, params = q._ordered_keys_sql(cache, q.filtered(**filters), None)
    steps = [r[3] for r in cache.execute(f"EXPLAIN QUERY PLAN {sql} LIMIT 50", params)]
    plan = " | ".join(steps)
    assert all("COVERING INDEX ix_threads_" in s and "_open" in s for s in steps if "threads" in s), plan
    assert "TEMP B-TREE" not in plan, plan
