"""A sync against the simulator on a real port: thread pages come through the client's page
reader (api/reader.py), read ahead on a thread of their own, and the walk keeps its promises."""

from __future__ import annotations

import pytest

from o2d_inbox.api.client import UniboxClient
from o2d_inbox.api.errors import ServerError
from o2d_inbox.cache import writes
from o2d_inbox.cache.db import open_db
from o2d_inbox.sync import engine as sync_module
from o2d_inbox.sync.engine import SyncEngine
from tests.helpers import API_KEY, WORKSPACE, cached_snapshot, counts_are_right, no_wait, search_index_whole


def network_client(url: str, **kwargs) -> UniboxClient:
    kwargs.setdefault("sleep", no_wait)
    return UniboxClient(url, API_KEY, WORKSPACE, **kwargs)


def page_answers(sim) -> list[int]:
    return [status for method, path, _, status in sim.request_log if (method, path) == ("GET", "/threads")]


async def test_a_sync_over_the_network_reads_its_pages_ahead(sim_server, tmp_path):
    server = sim_server(threads=300)
    conn = open_db(tmp_path / "cache.db")
    async with network_client(server.url, max_retries=4) as client:
        result = await SyncEngine(conn, client, page_limit=25).sync()
        pages = 300 // 25
        assert result.full and result.new == 300
        assert client.stats.read_ahead >= pages - 1  # the walk's pages but its first
    assert cached_snapshot(conn) == server.sim.thread_snapshot()
    assert counts_are_right(conn) and search_index_whole(conn)
    conn.close()


async def test_a_walk_the_server_cuts_off_resumes_after_the_last_page_it_got(sim_server, tmp_path, monkeypatch):
    """The server starts failing mid-walk (a page read ahead gets the 500): the sync ends with
    the server's error, every page that arrived is stored, and the next sync goes on from
    there instead of starting over."""
    monkeypatch.setattr(sync_module, "COMMIT_THREADS", 25)  # each page committed (and reported) on arrival
    server = sim_server(threads=300)
    conn = open_db(tmp_path / "cache.db")
    pages = 300 // 25

    def progress(p) -> None:
        if p.phase == "threads" and p.done >= 100:
            server.sim.faults.fail_rate = 1.0

    async with network_client(server.url, max_retries=0) as client:
        with pytest.raises(ServerError):
            await SyncEngine(conn, client, page_limit=25).sync(progress=progress)
        stored = conn.execute("SELECT count(*) FROM threads").fetchone()[0]
        assert 100 <= stored < 300
        assert writes.get_json_state(conn, sync_module.K_WALK)["threads"] == stored
        server.sim.faults.fail_rate = 0.0
        result = await SyncEngine(conn, client, page_limit=25).sync()
    assert result.full and cached_snapshot(conn) == server.sim.thread_snapshot() and counts_are_right(conn)
    # every page was answered once, but for the catch-up passes: no second walk from the start
    assert page_answers(server.sim).count(200) <= pages + 2
    conn.close()
