"""Fixtures for the TUI and read-query tests: a seeded in-memory cache; a simulator world."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

# tests use importlib import mode: load the seed module by path, once
_spec = importlib.util.spec_from_file_location("tui_seed", Path(__file__).with_name("seed.py"))
seed = importlib.util.module_from_spec(_spec)
sys.modules["tui_seed"] = seed
_spec.loader.exec_module(seed)

_spec = importlib.util.spec_from_file_location("tui_harness", Path(__file__).with_name("harness.py"))
harness = importlib.util.module_from_spec(_spec)
sys.modules["tui_harness"] = harness
_spec.loader.exec_module(harness)


@pytest.fixture
def cache():
    from o2d_inbox.cache.db import open_db

    conn = open_db(":memory:")
    seed.seed_cache(conn, 300)
    yield conn
    conn.close()


@pytest.fixture
def world(tmp_path):
    """(simulator, a client on its in-process transport, an empty file cache): for the
    tests that send to a server (outbox, compliance)."""
    from o2d_inbox.api.client import UniboxClient
    from o2d_inbox.simulator import EXAMPLE_KEY, SimConfig, Simulator
    from o2d_inbox.cache.db import open_db

    sim = Simulator(SimConfig(threads=30, seed=3, hostile=False, op_step_seconds=0.0))
    client = UniboxClient("http://sim.test", EXAMPLE_KEY, 42, transport=sim.transport(), max_retries=0)
    conn = open_db(tmp_path / "cache.db")
    yield sim, client, conn
    conn.close()
