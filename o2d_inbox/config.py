"""Settings and the API key.

    class ConfigError(Exception)            # exit code 2, one line, never contains the key
    @dataclass class Config:
        base_url: str                       # default https://public.outreach2day.com
        workspace: int | None
        api_key: str | None                 # field(repr=False); never logged
        from_mailbox: str | None
        cache_path: Path | None             # explicit, or derived from base URL + workspace;
                                            # None while the workspace is unknown (see
                                            # context.resolve_workspace / cache_path_for)
        theme: str                          # "o2d-dark" | "o2d-light" | any Textual theme
        keymap: dict[str, str]              # binding id -> keys, e.g. {"reply": "ctrl+r"}
        undo_seconds: float                 # outbox undo window, default 10
        reconcile_minutes: float            # full reconcile interval, default 60
        patience_seconds: float             # a request retries this long without an answer, default 300
        config_path: Path | None            # the TOML file read, if any
        demo: bool                          # running on the in-process simulator
    load_config(args=None, env=os.environ) -> Config
        precedence: flag > env (O2D_INBOX_BASE_URL, O2D_INBOX_WORKSPACE, O2D_INBOX_CACHE,
        O2D_INBOX_CONFIG, O2D_INBOX_PATIENCE) > TOML file (user_config_dir("o2d-inbox")/config.toml) > default.
        Key: OUTREACH2DAY_API_KEY, else ~/.config/outreach2day/env (refused when group/other
        can read it).
    cache_path_for(base_url, workspace) -> Path      user_data_dir/caches/<host>-ws<id>.db
    demo_cache_path() -> Path                        user_data_dir/demo.db
    mask_key(key) -> str                             "ot2d_…ab12" at most
"""

from __future__ import annotations

import argparse
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from o2d_inbox.api.keys import mask_key  # noqa: F401 - one masking rule, re-exported

APP_NAME = "o2d-inbox"
DEFAULT_BASE_URL = "https://public.outreach2day.com"
KEY_ENV = "OUTREACH2DAY_API_KEY"
KEY_PREFIX = "ot2d_"
DEFAULT_THEME = "o2d-dark"
DEFAULT_UNDO_SECONDS = 10.0
DEFAULT_RECONCILE_MINUTES = 60.0
DEFAULT_PATIENCE_SECONDS = 300.0
# The demo talks to an in-process simulator through an httpx transport: the host is never
# resolved, it only has to be a valid URL (".invalid" can never be a real host).
DEMO_BASE_URL = "http://demo.o2d-inbox.invalid"
DEMO_API_KEY = "ot2d_demo"
DEMO_WORKSPACE = 42

ENV_BASE_URL = "O2D_INBOX_BASE_URL"
ENV_WORKSPACE = "O2D_INBOX_WORKSPACE"
ENV_CACHE = "O2D_INBOX_CACHE"
ENV_CONFIG = "O2D_INBOX_CONFIG"
ENV_PATIENCE = "O2D_INBOX_PATIENCE"

_FILE_KEYS = ("base_url", "workspace", "from_mailbox", "cache", "theme", "undo_seconds",
              "reconcile_minutes", "keymap", "patience_seconds")


class ConfigError(Exception):
    """A settings or key problem: one line for the user (exit code 2), never the key."""

    exit_code = 2


@dataclass
class Config:
    base_url: str = DEFAULT_BASE_URL
    workspace: int | None = None
    api_key: str | None = field(default=None, repr=False)
    from_mailbox: str | None = None
    cache_path: Path | None = None
    theme: str = DEFAULT_THEME
    keymap: dict[str, str] = field(default_factory=dict)
    undo_seconds: float = DEFAULT_UNDO_SECONDS
    reconcile_minutes: float = DEFAULT_RECONCILE_MINUTES
    patience_seconds: float = DEFAULT_PATIENCE_SECONDS
    config_path: Path | None = None
    demo: bool = False
    key_source: str | None = None  # where the key came from (env name or file path), for doctor


# --------------------------------------------------------------------------- paths

def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def default_config_file() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def key_file_path(env: Mapping[str, str] = os.environ) -> Path:
    """~/.config/outreach2day/env: shared with other Outreach2day tools, so literally ~/.config."""
    home = env.get("HOME") or str(Path.home())
    return Path(home) / ".config" / "outreach2day" / "env"


def _host_slug(base_url: str) -> str:
    netloc = urlsplit(base_url).netloc.lower() or "unknown"
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

_KEY_LINE = re.compile(r"^\s*(?:export\s+)?" + KEY_ENV + r"\s*=\s*(.*?)\s*$")


def _parse_key_file(text: str) -> str | None:
    key = None
    for line in text.splitlines():
        m = _KEY_LINE.match(line)
        if not m:
            continue
        value = m.group(1)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif "#" in value:  # unquoted value: a trailing " # comment" is not part of it
            value = value.split("#", 1)[0].rstrip()
        key = value.strip()  # the last assignment wins, as in a shell
    return key or None


