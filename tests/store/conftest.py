"""Fixtures for the sync tests: an in-process simulator, a fast-retrying client, a cache file."""

from __future__ import annotations

from datetime import timedelta

import pytest

from o2d_inbox.cache.db import open_db
from o2d_inbox.simulator import Simulator
from o2d_inbox.sync.engine import SyncEngine

from store_helpers import make_client, make_sim  # registered by tests/conftest.py


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
