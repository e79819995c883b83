"""Compose asks the server whether its recipient is suppressed (GET /campaigns/suppressions/status
via outbox.compliance.refresh_suppression, which caches the answer), then redraws the warning.
Offline, or on any error, the cached answer stands: the warning never waits on the network."""

from __future__ import annotations

from typing import Any

from o2d_inbox.outbox.compliance import refresh_suppression

__all__ = ["ASK_DELAY", "ask_server"]

ASK_DELAY = 0.6  # seconds of stillness in the To field before asking


def ask_server(compose: Any, delay: float = 0.0) -> None:
    """For a ComposeScreen (needs: client(), conn, recipient(), _check_recipient())."""
    client = compose.client()
    if client is None:
        return
    timer = getattr(compose, "_suppression_timer", None)
    if timer is not None:
        timer.stop()

    def start() -> None:
        email = compose.recipient()
        if email and "@" in email:
            compose.run_worker(_ask(compose, client, email), group="suppression", exclusive=True, exit_on_error=False)

    if delay:
        compose._suppression_timer = compose.set_timer(delay, start)
    else:
        start()


async def _ask(compose: Any, client: Any, email: str) -> None:
    try:
        await refresh_suppression(compose.conn, client, email)
    except Exception:  # noqa: BLE001 - offline / refused / odd answer: the cache decides
        return
    if compose.is_attached and (compose.recipient() or "").strip().lower() == email.strip().lower():
        compose._check_recipient()
