"""Config: precedence (flag > env > file > default), the key and its file, one-line errors."""

from __future__ import annotations

import argparse
import os
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
    scrub_keys,
)

KEY = "ot2d_configTEST_abcdefghijklmnop7q8r"


def ns(**kw) -> argparse.Namespace:
    return argparse.Namespace(**kw)


# ------------------------------------------------------------------ precedence

FILE_TOML = 'base_url = "https://file.example"\nworkspace = 1\ncache = "/tmp/file.db"\n'
ENV_VALUES = {"O2D_INBOX_BASE_URL": "https://env.example", "O2D_INBOX_WORKSPACE": "2", "O2D_INBOX_CACHE": "/tmp/env.db"}
FLAG_VALUES = {"base_url": "https://flag.example", "workspace": 3, "cache": "/tmp/flag.db"}


@pytest.mark.parametrize(
    "layers, expected",
    [
        ((), (DEFAULT_BASE_URL, None, None)),
        (("file",), ("https://file.example", 1, "/tmp/file.db")),
        (("env",), ("https://env.example", 2, "/tmp/env.db")),
        (("flag",), ("https://flag.example", 3, "/tmp/flag.db")),
        (("file", "env"), ("https://env.example", 2, "/tmp/env.db")),
        (("file", "flag"), ("https://flag.example", 3, "/tmp/flag.db")),
        (("env", "flag"), ("https://flag.example", 3, "/tmp/flag.db")),
        (("file", "env", "flag"), ("https://flag.example", 3, "/tmp/flag.db")),
    ],
)
def test_precedence_flag_env_file_default(home, layers, expected):
    env = {"HOME": str(home.root)}
    if "file" in layers:
        home.write_config(FILE_TOML)
    if "env" in layers:
        env.update(ENV_VALUES)
    args = ns(**FLAG_VALUES) if "flag" in layers else ns()
    config = load_config(args, env)
    assert (config.base_url, config.workspace, str(config.cache_path) if config.cache_path else None) == expected


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
        '[keymap]\nreply = "ctrl+r"\narchive = ["e", "y"]\n'
    )
    config = load_config(ns(), {"HOME": str(home.root)})
    assert config.from_mailbox == "me@example.com"
    assert config.theme == "o2d-light"
    assert (config.undo_seconds, config.reconcile_minutes) == (5.0, 30.0)
    assert config.keymap == {"reply": "ctrl+r", "archive": "e,y"}
    assert config.cache_path == home.config_file.parent / "cache.db"  # relative to the file
    assert config.config_path == home.config_file


def test_from_flag_beats_file(home):
    home.write_config('from_mailbox = "file@example.com"\n')
    assert load_config(ns(from_mailbox="flag@example.com"), {"HOME": str(home.root)}).from_mailbox == "flag@example.com"


def test_flags_before_and_after_the_subcommand():
    """Common flags work on either side of the subcommand; after it wins."""
    parser = build_parser()
    assert parser.parse_args(["--workspace", "7", "sync"]).workspace == 7
    assert parser.parse_args(["sync", "--workspace", "8"]).workspace == 8
    assert parser.parse_args(["--workspace", "7", "sync", "--workspace", "8"]).workspace == 8
    assert parser.parse_args(["threads", "--demo"]).demo is True


def test_demo_ignores_real_server_key_and_cache(home):
    env = {
        "HOME": str(home.root),
        "O2D_INBOX_CACHE": "/tmp/real.db",
        "O2D_INBOX_BASE_URL": "https://real.example",
        "OUTREACH2DAY_API_KEY": "not-a-key",
    }
    config = load_config(ns(demo=True), env)
    assert config.demo and config.workspace == 42 and config.api_key == "ot2d_sim_example_key"
    assert config.cache_path == demo_cache_path() == home.data_dir / "demo.db"
    assert "real.example" not in config.base_url


# ------------------------------------------------------------------ one-line errors


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("workspace = \n", "invalid TOML"),
        ('workspace = "42"\n', "key 'workspace' must be an integer, got a string"),
        ("workspace = 4.5\n", "key 'workspace' must be an integer"),
        ("theme = 3\n", "key 'theme' must be a non-empty string, got an integer"),
        ('undo_seconds = "ten"\n', "key 'undo_seconds' must be a number"),
        ("reconcile_minutes = 0\n", "key 'reconcile_minutes' must be a number from 1 to 10080"),
        ('keymap = "x"\n', "key 'keymap' must be a table"),
        ("[keymap]\nreply = 5\n", "key 'keymap.reply'"),
        ("wokspace = 4\n", "unknown key 'wokspace'"),
        ("workspace = 0\n", "key 'workspace' must be a positive workspace id, got 0"),
    ],
)
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


