"""Fixtures for the API client tests: a recorded fake sleep and a client over a MockTransport."""

from __future__ import annotations

import random
from collections.abc import Callable

import httpx
import pytest

from o2d_inbox.api.client import UniboxClient

API_KEY = "ot2d_TESTSECRET_k3y_9f8e7d6c5b4a"
BASE_URL = "https://api.test"


class RecordedSleep:
    """Stands in for asyncio.sleep: records each wait instead of waiting; ``clock`` is a
    clock that only these waits move (give it to the client as ``clock``)."""

    def __init__(self) -> None:
        self.calls: list[float] = []
        self.now = 0.0

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def sleeps() -> RecordedSleep:
    return RecordedSleep()


@pytest.fixture
async def make_client(sleeps: RecordedSleep):
    """make_client(handler, **kwargs) -> UniboxClient over httpx.MockTransport(handler)."""
    clients: list[UniboxClient] = []

    def factory(handler: Callable[[httpx.Request], httpx.Response], **kwargs) -> UniboxClient:
        kwargs.setdefault("workspace_id", 42)
        kwargs.setdefault("sleep", sleeps)
        if isinstance(kwargs["sleep"], RecordedSleep):
            kwargs.setdefault("clock", kwargs["sleep"].clock)
        kwargs.setdefault("rng", random.Random(7))
        client = UniboxClient(BASE_URL, API_KEY, transport=httpx.MockTransport(handler), **kwargs)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.aclose()
