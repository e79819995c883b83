# PYTHON_ARGCOMPLETE_OK  (the marker argcomplete's global completion looks for)
"""The ``o2d-inbox`` command: argument parsing, dispatch, and errors → one line + exit code.

Subcommand handlers live in ``o2d_inbox/commands/<name>.py`` as ``run(args) -> int`` and are
imported lazily, so ``--help`` stays fast and the TUI's imports never load for headless work.
Shell completion (argcomplete) is imported only when a shell asks for completions.

Help: every subcommand has a description (DESCRIPTIONS, else its one-line help), every option
a help text (OPTION_HELP gives the ones several subcommands share) and its default.

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
from typing import Any

from o2d_inbox import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_AUTH, EXIT_NETWORK, EXIT_SERVER = 0, 1, 2, 3, 4, 5
EXIT_CACHE = 6

INTENTS = ("interested", "not_interested", "out_of_office", "bounced", "unsubscribe", "neutral")


def number(kind: type, low: float, high: float = math.inf):
    """An argparse type: an int or a finite float within [low, high] (nan, inf and -5 are
    usage errors, not values that disable what they set)."""

    def parse(text: str):
        from o2d_inbox.config import out_of_range  # one range rule for flags and settings

        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {'an integer' if kind is int else 'a number'}: {text!r}") from None
        if span := out_of_range(value, low, high):
            raise argparse.ArgumentTypeError(f"must be {span}, not {text}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


RATE = number(float, 0.0, 1.0)  # a fraction of requests
SECONDS = number(float, 0.0)
UNCHECKED_HELP = "queue even though the thread is not in the cache and the server cannot be asked"


class HelpFormatter(argparse.HelpFormatter):
    """Descriptions are wrapped to the terminal, examples (text with line breaks of its own)
    keep their lines; each option's help ends with its default (unless it says it already,
    or there is nothing worth saying: None, False)."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            not action.option_strings
            or "default" in text
            or default is None
            or default is False
            or default is argparse.SUPPRESS
        ):
            return text
        return f"{text} (default: %(default)s)"


# Arguments several subcommands share: one help text each (an argument's own help wins).
OPTION_HELP = {
    "THREAD_ID": "a thread id, as `o2d-inbox threads` and `search` list them (last column)",
    "QUERY": "what to look for (the syntax is below)",
    "INTENT": "one of: " + ", ".join(INTENTS),
    "--json": "JSON output for scripts (JSON Lines where there are several records)",
    "--body": "the message text",
    "--body-file": "read the message text from file F (- for stdin)",
    "--from": "send from mailbox M (default: the thread's own mailbox)",
    "--to": "the recipient's address",
    "--subject": "the subject line",
    "--mailbox": "only threads of this mailbox (an address)",
    "--campaign": "only threads of this campaign (its id)",
    "--limit": "show at most this many threads",
}

EXAMPLES = """\
examples:
  o2d-inbox --demo                         try it on the built-in simulator, no account needed
  o2d-inbox doctor                         check the key, the server and the cache
  o2d-inbox sync --messages                fill the cache, conversations included
  o2d-inbox                                the inbox
  o2d-inbox threads --needs-reply          who waits for an answer
  o2d-inbox search 'intent:interested after:7d pricing'
  o2d-inbox reply thr_abc123 --body-file reply.txt && o2d-inbox outbox flush --wait

The API key: OUTREACH2DAY_API_KEY, or the line OUTREACH2DAY_API_KEY=ot2d_… in
~/.config/outreach2day/env (chmod 600). Settings: config.toml in the config folder (see
`o2d-inbox doctor`). Exit codes: 0 ok, 1 done but something failed, 2 usage or config,
3 auth, 4 network/offline, 5 server/protocol, 6 local cache, 130 interrupted.
"""

SEARCH_SYNTAX = """\
query syntax:
  pricing demo        every word must occur; the last one is a prefix (pri finds pricing)
  "next tuesday"      a phrase
  from:jane to:acme.com                 addresses (a prefix, or the address's words in a row)
  intent:interested   interested, not_interested, out_of_office, bounced, unsubscribe,
                      neutral or unclassified
  mailbox:M  campaign:C                 a mailbox; a campaign id or part of its name
  before:2026-06-01  after:7d           the last activity: a UTC day, or 12h, 7d, 2w, 3m, 1y ago
  is:unread  is:needs-reply  is:open    unread; waiting for our reply; not done nor snoozed
Several values of one key are alternatives (intent:interested intent:neutral); everything
else must all match. The same query works in the inbox (/).

example:
  o2d-inbox search 'from:acme.com is:needs-reply "a call"'
"""

