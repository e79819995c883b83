"""Short, relative timestamps for lists and the conversation pane (headless).

The clock is always injected (`now`), so the screen and the tests agree. The display time
zone is `now`'s: pass an aware local `now` to show local times. Names are English and fixed
(no locale lookups), so a row never changes width with the environment.
"""

from __future__ import annotations

from datetime import datetime, timezone

__all__ = ["relative"]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=timezone.utc)


def parse_time(text: str | None) -> datetime | None:
    """An ISO time as the cache stores it ("…Z" or an offset; naive means UTC); None when
    empty or unreadable."""
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def relative(ts: datetime | None, now: datetime) -> str:
    """ "now" (< 1 min, or up to a minute in the future), "5m", "3h" (< 24 h), "Mon 14:30"
    (< 7 days), "Jun 1" (same year), "2025-12-03" (older, or further in the future).
    Naive datetimes are taken as UTC. None -> ""."""
    if ts is None:
        return ""
    now = _aware(now)
    try:
        ts = _aware(ts).astimezone(now.tzinfo)
    except OverflowError:  # year 1 or 9999 from the server: no local form, shown in UTC
        ts = _aware(ts)
    seconds = (now - ts).total_seconds()
    if -60 < seconds < 60:
        return "now"
    if seconds > 0:
        if seconds < 3600:
            return f"{int(seconds // 60)}m"
        if seconds < 86400:
            return f"{int(seconds // 3600)}h"
        if seconds < 7 * 86400:
            return f"{_DAYS[ts.weekday()]} {ts:%H:%M}"
    if ts.year == now.year:
        return f"{_MONTHS[ts.month - 1]} {ts.day}"
    return f"{ts.year:04d}-{ts.month:02d}-{ts.day:02d}"  # %Y leaves year 1 unpadded
