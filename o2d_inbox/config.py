"""Settings and the API key.

class ConfigError(Exception)            # exit code 2, one line, never contains the key
@dataclass class Config:
    base_url: str                       # default https://public.outreach2day.com
    base_url_error: str | None          # why base_url is unusable (one line naming where it
                                        # was set); raised by server_url(), so commands that
                                        # only read the cache still work
    warnings: list[str]                 # one-line notes for stderr (plain http:// to a
                                        # non-loopback host)
    workspace: int | None
    api_key: str | None                 # field(repr=False); never logged
    from_mailbox: str | None
    cache_path: Path | None             # explicit, or derived from base URL + workspace;
                                        # None while the workspace is unknown (see
                                        # context.resolve_workspace / cache_path_for)
    theme: str                          # "o2d-dark" | "o2d-light" | any Textual theme
    alerts: str                         # a new interested reply: "off" | "bell" | "notify"
                                        # (file default "bell"; Config() is quiet: "off")
    sort: str | None                    # the list order chosen with `O` ("oldest" | "newest" |
                                        # "intent"); None: each queue's own
    settings_file: Path | None          # where the inbox saves a setting chosen in it (theme,
                                        # sort): the file load_config looked at; None: not saved
    keymap: dict[str, str]              # binding id -> keys, e.g. {"reply": "ctrl+r"}
    undo_seconds: float                 # outbox undo window, default 10, 0..600
    reconcile_minutes: float            # full reconcile interval, default 60, 1..10080
    patience_seconds: float             # a request retries this long without an answer, default 300
    config_path: Path | None            # the TOML file read, if any
    demo: bool                          # running on the in-process simulator
load_config(args=None, env=os.environ, *, warn=print_warning) -> Config
    precedence: flag > env (O2D_INBOX_BASE_URL, O2D_INBOX_WORKSPACE, O2D_INBOX_CACHE,
    O2D_INBOX_CONFIG, O2D_INBOX_PATIENCE) > TOML file (user_config_dir("o2d-inbox")/config.toml)
    > default. Numbers must be finite and within their range. Key: OUTREACH2DAY_API_KEY, else
    ~/.config/outreach2day/env (vendor env format; refused when it is not a regular file,
    when group/other have any permission on it, or when its folder is writable by them).
Config.server_url() -> str                       base_url, or ConfigError (base_url_error)
read_key_file(path) -> str | None                the key file's key, or ConfigError
cache_path_for(base_url, workspace) -> Path      user_data_dir/caches/<host>-ws<id>.db
demo_cache_path() -> Path                        user_data_dir/demo.db
mask_key(key) -> str                             "ot2d_…ab12" at most
scrub_keys(text, *keys) -> str                   text with any key in it masked
save_setting(path, key, value)                   one top-level string setting written into
                                                 the TOML file, every other line kept
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import math
import os
import re
import stat
import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from o2d_inbox.api.keys import mask_key, scrub_keys  # noqa: F401 - one masking rule, re-exported

APP_NAME = "o2d-inbox"
DEFAULT_BASE_URL = "https://public.outreach2day.com"
KEY_ENV = "OUTREACH2DAY_API_KEY"
KEY_PREFIX = "ot2d_"
DEFAULT_THEME = "o2d-dark"
#: What a new interested reply found by a background sync does, besides showing who and what:
#: "off" nothing at all, "bell" a notice and the terminal bell, "notify" those and a desktop
#: notification (OSC 9, which the terminal turns into one; ignored by terminals without it).
ALERTS = ("off", "bell", "notify")
DEFAULT_ALERTS = "bell"
#: the settings that take one of a few words
CHOICE_KEYS = ("alerts", "sort")

DEFAULT_UNDO_SECONDS = 10.0
DEFAULT_RECONCILE_MINUTES = 60.0
# (low, high, unit) of each numeric setting. A reconcile walk re-reads every thread, so more
# often than once a minute would only load the server; an undo window longer than ten minutes
# is a delayed send, not an undo. The upper bound of a week keeps intents from going stale.
# Patience: 0 gives up at the first failure; a day is as long as anyone would wait.
NUMBER_RANGES: dict[str, tuple[float, float, str]] = {
    "undo_seconds": (0.0, 600.0, "seconds"),
    "reconcile_minutes": (1.0, 10080.0, "minutes"),
    "patience_seconds": (0.0, 86400.0, "seconds"),
}
MAX_WORKSPACE_ID = 2**63 - 1  # SQLite's and most servers' integer limit
MAX_KEY_FILE_BYTES = 64 * 1024  # the file holds a line or two; more is not a key file
DEFAULT_PATIENCE_SECONDS = 300.0
# The demo talks to an in-process simulator through an httpx transport: the host is never
# resolved, it only has to be a valid URL (".invalid" can never be a real host).
DEMO_BASE_URL = "http://demo.o2d-inbox.invalid"
DEMO_API_KEY = "ot2d_sim_example_key"  # the simulator's example key (simulator EXAMPLE_KEY): one name everywhere
DEMO_WORKSPACE = 42

ENV_BASE_URL = "O2D_INBOX_BASE_URL"
ENV_WORKSPACE = "O2D_INBOX_WORKSPACE"
ENV_CACHE = "O2D_INBOX_CACHE"
ENV_CONFIG = "O2D_INBOX_CONFIG"
ENV_PATIENCE = "O2D_INBOX_PATIENCE"

_FILE_KEYS = (
    "base_url",
    "workspace",
    "from_mailbox",
    "cache",
    "theme",
    "undo_seconds",
    "reconcile_minutes",
    "keymap",
    "patience_seconds",
    "alerts",
    "sort",
)


class ConfigError(Exception):
    """A settings or key problem: one line for the user (exit code 2), never the key."""

    exit_code = 2


@dataclass
class Config:
    base_url: str = DEFAULT_BASE_URL
    base_url_error: str | None = None
    warnings: list[str] = field(default_factory=list)
    workspace: int | None = None
    api_key: str | None = field(default=None, repr=False)
    from_mailbox: str | None = None
    cache_path: Path | None = None
    theme: str = DEFAULT_THEME
    sort: str | None = None
    alerts: str = "off"  # a config made in code (tests, scripts) is quiet; the file's default is "bell"
    settings_file: Path | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    undo_seconds: float = DEFAULT_UNDO_SECONDS
    reconcile_minutes: float = DEFAULT_RECONCILE_MINUTES
    patience_seconds: float = DEFAULT_PATIENCE_SECONDS
    config_path: Path | None = None
    demo: bool = False
    key_source: str | None = None  # where the key came from (env name or file path), for doctor

    def server_url(self) -> str:
        """base_url for a command that talks to the server; ConfigError when it is unusable
        (checked here, not at load time, so the cache-only commands keep working)."""
        if self.base_url_error:
            raise ConfigError(self.base_url_error)
        return self.base_url


# --------------------------------------------------------------------------- paths


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def default_config_file() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def key_file_path(env: Mapping[str, str] = os.environ) -> Path:
    """~/.config/outreach2day/env: shared with other Outreach2day tools, so literally ~/.config."""
    home = env.get("HOME") or str(Path.home())
    return Path(home) / ".config" / "outreach2day" / "env"


def key_hint(env: Mapping[str, str] = os.environ) -> str:
    """How to give o2d-inbox its API key, for the end of an error line (the key itself comes
    from the account settings of Outreach2day's web app)."""
    return (
        f"set {KEY_ENV}=ot2d_… (a key from your Outreach2day account settings) or put that "
        f"line in {key_file_path(env)} (chmod 600)"
    )


def _host_slug(base_url: str) -> str:
    # A URL written without its scheme ("localhost:8000") names the same cache as with it, so
    # the cache-only commands still find it while base_url is being fixed.
    try:
        netloc = urlsplit(base_url if "//" in base_url else "//" + base_url).netloc.lower()
    except ValueError:  # an unbalanced "[" (IPv6): base_url_error says so
        netloc = ""
    netloc = netloc or "unknown"
    return re.sub(r"[^a-z0-9.-]+", "_", netloc)


def cache_path_for(base_url: str, workspace: int) -> Path:
    """The default cache of one server + workspace: user_data_dir/caches/<host>-ws<id>.db."""
    return data_dir() / "caches" / f"{_host_slug(base_url)}-ws{int(workspace)}.db"


def existing_caches_for(base_url: str) -> list[Path]:
    """Default caches already on disk for this server (used when the workspace is unknown)."""
    folder = data_dir() / "caches"
    pattern = re.compile(re.escape(_host_slug(base_url)) + r"-ws\d+\.db")
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if pattern.fullmatch(p.name))


