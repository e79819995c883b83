"""The return date an out-of-office reply announces, proposed as a snooze date. Headless.

``return_date(text, received=...)`` finds date expressions (ISO dates, "June 3", "3rd of
June", "12/06", weekdays, "the 5th", "next week", "next month", "tomorrow", "in 2 weeks";
a few German / French / Spanish forms) and keeps those a return cue stands just before:

- "back on", "returning", "in the office on", "available again from", "zurück", "wieder",
  "ab", "de retour", "regreso", … : the date itself;
- "until", "bis", "jusqu'au", "hasta": the date itself ("out until Friday" = back Friday);
- "through", "thru", or the end of a range ("from June 1 to June 5"): the next working day
  after it (the person is out that whole day).

A return cue wins over an "until", which wins over a bare "next week" / "next month"; among
equals the first in the text. Dates are resolved against ``received`` (the reply's date): a
weekday is the next such day after it, a day and month without a year the next one on or
after it, "12/06" whichever of 12 June / 6 December comes first after it (a dotted "12.06."
is always day.month). None when nothing is found: the caller then proposes nothing (or its
own default).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

__all__ = ["return_date", "wake_time"]

_MONTHS: dict[str, int] = {}
for _num, _names in enumerate(
    (
        "january jan januar janvier janv enero ene",
        "february feb februar février fevrier févr fevr febrero",
        "march mar märz maerz mär mars marzo",
        "april apr avril avr abril",
        "may mai mayo",
        "june jun juni juin junio",
        "july jul juli juillet juil julio",
        "august aug août aout agosto",
        "september sep sept septembre septiembre",
        "october oct oktober okt octobre octubre",
        "november nov novembre noviembre",
        "december dec dezember dez décembre decembre déc diciembre dic",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _num

_WEEKDAYS: dict[str, int] = {}
for _num, _names in enumerate(
    (
        "monday montag lundi lunes Mon",
        "tuesday dienstag mardi martes Tue Tues",
        "wednesday mittwoch mercredi miércoles miercoles Wed",
        "thursday donnerstag jeudi jueves Thu Thur Thurs",
        "friday freitag vendredi viernes Fri",
        "saturday samstag samedi sábado sabado Sat",
        "sunday sonntag dimanche domingo Sun",
    )
):
    for _name in _names.split():
        _WEEKDAYS[_name.lower()] = _num
# Capitalised English abbreviations only ("Mon, Dec 7"): "mon", "sun", "sat", "wed" are words.
_WEEKDAY_NAMES = [n for n in _WEEKDAYS if len(n) > 4 or n in ("lundi", "mardi", "jeudi")]
_WEEKDAY_ABBREVIATIONS = ["Mon", "Tue", "Tues", "Wed", "Thu", "Thur", "Thurs", "Fri", "Sat", "Sun"]


def _alternation(names) -> str:
    return "|".join(sorted((re.escape(n) for n in names), key=len, reverse=True))


_MON = rf"(?P<mon>{_alternation(_MONTHS)})\.?"
_ORD = r"(?:st|nd|rd|th|er|\.)?"
_YEAR = r"(?:,?\s+(?:de\s+)?(?P<y>\d{4}))?"

# (kind, pattern); each match yields a resolved date (or None when impossible).
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b")),
    ("md", re.compile(rf"\b{_MON}\s+(?:the\s+)?(?P<d>\d{{1,2}}){_ORD}(?!\d){_YEAR}", re.I)),
    ("dm", re.compile(rf"\b(?P<d>\d{{1,2}}){_ORD}\s+(?:of\s+|de\s+)?{_MON}(?![a-zà-ü]){_YEAR}", re.I)),
    (
        "num",
        re.compile(
            r"(?<![\d./])(?P<a>\d{1,2})(?P<sep>[./])(?P<b>\d{1,2})"
            r"(?:(?P=sep)(?P<y>\d{4}|\d{2}))?(?![\d/]|\.\d)"
        ),
    ),
    ("ord", re.compile(r"\b(?:the|dem|den|am)\s+(?P<d>\d{1,2})(?:st|nd|rd|th|\.)(?!\d)", re.I)),
    ("wd", re.compile(rf"\b(?P<wd>{_alternation(_WEEKDAY_NAMES)})\b", re.I)),
    ("wd", re.compile(rf"\b(?P<wd>{_alternation(_WEEKDAY_ABBREVIATIONS)})\b\.?")),
    (
        "week",
        re.compile(
            r"\b(?:next\s+week|nächste[nr]?\s+woche|la\s+semaine\s+prochaine|"
            r"la\s+pr[óo]xima\s+semana|la\s+semana\s+que\s+viene)\b",
            re.I,
        ),
    ),
    (
        "month",
        re.compile(
            r"\b(?:next\s+month|nächste[nn]?\s+monat|le\s+mois\s+prochain|"
            r"el\s+pr[óo]ximo\s+mes|el\s+mes\s+que\s+viene)\b",
            re.I,
        ),
    ),
    ("tomorrow", re.compile(r"\b(?:tomorrow|demain|mañana)\b", re.I)),
    ("weeks", re.compile(r"\bin\s+(?P<n>\d|one|two|three|four)\s+weeks?\b", re.I)),
]
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4}

_RETURN_CUE = re.compile(
    r"(?:\bback|\breturn(?:ing|s)?|\bagain|in\s+the\s+office|\breachable|\bzurück|\bwieder|\bab"
    r"|de\s+retour|\bretour|\brentre|\bregres(?:o|aré|are)|\bvuelvo|\bvolver[ée]|de\s+vuelta"
    r"|a\s+partir\s+de(?:l)?|à\s+partir\s+du|\bdès\s+le)\b[^.!?\n]{0,30}$",
    re.I,
)
_UNTIL_CUE = re.compile(r"(?:\buntil|\btill|\btil|\bbis|jusqu'(?:au|à)|\bhasta)\b[^.!?\n]{0,14}$", re.I)
_THROUGH_CUE = re.compile(r"(?:\bthrough|\bthru)\b[^.!?\n]{0,14}$", re.I)
_RANGE_END = re.compile(r"^\s*(?:-|–|—|to|and|au|al|y)\s*(?:the\s+|le\s+|el\s+)?$", re.I)
_SEPARATOR = re.compile(r"^[\s,]*(?:the|le|den|der|el)?\s*$", re.I)

_WINDOW = 48  # characters before a date searched for its cue
_MAX_CHARS = 4000  # the return date is in the first lines; bounds the work on hostile input


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _next_yearly(month: int, day: int, year: int | None, after: date) -> date | None:
    """``day``/``month`` in ``year``, or the next one on or after ``after``."""
    if year is not None:
        return _safe(year + 2000 if year < 100 else year, month, day)
    for y in (after.year, after.year + 1):
        d = _safe(y, month, day)
        if d is not None and d >= after:
            return d
    return None


def _next_monthly(day: int, after: date) -> date | None:
    """The next date with this day of the month, after ``after``."""
    y, m = after.year, after.month
    for _ in range(13):
        d = _safe(y, m, day)
        if d is not None and d > after:
            return d
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return None


def _next_weekday(weekday: int, after: date) -> date:
    return after + timedelta(days=(weekday - after.weekday() - 1) % 7 + 1)


def _resolve(kind: str, m: re.Match[str], after: date) -> date | None:
    g = m.groupdict()
    year = int(g["y"]) if g.get("y") else None
    if kind == "iso":
        return _safe(int(g["y"]), int(g["m"]), int(g["d"]))
    if kind in ("md", "dm"):
        return _next_yearly(_MONTHS[g["mon"].lower()], int(g["d"]), year, after)
    if kind == "num":
        a, b = int(g["a"]), int(g["b"])
        readings = [(b, a)] if g["sep"] == "." else [(b, a), (a, b)]  # (month, day)
        found = [d for d in (_next_yearly(mo, da, year, after) for mo, da in readings) if d]
        return min(found) if found else None
    if kind == "ord":
        return _next_monthly(int(g["d"]), after)
    if kind == "wd":
        return _next_weekday(_WEEKDAYS[g["wd"].lower().rstrip(".")], after)
    if kind == "week":
        return _next_weekday(0, after)
    if kind == "month":
        return date(after.year + 1, 1, 1) if after.month == 12 else date(after.year, after.month + 1, 1)
    if kind == "tomorrow":
        return after + timedelta(days=1)
    if kind == "weeks":
        n = g["n"].lower()
        return after + timedelta(weeks=int(n) if n.isdigit() else _NUMBERS[n])
    return None


def _next_working_day(d: date) -> date:
    d += timedelta(days=1)
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def _found_dates(text: str, after: date) -> list[tuple[int, int, str, date]]:
    """(start, end, kind, date) of every date expression, overlaps resolved (the earlier
    pattern wins); a weekday just before a full date merges into it."""
    spans: list[tuple[int, int, str, date]] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            s, e = m.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            d = _resolve(kind, m, after)
            if d is not None:
                spans.append((s, e, kind, d))
                taken.append((s, e))
    spans.sort()
    merged: list[tuple[int, int, str, date]] = []
    for span in spans:
        if (
            merged
            and merged[-1][2] == "wd"
            and span[2] in ("md", "dm", "num", "iso", "ord")
            and _SEPARATOR.match(text[merged[-1][1] : span[0]])
        ):
            # "Tuesday, Nov 30": the date decides (a weekday that disagrees is a typo more
            # often than a date a year away)
            span = (merged.pop()[0], span[1], span[2], span[3])
        merged.append(span)
    return merged


def return_date(text: str | None, *, received: datetime) -> date | None:
    """The date the sender says they are back, resolved against ``received``; None if none."""
    if not text:
        return None
    try:
        return _return_date(text.replace("\u2019", "'")[:_MAX_CHARS], received.date())
    except (OverflowError, ValueError):  # a message dated at the end of time (year 9999)
        return None


def _return_date(text: str, after: date) -> date | None:
    best: tuple[int, int, date] | None = None  # (-priority, position, date)
    previous_end = 0
    for start, end, kind, d in _found_dates(text, after):
        window = text[max(previous_end, start - _WINDOW) : start]
        gap = text[previous_end:start]
        in_range = previous_end > 0 and _RANGE_END.match(gap) is not None
        previous_end = end
        if _RETURN_CUE.search(window):
            priority, when = 3, d
        elif _THROUGH_CUE.search(window) or in_range:
            priority, when = 2, _next_working_day(d)
        elif _UNTIL_CUE.search(window):
            priority, when = 2, d
        elif kind in ("week", "month", "weeks"):
            priority, when = 1, d
        else:
            continue
        if when <= after:
            continue
        candidate = (-priority, start, when)
        if best is None or candidate < best:
            best = candidate
    return best[2] if best else None


def wake_time(day: date, *, tz: tzinfo | None = None, hour: int = 8) -> datetime:
    """The moment a snooze until ``day`` ends: ``hour`` o'clock that morning in ``tz`` (the
    user's zone; this machine's local zone when None), as an aware datetime."""
    if tz is None:
        tz = datetime.now().astimezone().tzinfo
    return datetime.combine(day, time(hour), tzinfo=tz)
