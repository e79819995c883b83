"""Figures for people, shared by `o2d-inbox stats` and the TUI's stats screen. Headless.

duration(11520) -> "3h 12m"      the two largest units (s, m, h, d); None -> "-"
percent(0.0534) -> "5.3%"        None -> "-"
bars([0, 3, 9], 40) -> " ▃█"     values as block characters, at most ``width`` wide
"""

from __future__ import annotations

BARS = " ▁▂▃▄▅▆▇█"


def duration(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def columns(values: list[int], width: int) -> list[int]:
    """``values`` summed in runs so they fit ``width`` columns (neighbouring days together)."""
    if not values or width <= 0:
        return []
    per = -(-len(values) // width)
    return [sum(values[i : i + per]) for i in range(0, len(values), per)]


def bars(values: list[int], width: int, top: int | None = None) -> str:
    """``values`` as one line of block characters (a blank for 0, at least ▁ for any other),
    scaled to ``top`` (default: their own maximum) so several lines can share one scale."""
    cols = columns(values, width)
    if not cols:
        return ""
    top = max(top or 0, max(cols), 1)
    return "".join(BARS[0] if v == 0 else BARS[max(1, round(v / top * (len(BARS) - 1)))] for v in cols)