def demo_cache_path() -> Path:
    return data_dir() / "demo.db"


# --------------------------------------------------------------------------- the key

# The vendor's env format: `KEY=value`, `export KEY=value`, spaces around `=`, the value in
# "…" or '…', a trailing `# comment` after whitespace (outside quotes), blank lines and full-line
# comments. Only the key's own lines are looked at; the file may hold other tools' settings.
_ASSIGNMENT = re.compile(r"\s*(?:export\s+)?" + KEY_ENV + r"\s*=\s*(.*)$")
_UNQUOTED = re.compile(r"(.*?)(?:\s+#.*)?")


def _env_value(raw: str) -> str:
    """The value of one assignment; ValueError (never containing the value) when malformed."""
    raw = raw.strip()
    if raw[:1] in ("'", '"'):
        end = raw.find(raw[0], 1)
        if end < 0:
            raise ValueError(f"the value has no closing {raw[0]}")
        rest = raw[end + 1 :].strip()
        if rest and not rest.startswith("#"):
            raise ValueError("unexpected text after the closing quote")
        return raw[1:end]
    match = _UNQUOTED.fullmatch(raw)
    return match.group(1).strip() if match else raw


def parse_key_file(text: str, path: Path) -> str | None:
    """The key assigned in an env file (the last assignment wins, as in a shell), or None."""
    key = None
    for number, line in enumerate(text.splitlines(), 1):
        match = _ASSIGNMENT.fullmatch(line)
        if match is None:
            continue
        try:
            key = _env_value(match.group(1)).strip()
        except ValueError as exc:
            raise ConfigError(f"{path}: line {number}: {exc}") from None
    return key or None


