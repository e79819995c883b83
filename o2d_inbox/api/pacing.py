"""Request pacing learned from the server's 429s (one Pacer per client, shared by every request),
and how many requests of one kind to keep in flight (Concurrency, which reads the pacer's 429s).

A 429 is the server pacing us, not a failure. The pacer answers it twice:

- **Retry-After holds everyone**: no request of this client leaves before the time the server
  named, not only the one that was refused (the others would only collect 429s of their own).
- **The rate is learned** (additive increase, multiplicative decrease, as TCP does): the client
  starts unpaced; the first 429 sets the rate to half of what requests were actually leaving
  at, and every later 429 for a request sent at the current rate halves it again (one cut per
  round: requests already in flight when it was cut do not cut it again). Each request that had
  to wait for its slot and then got an answer raises the rate by ``INCREASE / rate``, i.e. about
  ``INCREASE`` requests/s for every second of paced traffic: a slow probe for the server's
  limit, so a 429 becomes rare instead of the thing that sets the pace.

Waits are computed from the caller's clock and slept through the caller's sleep, never
polled, so an injected sleep and clock make the whole thing deterministic. A request that
slept for a slot reserved before a 429 cut the rate takes a new slot (``epoch`` tells): the
old slots were handed out at the rate the server just refused.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

__all__ = ["Concurrency", "Pacer"]


class Pacer:
    DECREASE = 0.5  # the rate after a 429 is this share of the rate before
    INCREASE = 0.25  # requests/s gained per second of paced success
    MIN_RATE = 0.1  # requests/s: never slower than one request every 10 s
    WINDOW = 2.0  # seconds of recent sends that measure the unpaced rate at the first 429

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = self._clock = clock
        self.rate: float | None = None  # requests/s; None: unpaced (no 429 seen yet)
        self.resume_at = -math.inf  # no request leaves before this (the last Retry-After)
        self._next = -math.inf  # the next free slot at the current rate
        self._cut_at = -math.inf  # when the rate was last cut
        self._sent: deque[float] = deque()
        self.epoch = 0  # +1 on every 429: slots reserved before are void

    def reserve(self) -> tuple[float, bool]:
        """(seconds to wait, rate_limited): take the next slot. ``rate_limited`` says the wait
        is a Retry-After (worth telling the user) rather than ordinary spacing."""
        now = self._clock()
        at = max(now, self.resume_at)
        held = at > now
        if self.rate is not None:
            at = max(at, self._next)
            self._next = at + 1.0 / self.rate
        return at - now, held

    def sent(self) -> float:
        """Record a request leaving now; returns the time (give it back to rate_limited)."""
        now = self._clock()
        self._sent.append(now)
        while self._sent and self._sent[0] < now - self.WINDOW:
            self._sent.popleft()
        return now

    def rate_limited(self, sent_at: float, wait: float) -> None:
        """A request sent at ``sent_at`` got a 429 asking for ``wait`` seconds."""
        now = self._clock()
        self.resume_at = max(self.resume_at, now + wait)
        self.epoch += 1
        self._next = max(self._next, self.resume_at)
        if sent_at < self._cut_at:
            return  # sent before the last cut: that cut already answered this round
        if self.rate is None:
            span = max(now - self._sent[0], 0.1) if self._sent else 1.0
            current = max(len(self._sent), 1) / span
        else:
            current = self.rate
        self.rate = max(self.MIN_RATE, current * self.DECREASE)
        self._cut_at = now
        # The slots handed out before the cut are void; the next one is a slot away at the
        # new rate, even when the server's Retry-After was (nearly) 0.
        self._next = max(self.resume_at, now + 1.0 / self.rate)

    def succeeded(self, paced: bool) -> None:
        """An answer arrived for a request that did (``paced``) or did not wait for its slot."""
        if paced and self.rate is not None:
            self.rate += self.INCREASE / self.rate


class Concurrency:
    """How many requests of one kind to keep in flight (a sync's message fetches), learned
    from what they get done, beside the pacer's rate.

    It starts at ``start``. Every round (as many answers as the current limit) it compares
    the answers per second with the round before: while one more request in flight gets
    more done (the server is far away: each request's latency hides behind the others'),
    the limit grows by one, up to ``cap``; when it does not (our own CPU or the server is
    the bottleneck, and more in flight would only queue up: each request's latency rises
    while the throughput stays flat) the limit holds. A 429 (the pacer's ``epoch`` moves)
    halves it; the pacer meanwhile spaces the requests out at the rate it learned."""

    GROWTH = 1.1  # a round must get this much more done than the one before to grow again

    def __init__(self, pacer: Pacer, *, start: int = 2, cap: int = 8, clock: Callable[[], float] | None = None) -> None:
        self.cap = max(1, cap)
        self.limit = max(1, min(start, self.cap))
        self._pacer = pacer
        self._clock = clock or pacer.clock
        self._epoch = pacer.epoch
        self._round_start = self._clock()
        self._answers = 0
        self._last_rate = 0.0
        self._grace = 0  # answers still due from requests sent before the last cut

    def answered(self) -> None:
        """A request of this kind got its answer (or failed): the round advances."""
        self._answers += 1
        self._grace -= 1
        if self._pacer.epoch != self._epoch:  # the server refused one: too many at once
            self._epoch = self._pacer.epoch
            if self._grace <= 0:  # one cut per burst: those sent before the cut do not cut again
                self._grace = self.limit
                self.limit = max(1, self.limit // 2)
            self._next_round(0.0)
            return
        if self._answers < self.limit:
            return
        rate = self._answers / max(self._clock() - self._round_start, 1e-9)
        if rate >= self._last_rate * self.GROWTH and self.limit < self.cap:
            self.limit += 1
        self._next_round(rate)

    def _next_round(self, rate: float) -> None:
        self._last_rate = rate
        self._answers = 0
        self._round_start = self._clock()
