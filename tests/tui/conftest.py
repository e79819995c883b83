"""Fixtures for the TUI tests: a simulator world to send to (the seeded cache is in tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def world(tmp_path):
    """(simulator, a client on its in-process transport, an empty file cache): for the
    tests that send to a server (outbox, compliance)."""
    from o2d_inbox.api.client import UniboxClient
    from o2d_inbox.cache.db import open_db
    from o2d_inbox.simulator import EXAMPLE_KEY, SimConfig, Simulator

    sim = Simulator(SimConfig(threads=30, seed=3, hostile=False, op_step_seconds=0.0))
    client = UniboxClient("http://sim.test", EXAMPLE_KEY, 42, transport=sim.transport(), max_retries=0)
    conn = open_db(tmp_path / "cache.db")
    yield sim, client, conn
    conn.close()


@pytest.fixture(autouse=True)
def toasts_stay_until_looked_at(monkeypatch):
    """A toast stays on screen until the test has looked at it (a picture, or notices()).

    Textual expires a toast by the wall clock (``notify(..., timeout=2)``), so whether a test
    still saw it depended on how fast the machine ran the keys before it (a busy machine, or
    the suite spread over several processes, lost it). Textual reads that clock through
    ``textual.notifications.time``: a clock stopped at 0 makes every toast's time left longer
    than any test. No test waits for a toast to expire."""
    import textual.notifications

    monkeypatch.setattr(textual.notifications, "time", lambda: 0.0)


@pytest.fixture(autouse=True)
def widgets_freed_after_the_test():
    """Each test's widgets are let go when it ends, not kept until a thousand more were drawn.

    Textual memoises ``StylesCache.get_inner_outer`` with ``functools.lru_cache`` on the
    method, so its key holds the widget's StylesCache, and with it every line that widget
    drew, until 1,024 newer ones push it out. Over a test process that kept the last few
    dozen tests' screens alive (~10,000 objects each), and every full garbage collection
    walked them all: a quarter of a TUI test's CPU went to collecting. The cache only
    saves a colour addition, so emptying it after each test changes nothing the app does."""
    yield
    from textual._styles_cache import StylesCache

    StylesCache.get_inner_outer.cache_clear()


@pytest.fixture(autouse=True, scope="session")
def css_parsed_once_per_process():
    """Each app parses the same CSS (app.tcss, every widget's DEFAULT_CSS) under the same theme
    variables: the test process parses it once and hands every later app the same rules.

    Textual keeps parsed rules per stylesheet (``Stylesheet._parse_cache``) and already hands
    the same rule objects out again whenever a stylesheet re-parses, so they are never
    changed once made; here the cache is the process's, keyed by the CSS, where it came from
    and the variables it was parsed with. A new app otherwise spent ~6% of a TUI test's CPU
    parsing the CSS the previous test had parsed."""
    from textual.css.stylesheet import Stylesheet

    parse_rules = Stylesheet._parse_rules
    parsed: dict[tuple, list] = {}

    def parse_once(self, css, read_from, is_default_rules=False, tie_breaker=0, scope=""):
        key = (css, read_from, is_default_rules, tie_breaker, scope, frozenset(self._variables.items()))
        rules = parsed.get(key)
        if rules is None:
            rules = parsed[key] = parse_rules(self, css, read_from, is_default_rules, tie_breaker, scope)
        return rules

    Stylesheet._parse_rules = parse_once
    yield
    Stylesheet._parse_rules = parse_rules