# ------------------------------------------------------------------ numbers


@pytest.mark.parametrize(
    "name, value, shown",
    [
        ("undo_seconds", "nan", "nan"),
        ("undo_seconds", "inf", "inf"),
        ("undo_seconds", "-inf", "-inf"),
        ("undo_seconds", "-1", "-1"),
        ("undo_seconds", "600.5", "600.5"),
        ("reconcile_minutes", "nan", "nan"),
        ("reconcile_minutes", "+inf", "inf"),
        ("reconcile_minutes", "0.5", "0.5"),
        ("reconcile_minutes", "10081", "10081"),
        ("reconcile_minutes", "1e400", "inf"),  # TOML reads an overflowing float as inf
        ("undo_seconds", "1" + "0" * 400, "1" + "0" * 22 + "…"),  # too big for a float
    ],
)
def test_numbers_must_be_finite_and_in_range(home, name, value, shown):
    home.write_config(f"{name} = {value}\n")
    with pytest.raises(ConfigError) as info:
        load_config(ns(), {"HOME": str(home.root)})
    range_ = {"undo_seconds": "0 to 600 (seconds)", "reconcile_minutes": "1 to 10080 (minutes)"}
    assert str(info.value) == (f"{home.config_file}: key '{name}' must be a number from {range_[name]}, got {shown}")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("undo_seconds = 0\nreconcile_minutes = 1\n", (0.0, 1.0)),
        ("undo_seconds = 600\nreconcile_minutes = 10080\n", (600.0, 10080.0)),
        ("undo_seconds = 2.5\n", (2.5, 60.0)),
    ],
)
def test_numbers_at_the_ends_of_their_range_are_accepted(home, text, expected):
    home.write_config(text)
    config = load_config(ns(), {"HOME": str(home.root)})
    assert (config.undo_seconds, config.reconcile_minutes) == expected


@pytest.mark.parametrize(
    "args, env, where",
    [
        ({"workspace": 0}, {}, "--workspace"),
        ({"workspace": -3}, {}, "--workspace"),
        ({}, {"O2D_INBOX_WORKSPACE": "-1"}, "O2D_INBOX_WORKSPACE"),
        ({}, {"O2D_INBOX_WORKSPACE": str(2**63)}, "O2D_INBOX_WORKSPACE"),
    ],
)
def test_workspace_must_be_a_positive_id(home, args, env, where):
    with pytest.raises(ConfigError) as info:
        load_config(ns(**args), {"HOME": str(home.root), **env})
    assert str(info.value).startswith(f"{where} must be a positive workspace id, got ")


# ------------------------------------------------------------------ base_url

NOT_A_URL = "must be an http(s) URL like https://public.outreach2day.com"


@pytest.mark.parametrize(
    "url, problem",
    [
        ("localhost:8000", NOT_A_URL),
        ("ftp://x.example", NOT_A_URL),
        ("https://", NOT_A_URL),
        ("", NOT_A_URL),
        ("https://x.example:99999", "has an invalid port"),
        ("https://x.example:port", "has an invalid port"),
        ("https://me:secret@x.example", "must not contain a user name or password"),
        ("https://x.example/?a=secret", "must not contain a query (?…) or fragment (#…)"),
        ("https://x.exa mple", "must not contain spaces or control characters"),
        ("https://x.example\x1b[31m", "must not contain spaces or control characters"),
        ("http://[::1", NOT_A_URL),
    ],
)
def test_bad_base_url_is_kept_for_the_commands_that_need_the_server(home, url, problem):
    """Loading succeeds (the cache-only commands still work); asking for the server's URL is
    the one-line config error, naming where the value was set."""
    config = load_config(ns(base_url=url, workspace=4), {"HOME": str(home.root)})
    assert config.base_url_error == f"--base-url {problem}"
    with pytest.raises(ConfigError) as info:
        config.server_url()
    assert str(info.value) == config.base_url_error
    assert "secret" not in str(info.value)  # the value itself is never echoed


