"""api/pacing.Concurrency: how many message requests a sync keeps in flight."""

from __future__ import annotations

from o2d_inbox.api.pacing import Concurrency, Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def rounds(c: Concurrency, clock: Clock, seconds_per_round, n: int) -> list[int]:
    """``n`` rounds of answers, each round taking ``seconds_per_round(limit)``; the limits seen."""
    seen = []
    for _ in range(n):
        limit = c.limit
        for _ in range(limit):
            clock.now += seconds_per_round(limit) / limit
            c.answered()
        seen.append(c.limit)
    return seen


def test_far_away_server_grows_to_the_cap_near_one_holds():
    clock = Clock()
    far = Concurrency(Pacer(clock), start=2, cap=8)
    # latency-bound: a round of N answers takes one round trip, whatever N (more in flight: more done)
    assert rounds(far, clock, lambda n: 0.05, 10) == [3, 4, 5, 6, 7, 8, 8, 8, 8, 8]
    near = Concurrency(Pacer(clock), start=2, cap=8)
    # CPU-bound: N answers take N times as long (more in flight gets nothing more done)
    assert rounds(near, clock, lambda n: 0.001 * n, 6) == [3, 3, 3, 3, 3, 3]


def test_a_429_halves_it_once_per_burst():
    clock = Clock()
    pacer = Pacer(clock)
    c = Concurrency(pacer, start=8, cap=8)
    pacer.sent()
    pacer.rate_limited(clock.now, 1.0)
    c.answered()
    assert c.limit == 4
    for _ in range(3):  # the rest of the burst: sent before the cut, refused too
        pacer.rate_limited(clock.now, 1.0)
        c.answered()
    assert c.limit == 4
    for _ in range(8):
        c.answered()
    pacer.rate_limited(clock.now, 1.0)  # a new refusal, after the burst
    c.answered()
    assert c.limit == 2
    for _ in range(4):
        pacer.rate_limited(clock.now, 1.0)
        c.answered()
    pacer.rate_limited(clock.now, 1.0)
    c.answered()
    assert c.limit == 1  # never below one
