"""dates.relative against an injected clock."""

from datetime import datetime, timedelta, timezone

import pytest

from o2d_inbox.render.dates import relative

NOW = datetime(2026, 6, 10, 15, 0, tzinfo=timezone.utc)  # a Wednesday


@pytest.mark.parametrize(
    "ago, shown",
    [
        (timedelta(seconds=0), "now"),
        (timedelta(seconds=59), "now"),
        (timedelta(seconds=-30), "now"),  # small clock skew
        (timedelta(minutes=5), "5m"),
        (timedelta(minutes=59, seconds=59), "59m"),
        (timedelta(hours=3), "3h"),
        (timedelta(hours=23, minutes=59), "23h"),
        (timedelta(days=2, hours=0, minutes=30), "Mon 14:30"),
        (timedelta(days=6, hours=23), "Wed 16:00"),
        (timedelta(days=9), "Jun 1"),
        (timedelta(days=150), "Jan 11"),
        (timedelta(days=190), "2025-12-02"),
        (timedelta(days=-3), "Jun 13"),  # future beyond skew: a date, never "-3d"
    ],
)
def test_relative(ago, shown):
    assert relative(NOW - ago, NOW) == shown


def test_display_zone_is_nows():
    local = timezone(timedelta(hours=2))
    ts = datetime(2026, 6, 8, 12, 30, tzinfo=timezone.utc)
    assert relative(ts, NOW.astimezone(local)) == "Mon 14:30"


def test_naive_is_utc_and_none_is_empty():
    assert relative(datetime(2026, 6, 10, 14, 55), NOW) == "5m"
    assert relative(None, NOW) == ""


@pytest.mark.parametrize("offset", [-5, 0, 5])
def test_the_ends_of_time_are_shown_not_raised(offset):
    """Dates a server may send that have no local form (year 1 west of UTC, year 9999 east
    of it): shown as their UTC day, with a four-digit year."""
    now = NOW.astimezone(timezone(timedelta(hours=offset)))
    assert relative(datetime(1, 1, 1, tzinfo=timezone.utc), now) == "0001-01-01"
    assert relative(datetime(9999, 12, 31, 23, 59, tzinfo=timezone.utc), now) == "9999-12-31"
    assert relative(datetime(1969, 12, 31, 23, 59, 59, tzinfo=timezone.utc), NOW) == "1969-12-31"
    assert relative(datetime(2300, 1, 1, tzinfo=timezone.utc), NOW) == "2300-01-01"