def _file_kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _check_key_file(path: Path, st: os.stat_result) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(
            f"{path} is {_file_kind(st.st_mode)}, not a regular file; it should "
            f"be a file holding the line {KEY_ENV}=ot2d_…"
        )
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"{path} can be read by other users; fix it with: chmod 600 {path}")
    if st.st_size > MAX_KEY_FILE_BYTES:
        raise ConfigError(
            f"{path} is larger than {MAX_KEY_FILE_BYTES // 1024} KiB; it should hold the line {KEY_ENV}=ot2d_…"
        )


def _check_key_folder(folder: Path) -> None:
    """Whoever can write to the folder can replace the key file with their own (and read what
    is then sent with it), whatever the file's mode: refused, like ssh does for ~/.ssh."""
    try:
        st = folder.stat()
    except OSError:
        return  # the file itself was just found in it: nothing more to learn here
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ConfigError(
            f"{folder} can be written by other users, who could replace the key file; fix it with: chmod 700 {folder}"
        )
    uid = getattr(os, "getuid", lambda: None)()
    if uid is not None and st.st_uid not in (uid, 0):
        raise ConfigError(
            f"{folder} belongs to another user, who could replace the key file; "
            f"it must be yours: chown $(id -un) {folder}"
        )


def read_key_file(path: Path) -> str | None:
    """The key in the vendor's env file, or None when there is no file or no key in it.

    Refused at once (ConfigError) when it is not a regular file: a FIFO would block the read
    forever, a device could be anything. It is checked before it is opened, and opened
    non-blocking and checked again, so a file swapped meanwhile cannot block either."""
    try:
        _check_key_file(path, path.stat())
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    _check_key_folder(path.parent)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
        with os.fdopen(fd, "rb") as fh:
            _check_key_file(path, os.fstat(fh.fileno()))
            data = fh.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > MAX_KEY_FILE_BYTES:  # it grew after the check
        raise ConfigError(f"{path} is larger than {MAX_KEY_FILE_BYTES // 1024} KiB")
    return parse_key_file(data.decode("utf-8-sig", errors="replace"), path)


