"""split_quoted: the new part of a reply and its quoted history."""

import pytest

from o2d_inbox.render.quote import split_quoted


@pytest.mark.parametrize(
    "body, new, history_starts",
    [
        (
            "Sounds good.\n\nOn Mon, Jun 1, 2026 at 9:12 AM John <j@x.com> wrote:\n> Hi\n> there\n",
            "Sounds good.",
            "On Mon, Jun 1",
        ),
        ("Yes\n\nOn Mon, Jun 1, 2026 at 9:12 AM John Smith <\njohn@x.com> wrote:\n> hi", "Yes", "On Mon, Jun 1"),
        ("Oui\n\nLe lun. 1 juin 2026 à 09:12, John <j@x.com> a écrit :\n> Salut", "Oui", "Le lun."),
        ("ok\n-----Original Message-----\nFrom: a\nSent: b\n\nold", "ok", "-----Original Message-----"),
        (
            "ok\n\n________________________________\nFrom: John\nSent: Monday\nTo: x\nSubject: y\n\nold",
            "ok",
            "________",
        ),
        ("fwd below\n\n---------- Forwarded message ---------\nFrom: a\nold", "fwd below", "----------"),
        ("thanks\n\n> old\n>\n> older\n\n", "thanks", "> old"),
        ("new\nJohn <j@x> wrote:\n\n> old", "new", "John <j@x> wrote:"),
    ],
)
def test_history_is_separated(body, new, history_starts):
    got_new, history = split_quoted(body)
    assert got_new == new
    assert history.startswith(history_starts)


@pytest.mark.parametrize(
    "body",
    [
        "> question one\nanswer one\n> question two\nanswer two",  # inline answers stay visible
        "Here is what I wrote:\nthe plan",  # "wrote:" without quoted lines after it
        "From: the team\nwe are hiring",  # "From:" without a Sent:/Date: line
        "plain reply",
    ],
)
def test_no_history(body):
    assert split_quoted(body) == (body, "")


def test_empty_and_none():
    assert split_quoted(None) == ("", "")
    assert split_quoted("") == ("", "")


def test_all_history():
    assert split_quoted("> only\n> quoted") == ("", "> only\n> quoted")


def test_our_quote_below_a_reply_reads_back_as_history():
    from datetime import datetime, timedelta, timezone

    from o2d_inbox.render.compose import with_quote
    from o2d_inbox.render.quote import attribution

    when = datetime(2026, 6, 2, 14, 30, tzinfo=timezone(timedelta(hours=2)))
    line = attribution("sarah@acme.com", when)
    assert line == "On Tue, 2 Jun 2026 at 14:30, sarah@acme.com wrote:"
    text, html = with_quote("Thanks!\n\nJohn\n", line, "Hi John,\n\n<b>Can</b> we talk?\x1b[2J\n")
    assert text == f"Thanks!\n\nJohn\n\n{line}\n> Hi John,\n>\n> <b>Can</b> we talk?[2J"
    assert split_quoted(text) == ("Thanks!\n\nJohn", f"{line}\n> Hi John,\n>\n> <b>Can</b> we talk?[2J")
    assert html.startswith('<p>Thanks!</p>\n<p>John</p>\n<div class="quote">')
    assert "<blockquote><p>Hi John,</p>\n<p>&lt;b&gt;Can&lt;/b&gt; we talk?[2J</p></blockquote>" in html
