"""Fixtures for the TUI and read-query tests: a seeded in-memory cache, a fixed clock."""

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
    from o2d_inbox.store.db import open_db

    conn = open_db(":memory:")
    seed.seed_cache(conn, 300)
    yield conn
    conn.close()