def test_bad_base_url_names_its_source(home):
    home.write_config('base_url = "htps://file.example"\n')
    from_file = load_config(ns(), {"HOME": str(home.root)})
    assert from_file.base_url_error.startswith(f"{home.config_file}: key 'base_url' must be")
    from_env = load_config(ns(), {"HOME": str(home.root), "O2D_INBOX_BASE_URL": "nope"})
    assert from_env.base_url_error.startswith("O2D_INBOX_BASE_URL must be")
    good = load_config(ns(base_url="https://flag.example"), {"HOME": str(home.root)})
    assert good.base_url_error is None and good.server_url() == "https://flag.example"


def test_a_url_without_scheme_still_finds_its_cache(home):
    """While the user fixes base_url, the cache-only commands read the same cache as before."""
    good = load_config(ns(workspace=5, base_url="http://localhost:8000"), {"HOME": str(home.root)})
    typo = load_config(ns(workspace=5, base_url="localhost:8000"), {"HOME": str(home.root)})
    assert typo.base_url_error and typo.cache_path == good.cache_path


@pytest.mark.parametrize(
    "url, warned",
    [
        ("http://crm.example.com", True),
        ("http://10.1.2.3:8080", True),
        ("http://[2001:db8::1]/api", True),
        ("http://127.0.0.1:8765", False),
        ("http://127.8.9.10", False),
        ("http://[::1]:8765", False),
        ("http://localhost:8765", False),
        ("http://api.localhost", False),
        ("https://crm.example.com", False),
    ],
)
def test_plain_http_to_another_machine_is_a_warning(home, url, warned):
    seen: list[str] = []
    config = load_config(ns(base_url=url), {"HOME": str(home.root)}, warn=seen.append)
    assert config.base_url_error is None
    assert seen == config.warnings
    if warned:
        host = url.split("//")[1].split("/")[0].rsplit(":", 1)[0] if "[" not in url else "2001:db8::1"
        assert seen == [
            f"base_url uses plain http:// to {host}: the API key and your messages travel unencrypted; use https://"
        ]
    else:
        assert seen == []


def test_demo_never_warns_about_its_in_process_url(home):
    seen: list[str] = []
    load_config(ns(demo=True, base_url="http://crm.example.com"), {"HOME": str(home.root)}, warn=seen.append)
    assert seen == []


# ------------------------------------------------------------------ the key


def test_key_from_env_wins_over_file(home):
    home.write_key_file("OUTREACH2DAY_API_KEY=ot2d_fromfile_zzzzzzzzzzzzzzzz\n")
    config = load_config(ns(), {"HOME": str(home.root), "OUTREACH2DAY_API_KEY": KEY})
    assert config.api_key == KEY and config.key_source == "OUTREACH2DAY_API_KEY"


@pytest.mark.parametrize(
    "line",
    [
        f"OUTREACH2DAY_API_KEY={KEY}",
        f'OUTREACH2DAY_API_KEY="{KEY}"',
        f"export OUTREACH2DAY_API_KEY='{KEY}'",
        f"  export OUTREACH2DAY_API_KEY = {KEY}  # from the dashboard",
        f'OUTREACH2DAY_API_KEY="{KEY}"  # the vendor\'s own format',
        f"export OUTREACH2DAY_API_KEY='{KEY}'\t# rotated in March",
        f'OUTREACH2DAY_API_KEY = "{KEY}"#no space before this comment',
        f"OUTREACH2DAY_API_KEY=ot2d_old_key_replaced_below\nOUTREACH2DAY_API_KEY={KEY}",
        f"OUTREACH2DAY_API_KEY={KEY}\r",  # CRLF, as some editors save it
    ],
)
def test_key_file_forms(home, line):
    home.write_key_file(f"# Outreach2day\n\nOTHER=1 # not ours\n{line}\n")
    config = load_config(ns(), {"HOME": str(home.root)})
    assert config.api_key == KEY and config.key_source == str(home.key_file)


def test_key_file_with_a_byte_order_mark(home):
    home.write_key_file(f"\ufeffOUTREACH2DAY_API_KEY={KEY}\r\n")
    assert load_config(ns(), {"HOME": str(home.root)}).api_key == KEY


@pytest.mark.parametrize(
    "line, problem",
    [
        (f'OUTREACH2DAY_API_KEY="{KEY}', 'line 2: the value has no closing "'),
        (f"OUTREACH2DAY_API_KEY='{KEY}", "line 2: the value has no closing '"),
        (f'OUTREACH2DAY_API_KEY="{KEY}" extra', "line 2: unexpected text after the closing quote"),
    ],
)
def test_malformed_key_line_names_the_line_not_the_key(home, line, problem):
    path = home.write_key_file(f"# Outreach2day\n{line}\n")
    with pytest.raises(ConfigError) as info:
        load_config(ns(), {"HOME": str(home.root)})
    assert str(info.value) == f"{path}: {problem}"
    assert KEY[-4:] not in str(info.value)


