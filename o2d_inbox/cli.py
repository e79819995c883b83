"""The ``o2d-inbox`` command: argument parsing, dispatch, and errors → one line + exit code.

Subcommand handlers live in ``o2d_inbox/commands/<name>.py`` as ``run(args) -> int`` and are
imported lazily, so ``--help`` stays fast and the TUI's imports never load for headless work.

Exit codes (public interface): 0 ok, 1 done but something failed (e.g. an outbox item),
2 usage/config, 3 auth, 4 network/offline, 5 server/protocol, 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from o2d_inbox import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_AUTH, EXIT_NETWORK, EXIT_SERVER = 0, 1, 2, 3, 4, 5

INTENTS = ("interested", "not_interested", "out_of_office", "bounced", "unsubscribe", "neutral")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help="settings file (env O2D_INBOX_CONFIG)")
    p.add_argument("--base-url", metavar="URL", help="API base URL (env O2D_INBOX_BASE_URL)")
    p.add_argument("--workspace", metavar="ID", type=int, help="workspace id (env O2D_INBOX_WORKSPACE)")
    p.add_argument("--cache", metavar="FILE", help="cache database (env O2D_INBOX_CACHE)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="o2d-inbox",
        description="Keyboard-first terminal Unified Inbox for Outreach2day. "
        "Without a subcommand, starts the inbox.",
    )
    parser.add_argument("--version", action="version", version=f"o2d-inbox {__version__}")
    parser.add_argument("--demo", action="store_true",
                        help="run on the built-in simulator with a demo cache (no key needed)")
    _common(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("doctor", help="check config, key, server, workspace and cache")
    _common(p)

    p = sub.add_parser("simulator", help="serve the built-in Outreach2day simulator on 127.0.0.1")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--threads", type=int, default=5000, help="seeded threads")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--api-key", default=None, help="key the simulator accepts (default: any ot2d_ key)")
    p.add_argument("--reply-rate", type=float, default=0.0, help="live inbound replies per second")
    p.add_argument("--latency", type=float, default=0.0, help="added latency per request, seconds")
    p.add_argument("--fail-rate", type=float, default=0.0, help="fraction of requests answered 5xx")
    p.add_argument("--drop-rate", type=float, default=0.0, help="fraction of connections dropped")
    p.add_argument("--rate-limit-rate", type=float, default=0.0, help="fraction answered 429")

    p = sub.add_parser("sync", help="sync the cache with the server")
    _common(p)
    p.add_argument("--full", action="store_true", help="full reconcile walk")
    p.add_argument("--messages", action="store_true", help="prefetch every thread's messages")

    p = sub.add_parser("threads", help="list cached threads (works offline)")
    _common(p)
    p.add_argument("--intent", help="interested, not_interested, …, or unclassified")
    p.add_argument("--mailbox")
    p.add_argument("--campaign")
    p.add_argument("--relevant", action="store_true", help="hide warmup and postmaster threads")
    p.add_argument("--needs-reply", action="store_true", help="only threads waiting for our reply")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true", help="JSON Lines")

    p = sub.add_parser("show", help="show one cached conversation (works offline)")
    _common(p)
    p.add_argument("thread_id", metavar="THREAD_ID")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("search", help="full-text search of the cache (works offline)")
    _common(p)
    p.add_argument("query", metavar="QUERY")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("reply", help="queue a reply in the outbox")
    _common(p)
    p.add_argument("thread_id", metavar="THREAD_ID")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--body")
    g.add_argument("--body-file", metavar="F")
    p.add_argument("--from", dest="from_mailbox", metavar="M")

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
    p.add_argument("action", nargs="?", choices=["list", "flush"], default="list")
    p.add_argument("--json", action="store_true")
    p.add_argument("--wait", action="store_true", help="with flush: poll until every item is final")
    return parser


# command name -> module under o2d_inbox.commands (several commands may share one module)
HANDLERS = {
    None: "app",
    "doctor": "doctor",
    "simulator": "simulator",
    "sync": "sync",
    "threads": "threads",
    "show": "threads",
    "search": "threads",
    "reply": "outbox",
    "forward": "outbox",
    "new": "outbox",
    "intent": "outbox",
    "outbox": "outbox",
}


def fail(message: str, code: int) -> int:
    """Print one line on stderr, return the exit code."""
    from o2d_inbox.render.text import safe_line  # control chars out of server-provided text

    print(f"o2d-inbox: {safe_line(message)}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        module = importlib.import_module(f"o2d_inbox.commands.{HANDLERS[args.command]}")
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - the one place errors become exit codes
        return fail_from_exception(exc)


def fail_from_exception(exc: BaseException) -> int:
    from o2d_inbox.api.errors import ApiError
    from o2d_inbox.config import ConfigError

    if isinstance(exc, ConfigError):
        return fail(str(exc), EXIT_USAGE)
    if isinstance(exc, ApiError):
        return fail(str(exc), exc.exit_code)
    if isinstance(exc, OSError):
        return fail(f"{type(exc).__name__}: {exc}", EXIT_USAGE)
    return fail(f"unexpected error: {type(exc).__name__}: {exc}", EXIT_SERVER)