def read_api_key(env: Mapping[str, str] = os.environ) -> tuple[str | None, str | None]:
    """(key, where it came from). Raises ConfigError for an unsafe file or a malformed key."""
    key = (env.get(KEY_ENV) or "").strip()
    source = KEY_ENV
    if not key:
        path = key_file_path(env)
        key = read_key_file(path) or ""
        if not key:
            return None, None
        source = str(path)
    if not key.startswith(KEY_PREFIX):
        # never echo it: a mistyped key is still a secret
        raise ConfigError(
            f"the API key in {source} does not start with {KEY_PREFIX}; "
            "copy it again from your Outreach2day account settings"
        )
    return key, source


# --------------------------------------------------------------------------- the TOML file


def config_file_path(args: argparse.Namespace | None = None, env: Mapping[str, str] = os.environ) -> tuple[Path, bool]:
    """(path, explicit): the --config flag, else O2D_INBOX_CONFIG, else the default file."""
    flag = getattr(args, "config", None)
    if flag:
        return Path(flag).expanduser(), True
    if env.get(ENV_CONFIG):
        return Path(env[ENV_CONFIG]).expanduser(), True
    return default_config_file(), False


def _type_name(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _choices(key: str) -> tuple[str, ...]:
    if key == "sort":  # the list orders of `O`; imported here, as few commands read a list
        from o2d_inbox.cache.queries import SORTS

        return SORTS
    return ALERTS


def read_settings(path: Path, *, required: bool = False) -> dict[str, Any]:
    """Validated settings from the TOML file ({} if it is absent and not required)."""
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        if required:
            raise ConfigError(f"{path}: config file not found") from None
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None

    def bad(key: str, expected: str) -> ConfigError:
        return ConfigError(f"{path}: key '{key}' must be {expected}, got {_type_name(raw[key])}")

    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in _FILE_KEYS:
            raise ConfigError(f"{path}: unknown key '{key}' (known: {', '.join(_FILE_KEYS)})")
        if key == "workspace":
            if isinstance(value, bool) or not isinstance(value, int):
                raise bad(key, "an integer")
            out[key] = check_workspace(value, f"{path}: key 'workspace'")
        elif key in NUMBER_RANGES:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise bad(key, "a number")
            out[key] = check_number(key, value, f"{path}: key '{key}'")
        elif key in CHOICE_KEYS:
            if value not in (choices := _choices(key)):
                raise ConfigError(
                    f"{path}: key '{key}' must be one of {', '.join(map(repr, choices))}, "
                    f"got {repr(value[:24]) if isinstance(value, str) else _type_name(value)}"
                )
            out[key] = value
        elif key == "keymap":
            if not isinstance(value, dict):
                raise bad(key, "a table")
            keymap = {}
            for binding, keys in value.items():
                if isinstance(keys, list) and keys and all(isinstance(k, str) for k in keys):
                    keys = ",".join(keys)  # Textual's own form: "ctrl+r,f2"
                if not isinstance(keys, str) or not keys.strip():
                    raise ConfigError(
                        f"{path}: key 'keymap.{binding}' must be a key string like \"ctrl+r\", got {_type_name(keys)}"
                    )
                keymap[binding] = keys.strip()
            out[key] = keymap
        else:  # base_url (checked in load_config), from_mailbox, cache, theme: strings
            if not isinstance(value, str) or not value.strip():
                raise bad(key, "a non-empty string")
            out[key] = value.strip()
    if "cache" in out:  # a relative path in the file means: next to the file
        out["cache"] = path.parent / Path(out["cache"]).expanduser()
    return out


# --------------------------------------------------------------------------- values


def out_of_range(value: float, low: float, high: float = math.inf) -> str | None:
    """None for a finite number within [low, high], else the range as an error line says it
    ("from 0 to 600", "0 or more"). The settings and the command line's numeric flags share it:
    TOML and float() both accept nan and inf, and nan compares false with everything, so it
    would pass a plain range check and then disable what it sets."""
    if math.isfinite(value) and low <= value <= high:
        return None
    return f"from {low:g} to {high:g}" if math.isfinite(high) else f"{low:g} or more"


def check_number(name: str, value: float, where: str) -> float:
    """A numeric setting as a float, or ConfigError naming where it was set and its range."""
    low, high, unit = NUMBER_RANGES[name]
    try:
        number = float(value)
    except OverflowError:  # a TOML integer may have any number of digits
        number = math.inf
    if span := out_of_range(number, low, high):
        raise ConfigError(f"{where} must be a number {span} ({unit}), got {_shown(value)}")
    return number


def check_workspace(value: int, where: str) -> int:
    if not 1 <= value <= MAX_WORKSPACE_ID:
        raise ConfigError(f"{where} must be a positive workspace id, got {_shown(value)}")
    return value


def _shown(value: float) -> str:
    """A number for an error line: a TOML integer may have hundreds of digits."""
    text = str(value)
    return text if len(text) <= 24 else text[:23] + "…"


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be the API base URL, or None."""
    if any(c.isspace() or not c.isprintable() for c in url):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced "[" of an IPv6 address
        return f"must be an http(s) URL like {DEFAULT_BASE_URL}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"must be an http(s) URL like {DEFAULT_BASE_URL}"
    try:
        parts.port  # noqa: B018 - raises for a port that is not a number from 0 to 65535
    except ValueError:
        return "has an invalid port"
    if parts.username is not None or parts.password is not None:
        return "must not contain a user name or password"  # the key is the only credential
    if parts.query or parts.fragment:
        return "must not contain a query (?…) or fragment (#…)"
    return None


def cleartext_warning(url: str) -> str | None:
    """A warning when the key would travel unencrypted to another machine. Loopback
    (127.0.0.0/8, ::1, localhost) is fine: that is a local server such as the simulator."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme != "http" or host == "localhost" or host.endswith(".localhost"):
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return f"base_url uses plain http:// to {host}: the API key and your messages travel unencrypted; use https://"


def print_warning(message: str) -> None:
    from o2d_inbox.render.text import safe_line

    print(f"o2d-inbox: warning: {safe_line(message)}", file=sys.stderr)


# --------------------------------------------------------------------------- together


def load_config(
    args: argparse.Namespace | None = None,
    env: Mapping[str, str] = os.environ,
    *,
    warn: Callable[[str], None] | None = print_warning,
) -> Config:
    """Flag > env > file > default, then the key. Raises ConfigError (one line), except for
    an unusable base_url, which is kept in Config.base_url_error (see Config.server_url).
    Warnings go to ``warn`` (stderr by default; doctor shows them in its checklist) and are
    kept in Config.warnings."""
    path, explicit = config_file_path(args, env)
    settings = read_settings(path, required=explicit)
    demo = bool(getattr(args, "demo", False))

    def pick(flag_name: str, env_name: str | None, key: str) -> Any:
        flag = getattr(args, flag_name, None)
        if flag is not None:
            return flag, "flag"
        if env_name and env.get(env_name):
            return env[env_name], env_name
        if key in settings:
            return settings[key], "file"
        return None, None

    def where(src: str | None, flag: str, key: str) -> str:
        return {"flag": flag, "file": f"{path}: key '{key}'"}.get(src or "", src or key)

    base_url, src = pick("base_url", ENV_BASE_URL, "base_url")
    base_url = DEFAULT_BASE_URL if base_url is None else base_url.strip()
    problem = url_problem(base_url)
    base_url_error = f"{where(src, '--base-url', 'base_url')} {problem}" if problem else None
    workspace, src = pick("workspace", ENV_WORKSPACE, "workspace")
    if src == ENV_WORKSPACE:
        try:
            workspace = int(workspace.strip())
        except ValueError:
            raise ConfigError(f"{ENV_WORKSPACE} must be an integer workspace id") from None
    if workspace is not None and src != "file":  # the file's was checked with the file
        workspace = check_workspace(workspace, where(src, "--workspace", "workspace"))
    cache, src = pick("cache", ENV_CACHE, "cache")
    if cache is not None and src != "file":
        cache = Path(cache).expanduser()
    patience, src = pick("patience", ENV_PATIENCE, "patience_seconds")
    if patience is not None and src != "file":  # the file's was checked with the file
        shown = where(src, "--patience", "patience_seconds")
        try:
            number = float(patience)
        except ValueError:
            raise ConfigError(f"{shown} must be a number of seconds, got {_shown(patience)}") from None
        patience = check_number("patience_seconds", number, shown)

    config = Config(
        base_url=base_url.rstrip("/"),
        base_url_error=base_url_error,
        workspace=workspace,
        from_mailbox=getattr(args, "from_mailbox", None) or settings.get("from_mailbox"),
        theme=settings.get("theme", DEFAULT_THEME),
        alerts=settings.get("alerts", DEFAULT_ALERTS),
        sort=settings.get("sort"),
        settings_file=path,
        keymap=settings.get("keymap", {}),
        undo_seconds=settings.get("undo_seconds", DEFAULT_UNDO_SECONDS),
        reconcile_minutes=settings.get("reconcile_minutes", DEFAULT_RECONCILE_MINUTES),
        patience_seconds=DEFAULT_PATIENCE_SECONDS if patience is None else patience,
        config_path=path if path.is_file() else None,
        demo=demo,
    )
    if demo:
        # The demo never touches the user's server, key or real cache; only --cache moves it.
        config.base_url, config.base_url_error = DEMO_BASE_URL, None
        config.workspace = DEMO_WORKSPACE
        config.api_key, config.key_source = DEMO_API_KEY, "demo"
        flag_cache = getattr(args, "cache", None)
        config.cache_path = Path(flag_cache).expanduser() if flag_cache else demo_cache_path()
        return config
    config.api_key, config.key_source = read_api_key(env)
    if cache is not None:
        config.cache_path = Path(cache)
    elif workspace is not None:
        config.cache_path = cache_path_for(config.base_url, workspace)
    warning = None if base_url_error else cleartext_warning(config.base_url)
    if warning:
        config.warnings.append(warning)
        if warn is not None:
            warn(warning)
    return config


# --------------------------------------------------------------------------- saving a setting

_TABLE = re.compile(r"\s*\[")


def _with_setting(text: str, key: str, value: str) -> str:
    """``text`` (a TOML file) with the top-level ``key`` set to the string ``value``: its line
    replaced where it is (a comment after the value kept), else a line added before the first
    table. Every other line stays as it was."""
    line = f"{key} = {json.dumps(value, ensure_ascii=False)}"  # a JSON string is a TOML basic string
    assignment = re.compile(rf"""\s*["']?{re.escape(key)}["']?\s*=\s*("(?:[^"\\]|\\.)*"|'[^']*')?(\s*#.*)?""")
    lines = text.splitlines(keepends=True)
    at = len(lines)
    for number, old in enumerate(lines):
        if _TABLE.match(old):
            at = number
            break
        found = assignment.match(old.rstrip("\r\n"))
        if found:
            ending = old[len(old.rstrip("\r\n")) :] or "\n"
            lines[number] = line + (found.group(2) or "") + ending
            return "".join(lines)
    if lines and at == len(lines) and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    lines.insert(at, line + "\n")
    return "".join(lines)


def save_setting(path: Path, key: str, value: str) -> None:
    """Write the top-level string setting ``key = value`` into the TOML file at ``path``
    (created when absent), keeping every other line and comment. The new text is checked by
    reading it back before it replaces the file, atomically (a temporary file renamed over
    it; a symbolic link is followed, so a config kept elsewhere stays a link); the file keeps
    its mode. ConfigError (one line) when it cannot be written or would not read back."""
    target = path.resolve() if path.is_symlink() else path
    try:
        old = target.read_text(encoding="utf-8") if target.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    new = _with_setting(old, key, value)
    try:
        if tomllib.loads(new).get(key) != value:
            raise ValueError("read back differently")
    except (tomllib.TOMLDecodeError, ValueError):
        raise ConfigError(f"{path}: {key} not saved: the file would not read back as written") from None
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o600
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(new)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ConfigError(f"{path}: {key} not saved: {exc.strerror or exc}") from None
