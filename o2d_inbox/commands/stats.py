"""`o2d-inbox stats`: how the campaigns are being answered, offline from the cache.

The figures are cache/stats.py's (the TUI's stats screen shows the same ones). Output: a
compact table that fits 80 columns (threads per intent, a bar per intent over the days,
campaigns with their reply rates, mailboxes, response times), or with --json one object
(see docs/stats.md). Server-provided names go through render.text; JSON is ASCII-escaped.

``--since`` takes 30d (default), 12h, 2w, a date (2026-11-01) or ``all`` (cli.Since).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from o2d_inbox.cli import EXIT_OK

if TYPE_CHECKING:
    from o2d_inbox.cache.stats import Stats, StatsFilter

WIDTH = 80


def local_utc_offset(now: float) -> int:
    """Seconds east of UTC of this machine's time zone at ``now`` (days are local days)."""
    offset = datetime.fromtimestamp(now).astimezone().utcoffset()
    return int(offset.total_seconds()) if offset else 0


def filter_of(args: argparse.Namespace) -> StatsFilter:
    """The filters `stats` and `export` share ('unclassified' / 'none' spelled as `threads` does)."""
    from o2d_inbox.cache.queries import UNCLASSIFIED
    from o2d_inbox.cache.stats import NO_CAMPAIGN, StatsFilter

    intent = getattr(args, "intent", None) or None
    if intent and intent.lower() in ("unclassified", "none", "null"):
        intent = UNCLASSIFIED
    campaign = getattr(args, "campaign", None) or None
    if campaign and campaign.lower() in ("none", "null"):
        campaign = NO_CAMPAIGN
    mailbox = getattr(args, "mailbox", None)
    return StatsFilter(
        since=getattr(args, "since", None),
        campaign=campaign,
        mailbox=mailbox.strip().lower() if mailbox else None,
        intent=intent,
        relevant=bool(getattr(args, "relevant", False)),
    )


def run(args: argparse.Namespace) -> int:
    from o2d_inbox.cache.stats import compute
    from o2d_inbox.config import load_config
    from o2d_inbox.context import open_cache

    config = load_config(args)
    conn = open_cache(config)  # migrates an older cache (a read-only one: CacheError, exit 6)
    now = time.time()
    try:
        stats = compute(conn, filter_of(args), now=now, utc_offset=local_utc_offset(now))
    finally:
        conn.close()
    if args.json:
        from o2d_inbox.render.text import json_line

        sys.stdout.write(json_line(stats.as_json()) + "\n")
    else:
        sys.stdout.write("\n".join(report(stats)) + "\n")
    return EXIT_OK


# --- the human report -----------------------------------------------------------------------


def report(stats: Stats) -> list[str]:
    from o2d_inbox.render.figures import bars, columns, duration, percent
    from o2d_inbox.render.text import fit, safe_line

    f = stats.filter
    window = "all time" if f.since is None else f"since {_local_date(f.since, stats.utc_offset)}"
    scope = [
        f"campaign {safe_line(f.campaign)}" if f.campaign else "",
        f"mailbox {safe_line(f.mailbox)}" if f.mailbox else "",
        f"intent {safe_line(f.intent)}" if f.intent else "",
        "relevant only" if f.relevant else "",
    ]
    lines = [fit(" · ".join([f"Threads {window}: {stats.threads:,}"] + [s for s in scope if s]), WIDTH).rstrip()]
    if not stats.threads:
        lines.append("no cached threads match (run o2d-inbox sync to fill the cache)")
    days = list(stats.by_day)
    if stats.by_intent:
        span = f"{days[0]} … {days[-1]}" if days else ""
        lines += ["", f"{'intent':<16}{'threads':>8}{'share':>7}  per day {span}"]
        series = {i: stats.day_series(i) for i in stats.by_intent}
        top = max((max(columns(v, 40)) for v in series.values() if v), default=1)
        for intent, n in stats.by_intent.items():
            share = n / stats.threads if stats.threads else 0
            lines.append(
                f"{fit(safe_line(intent), 16)}{n:>8,}{percent(share):>7}  {bars(series[intent], 40, top)}".rstrip()
            )
    if stats.campaigns:
        lines += ["", f"{'campaign':<30}{'threads':>8}{'interested':>11}{'sent':>8}{'reply':>8}{'positive':>9}"]
        ages = [c.age_seconds for c in stats.campaigns if c.age_seconds is not None]
        for c in stats.campaigns:
            lines.append(
                f"{fit(safe_line(c.name or c.id), 29)} {c.threads:>8,}{c.interested:>11,}"
                f"{'-' if c.sent is None else f'{c.sent:,}':>8}{percent(c.reply_rate):>8}"
                f"{percent(c.positive_reply_rate):>9}"
            )
        lines.append(
            "sent, reply and positive rates: all time (replied, interested ÷ sent); "
            + (f"fetched {duration(max(ages))} ago" if ages else "sync to fetch")
        )
    if stats.by_mailbox:
        lines += ["", f"{'mailbox':<38}{'threads':>8}{'interested':>11}"]
        ranked = sorted(stats.by_mailbox.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        for address, per in ranked:
            lines.append(f"{fit(safe_line(address), 37)} {sum(per.values()):>8,}{per.get('interested', 0):>11,}")
    r = stats.response
    if r is not None:
        lines += [
            "",
            f"Response time (prospect's reply to our next message): median {duration(r.median_seconds)}, "
            f"p90 {duration(r.p90_seconds)}",
            f"  from {r.measured:,} answered replies in fetched conversations ({r.unanswered:,} unanswered)",
            "Oldest waiting reply: "
            + (
                f"{duration(r.oldest_waiting_seconds)} ({safe_line(r.oldest_waiting_thread)})"
                if r.oldest_waiting_seconds is not None
                else "none"
            ),
        ]
    return [fit(line, WIDTH).rstrip() if len(line) > WIDTH else line for line in lines]


def _local_date(ts: int, utc_offset: int) -> str:
    return datetime.fromtimestamp(ts + utc_offset, timezone.utc).strftime("%Y-%m-%d")
