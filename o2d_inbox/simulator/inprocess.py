"""The simulator as the package exports it: a World that can also be reached without a socket.

``Simulator(cfg).transport()`` is an httpx transport straight into the ASGI app (app.py) over
this world, which is how the tests and ``--demo`` talk to it; ``ServedInThread`` and the
``simulator`` command serve the same app on a real port.
"""

from __future__ import annotations

from typing import Any

import httpx

from o2d_inbox.simulator.app import create_app
from o2d_inbox.simulator.core import SimulatedDrop, World

__all__ = ["SimTransport", "Simulator"]


class Simulator(World):
    def transport(self) -> httpx.AsyncBaseTransport:
        """A fresh in-process transport into this world's API."""
        return SimTransport(create_app(self))


class SimTransport(httpx.AsyncBaseTransport):
    """httpx.ASGITransport that turns a simulated drop into the error a real socket gives."""

    def __init__(self, app: Any) -> None:
        self._inner = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._inner.handle_async_request(request)
        except SimulatedDrop:
            # what httpx says when uvicorn cuts the socket after the (unfinished) response start
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body (received 0 bytes, expected 1024)",
                request=request,
            ) from None

    async def aclose(self) -> None:
        await self._inner.aclose()
