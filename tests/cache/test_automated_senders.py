"""Bounces and delivery reports: a robot is never the prospect and never waits for a reply."""

from o2d_inbox.cache.writes import is_automated, needs_reply
from tests.helpers import counts_are_right


def test_automated_addresses():
    assert is_automated("MAILER-DAEMON@googlemail.com")
    assert is_automated("postmaster@acme.com")
    assert not is_automated("sarah@acme.com")
    assert not is_automated(None)
    assert needs_reply("mailer-daemon@x.com", None, set()) == 0
    assert needs_reply("sarah@acme.com", None, set()) == 1


async def test_bounced_threads_name_the_person_we_wrote_to(engine, conn):
    await engine.sync(messages=True)
    bounced = conn.execute(
        "SELECT id, prospect, needs_reply, last_from FROM threads WHERE reply_intent = 'bounced' "
        "AND messages_fetched_count IS NOT NULL"
    ).fetchall()
    assert bounced, "the seeded inbox has bounced threads"
    robot_last = [r for r in bounced if is_automated(r["last_from"])]
    assert robot_last, "some bounces end with the daemon's report"
    for row in bounced:
        assert not is_automated(row["prospect"]), dict(row)
    for row in robot_last:
        assert row["needs_reply"] == 0, dict(row)
    assert counts_are_right(conn)