def read_api_key(env: Mapping[str, str] = os.environ) -> tuple[str | None, str | None]:
    """(key, where it came from). Raises ConfigError for an unsafe file or a malformed key."""
    key = (env.get(KEY_ENV) or "").strip()
    source = KEY_ENV
    if not key:
        path = key_file_path(env)
        try:
            st = path.stat()
        except FileNotFoundError:
            return None, None
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(f"{path} can be read by other users; fix it with: chmod 600 {path}")
        try:
            key = _parse_key_file(path.read_text(encoding="utf-8", errors="replace")) or ""
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
        if not key:
            return None, None
        source = str(path)
    if not key.startswith(KEY_PREFIX):
        # never echo it: a mistyped key is still a secret
        raise ConfigError(f"the API key in {source} does not start with {KEY_PREFIX}; "
                          "copy it again from your Outreach2day account settings")
    return key, source


# --------------------------------------------------------------------------- the TOML file

def config_file_path(args: argparse.Namespace | None = None,
                     env: Mapping[str, str] = os.environ) -> tuple[Path, bool]:
    """(path, explicit): the --config flag, else O2D_INBOX_CONFIG, else the default file."""
    flag = getattr(args, "config", None)
    if flag:
        return Path(flag).expanduser(), True
    if env.get(ENV_CONFIG):
        return Path(env[ENV_CONFIG]).expanduser(), True
    return default_config_file(), False


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "an array", dict: "a table"}.get(type(value), type(value).__name__)


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
            out[key] = value
        elif key in ("undo_seconds", "reconcile_minutes", "patience_seconds"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise bad(key, "a number")
            if value < 0 or (key == "reconcile_minutes" and value == 0):
                raise ConfigError(f"{path}: key '{key}' must be "
                                  f"{'positive' if key == 'reconcile_minutes' else '0 or more'}")
            out[key] = float(value)
        elif key == "keymap":
            if not isinstance(value, dict):
                raise bad(key, "a table")
            keymap = {}
            for binding, keys in value.items():
                if isinstance(keys, list) and keys and all(isinstance(k, str) for k in keys):
                    keys = ",".join(keys)  # Textual's own form: "ctrl+r,f2"
                if not isinstance(keys, str) or not keys.strip():
                    raise ConfigError(f"{path}: key 'keymap.{binding}' must be a key string "
                                      f"like \"ctrl+r\", got {_type_name(keys)}")
                keymap[binding] = keys.strip()
            out[key] = keymap
        else:  # base_url, from_mailbox, cache, theme: strings
            if not isinstance(value, str) or not value.strip():
                raise bad(key, "a non-empty string")
            out[key] = value.strip()
    if "base_url" in out:
        out["base_url"] = _check_url(out["base_url"], f"{path}: key 'base_url'")
    if "cache" in out:  # a relative path in the file means: next to the file
        out["cache"] = path.parent / Path(out["cache"]).expanduser()
    return out


def _check_url(url: str, where: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{where} must be an http(s) URL like {DEFAULT_BASE_URL}")
    return url.strip().rstrip("/")


# --------------------------------------------------------------------------- together

def load_config(args: argparse.Namespace | None = None,
                env: Mapping[str, str] = os.environ) -> Config:
    """Flag > env > file > default, then the key. Raises ConfigError (one line)."""
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

    base_url, src = pick("base_url", ENV_BASE_URL, "base_url")
    if src in ("flag", ENV_BASE_URL):
        base_url = _check_url(base_url, "--base-url" if src == "flag" else ENV_BASE_URL)
    workspace, src = pick("workspace", ENV_WORKSPACE, "workspace")
    if src == ENV_WORKSPACE:
        try:
            workspace = int(workspace.strip())
        except ValueError:
            raise ConfigError(f"{ENV_WORKSPACE} must be an integer workspace id") from None
    cache, src = pick("cache", ENV_CACHE, "cache")
    patience, src = pick("patience", ENV_PATIENCE, "patience_seconds")
    if src in ("flag", ENV_PATIENCE):
        where = "--patience" if src == "flag" else ENV_PATIENCE
        try:
            patience = float(patience)
        except ValueError:
            raise ConfigError(f"{where} must be a number of seconds") from None
        if not 0 <= patience < float("inf"):
            raise ConfigError(f"{where} must be 0 or more seconds")
    if cache is not None and src != "file":
        cache = Path(cache).expanduser()

    config = Config(
        base_url=base_url or DEFAULT_BASE_URL,
        workspace=workspace,
        from_mailbox=getattr(args, "from_mailbox", None) or settings.get("from_mailbox"),
        theme=settings.get("theme", DEFAULT_THEME),
        keymap=settings.get("keymap", {}),
        undo_seconds=settings.get("undo_seconds", DEFAULT_UNDO_SECONDS),
        reconcile_minutes=settings.get("reconcile_minutes", DEFAULT_RECONCILE_MINUTES),
        patience_seconds=DEFAULT_PATIENCE_SECONDS if patience is None else patience,
        config_path=path if path.is_file() else None,
        demo=demo,
    )
    if demo:
        # The demo never touches the user's server, key or real cache; only --cache moves it.
        config.base_url = DEMO_BASE_URL
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
    return config
