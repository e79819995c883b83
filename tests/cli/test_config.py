"""Config: precedence (flag > env > file > default), the key and its file, one-line errors."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from o2d_inbox.cli import build_parser
from o2d_inbox.config import (
    DEFAULT_BASE_URL,
    ConfigError,
    cache_path_for,
    demo_cache_path,
    load_config,
    mask_key,
)

KEY = "ot2d_configTEST_abcdefghijklmnop7q8r"


def ns(**kw) -> argparse.Namespace:
    return argparse.Namespace(**kw)


# ------------------------------------------------------------------ precedence

FILE_TOML = 'base_url = "https://file.example"\nworkspace = 1\ncache = "/tmp/file.db"\n'
ENV_VALUES = {"O2D_INBOX_BASE_URL": "https://env.example", "O2D_INBOX_WORKSPACE": "2",
              "O2D_INBOX_CACHE": "/tmp/env.db"}
FLAG_VALUES = {"base_url": "https://flag.example", "workspace": 3, "cache": "/tmp/flag.db"}


@pytest.mark.parametrize("layers, expected", [
    ((), (DEFAULT_BASE_URL, None, None)),
    (("file",), ("https://file.example", 1, "/tmp/file.db")),
    (("env",), ("https://env.example", 2, "/tmp/env.db")),
    (("flag",), ("https://flag.example", 3, "/tmp/flag.db")),
    (("file", "env"), ("https://env.example", 2, "/tmp/env.db")),
    (("file", "flag"), ("https://flag.example", 3, "/tmp/flag.db")),
    (("env", "flag"), ("https://flag.example", 3, "/tmp/flag.db")),
    (("file", "env", "flag"), ("https://flag.example", 3, "/tmp/flag.db")),
])
def test_precedence_flag_env_file_default(home, layers, expected):
    env = {"HOME": str(home.root)}
    if "file" in layers:
        home.write_config(FILE_TOML)
    if "env" in layers:
        env.update(ENV_VALUES)
    args = ns(**FLAG_VALUES) if "flag" in layers else ns()
    config = load_config(args, env)
    assert (config.base_url, config.workspace,
            str(config.cache_path) if config.cache_path else None) == expected


def test_each_setting_is_independent(home):
    """A flag for one setting does not hide the file's value for another."""
    home.write_config('base_url = "https://file.example"\nworkspace = 1\n')
    config = load_config(ns(workspace=9), {"HOME": str(home.root)})
    assert (config.base_url, config.workspace) == ("https://file.example", 9)


def test_default_cache_is_per_server_and_workspace(home):
    a = load_config(ns(workspace=7), {"HOME": str(home.root)})
    b = load_config(ns(workspace=8, base_url="http://127.0.0.1:8765"), {"HOME": str(home.root)})
    assert a.cache_path == home.data_dir / "caches" / "public.outreach2day.com-ws7.db"
    assert b.cache_path == home.data_dir / "caches" / "127.0.0.1_8765-ws8.db"
    assert cache_path_for("https://public.outreach2day.com/", 7) == a.cache_path


def test_cache_unknown_until_workspace_is(home):
    assert load_config(ns(), {"HOME": str(home.root)}).cache_path is None


def test_config_file_chosen_by_flag_then_env(home, tmp_path):
    by_env = tmp_path / "env.toml"
    by_env.write_text("workspace = 11\n")
    by_flag = tmp_path / "flag.toml"
    by_flag.write_text("workspace = 12\n")
    home.write_config("workspace = 10\n")
    env = {"HOME": str(home.root)}
    assert load_config(ns(), env).workspace == 10
    assert load_config(ns(), {**env, "O2D_INBOX_CONFIG": str(by_env)}).workspace == 11
    assert load_config(ns(config=str(by_flag)), {**env, "O2D_INBOX_CONFIG": str(by_env)}).workspace == 12


