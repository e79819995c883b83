"""The ``o2d-inbox`` command: argument parsing, dispatch, and errors → one line + exit code.

Subcommand handlers live in ``o2d_inbox/commands/<name>.py`` as ``run(args) -> int`` and are
imported lazily, so ``--help`` stays fast and the TUI's imports never load for headless work.

Exit codes (public interface): 0 ok, 1 done but something failed (e.g. an outbox item),
2 usage/config, 3 auth, 4 network/offline, 5 server/protocol, 6 local cache (disk full,
read-only, damaged: cache/db.py CacheError), 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import sys

from o2d_inbox import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_AUTH, EXIT_NETWORK, EXIT_SERVER = 0, 1, 2, 3, 4, 5
EXIT_CACHE = 6

INTENTS = ("interested", "not_interested", "out_of_office", "bounced", "unsubscribe", "neutral")


def number(kind: type, low: float, high: float = math.inf):
    """An argparse type: an int or a finite float within [low, high] (nan, inf and -5 are
    usage errors, not values that disable what they set)."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {'an integer' if kind is int else 'a number'}: {text!r}") from None
        if not (math.isfinite(value) and low <= value <= high):
            span = f"from {low:g} to {high:g}" if math.isfinite(high) else f"{low:g} or more"
            raise argparse.ArgumentTypeError(f"must be {span}, not {text}")
        return value
    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


RATE = number(float, 0.0, 1.0)  # a fraction of requests
SECONDS = number(float, 0.0)


def _common(p: argparse.ArgumentParser, *, sub: bool = True) -> None:
    # On subcommands the default is SUPPRESS: otherwise a subparser's None would overwrite a
    # value given before the subcommand (`o2d-inbox --workspace 7 sync`).
    kw = {"default": argparse.SUPPRESS} if sub else {}
    p.add_argument("--config", metavar="FILE", help="settings file (env O2D_INBOX_CONFIG)", **kw)
    p.add_argument("--base-url", metavar="URL", help="API base URL (env O2D_INBOX_BASE_URL)", **kw)
    p.add_argument("--workspace", metavar="ID", type=int, help="workspace id (env O2D_INBOX_WORKSPACE)", **kw)
    p.add_argument("--cache", metavar="FILE", help="cache database (env O2D_INBOX_CACHE)", **kw)
    if sub:
        p.add_argument("--demo", action="store_true", help="use the built-in simulator", **kw)