DESCRIPTIONS = {
    "doctor": "Check everything the inbox needs, one line each: the settings file and theme, the "
    "API key (masked), the server, the workspace, its capabilities, the cache. Exit 0 "
    "when all is well, else the exit code of the first problem.",
    "simulator": "Serve the built-in Outreach2day simulator on this machine, for trying the "
    "command line and scripts without an account. It accepts any key that starts "
    "with ot2d_, such as ot2d_sim_example_key (or only --api-key); point o2d-inbox at "
    "it with --base-url. The "
    "fault options make it slow, failing or rate limited on purpose.",
    "sync": "Bring the cache up to date with the server: new replies since the last sync, or "
    "with --full every thread (intents changed elsewhere, removed threads). Progress on "
    "stderr, a summary on stdout.",
    "threads": "List cached threads, newest first (works offline). Filters combine; "
    "--needs-reply and --intent list what the inbox's queues list.",
    "show": "Show one cached conversation (works offline), wrapped to the terminal's width.",
    "search": "Full-text search of the cache (works offline): subjects, bodies and addresses.",
    "reply": "Queue a reply in the outbox; `o2d-inbox outbox flush` sends it. It goes from "
    "the thread's own mailbox unless --from. A thread that is not in the cache is "
    "checked with the server first.",
    "forward": "Queue a forward of a thread in the outbox; `o2d-inbox outbox flush` sends it.",
    "new": "Queue a new message in the outbox; `o2d-inbox outbox flush` sends it. It goes "
    "from --from, else from_mailbox in config.toml.",
    "intent": "Queue a reply-intent override (shown at once in the cache); `o2d-inbox outbox flush` sends it.",
    "outbox": "List the outbox (unsent items and what was sent today), send it now (flush), "
    "or retry, cancel or edit one item. Every item is sent exactly once.",
    "cache": "Check the cache file, print where it is, or rebuild it from the server while "
    "keeping the outbox's unsent items and the local states (done, snoozed, notes).",
}
EPILOGS = {"search": SEARCH_SYNTAX}


def _finish_help(parser: argparse.ArgumentParser, sub: argparse._SubParsersAction) -> None:
    """Descriptions, examples, shared option help and the formatter, for every subcommand
    (also those added without them)."""
    parser.formatter_class, parser.epilog = HelpFormatter, EXAMPLES
    summaries = {a.dest: a.help for a in sub._choices_actions}
    for name, p in sub.choices.items():
        p.formatter_class = HelpFormatter
        p.description = p.description or DESCRIPTIONS.get(name) or summaries.get(name)
        p.epilog = p.epilog or EPILOGS.get(name)
        for action in p._actions:
            if action.help is None:
                action.help = OPTION_HELP.get(action.option_strings[-1] if action.option_strings else action.metavar)


def since(text: str) -> int | None:
    """An argparse type (stats, export): a window start as epoch seconds, None for ``all``;
    given as a span back from now (30d, 12h, 2w) or a date (YYYY-MM-DD, local midnight)."""
    import re
    import time
    from datetime import date, datetime

    if text.strip().lower() == "all":
        return None
    span = re.fullmatch(r"\s*(\d{1,5})\s*([hdw])\s*", text, re.IGNORECASE)
    if span:
        return int(time.time()) - int(span.group(1)) * {"h": 3600, "d": 86400, "w": 604800}[span.group(2).lower()]
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a time span or date: {text!r} (e.g. 30d, 12h, 2w, 2026-11-01 or all)"
        ) from None
    return int(datetime(day.year, day.month, day.day).astimezone().timestamp())


def _common(p: argparse.ArgumentParser, *, sub: bool = True) -> None:
    # On subcommands the default is SUPPRESS: otherwise a subparser's None would overwrite a
    # value given before the subcommand (`o2d-inbox --workspace 7 sync`).
    kw: dict[str, Any] = {"default": argparse.SUPPRESS} if sub else {}
    p.add_argument(
        "--config",
        metavar="FILE",
        help="settings file (env O2D_INBOX_CONFIG; default: config.toml in the config folder)",
        **kw,
    )
    p.add_argument(
        "--base-url",
        metavar="URL",
        help="API base URL (env O2D_INBOX_BASE_URL; default: the public Outreach2day API)",
        **kw,
    )
    p.add_argument(
        "--workspace",
        metavar="ID",
        type=int,
        help="workspace id (env O2D_INBOX_WORKSPACE; default: the only one the key sees)",
        **kw,
    )
    p.add_argument(
        "--cache",
        metavar="FILE",
        help="cache database (env O2D_INBOX_CACHE; default: one per server and workspace in the data folder)",
        **kw,
    )
    if sub:
        p.add_argument("--demo", action="store_true", help="use the built-in simulator", **kw)


