"""Fixtures shared by the test folders: an in-process simulator, a fast-retrying client, a cache
file and a sync engine over them (cache, sync); a seeded in-memory cache (cache queries, TUI); a
simulator on a real port and the CLI's environment for it (cli, outbox)."""

from __future__ import annotations

import gc
import importlib
import os
from datetime import timedelta
from pathlib import Path

import pytest

from o2d_inbox.cache.db import open_db
from o2d_inbox.simulator import Simulator
from o2d_inbox.sync.engine import SyncEngine
from tests.helpers import SimServer, make_client, make_sim, refusing_socket
from tests.seed import seeded

# pytest-xdist's workers start with COLUMNS=80 and LINES=24 in their environment, which every
# CLI subprocess would inherit as "the terminal is 80 wide": a test that means a width sets it.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session) -> None:
    """Before pytest-xdist starts its test processes: import every test module here once, so
    its assertion-rewritten code is in __pycache__ (tests/__init__.py) when they start. On a
    fresh checkout the processes otherwise each rewrote and compiled all of them at once
    (~4 s of CPU each). A module that fails to import is left to the processes to report."""
    config = session.config
    if hasattr(config, "workerinput") or not config.pluginmanager.has_plugin("dsession"):
        return
    here = Path(__file__).parent
    paths = set(here.rglob("conftest.py"))
    for arg in config.args:  # what this run collects: the whole suite, a folder, a file
        asked = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        paths |= set(asked.rglob("test_*.py")) if asked.is_dir() else {asked}
    for path in sorted(p for p in paths if p.suffix == ".py" and p.is_relative_to(here)):
        try:
            importlib.import_module(".".join(path.relative_to(here.parent).with_suffix("").parts))
        except (Exception, pytest.skip.Exception):  # noqa: BLE001 - collection reports it
            pass


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_auto_num_workers(config) -> int | None:
    """``-n auto`` (pyproject.toml's addopts): two test processes per core. Most of a TUI or
    CLI test's time is waiting, not computing (Textual's pilot waits for the app to go idle
    after every key; a CLI test waits for its subprocess or server), so one process per core
    leaves the cores half idle. PYTEST_XDIST_AUTO_NUM_WORKERS still decides when it is set."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own hook reads it
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return 2 * (cores or 1)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items) -> None:
    """With ``--dist loadgroup``, the tests of a module that share a module-scoped fixture (a
    synced CLI world, a seeded cache) run in one process, which builds it once; every other
    test goes to whichever process is free.

    The tests marked slow (subprocesses, servers, kills; the longest of the suite) are handed
    out first: one that started last would keep its process busy after the others ran dry."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: else as collected
    if not config.getoption("loadgroup", False):  # what xdist sets in each process for it
        return
    for item in items:
        fixtures = getattr(item, "_fixtureinfo", None)
        if fixtures and any(defs[-1].scope == "module" for defs in fixtures.name2fixturedefs.values()):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


def pytest_collection_finish(session) -> None:
    """What collection imported (Textual, Rich, the app, the test modules) lives as long as
    the test process: set it aside from garbage collection, as the app does with its own
    start (tui/app.py), so each full collection walks only what the running test made."""
    gc.collect()
    gc.freeze()


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


@pytest.fixture
def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on, held for the test so no parallel test takes it."""
    with refusing_socket() as sock:
        yield sock.getsockname()[1]


@pytest.fixture
def cache():
    """An in-memory cache seeded with 300 synthetic threads (tests/seed.py), the test's own."""
    c = seeded(":memory:", 300)
    yield c
    c.close()


@pytest.fixture
def sim_server():
    servers = []

    def start(**kwargs) -> SimServer:
        servers.append(SimServer(**kwargs))
        return servers[-1]

    yield start
    for s in servers:
        s.stop()


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    """An isolated HOME/XDG and the O2D_INBOX_* variables for one server; returns a function
    (server) -> env dict, also applied to this process for in-process cli.main() calls."""
    root = tmp_path / "home"
    root.mkdir()

    def for_server(server: SimServer | None, cache=None) -> dict[str, str]:
        from o2d_inbox.simulator import EXAMPLE_KEY

        values = {
            "HOME": str(root),
            "XDG_CONFIG_HOME": str(root / "cfg"),
            "XDG_DATA_HOME": str(root / "data"),
            "OUTREACH2DAY_API_KEY": EXAMPLE_KEY,
            "O2D_INBOX_WORKSPACE": "42",
            "O2D_INBOX_CACHE": str(cache or tmp_path / "cli-cache.db"),
            "O2D_INBOX_BASE_URL": server.url if server else "http://127.0.0.1:9",
        }
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("O2D_INBOX_CONFIG", raising=False)
        import os

        return dict(os.environ)

    return for_server