def _listing(p: argparse.ArgumentParser) -> None:
    """--limit / --all / --json of the thread listings (threads, search)."""
    p.add_argument("--limit", metavar="N", default=None,
                   help="show N threads (default 50; with --json: all)")
    p.add_argument("--all", action="store_true", help="show every thread")
    p.add_argument("--json", action="store_true", help="JSON Lines")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="o2d-inbox",
        description="Keyboard-first terminal Unified Inbox for Outreach2day. "
        "Without a subcommand, starts the inbox.",
    )
    parser.add_argument("--version", action="version", version=f"o2d-inbox {__version__}")
    parser.add_argument("--demo", action="store_true",
                        help="run on the built-in simulator with a demo cache (no key needed)")
    _common(parser, sub=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("doctor", help="check config, key, server, workspace and cache")
    _common(p)

    p = sub.add_parser("simulator", help="serve the built-in Outreach2day simulator on 127.0.0.1")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=number(int, 0, 65535), default=8765, help="0: any free port")
    p.add_argument("--threads", type=number(int, 0), default=5000, help="seeded threads")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--api-key", default=None, help="key the simulator accepts (default: any ot2d_ key)")
    p.add_argument("--reply-rate", type=SECONDS, default=0.0, help="live inbound replies per second")
    p.add_argument("--latency", type=SECONDS, default=0.0, help="added latency per request, seconds")
    p.add_argument("--fail-rate", type=RATE, default=0.0, help="fraction of requests answered 5xx")
    p.add_argument("--drop-rate", type=RATE, default=0.0, help="fraction of connections dropped")
    p.add_argument("--rate-limit-rate", type=RATE, default=0.0, help="fraction answered 429")
    p.add_argument("--rate-limit-rps", type=SECONDS, default=0.0,
                   help="a real rate limit: requests per second (token bucket; 0: none)")
    p.add_argument("--rate-limit-burst", type=number(float, 1.0), default=1.0, help="requests at once within it")
    p.add_argument("--malformed-rate", type=RATE, default=0.0, help="fraction of 2xx with truncated JSON")

    p = sub.add_parser("sync", help="sync the cache with the server")
    _common(p)
    p.add_argument("--full", action="store_true", help="full reconcile walk")
    p.add_argument("--messages", action="store_true", help="prefetch every thread's messages")
    p.add_argument("--patience", type=float, metavar="S", default=argparse.SUPPRESS,
                   help="give up after S seconds without an answer from the server "
                        "(env O2D_INBOX_PATIENCE; default 300)")

    p = sub.add_parser("threads", help="list cached threads (works offline)")
    _common(p)
    p.add_argument("--intent", help="interested, not_interested, …, or unclassified (or the list's "
                   "names: int, neu, ooo, not, bnc, unsub, unc)")
    p.add_argument("--mailbox")
    p.add_argument("--campaign", help="a campaign id the cache knows")
    p.add_argument("--relevant", action="store_true", help="hide warmup and postmaster threads")
    p.add_argument("--needs-reply", action="store_true",
                   help="the Needs-reply queue: interested, neutral or unclassified threads waiting for our reply")
    p.add_argument("--sort", choices=["oldest", "newest", "intent"], default=None,
                   help="list order (default: the queue's own; Needs reply: interested first, then oldest wait)")
    _listing(p)

    p = sub.add_parser("show", help="show one cached conversation (works offline)")
    _common(p)
    p.add_argument("thread_id", metavar="THREAD_ID")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("search", help="full-text search of the cache (works offline)")
    _common(p)
    p.add_argument("query", metavar="QUERY")
    _listing(p)

    p = sub.add_parser("reply", help="queue a reply in the outbox")
    _common(p)
    p.add_argument("thread_id", metavar="THREAD_ID")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--body")
    g.add_argument("--body-file", metavar="F")
    p.add_argument("--from", dest="from_mailbox", metavar="M")
    p.add_argument("--force", action="store_true",
                   help="queue even though the recipient asked to unsubscribe")

    p = sub.add_parser("forward", help="queue a forward in the outbox")
    _common(p)
    p.add_argument("thread_id", metavar="THREAD_ID")
    p.add_argument("--to", required=True, metavar="A")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--body")
    g.add_argument("--body-file", metavar="F")
    p.add_argument("--from", dest="from_mailbox", metavar="M")

    p = sub.add_parser("new", help="queue a new message in the outbox")
    _common(p)
    p.add_argument("--to", required=True, metavar="A")
    p.add_argument("--subject", required=True, metavar="S")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--body")
    g.add_argument("--body-file", metavar="F")
    p.add_argument("--from", dest="from_mailbox", metavar="M")

    p = sub.add_parser("intent", help="queue a reply-intent override in the outbox")
    _common(p)
    p.add_argument("thread_id", metavar="THREAD_ID")
    p.add_argument("intent", metavar="INTENT", choices=INTENTS)

    p = sub.add_parser("outbox", help="list the outbox, or flush it")
    _common(p)
    p.add_argument("action", nargs="?", choices=["list", "flush", "retry", "cancel", "edit"], default="list",
                   help="list (default); flush: send now; retry ID / cancel ID / edit ID: one item")
    p.add_argument("item_id", nargs="?", type=int, metavar="ID", help="with retry / cancel / edit")
    p.add_argument("--from", dest="from_mailbox", metavar="M", help="with edit: send it from mailbox M")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--body", help="with edit: the new body (default: open $EDITOR on it)")
    g.add_argument("--body-file", metavar="F", help="with edit: the new body from a file (- for stdin)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--wait", action="store_true", help="with flush: poll until every item is final")
    p.add_argument("--timeout", type=SECONDS, default=600.0, metavar="S",
                   help="with flush --wait: give up waiting after S seconds (default 600)")
    p.add_argument("--all", action="store_true", help="list: include items sent over a day ago")

    p = sub.add_parser("cache", help="check the cache file, show where it is, or rebuild it")
    _common(p)
    p.add_argument("action", choices=["check", "path", "rebuild"],
                   help="check: integrity (and repair the search index); path: print the file; "
                        "rebuild: a fresh cache keeping the outbox's unsent items and local states")
    return parser


