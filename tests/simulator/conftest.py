from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from o2d_inbox.simulator import SimConfig, Simulator

KEY = "ot2d_test_key_123"
WS = 42
T0 = datetime(2026, 3, 9, 12, 0, 0, tzinfo=timezone.utc)


class FakeClock:
    def __init__(self, start: datetime = T0) -> None:
        self.t = start

    def __call__(self) -> datetime:
        return self.t


class Api:
    """A thin raw-HTTP helper (the simulator is tested on the wire, not through our client)."""

    def __init__(self, sim: Simulator, key: str | None = KEY) -> None:
        self.sim = sim
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.http = httpx.AsyncClient(transport=sim.transport(), base_url="http://sim.test", headers=headers)

    async def get(self, path: str, **params: Any) -> httpx.Response:
        params.setdefault("workspaceId", WS)
        return await self.http.get(path, params={k: v for k, v in params.items() if v is not None})

    async def send(self, method: str, path: str, body: Any, key: str | None = None, **params: Any) -> httpx.Response:
        params.setdefault("workspaceId", WS)
        headers = {"Idempotency-Key": key} if key else {}
        return await self.http.request(method, path, params=params, json=body, headers=headers)

    async def walk(self, limit: int = 200, **filters: Any) -> list[dict[str, Any]]:
        out, cursor = [], None
        while True:
            r = await self.get("/threads", limit=limit, cursor=cursor, **filters)
            assert r.status_code == 200, r.text
            data = r.json()
            out.extend(data["threads"])
            cursor = data["next_cursor"]
            if cursor is None:
                return out


def make_sim(threads: int = 300, **kw: Any) -> Simulator:
    kw.setdefault("clock", FakeClock())
    return Simulator(SimConfig(threads=threads, seed=7, **kw))


@pytest.fixture
async def api():
    made: list[Api] = []

    def factory(sim: Simulator | None = None, key: str | None = KEY) -> Api:
        a = Api(sim or make_sim(), key)
        made.append(a)
        return a

    yield factory
    for a in made:
        await a.http.aclose()


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def kit() -> SimpleNamespace:
    """The helpers above, for test modules, as one fixture."""
    return SimpleNamespace(make_sim=make_sim, FakeClock=FakeClock, KEY=KEY, WS=WS, T0=T0, iso=iso, timedelta=timedelta)
