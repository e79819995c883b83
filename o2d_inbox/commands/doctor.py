"""`o2d-inbox doctor`: a checklist of everything the inbox needs, each line ✓/✗ with a reason.

Exit 0 when all is green; otherwise the exit code of the first failure (config 2, auth 3,
network 4, server 5, local cache 6), which is also printed as one line on stderr. The cache
line runs SQLite's quick_check and compares the schema with a new cache's (an index or
trigger missing is `cache check`'s to restore; so is the search index, which repairs itself:
reading it all would add seconds on a large cache). The key is shown at most as ``ot2d_…`` +
its last 4 characters: every line goes through safe_line and scrub_keys, since a server can
put anything (the key itself, escape sequences) in a workspace name or an error. A warning
(plain http:// to another machine, a theme file the inbox would skip) is a "!" line and does
not change the exit code. Every failure that concerns the server names its URL. The theme is
checked against the themes the inbox can load (Textual's, the bundled ones, the user's files).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from o2d_inbox.cli import EXIT_AUTH, EXIT_CACHE, EXIT_USAGE, fail, one_line
from o2d_inbox.config import (
    Config,
    ConfigError,
    config_file_path,
    key_hint,
    load_config,
    mask_key,
    read_api_key,
    read_settings,
    scrub_keys,
)

# Doctor should answer quickly: one retry is enough to tell "down" from "a blip".
CLIENT_OPTIONS = {"timeout": 10.0, "max_retries": 1}


@dataclass
class Check:
    label: str
    ok: bool | None | Literal["warn"]  # None: skipped (an earlier check failed); "warn": a warning
    detail: str
    code: int = 0


class Report:
    def __init__(self) -> None:
        self.checks: list[Check] = []
        self.key: str | None = None  # masked wherever it appears, whatever its form
        enc = sys.stdout.encoding or "ascii"
        try:
            "✓✗–…".encode(enc)
            self.marks = {True: "✓", False: "✗", None: "–", "warn": "!"}
        except (UnicodeEncodeError, LookupError):
            self.marks = {True: "ok", False: "XX", None: "--", "warn": "!!"}

    def add(self, label: str, ok: bool | None | Literal["warn"], detail: str, code: int = 0) -> Check:
        check = Check(label, ok, scrub_keys(one_line(detail), self.key), code)
        self.checks.append(check)
        # printed as we go: the network checks can take a few seconds
        print(f"{self.marks[ok]} {label:<13} {check.detail}", flush=True)
        return check

    def warn(self, label: str, detail: str) -> None:
        self.add(label, "warn", detail)

    def skip(self, label: str, why: str) -> None:
        self.add(label, None, f"skipped ({why})")

    def first_failure(self) -> Check | None:
        return next((c for c in self.checks if c.ok is False), None)


def run(args: argparse.Namespace) -> int:
    report = Report()
    config = _check_config(args, report)
    if config is not None:
        _check_keymap(config, report)
        asyncio.run(_check_online(config, report))
    failure = report.first_failure()
    if failure is None:
        return 0
    return fail(f"doctor: {failure.label}: {failure.detail}", failure.code)


def _check_config(args: argparse.Namespace, report: Report) -> Config | None:
    env = os.environ
    demo = bool(getattr(args, "demo", False))
    path, explicit = config_file_path(args, env)
    settings_error = key_error = None
    try:
        read_settings(path, required=explicit)
    except ConfigError as exc:
        settings_error = exc
    key = source = None
    if not demo:
        try:
            key, source = read_api_key(env)
        except ConfigError as exc:
            key_error = exc
    report.key = key or env.get("OUTREACH2DAY_API_KEY")  # even one refused as malformed
    config = None
    if settings_error is None and key_error is None:
        try:
            config = load_config(args, env, warn=None)  # warnings are lines of the checklist
        except ConfigError as exc:  # e.g. a bad O2D_INBOX_WORKSPACE or --workspace
            settings_error = exc

    if settings_error is not None:
        report.add("config", False, str(settings_error), EXIT_USAGE)
    elif config is not None and config.base_url_error:
        report.add("config", False, config.base_url_error, EXIT_USAGE)
    elif path.is_file():
        report.add("config", True, f"{path} (valid)")
    else:
        report.add("config", True, f"no file at {path}; using defaults")
    for warning in config.warnings if config is not None else ():
        report.warn("base_url", warning)
    if config is not None:
        _check_theme(config, report)

    if demo:
        report.add("API key", True, "not needed (demo on the built-in simulator)")
    elif key_error is not None:
        report.add("API key", False, str(key_error), EXIT_USAGE)
    elif key is None:
        report.add("API key", False, f"none: {key_hint(env)}", EXIT_USAGE)
    else:
        report.add("API key", True, f"{mask_key(key)} (from {source})")

    if config is None:
        why = "config" if settings_error is not None else "API key"
        for label in ("server", "workspace", "capabilities", "cache"):
            report.skip(label, why)
    return config


def _check_theme(config: Config, report: Report) -> None:
    """The theme the inbox will start with: one it knows (the inbox would fall back to
    o2d-dark with a notice), and any theme file it would skip."""
    from o2d_inbox.config import default_config_file
    from o2d_inbox.tui.themes import theme_catalogue

    folder = default_config_file().parent / "themes"
    names, broken = theme_catalogue([folder])
    for line in broken:
        report.warn("theme file", line)
    if config.theme in names:
        report.add("theme", True, f"{config.theme} ({names[config.theme]})")
        return
    own = sorted(n for n, where in names.items() if where != "a Textual theme")
    where = f"{config.config_path}: key 'theme'" if config.config_path else "theme"
    report.add(
        "theme",
        False,
        f"{where}: no theme named {config.theme!r} (these: {', '.join(own)}, "
        f"or a Textual theme such as nord; theme files go in {folder})",
        EXIT_USAGE,
    )


def _check_keymap(config: Config, report: Report) -> None:
    """A ``[keymap]`` entry with a mistyped id or key does nothing in the inbox: say which.
    A warning (the inbox still starts), and a line only when there is a keymap to check."""
    if not config.keymap:
        return
    from o2d_inbox.keymap import check_keymap

    problems = check_keymap(config.keymap)
    for problem in problems:
        report.warn("keymap", problem.removeprefix("keymap: "))
    if not problems:
        n = len(config.keymap)
        report.add("keymap", True, f"{n} binding{'s' if n != 1 else ''} rebound, all known")


async def _check_online(config: Config, report: Report) -> None:
    from o2d_inbox.api.errors import ApiError, AuthError
    from o2d_inbox.context import make_client, with_workspace

    where = "built-in simulator" if config.demo else config.base_url
    if config.base_url_error or not config.api_key:
        for label in ("server", "workspace", "capabilities"):
            report.skip(label, "config" if config.base_url_error else "no API key")
        _check_cache(config, report)
        return

    async with make_client(config, **CLIENT_OPTIONS) as client:
        try:
            workspaces = await client.list_workspaces()
        except AuthError as exc:
            report.add("server", True, f"{where} reachable")
            report.add("workspace", False, f"API key rejected by {where}: {exc}", exc.exit_code)
            workspaces = None
        except ApiError as exc:
            report.add("server", False, f"{where}: {exc}", exc.exit_code)
            report.skip("workspace", "server")
            workspaces = None
        else:
            report.add("server", True, f"{where} reachable")
        if workspaces is None:
            report.skip("capabilities", "no workspace")
            _check_cache(config, report)
            return

        workspace = _check_workspace(config, workspaces, report, where)
        if workspace is None:
            report.skip("capabilities", "no workspace")
            _check_cache(config, report)
            return
        client.workspace_id = workspace
        try:
            caps = await client.capabilities()
        except ApiError as exc:
            report.add("capabilities", False, f"{where}: {exc}", exc.exit_code)
        else:
            detail = (
                f"inbox {'yes' if caps.inbox else 'no'}, "
                f"outbound {'yes' if caps.outbound else 'no'}, "
                f"syncMode {caps.syncMode or 'not stated'}"
            )
            if not caps.inbox:
                report.add(
                    "capabilities",
                    False,
                    f"{detail}: the inbox is not enabled for workspace {workspace} at {where}",
                    EXIT_AUTH,
                )
            else:
                report.add(
                    "capabilities", True, detail + ("" if caps.outbound else " (read-only: sending is disabled)")
                )
    _check_cache(with_workspace(config, workspace), report)


def _check_workspace(config: Config, workspaces: list, report: Report, where: str) -> int | None:
    def describe(ws) -> str:
        extra = ", ".join(x for x in (ws.project_name, ws.role and f"role {ws.role}") if x)
        return f"{ws.workspace_id} ({extra})" if extra else str(ws.workspace_id)

    if config.workspace is not None:
        match = next((w for w in workspaces if w.workspace_id == config.workspace), None)
        if match is None:
            visible = ", ".join(str(w.workspace_id) for w in workspaces[:10]) or "none"
            report.add(
                "workspace",
                False,
                f"{config.workspace} is not accessible with this key at {where} (visible: {visible})",
                EXIT_AUTH,
            )
            return None
        report.add("workspace", True, describe(match))
        return config.workspace
    if len(workspaces) == 1:
        report.add("workspace", True, f"{describe(workspaces[0])}, the only one visible")
        return workspaces[0].workspace_id
    if not workspaces:
        report.add("workspace", False, f"this key can see no workspace at {where}", EXIT_AUTH)
        return None
    listed = "; ".join(describe(w) for w in workspaces[:5])
    report.add(
        "workspace",
        False,
        f"several visible at {where} ({listed}): choose one with --workspace or 'workspace' in config.toml",
        EXIT_USAGE,
    )
    return None


def _check_cache(config: Config, report: Report) -> None:
    from o2d_inbox.cache.db import CacheError
    from o2d_inbox.cache.repair import check, listed, restorable
    from o2d_inbox.context import cache_path, open_cache

    try:
        path = cache_path(config)
    except ConfigError:
        report.skip("cache", "workspace unknown")
        return
    problem = _writable_problem(path)
    if problem and not path.exists():
        report.add("cache", False, f"{path}: {problem}", EXIT_CACHE)
        return
    if not path.exists():
        report.add("cache", True, f"{path} (writable; created on first sync)")
        return
    try:  # an existing file must be a sound database
        conn = open_cache(config)
        try:
            health = check(conn, search=False)
        finally:
            conn.close()
    except CacheError as exc:
        report.add("cache", False, str(exc), exc.exit_code)
        return
    if not health.ok:
        report.add(
            "cache",
            False,
            f"{path} is damaged ({health.summary}): run `o2d-inbox cache rebuild` (it keeps the outbox's unsent items)",
            EXIT_CACHE,
        )
    elif health.missing:
        fix = (
            "`o2d-inbox cache check`, which restores them"
            if restorable(health.missing)
            else "`o2d-inbox cache rebuild` (it keeps the outbox's unsent items)"
        )
        report.add("cache", False, f"{path} lacks {listed(health.missing)}: run {fix}", EXIT_CACHE)
    elif problem:
        report.add("cache", False, f"{path}: {problem} (reading works; sync and sending do not)", EXIT_CACHE)
    else:
        report.add("cache", True, f"{path} (writable, intact)")


def _writable_problem(path: Path) -> str | None:
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # the nearest existing ancestor decides whether we can create it
    if not folder.is_dir():
        return f"{folder} is not a directory"
    if path.exists():
        if not os.access(path, os.W_OK):
            return "not writable"
        return None if os.access(path.parent, os.W_OK | os.X_OK) else f"{path.parent} is not writable"
    return None if os.access(folder, os.W_OK | os.X_OK) else f"{folder} is not writable"