def test_explicit_config_file_must_exist(home, tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(ns(config=str(tmp_path / "nope.toml")), {"HOME": str(home.root)})


def test_all_file_settings(home):
    home.write_config(
        'from_mailbox = "me@example.com"\ntheme = "o2d-light"\nundo_seconds = 5\n'
        'reconcile_minutes = 30\ncache = "cache.db"\n'
        '[keymap]\nreply = "ctrl+r"\narchive = ["e", "y"]\n')
    config = load_config(ns(), {"HOME": str(home.root)})
    assert config.from_mailbox == "me@example.com"
    assert config.theme == "o2d-light"
    assert (config.undo_seconds, config.reconcile_minutes) == (5.0, 30.0)
    assert config.keymap == {"reply": "ctrl+r", "archive": "e,y"}
    assert config.cache_path == home.config_file.parent / "cache.db"  # relative to the file
    assert config.config_path == home.config_file


def test_from_flag_beats_file(home):
    home.write_config('from_mailbox = "file@example.com"\n')
    assert load_config(ns(from_mailbox="flag@example.com"),
                       {"HOME": str(home.root)}).from_mailbox == "flag@example.com"


def test_flags_before_and_after_the_subcommand():
    """Common flags work on either side of the subcommand; after it wins."""
    parser = build_parser()
    assert parser.parse_args(["--workspace", "7", "sync"]).workspace == 7
    assert parser.parse_args(["sync", "--workspace", "8"]).workspace == 8
    assert parser.parse_args(["--workspace", "7", "sync", "--workspace", "8"]).workspace == 8
    assert parser.parse_args(["threads", "--demo"]).demo is True


def test_demo_ignores_real_server_key_and_cache(home):
    env = {"HOME": str(home.root), "O2D_INBOX_CACHE": "/tmp/real.db",
           "O2D_INBOX_BASE_URL": "https://real.example", "OUTREACH2DAY_API_KEY": "not-a-key"}
    config = load_config(ns(demo=True), env)
    assert config.demo and config.workspace == 42 and config.api_key == "ot2d_demo"
    assert config.cache_path == demo_cache_path() == home.data_dir / "demo.db"
    assert "real.example" not in config.base_url


# ------------------------------------------------------------------ one-line errors

@pytest.mark.parametrize("text, fragment", [
    ("workspace = \n", "invalid TOML"),
    ('workspace = "42"\n', "key 'workspace' must be an integer, got a string"),
    ("workspace = 4.5\n", "key 'workspace' must be an integer"),
    ("theme = 3\n", "key 'theme' must be a non-empty string, got an integer"),
    ("undo_seconds = \"ten\"\n", "key 'undo_seconds' must be a number"),
    ("reconcile_minutes = 0\n", "key 'reconcile_minutes' must be positive"),
    ("keymap = \"x\"\n", "key 'keymap' must be a table"),
    ("[keymap]\nreply = 5\n", "key 'keymap.reply'"),
    ('base_url = "ftp://x"\n', "key 'base_url' must be an http(s) URL"),
    ("wokspace = 4\n", "unknown key 'wokspace'"),
])
def test_bad_file_is_one_line_naming_file_and_key(home, text, fragment):
    home.write_config(text)
    with pytest.raises(ConfigError) as info:
        load_config(ns(), {"HOME": str(home.root)})
    message = str(info.value)
    assert fragment in message
    assert message.startswith(str(home.config_file))
    assert "\n" not in message


def test_bad_workspace_env(home):
    with pytest.raises(ConfigError, match="O2D_INBOX_WORKSPACE must be an integer"):
        load_config(ns(), {"HOME": str(home.root), "O2D_INBOX_WORKSPACE": "acme"})


def test_bad_base_url_flag(home):
    with pytest.raises(ConfigError, match="--base-url"):
        load_config(ns(base_url="localhost:8000"), {"HOME": str(home.root)})


# ------------------------------------------------------------------ the key

def test_key_from_env_wins_over_file(home):
    home.write_key_file("OUTREACH2DAY_API_KEY=ot2d_fromfile_zzzzzzzzzzzzzzzz\n")
    config = load_config(ns(), {"HOME": str(home.root), "OUTREACH2DAY_API_KEY": KEY})
    assert config.api_key == KEY and config.key_source == "OUTREACH2DAY_API_KEY"


@pytest.mark.parametrize("line", [
    f"OUTREACH2DAY_API_KEY={KEY}",
    f'OUTREACH2DAY_API_KEY="{KEY}"',
    f"export OUTREACH2DAY_API_KEY='{KEY}'",
    f"  export OUTREACH2DAY_API_KEY = {KEY}  # from the dashboard",
])
def test_key_file_forms(home, line):
    home.write_key_file(f"# Outreach2day\nOTHER=1\n{line}\n")
    config = load_config(ns(), {"HOME": str(home.root)})
    assert config.api_key == KEY and config.key_source == str(home.key_file)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_key_file_readable_by_others_is_refused(home, mode):
    path = home.write_key_file(f"OUTREACH2DAY_API_KEY={KEY}\n", mode)
    with pytest.raises(ConfigError) as info:
        load_config(ns(), {"HOME": str(home.root)})
    message = str(info.value)
    assert f"chmod 600 {path}" in message
    assert KEY not in message and KEY[-4:] not in message and "\n" not in message


def test_no_key_anywhere_is_not_an_error_yet(home):
    """Offline commands work without a key; make_client is what asks for one."""
    assert load_config(ns(workspace=1), {"HOME": str(home.root)}).api_key is None


@pytest.mark.parametrize("source", ["env", "file"])
def test_key_without_prefix_is_refused_without_echoing_it(home, source):
    bad = "sk_live_9f8e7d6c5b4a3210"
    env = {"HOME": str(home.root)}
    if source == "env":
        env["OUTREACH2DAY_API_KEY"] = bad
    else:
        home.write_key_file(f"OUTREACH2DAY_API_KEY={bad}\n")
    with pytest.raises(ConfigError) as info:
        load_config(ns(), env)
    assert "does not start with ot2d_" in str(info.value)
    assert bad not in str(info.value) and bad[-4:] not in str(info.value)


def test_key_is_not_in_repr(home):
    config = load_config(ns(), {"HOME": str(home.root), "OUTREACH2DAY_API_KEY": KEY})
    assert KEY not in repr(config)


@pytest.mark.parametrize("key, shown", [
    (KEY, "ot2d_…7q8r"),
    ("ot2d_short", "ot2d_…"),  # the last 4 of a short key would be too much of it
    ("sk_live_123456789", "…"),
    (None, "(none)"),
])
def test_mask_key(key, shown):
    assert mask_key(key) == shown


def test_cache_path_helpers_use_the_data_dir(home):
    assert cache_path_for("https://a.example:8443", 5) == (
        home.data_dir / "caches" / "a.example_8443-ws5.db")
    assert isinstance(demo_cache_path(), Path)
