"""The return date proposed for a snooze, read from out-of-office replies (resolved against
the reply's received date)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from o2d_inbox.render.ooo import return_date

# Thursday 26 November 2026
THU = datetime(2026, 11, 26, 14, 5, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "text, expected",
    [
        # the simulator's out-of-office bodies
        (
            "I am out of the office with limited access to email and will be back on Monday. For "
            "urgent matters please contact office@acme-corp.com.\n\nSarah Chen",
            date(2026, 11, 30),
        ),
        (
            "Automatic reply: I'm on parental leave until next month. Your message will not be forwarded.",
            date(2026, 12, 1),
        ),
        ("Thanks John, I'm out until Friday, will reply then.", date(2026, 11, 27)),
        # English
        ("Thank you for your email. I'm returning June 3 and will respond then.", date(2027, 6, 3)),
        ("I am out of the office until 12/06 with no access to email.", date(2026, 12, 6)),
        ("I'm travelling and will be back in the office from the 5th.", date(2026, 12, 5)),
        ("Auto-reply: out until Tuesday, Nov 30. Reach Tom for anything urgent.", date(2026, 11, 30)),
        ("Out of office. Back 2026-12-14.", date(2026, 12, 14)),
        ("I'm on vacation next week with no access to email.", date(2026, 11, 30)),
        ("I am away through Friday, December 4 and will reply on my return.", date(2026, 12, 7)),
        ("I'm out of the office from December 1 to December 8, 2026.", date(2026, 12, 9)),
        (
            "I'm at a conference from Dec 1 until Dec 3 and returning to the office on Monday, December 7th.",
            date(2026, 12, 7),
        ),
        ("I will be out from 28/11 to 02/12 with limited access.", date(2026, 12, 3)),
        ("I'm away on a trip and will be back in 2 weeks.", date(2026, 12, 10)),
        # German, French, Spanish
        ("Vielen Dank für Ihre Nachricht. Ich bin bis 07.12. nicht im Büro.", date(2026, 12, 7)),
        ("Ich bin ab dem 3. Dezember wieder im Büro.", date(2026, 12, 3)),
        ("Ich bin ab Montag wieder erreichbar.", date(2026, 11, 30)),
        ("Je suis absent et serai de retour le lundi 7 décembre.", date(2026, 12, 7)),
        ("Estoy fuera de la oficina hasta el 10 de diciembre.", date(2026, 12, 10)),
    ],
)
def test_return_date_found(text, expected):
    assert return_date(text, received=THU) == expected


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "Thanks, got it.",
        "Delivery to the following recipient failed permanently: 550 5.1.1",
        "We met on Monday and signed on 12/01/2020.",  # dates without a return cue
        "Version 2.5 shipped; pricing at 10.30 per seat.",
        "I'm back now",
    ],
)
def test_no_return_date(text):
    assert return_date(text, received=THU) is None


def test_weekday_is_the_next_one_after_received():
    monday = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
    assert return_date("Back on Monday.", received=monday) == date(2026, 12, 7)


def test_day_month_without_year_rolls_to_next_year():
    assert return_date("Back on January 4.", received=THU) == date(2027, 1, 4)
    assert return_date("Back on 4 January 2027.", received=THU) == date(2027, 1, 4)


def test_ambiguous_numeric_takes_the_sooner():
    may = datetime(2026, 5, 30, tzinfo=timezone.utc)
    assert return_date("out until 12/06", received=may) == date(2026, 6, 12)


def test_a_return_cue_beats_an_until():
    text = "I am on holiday until Friday 4 December, back in the office Monday 7 December."
    assert return_date(text, received=THU) == date(2026, 12, 7)


def test_french_mon_is_not_monday():
    text = "Je suis en congé. De retour dans mon bureau le 3 décembre."
    assert return_date(text, received=THU) == date(2026, 12, 3)


def test_hostile_input_is_bounded():
    assert return_date("1/1 " * 50_000, received=THU) is None


def test_wake_time_is_that_morning_in_the_users_zone():
    from datetime import timedelta

    from o2d_inbox.render.ooo import wake_time

    berlin_winter = timezone(timedelta(hours=1))
    assert wake_time(date(2026, 11, 30), tz=berlin_winter) == datetime(2026, 11, 30, 7, 0, tzinfo=timezone.utc)
    assert wake_time(date(2026, 11, 30)).tzinfo is not None


@pytest.mark.parametrize(
    "text",
    [
        "Out of office until Monday",
        "back next week",
        "back tomorrow",
        "returning in 2 weeks",
        "until next month",
        "back on 3 January",
    ],
)
def test_a_message_dated_at_the_end_of_time_has_no_return_date(text):
    """Year 9999 (a server's odd date): no day after it exists, so none is found, never raised."""
    assert return_date(text, received=datetime(9999, 12, 31, 23, tzinfo=timezone.utc)) is None
    assert return_date(text, received=datetime(1, 1, 1, tzinfo=timezone.utc)) is not None