def test_key_file_that_is_not_a_regular_file_is_refused_unopened(home):
    home.key_file.parent.mkdir(parents=True, mode=0o700)
    os.mkfifo(home.key_file, 0o600)  # opening it for reading would wait for a writer forever
    with pytest.raises(ConfigError) as info:
        load_config(ns(), {"HOME": str(home.root)})
    assert str(info.value) == (
        f"{home.key_file} is a named pipe (FIFO), not a regular file; it "
        "should be a file holding the line OUTREACH2DAY_API_KEY=ot2d_…"
    )
    home.key_file.unlink()
    home.key_file.mkdir(mode=0o700)
    with pytest.raises(ConfigError, match="is a directory, not a regular file"):
        load_config(ns(), {"HOME": str(home.root)})


def test_key_file_symlink_to_a_private_file_is_followed(home, tmp_path):
    """Dotfile managers link the file from elsewhere: what counts is the file it points to."""
    target = tmp_path / "secrets" / "o2d.env"
    target.parent.mkdir(mode=0o700)
    target.write_text(f"OUTREACH2DAY_API_KEY={KEY}\n")
    target.chmod(0o600)
    home.key_file.parent.mkdir(parents=True, mode=0o700)
    home.key_file.symlink_to(target)
    assert load_config(ns(), {"HOME": str(home.root)}).api_key == KEY


def test_huge_key_file_is_refused(home):
    home.write_key_file("# padding\n" * 10000 + f"OUTREACH2DAY_API_KEY={KEY}\n")
    with pytest.raises(ConfigError, match="is larger than 64 KiB"):
        load_config(ns(), {"HOME": str(home.root)})


@pytest.mark.parametrize("mode", [0o770, 0o730, 0o703, 0o777, 0o1777])
def test_key_folder_writable_by_others_is_refused(home, mode):
    """Whoever can write to the folder can swap the key file for their own."""
    home.write_key_file(f"OUTREACH2DAY_API_KEY={KEY}\n")
    folder = home.key_file.parent
    folder.chmod(mode)
    with pytest.raises(ConfigError) as info:
        load_config(ns(), {"HOME": str(home.root)})
    assert str(info.value) == (
        f"{folder} can be written by other users, who could replace the key file; fix it with: chmod 700 {folder}"
    )


@pytest.mark.parametrize("mode", [0o700, 0o750, 0o755, 0o711])
def test_key_folder_others_can_only_read_is_fine(home, mode):
    """A 0600 file in a listable folder stays private (0755 is the usual umask's folder)."""
    home.write_key_file(f"OUTREACH2DAY_API_KEY={KEY}\n")
    home.key_file.parent.chmod(mode)
    assert load_config(ns(), {"HOME": str(home.root)}).api_key == KEY


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


@pytest.mark.parametrize(
    "key, shown",
    [
        (KEY, "ot2d_…7q8r"),
        ("ot2d_short", "ot2d_…"),  # the last 4 of a short key would be too much of it
        ("sk_live_123456789", "…"),
        (None, "(none)"),
    ],
)
def test_mask_key(key, shown):
    assert mask_key(key) == shown


def test_cache_path_helpers_use_the_data_dir(home):
    assert cache_path_for("https://a.example:8443", 5) == (home.data_dir / "caches" / "a.example_8443-ws5.db")
    assert isinstance(demo_cache_path(), Path)


@pytest.mark.parametrize(
    "text, shown",
    [
        (f"workspace {KEY}", "workspace ot2d_…7q8r"),
        (f"role {KEY.upper()}", "role …"),  # an upper-cased echo is still the key
        (f"{KEY[:12]} {KEY[12:]} revoked", "ot2d_… … revoked"),  # cut in two by a slipped-in space
        (f"x{KEY[8:20]}y", "…"),  # any 8 characters of it in a row
        ("other ot2d_someoneELSE_key_0000 here", "other ot2d_…0000 here"),  # not ours: by pattern
        ("Cool Outreach, workspace_id_12345, owner", "Cool Outreach, workspace_id_12345, owner"),
    ],
)
def test_scrub_keys(text, shown):
    assert scrub_keys(text, KEY) == shown