def _listing(p: argparse.ArgumentParser) -> None:
    """--limit / --all / --json of the thread listings (threads, search)."""
    p.add_argument("--limit", metavar="N", default=None, help="show N threads (default 50; with --json: all)")
    p.add_argument("--all", action="store_true", help="show every thread")
    p.add_argument("--json", action="store_true", help="JSON Lines")


def build_parser(*, commands: bool = True) -> argparse.ArgumentParser:
    """The whole command line; ``commands=False``: the top-level options alone, which is all
    ``o2d-inbox`` and ``o2d-inbox --demo`` read (the subcommands' parsers cost ~4 ms to build,
    on the way to the inbox's first frame)."""
    parser = argparse.ArgumentParser(
        prog="o2d-inbox",
        description="Keyboard-first terminal Unified Inbox for Outreach2day. "
        "Without a subcommand, starts the inbox; `o2d-inbox COMMAND --help` tells more.",
    )
    parser.add_argument("-V", "--version", action="version", version=f"o2d-inbox {__version__}")
    parser.add_argument(
        "--demo", action="store_true", help="run on the built-in simulator with a demo cache (no key needed)"
    )
    _common(parser, sub=False)
    if not commands:
        parser.set_defaults(command=None)
        return parser
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("doctor", help="check config, key, server, workspace and cache")
    _common(p)

    p = sub.add_parser("simulator", help="serve the built-in Outreach2day simulator on 127.0.0.1")
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    p.add_argument(
        "--port", type=number(int, 0, 65535), default=8765, metavar="N", help="port to listen on; 0: any free port"
    )
    p.add_argument("--threads", type=number(int, 0), default=5000, metavar="N", help="seeded threads")
    p.add_argument(
        "--seed", type=int, default=42, metavar="N", help="seed of the generated data (the same seed, the same threads)"
    )
    p.add_argument(
        "--api-key", default=None, metavar="KEY", help="the only key the simulator accepts (default: any ot2d_ key)"
    )
    p.add_argument("--reply-rate", type=SECONDS, default=0.0, metavar="R", help="live inbound replies per second")
    p.add_argument("--latency", type=SECONDS, default=0.0, metavar="S", help="added latency per request, seconds")
    p.add_argument("--fail-rate", type=RATE, default=0.0, metavar="F", help="fraction of requests answered 5xx")
    p.add_argument("--drop-rate", type=RATE, default=0.0, metavar="F", help="fraction of connections dropped")
    p.add_argument("--rate-limit-rate", type=RATE, default=0.0, metavar="F", help="fraction answered 429")
    p.add_argument(
        "--rate-limit-rps",
        type=SECONDS,
        default=0.0,
        metavar="R",
        help="a real rate limit: requests per second (token bucket; 0: none)",
    )
    p.add_argument(
        "--rate-limit-burst", type=number(float, 1.0), default=1.0, metavar="N", help="requests at once within it"
    )
    p.add_argument("--malformed-rate", type=RATE, default=0.0, metavar="F", help="fraction of 2xx with truncated JSON")

    p = sub.add_parser("sync", help="sync the cache with the server")
    _common(p)
    p.add_argument("--full", action="store_true", help="full reconcile walk")
    p.add_argument("--messages", action="store_true", help="prefetch every thread's messages")
    p.add_argument(
        "--patience",
        type=float,
        metavar="S",
        default=argparse.SUPPRESS,
        help="give up after S seconds without an answer from the server (env O2D_INBOX_PATIENCE; default 300)",
    )

    p = sub.add_parser("threads", help="list cached threads (works offline)")
    _common(p)
    p.add_argument(
        "--intent",
        help="interested, not_interested, …, or unclassified (or the list's "
        "names: int, neu, ooo, not, bnc, unsub, unc)",
    )
    p.add_argument("--mailbox")
    p.add_argument("--campaign", help="a campaign id the cache knows")
    p.add_argument("--relevant", action="store_true", help="hide warmup and postmaster threads")
    p.add_argument(
        "--needs-reply",
        action="store_true",
        help="the Needs-reply queue: interested, neutral or unclassified threads waiting for our reply",
    )
    p.add_argument(
        "--sort",
        choices=["oldest", "newest", "intent"],
        default=None,
        help="list order (default: the queue's own; Needs reply: interested first, then oldest wait)",
    )
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
    p.add_argument(
        "--force",
        action="store_true",
        help="queue even though the recipient asked to unsubscribe, or the thread is "
        "not in the cache and the server cannot be asked",
    )

    p = sub.add_parser("forward", help="queue a forward in the outbox")
    _common(p)
    p.add_argument("thread_id", metavar="THREAD_ID")
    p.add_argument("--to", required=True, metavar="A")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--body")
    g.add_argument("--body-file", metavar="F")
    p.add_argument("--from", dest="from_mailbox", metavar="M")
    p.add_argument("--force", action="store_true", help=UNCHECKED_HELP)

    p = sub.add_parser("new", help="queue a new message in the outbox")
    _common(p)
    p.add_argument("--to", required=True, metavar="A")
    p.add_argument("--subject", required=True, metavar="S")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--body")
    g.add_argument("--body-file", metavar="F")
    p.add_argument(
        "--from", dest="from_mailbox", metavar="M", help="send from mailbox M (default: from_mailbox in config.toml)"
    )

    p = sub.add_parser("intent", help="queue a reply-intent override in the outbox")
    _common(p)
    p.add_argument("thread_id", metavar="THREAD_ID")
    p.add_argument("intent", metavar="INTENT", choices=INTENTS)
    p.add_argument("--force", action="store_true", help=UNCHECKED_HELP)

    p = sub.add_parser("outbox", help="list the outbox, or flush it")
    _common(p)
    p.add_argument(
        "action",
        nargs="?",
        choices=["list", "flush", "retry", "cancel", "edit"],
        default="list",
        help="list (default); flush: send now; retry ID / cancel ID / edit ID: one item",
    )
    p.add_argument("item_id", nargs="?", type=int, metavar="ID", help="with retry / cancel / edit")
    p.add_argument("--from", dest="from_mailbox", metavar="M", help="with edit: send it from mailbox M")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--body", help="with edit: the new body (default: open $EDITOR on it)")
    g.add_argument("--body-file", metavar="F", help="with edit: the new body from a file (- for stdin)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--wait", action="store_true", help="with flush: poll until every item is final")
    p.add_argument(
        "--timeout",
        type=SECONDS,
        default=600.0,
        metavar="S",
        help="with flush --wait: give up waiting after S seconds (default 600)",
    )
    p.add_argument("--all", action="store_true", help="list: include items sent over a day ago")

    # stats and export (commands/stats.py, commands/export.py): offline, from the cache
    p = sub.add_parser("stats", help="reply stats per intent, day, campaign and mailbox (works offline)")
    _common(p)
    p.add_argument(
        "--since",
        type=since,
        default="30d",
        metavar="WHEN",
        help="window start: 30d (default), 12h, 2w, a date (2026-11-01) or all",
    )
    p.add_argument("--campaign", help="a campaign id, or none")
    p.add_argument("--mailbox")
    p.add_argument("--relevant", action="store_true", help="leave out warmup and postmaster threads")
    p.add_argument("--json", action="store_true", help="one JSON object (see docs/stats.md)")

    p = sub.add_parser("export", help="export leads (one row per thread) as CSV or JSON (works offline)")
    _common(p)
    p.add_argument("--intent", help="interested, not_interested, …, or unclassified")
    p.add_argument("--campaign", help="a campaign id, or none")
    p.add_argument("--mailbox")
    p.add_argument("--relevant", action="store_true", help="leave out warmup and postmaster threads")
    p.add_argument(
        "--since",
        type=since,
        default=None,
        metavar="WHEN",
        help="latest message at or after: 30d, 12h, 2w, a date or all (default: all)",
    )
    p.add_argument(
        "--format",
        choices=["csv", "json"],
        default="csv",
        help="csv (RFC 4180, default) or json (JSON Lines: one object per row)",
    )
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE (default: standard output)")

    p = sub.add_parser("cache", help="check the cache file, show where it is, or rebuild it")
    _common(p)
    p.add_argument(
        "action",
        choices=["check", "path", "rebuild"],
        help="check: integrity (and repair the search index); path: print the file; "
        "rebuild: a fresh cache keeping the outbox's unsent items and local states",
    )
    _finish_help(parser, sub)
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
    "stats": "stats",
    "export": "export",
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
    return importlib.import_module(f"o2d_inbox.commands.{HANDLERS[command]}")


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    inbox_only = set(words) <= {"--demo"} and "_ARGCOMPLETE" not in os.environ
    parser = build_parser(commands=not inbox_only)
    if "_ARGCOMPLETE" in os.environ:  # a shell asking for completions: answer, then exit
        import argcomplete

        argcomplete.autocomplete(parser)
    args = parser.parse_args(words)
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
