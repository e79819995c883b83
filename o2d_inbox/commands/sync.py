"""`o2d-inbox sync [--full] [--messages]`: bring the cache up to date, headless.

Progress goes to stderr (a bar when stdout and stderr are both a terminal, a plain line every
few seconds otherwise), with what the client is waiting for when it stalls ("rate limited,
resuming in 4 s"); the summary goes to stdout. A flaky server is retried for ``--patience``
seconds without an answer (default 300; O2D_INBOX_PATIENCE, ``patience_seconds`` in
config.toml). Server unreachable for longer: one line, exit 4 (the client's NetworkError, via
cli.main). Optional steps that failed (threads' messages, campaign names) are named in the
summary and retried by the next sync; messages not fetched make the exit code 1. Another
o2d-inbox already syncing this cache: one line, exit 1, nothing written.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import TextIO

from o2d_inbox.cli import EXIT_FAILED, EXIT_OK, fail
from o2d_inbox.config import load_config
from o2d_inbox.sync.engine import SyncLocked, SyncProgress, SyncResult


class ProgressPrinter:
    """SyncProgress → a redrawn bar on a TTY, or a plain line every ``every`` seconds."""

    def __init__(
        self, stream: TextIO | None = None, *, tty: bool | None = None, every: float = 2.0, clock=time.monotonic
    ) -> None:
        # sys.stderr as it is now, not as it was when this module was imported (it may have
        # been replaced since: a test's capture, a redirected stream)
        self.stream = stream = stream if stream is not None else sys.stderr
        # A redrawn bar only when both outputs are a terminal: with the summary piped or
        # redirected (`sync | tee log`, cron) progress is plain lines, never \r and escapes.
        self.tty = _is_tty(stream) and _is_tty(sys.stdout) if tty is None else tty
        self.every = every if not self.tty else 0.1
        self._clock = clock
        self._started = clock()
        self._last = float("-inf")
        self._phase: str | None = None
        self._dirty = False
        self._progress: SyncProgress | None = None
        self._waiting: str | None = None

    def __call__(self, p: SyncProgress) -> None:
        now = self._clock()
        finished = p.total is not None and p.done >= p.total
        self._progress = p
        if p.phase == self._phase and now - self._last < self.every and not finished:
            return
        if p.phase != self._phase:
            self.close()
            self._phase, self._started = p.phase, now
        self._show(now)

    def waiting(self, text: str | None) -> None:
        """The client's ``on_wait``: what it waits for ("rate limited, resuming in 4 s"), or None."""
        if text == self._waiting:
            return
        self._waiting = text
        now = self._clock()
        # A terminal line shows each at once; a plain log gets one at most every few seconds,
        # and none before the first progress (a server that is down stays one error line).
        if self.tty or (text is not None and self._progress is not None and now - self._last >= self.every):
            self._show(now)

    def _show(self, now: float) -> None:
        self._last = now
        p = self._progress
        line = self._line(p, now) if p is not None else "connecting"
        if self._waiting:
            line += f"  ({self._waiting})"
        if self.tty:
            self.stream.write("\r\x1b[2K" + line)
            self._dirty = True
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def _line(self, p: SyncProgress, now: float) -> str:
        elapsed = now - self._started
        rate = f"{p.done / elapsed:,.0f}/s" if elapsed >= 0.5 else ""
        if p.total:
            width = 24
            filled = min(width, int(width * p.done / p.total))
            bar = f"[{'#' * filled}{'.' * (width - filled)}] " if self.tty else ""
            return f"{p.phase:<9} {bar}{p.done:,}/{p.total:,}  {rate}"
        return f"{p.phase:<9} {p.done:,}  {rate}"

    def close(self) -> None:
        if self._dirty:
            self.stream.write("\n")
            self.stream.flush()
            self._dirty = False


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


def summary(result: SyncResult) -> str:
    kind = "full reconcile" if result.full else "incremental"
    text = (
        f"synced ({kind}): {result.new:,} new, {result.changed:,} changed, "
        f"{result.removed:,} removed threads; {result.messages:,} messages; "
        f"{result.seconds:.1f} s"
    )
    missed = []
    if result.failed:
        whose = "thread's" if result.failed == 1 else "threads'"
        missed.append(f"{result.failed:,} {whose} messages not fetched")
    if result.campaigns_failed:
        missed.append("campaign names not refreshed")
    if missed:
        text += f"; {', '.join(missed)} (next sync retries)"
    if result.skipped:  # the server's own defect: the sync itself is complete (exit 0)
        text += f"; {result.skipped:,} records without an id skipped"
    return text


def run(args: argparse.Namespace) -> int:
    config = load_config(args)
    return asyncio.run(
        _sync(config, full=bool(getattr(args, "full", False)), messages=bool(getattr(args, "messages", False)))
    )


async def _sync(config, *, full: bool, messages: bool) -> int:
    from o2d_inbox.context import make_client, make_engine, open_cache, resolve_workspace

    printer = ProgressPrinter()
    async with make_client(config, on_wait=printer.waiting) as client:
        config = await resolve_workspace(config, client)
        conn = open_cache(config)
        try:
            engine = make_engine(config, conn, client)
            try:
                result = await engine.sync(full=full, messages=messages, progress=printer)
            finally:
                printer.close()
        except SyncLocked as exc:
            return fail(f"{exc}; the cache stays readable", EXIT_FAILED)
        finally:
            conn.close()
    print(summary(result))
    return EXIT_OK if not result.failed else EXIT_FAILED
