"""When a snoozed thread wakes: the offered choices and a typed date / time. Headless.

    snooze_choices(now, back=None) -> [SnoozeChoice]
        in ``now``'s zone (the user's): the out-of-office return date when one is known, then
        this morning (only in the small hours), tomorrow, the next business day, next Monday
        and in a week, each at WAKE_HOUR. No two choices land on the same moment: ones that
        coincide are shown once, their names joined ("Tomorrow Mon 8 Jun 8:00 · next business
        day" on a Sunday), and the out-of-office date keeps its place first.
    parse_when(text, now) -> datetime
        what a user types: ``2026-06-12``, ``2026-06-12 14:30``, ``12 jun``, ``jun 12 9am``,
        ``fri``, ``tomorrow 14:00``, ``today 17:00``, ``3d``, ``2w``, ``4h``, ``in 3 days``; a
        date alone means WAKE_HOUR that day. Raises ValueError with a one-line reason for
        anything else, for a moment already past, or one more than MAX_DAYS away.

``now`` is always passed in (an aware datetime): the caller's clock decides, so tests inject one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

__all__ = ["WAKE_HOUR", "MAX_DAYS", "SnoozeChoice", "snooze_choices", "parse_when", "day_label"]

WAKE_HOUR = 8
MAX_DAYS = 5 * 366  # further than this is a typo, not a snooze
_SMALL_HOURS = 5  # before this, "tomorrow morning" is still today's morning to the user

_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_UNITS = {
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "week": 604800,
    "weeks": 604800,
}
_RELATIVE = re.compile(r"^(?:in\s+)?(\d{1,4})\s*([a-z]+)$")
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm|h)?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_EXAMPLES = "try 2026-06-12 14:30, fri 9am, tomorrow, 3d, 2w"


@dataclass(frozen=True)
class SnoozeChoice:
    label: str
    until: datetime  # aware
    proposed: bool = False  # from an out-of-office reply


def day_label(d: date) -> str:
    return f"{d:%a} {d.day} {d:%b}"


def _at(day: date, now: datetime, hour: int = WAKE_HOUR, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=now.tzinfo)


def snooze_choices(now: datetime, back: date | None = None) -> list[SnoozeChoice]:
    today = now.date()
    tomorrow = today + timedelta(days=1)
    business = tomorrow + timedelta(days=max(0, 7 - tomorrow.weekday()) if tomorrow.weekday() >= 5 else 0)
    monday = today + timedelta(days=(7 - today.weekday()) or 7)
    week = today + timedelta(days=7)
    wake = f"{WAKE_HOUR}:00"
    named: list[tuple[str, datetime, bool]] = []
    if back is not None:
        named.append((f"Back on {day_label(back)} {wake} · from the out-of-office reply", _at(back, now), True))
    if now.hour < _SMALL_HOURS:
        named.append((f"This morning {day_label(today)} {wake}", _at(today, now), False))
    named += [
        (f"Tomorrow {day_label(tomorrow)} {wake}", _at(tomorrow, now), False),
        (f"Next business day {day_label(business)} {wake}", _at(business, now), False),
        (f"Next Monday {day_label(monday)} {wake}", _at(monday, now), False),
        (f"In a week {day_label(week)} {wake}", _at(week, now), False),
    ]
    choices: list[SnoozeChoice] = []
    for label, until, proposed in named:
        if until <= now:
            continue
        same = next((i for i, c in enumerate(choices) if c.until == until), None)
        if same is None:
            choices.append(SnoozeChoice(label, until, proposed))
        elif not choices[same].proposed:  # one moment, one line: the names joined
            name = label.split(f" {day_label(until.date())}")[0].lower()
            choices[same] = SnoozeChoice(f"{choices[same].label} · {name}", until)
    return choices


def _clock(text: str) -> tuple[int, int] | None:
    m = _TIME.match(text)
    if m is None:
        return None
    hour, minute, suffix = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    if suffix in ("am", "pm"):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def _month(word: str) -> int | None:
    word = word.rstrip(".")
    if len(word) < 3:
        return None
    found = [i for i, name in enumerate(_MONTHS, 1) if name.startswith(word)]
    return found[0] if len(found) == 1 else None


def _weekday(word: str) -> int | None:
    if len(word) < 2:
        return None
    found = [i for i, name in enumerate(_DAYS) if name.startswith(word)]
    return found[0] if len(found) == 1 else None


def _day(words: list[str], now: datetime) -> date | None:
    """The date named by ``words`` (already without a time), None when they name none."""
    today = now.date()
    text = " ".join(words)
    if text in ("today", "tonight"):
        return today
    if text in ("tomorrow", "tmrw", "tmr"):
        return today + timedelta(days=1)
    if (m := _ISO.match(text)) is not None:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))  # ValueError: no such day
    if len(words) == 1 and (wd := _weekday(words[0])) is not None:
        return today + timedelta(days=(wd - today.weekday()) % 7 or 7)  # the next one, not today
    if len(words) in (2, 3):
        day_word, month_word = (words[0], words[1]) if words[0].isdigit() else (words[1], words[0])
        month = _month(month_word)
        if month is not None and day_word.isdigit():
            year = int(words[2]) if len(words) == 3 and words[2].isdigit() else today.year
            found = date(year, month, int(day_word))
            if len(words) == 2 and found < today:
                found = date(year + 1, month, int(day_word))  # "12 jan" in December: next year's
            return found
    return None


def parse_when(text: str, now: datetime) -> datetime:
    raw = " ".join((text or "").strip().lower().replace(",", " ").split())
    if not raw:
        raise ValueError(f"Type a date or time ({_EXAMPLES})")
    shown = raw if len(raw) <= 40 else raw[:39] + "…"
    if (m := _RELATIVE.match(raw)) is not None and m.group(2) in _UNITS:
        until = now + timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])
    else:
        words = raw.split()
        clock = None
        if words and (clock := _clock(words[-1])) is not None:
            words = words[:-1]
        elif len(words) >= 2 and (clock := _clock(" ".join(words[-2:]))) is not None:
            words = words[:-2]  # "9 am"
        try:
            day = _day(words, now) if words else None
        except ValueError:
            raise ValueError(f"No such day: {shown}") from None
        if day is None and words:
            raise ValueError(f"Not a date or time: {shown} ({_EXAMPLES})")
        if day is None:  # a time alone: its next occurrence
            assert clock is not None
            until = _at(now.date(), now, *clock)
            if until <= now:
                until += timedelta(days=1)
        else:
            until = _at(day, now, *(clock or (WAKE_HOUR, 0)))
    if until <= now:
        raise ValueError(f"{shown} is already past")
    if until - now > timedelta(days=MAX_DAYS):
        raise ValueError(f"{shown} is more than five years away")
    return until
