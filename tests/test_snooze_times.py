"""Snooze moments (o2d_inbox/snooze_times.py) with an injected clock: never two choices on the
same moment, the next business day, typed dates and times with a clear error."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from o2d_inbox.snooze_times import MAX_DAYS, parse_when, snooze_choices

TZ = timezone(timedelta(hours=2))


def at(y, mo, d, h=12, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=TZ)


# 2026-06-01 is a Monday
@pytest.mark.parametrize("now", [at(2026, 6, d, h) for d in range(1, 8) for h in (0, 3, 7, 8, 12, 23)])
def test_no_two_choices_land_on_the_same_moment_and_all_are_ahead(now):
    choices = snooze_choices(now, back=date(2026, 6, 9))
    moments = [c.until for c in choices]
    assert len(moments) == len(set(moments))
    assert all(m > now and m.tzinfo is TZ for m in moments)
    assert moments[1:] == sorted(moments[1:])  # the out-of-office date first, then in order


def test_the_next_business_day_skips_the_weekend():
    def business(now):
        found = [c for c in snooze_choices(now) if "next business day" in c.label.lower()]
        assert len(found) == 1, [c.label for c in snooze_choices(now)]
        return found[0]

    assert business(at(2026, 6, 3)).until == at(2026, 6, 4, 8)  # Wednesday → Thursday
    assert business(at(2026, 6, 3)).label == "Tomorrow Thu 4 Jun 8:00 · next business day"
    for friday_to_sunday in (5, 6, 7):
        assert business(at(2026, 6, friday_to_sunday)).until == at(2026, 6, 8, 8)  # Monday
    sunday = snooze_choices(at(2026, 6, 7, 23))
    assert sunday[0].label == "Tomorrow Mon 8 Jun 8:00 · next business day · next monday"
    assert [c.label.split()[0] for c in sunday] == ["Tomorrow", "In"]


def test_small_hours_offer_this_morning_as_well_as_tomorrow():
    labels = [c.label for c in snooze_choices(at(2026, 6, 3, 0, 30))]
    assert labels[:2] == ["This morning Wed 3 Jun 8:00", "Tomorrow Thu 4 Jun 8:00 · next business day"]
    assert not any(c.label.startswith("This morning") for c in snooze_choices(at(2026, 6, 3, 23)))


def test_an_out_of_office_date_equal_to_another_choice_keeps_its_own_line():
    choices = snooze_choices(at(2026, 6, 3), back=date(2026, 6, 4))
    assert choices[0].proposed and choices[0].label.startswith("Back on Thu 4 Jun")
    assert all(c.until != choices[0].until for c in choices[1:])


NOW = at(2026, 6, 3, 12)  # a Wednesday, noon


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-06-12", at(2026, 6, 12, 8)),
        ("2026-06-12 14:30", at(2026, 6, 12, 14, 30)),
        ("12 jun", at(2026, 6, 12, 8)),
        ("Jun 12, 9am", at(2026, 6, 12, 9)),
        ("12 january", at(2027, 1, 12, 8)),  # past this year: next year's
        ("fri", at(2026, 6, 5, 8)),
        ("Wednesday 2pm", at(2026, 6, 10, 14)),  # the next one, not today
        ("tomorrow 14:00", at(2026, 6, 4, 14)),
        ("today 17:00", at(2026, 6, 3, 17)),
        ("9 am", at(2026, 6, 4, 9)),  # a time alone: its next occurrence
        ("15:00", at(2026, 6, 3, 15)),
        ("3d", NOW + timedelta(days=3)),
        ("in 2 weeks", NOW + timedelta(weeks=2)),
        ("4h", NOW + timedelta(hours=4)),
    ],
)
def test_typed_dates_and_times(text, expected):
    assert parse_when(text, NOW) == expected


@pytest.mark.parametrize(
    "text, error",
    [
        ("", "Type a date or time"),
        ("next tuesdayish", "Not a date or time: next tuesdayish (try "),
        ("2026-02-30", "No such day: 2026-02-30"),
        ("31 jun", "No such day: 31 jun"),
        ("25:00", "Not a date or time: 25:00"),
        ("today 9:00", "today 9:00 is already past"),
        ("2020-01-01", "2020-01-01 is already past"),
        (f"{MAX_DAYS + 1}d", "is more than five years away"),
    ],
)
def test_bad_input_gets_a_one_line_reason(text, error):
    with pytest.raises(ValueError) as caught:
        parse_when(text, NOW)
    message = str(caught.value)
    assert error in message and "\n" not in message
