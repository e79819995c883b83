"""One workspace's inbox as the server holds it: the seeded threads (generator.py, lazily)
plus the threads created and changed since start, in listing order.

Seeded thread ``i`` is the ``i``-th newest: its last message date never increases with ``i``,
so listing order is the index order except for the threads that changed after start
("bumped" by a new message), which are kept in a small sorted list and merged in front of the
seeded stream.

Ordering key of a thread: ``(last_ts, seq)``, compared descending; ``seq`` is ``n - i`` for a
seeded thread and ``n + counter`` once a thread is bumped, so keys are unique and a cursor can
be a key (stable while threads move: a thread bumped during a walk jumps ahead of the cursor and
is picked up by ``updatedSince``).
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable, Iterator
from typing import Any

from o2d_inbox.simulator.corpus import CAMPAIGNS, COMPANIES, FIRST, HOSTILE, HOSTILE_KINDS, LAST, MAILBOXES
from o2d_inbox.simulator.generator import (
    AGE_PROFILE,
    COUNT_TABLE,
    INTENT_OURS_LAST,
    INTENT_PROSPECT_LAST,
    KIND_POSTMASTER,
    KIND_PROSPECT,
    KIND_WARMING,
    NEEDS_REPLY_BY_AGE,
    QUOTE_MODES,
    SHAPES,
    ThreadMeta,
    hostile_index,
    subject_for,
)

Key = tuple[int, int]  # (last_ts, seq), larger = newer


def _tally(per: dict[str, list[int]], campaign: str, answered: bool, bounced: bool, ours: int, sign: int) -> None:
    c = per.setdefault(campaign, [0, 0, 0, 0])
    c[0] += sign
    c[1] += sign * answered
    c[2] += sign * bounced
    c[3] += sign * ours


def _tally_meta(per: dict[str, list[int]], meta: ThreadMeta, sign: int) -> None:
    if meta.campaign is not None:
        _tally(
            per,
            meta.campaign,
            meta.has_incoming() and meta.intent != "bounced",
            meta.intent == "bounced",
            meta.outgoing_count(),
            sign,
        )


class Inbox:
    """The threads of one workspace: seeded (lazy) + created, with overlays for changes."""

    SPAN_SECONDS = AGE_PROFILE[-1][1]  # seeded dates reach back ~6 months

    def __init__(self, n: int, seed: int, anchor_ts: int, hostile: bool = True) -> None:
        self.n = max(0, n)
        self.seed = seed
        self.anchor = anchor_ts
        self._raw = random.Random(seed).randbytes(self.n * 16)
        # AGE_PROFILE in thread positions: segment starts, their ages, seconds per position
        scale = max(self.n, 1)
        self._seg_x = [u * scale for u, _ in AGE_PROFILE[:-1]]
        self._seg = [
            (u * scale, age, (age2 - age) / ((u2 - u) * scale))
            for (u, age), (u2, age2) in zip(AGE_PROFILE, AGE_PROFILE[1:])
        ]
        # first position of each NEEDS_REPLY_BY_AGE band, and the band's chance
        self._band_start = [self._position_of_age(age) for age, _ in NEEDS_REPLY_BY_AGE[1:]]
        self._band_chance = [chance for _, chance in NEEDS_REPLY_BY_AGE]
        self.hostile_at: dict[int, str] = {}
        if hostile:
            for k, kind in enumerate(HOSTILE_KINDS):
                if hostile_index(k) < self.n:
                    self.hostile_at[hostile_index(k)] = kind
        self._hostile_ids = {f"thr_x_{kind}": i for i, kind in self.hostile_at.items()}
        self.touched: dict[str, ThreadMeta] = {}  # changed seeded threads + all created ones
        self.deleted: set[str] = set()
        self._bumped: list[tuple[int, int, str]] = []  # sorted ascending (ts, seq, tid)
        self._bumped_key: dict[str, tuple[int, int, str]] = {}
        self._seq = self.n
        self.version = 0  # bumped by every change: keys the response cache
        self._seeded_campaigns: dict[str, list[int]] | None = None  # see campaign_counts

    def _position_of_age(self, age: int) -> int:
        """The first seeded position whose last message is at least ``age`` seconds old."""
        for (u, a), (u2, a2) in zip(AGE_PROFILE, AGE_PROFILE[1:]):
            if age <= a2:
                return min(self.n, math.ceil((u + (age - a) / (a2 - a) * (u2 - u)) * self.n))
        return self.n

    # -- identity ----------------------------------------------------------------------------
    def tid_of(self, i: int) -> str:
        kind = self.hostile_at.get(i)
        return f"thr_x_{kind}" if kind else f"thr_{i:06d}"

    def index_of(self, tid: str) -> int | None:
        if tid in self._hostile_ids:
            return self._hostile_ids[tid]
        if tid.startswith("thr_") and len(tid) >= 10 and tid[4:].isdigit() and tid[4:].isascii():
            i = int(tid[4:])
            if i < self.n and i not in self.hostile_at and tid == f"thr_{i:06d}":
                return i
        return None

    def _ts(self, i: int) -> int:
        x = i + self._raw[16 * i + 7] / 256.0
        x0, age0, per = self._seg[bisect.bisect_right(self._seg_x, x) - 1]
        return self.anchor - int(age0 + (x - x0) * per)

    def _key(self, i: int) -> Key:
        return (self._ts(i), self.n - i)

    def _outline(self, i: int, b: bytes, hostile: str | None) -> tuple[int, str | None, str | None, int, int, bool]:
        """(kind, campaign, intent, message count, lead, prospect wrote last) of seeded thread
        ``i`` (``b`` its 16 bytes): what its conversation is, before any text."""
        kind = KIND_WARMING if b[0] < 13 else KIND_POSTMASTER if b[0] < 18 else KIND_PROSPECT
        if hostile:
            kind = KIND_PROSPECT
        count = COUNT_TABLE[b[4]]
        shape = b[6]
        prospect_last = b[5] < self._band_chance[bisect.bisect_right(self._band_start, i)]
        intent = (INTENT_PROSPECT_LAST if prospect_last else INTENT_OURS_LAST)[b[1]]
        campaign: str | None = None if b[3] < 20 else CAMPAIGNS[b[3] % len(CAMPAIGNS)][0]
        lead = 1
        if kind == KIND_WARMING:
            intent, campaign = None, None
            count, lead = SHAPES[(2 + b[4] % 3) << 4 | prospect_last << 3 | 1]
        elif kind == KIND_POSTMASTER:
            intent, campaign, count, prospect_last, lead = None, None, 1, True, 0
        elif hostile:
            count, prospect_last = 2, True
        elif intent == "bounced":  # our first step (and maybe a second), then the bounce
            count = 3 if b[4] < 48 else 2
            lead = count - 1
        else:
            count, lead = SHAPES[count << 4 | prospect_last << 3 | (shape & 3) << 1 | (shape >= 224)]
            if lead == count:
                intent = None  # outbound only: nobody has answered yet
        return kind, campaign, intent, count, lead, prospect_last

    def _seeded(self, i: int) -> ThreadMeta:
        b = self._raw[16 * i : 16 * i + 16]
        hostile = self.hostile_at.get(i) if self.hostile_at else None
        kind, campaign, intent, count, lead, prospect_last = self._outline(i, b, hostile)
        first, company, mailbox = FIRST[b[8] % len(FIRST)], COMPANIES[b[10] % len(COMPANIES)], b[2] % len(MAILBOXES)
        shape = b[6]
        base = (
            HOSTILE[HOSTILE_KINDS.index(hostile)][1]
            if hostile
            else subject_for(kind, b[11], first, company, mailbox, b[12])
        )
        return ThreadMeta(
            self.tid_of(i) if hostile else f"thr_{i:06d}",
            i,
            kind,
            mailbox,
            campaign,
            intent,
            base,
            first,
            LAST[b[9] % len(LAST)],
            company,
            count,
            not prospect_last,
            self._ts(i),
            3600 * (3 + b[12] % 45),
            1 if b[13] < 12 else 2 if b[13] < 20 else 0,
            b[12],
            b[14] < 15,
            b[15] < 5,
            hostile,
            [],
            [],
            self.n - i,
            lead,
            QUOTE_MODES[shape >> 2 & 7],
            None,
            intent,
        )

    # -- campaign figures (GET /campaigns/{id}/stats) ------------------------------------------
    def campaign_counts(self) -> dict[str, list[int]]:
        """Per campaign: [threads, answered by the prospect (a bounce is no answer), bounced,
        our messages]. The seeded threads as generated are counted once from their bytes
        (about a second per million threads; decoding every thread took ten), then the threads
        changed, created or deleted since are corrected from their metadata."""
        if self._seeded_campaigns is None:
            per: dict[str, list[int]] = {}
            raw, hostile_at = self._raw, self.hostile_at
            for i in range(self.n):
                b = raw[16 * i : 16 * i + 16]
                if b[3] < 20:
                    continue  # no campaign (see _outline)
                kind, campaign, intent, count, lead, _ = self._outline(i, b, hostile_at.get(i))
                if campaign is not None:
                    _tally(
                        per,
                        campaign,
                        count > lead and intent != "bounced",
                        intent == "bounced",
                        min(lead, count) + max(0, count - lead) // 2,
                        1,
                    )
            self._seeded_campaigns = per
        out = {c: list(v) for c, v in self._seeded_campaigns.items()}
        for tid in set(self.touched) | self.deleted:
            seeded_at = self.index_of(tid)
            if seeded_at is not None:  # what the seeded count holds for it
                _tally_meta(out, self._seeded(seeded_at), -1)
            meta = self.get(tid)
            if meta is not None:
                _tally_meta(out, meta, 1)
        return out

    # -- access ------------------------------------------------------------------------------
    def get(self, tid: str) -> ThreadMeta | None:
        if tid in self.deleted:
            return None
        meta = self.touched.get(tid)
        if meta is not None:
            return meta
        i = self.index_of(tid)
        return self._seeded(i) if i is not None else None

    def touch(self, tid: str) -> ThreadMeta | None:
        """The thread's mutable metadata (a seeded thread is materialised once)."""
        meta = self.get(tid)
        if meta is not None:
            self.version += 1  # the caller is about to change it
            self.touched.setdefault(tid, meta)
        return meta

    def add_created(self, meta: ThreadMeta) -> None:
        self.version += 1
        self.touched[meta.tid] = meta

    def append(self, meta: ThreadMeta, message: dict[str, Any], ts: int) -> None:
        """Append a message and move the thread to the front (a new message bumps it)."""
        self.version += 1
        meta.extra.append(message)
        meta.extra_ts.append(ts)
        old = self._bumped_key.pop(meta.tid, None)
        if old is not None:
            del self._bumped[bisect.bisect_left(self._bumped, old)]
        self._seq += 1
        meta.seq = self._seq
        entry = (ts, self._seq, meta.tid)
        bisect.insort(self._bumped, entry)
        self._bumped_key[meta.tid] = entry

    def delete(self, tid: str) -> bool:
        if self.get(tid) is None:
            return False
        self.version += 1
        self.deleted.add(tid)
        old = self._bumped_key.pop(tid, None)
        if old is not None:
            del self._bumped[bisect.bisect_left(self._bumped, old)]
        return True

    def count(self) -> int:
        created = sum(1 for m in self.touched.values() if m.index < 0 and m.tid not in self.deleted)
        seeded_deleted = sum(1 for t in self.deleted if self.index_of(t) is not None)
        return self.n - seeded_deleted + created

    # -- listing -----------------------------------------------------------------------------
    def _first_after(self, key: Key | None) -> int:
        """Smallest seeded index whose key is strictly older than ``key``."""
        if key is None:
            return 0
        lo, hi = 0, self.n
        while lo < hi:
            mid = (lo + hi) // 2
            if self._key(mid) < key:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def _stream_bumped(self, after: Key | None) -> Iterator[tuple[Key, ThreadMeta]]:
        pos = len(self._bumped) if after is None else bisect.bisect_left(self._bumped, after)
        snapshot = self._bumped[:pos]
        for ts, seq, tid in reversed(snapshot):
            meta = self.touched.get(tid)
            if meta is not None and tid not in self.deleted:
                yield (ts, seq), meta

    def _stream_seeded(self, after: Key | None) -> Iterator[tuple[Key, ThreadMeta]]:
        bumped, touched, deleted = self._bumped_key, self.touched, self.deleted
        check = bool(touched or deleted)
        for i in range(self._first_after(after), self.n):
            if check:
                tid = self.tid_of(i)
                if tid in bumped or tid in deleted:
                    continue
                meta = touched.get(tid) or self._seeded(i)
            else:
                meta = self._seeded(i)
            yield (meta.last_ts, self.n - i), meta

    def walk(self, after: Key | None = None, since: int | None = None) -> Iterator[tuple[Key, ThreadMeta]]:
        """Threads newest first, strictly older than ``after``, stopping below ``since``."""
        b = self._stream_seeded(after)
        if not self._bumped and since is None:
            yield from b  # nothing changed since start: no merge needed
            return
        a = self._stream_bumped(after)
        na, nb = next(a, None), next(b, None)
        while True:
            if na is not None and (nb is None or na[0] > nb[0]):
                item, na = na, next(a, None)
            elif nb is not None:
                item, nb = nb, next(b, None)
            else:
                return
            if since is not None and item[0][0] < since:
                return
            yield item

    def page(
        self, after: Key | None, limit: int, pred: Callable[[ThreadMeta], bool] | None, since: int | None
    ) -> tuple[list[ThreadMeta], Key | None]:
        out: list[ThreadMeta] = []
        last_key: Key | None = None
        for key, meta in self.walk(after, since):
            if pred is not None and not pred(meta):
                continue
            if len(out) == limit:
                return out, last_key  # there is at least one more
            out.append(meta)
            last_key = key
        return out, None