# command name -> module under o2d_inbox.commands (several commands may share one module)
HANDLERS = {
    None: "app",
    "doctor": "doctor",
    "simulator": "simulator",
    "sync": "sync",
    "threads": "threads",
    "show": "threads",
    "search": "search",
    "reply": "outbox",
    "forward": "outbox",
    "new": "outbox",
    "intent": "outbox",
    "outbox": "outbox",
    "cache": "cache",
}


_MAX_LINE = 400


def one_line(text: str) -> str:
    from o2d_inbox.render.text import safe_line  # control chars out of server-provided text

    return " ".join(safe_line(text).split())


def fail(message: str, code: int) -> int:
    """Print one line on stderr, return the exit code."""
    from o2d_inbox.api.keys import scrub_keys

    # Last line of defence: whatever produced the message, a key-like token is masked.
    line = scrub_keys(one_line(message))
    if len(line) > _MAX_LINE:
        line = line[: _MAX_LINE - 1] + "…"
    print(f"o2d-inbox: {line}", file=sys.stderr)
    return code


def _load_handler(command: str | None):
    name = f"o2d_inbox.commands.{HANDLERS[command]}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            raise CommandUnavailable(f"'{command or 'inbox'}' is not available in this build "
                                     f"({name} is missing)") from None
        raise


class CommandUnavailable(Exception):
    exit_code = EXIT_SERVER


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        module = _load_handler(args.command)
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except BrokenPipeError:
        # the reader went away (`| head`): stop quietly, and keep Python from complaining
        # again when it flushes stdout at exit
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 0
    except Exception as exc:  # noqa: BLE001 - the one place errors become exit codes
        return fail_from_exception(exc)


def fail_from_exception(exc: BaseException) -> int:
    """Any exception -> one line on stderr + its exit code (never a traceback)."""
    from o2d_inbox.config import ConfigError

    if isinstance(exc, ConfigError):
        return fail(str(exc), EXIT_USAGE)
    if isinstance(exc, CommandUnavailable):
        return fail(str(exc), exc.exit_code)
    from o2d_inbox.api.errors import ApiError

    if isinstance(exc, ApiError):
        return fail(str(exc) or type(exc).__name__, exc.exit_code)
    if _is_network_error(exc):
        return fail(f"network error: {exc or type(exc).__name__}", EXIT_NETWORK)
    from o2d_inbox.cache.db import cache_error

    if (local := cache_error(exc)) is not None:  # disk full, read-only, damaged: the file named
        return fail(str(local), local.exit_code)
    if isinstance(exc, OSError):
        msg = exc.strerror or str(exc) or type(exc).__name__
        return fail(f"{exc.filename}: {msg}" if exc.filename else msg, EXIT_USAGE)
    if isinstance(exc, ModuleNotFoundError):
        return fail(f"missing module {exc.name} (incomplete install?)", EXIT_SERVER)
    return fail(f"unexpected error: {type(exc).__name__}: {exc}", EXIT_SERVER)


def _is_network_error(exc: BaseException) -> bool:
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    if type(exc).__module__.startswith("httpx"):
        import httpx

        return isinstance(exc, httpx.TransportError)
    return False
