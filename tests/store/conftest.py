"""Fixtures for the sync tests: an in-process simulator, a fast-retrying client, a cache file."""

from __future__ import annotations

import importlib.util
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from o2d_inbox.store.db import open_db
from o2d_inbox.store.sync import SyncEngine

# importlib import mode: the helpers module is loaded by path, once
if "store_helpers" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("store_helpers", Path(__file__).with_name("helpers.py"))
    _mod = importlib.util.module_from_spec(_spec)
    sys.modules["store_helpers"] = _mod
    _spec.loader.exec_module(_mod)

from store_helpers import make_client, make_sim  # noqa: E402


@pytest.fixture
def sim() -> Simulator:
    return make_sim()


@pytest.fixture
async def client(sim):
    c = make_client(sim)
    yield c
    await c.aclose()


@pytest.fixture
def conn(tmp_path):
    c = open_db(tmp_path / "cache.db")
    yield c
    c.close()


@pytest.fixture
def engine(conn, client) -> SyncEngine:
    return SyncEngine(conn, client, page_limit=25, overlap=timedelta(minutes=10))
