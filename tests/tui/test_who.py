"""The list's "who" column: the other party, "you" while only our own last message is known."""

import dataclasses

from o2d_inbox.cache.queries import ThreadRow
from o2d_inbox.tui.thread_list import who

BASE = ThreadRow(
    id="t1",
    subject="Hi",
    subject_display="Hi",
    last_from="john@cooloutreach.com",
    last_date=None,
    last_ts=0,
    snippet=None,
    message_count=2,
    reply_intent=None,
    campaign_id=None,
    campaign_name=None,
    mailbox=None,
    prospect=None,
    is_warming=False,
    is_postmaster=False,
    relevant=True,
    needs_reply=False,
    unread=False,
    messages_cached=False,
)


def row(**changes) -> ThreadRow:
    return dataclasses.replace(BASE, **changes)


def test_known_prospect_wins():
    assert who(row(prospect="sarah@acme.com")) == "sarah@acme.com"


def test_our_last_message_with_prospect_unknown_reads_you():
    assert who(row()) == "you"


def test_prospect_waiting_shows_the_sender():
    assert who(row(last_from="sarah@acme.com", needs_reply=True)) == "sarah@acme.com"


def test_a_bounce_shows_the_robot_until_the_messages_name_the_person():
    assert who(row(last_from="mailer-daemon@acme.com")) == "mailer-daemon@acme.com"
