"""context: which client and which cache a command gets from its Config."""

from __future__ import annotations

import argparse

import pytest

from o2d_inbox.cache.db import CacheError
from o2d_inbox.config import ConfigError, cache_path_for, load_config
from o2d_inbox.context import (
    cache_path,
    make_client,
    open_cache,
    with_cached_workspace,
    with_workspace,
)

KEY = "ot2d_contextTEST_abcdefghijkl1234"


def config_for(home, **flags):
    return load_config(argparse.Namespace(**flags), {"HOME": str(home.root)})


def test_make_client_without_key_says_how_to_set_one(home):
    with pytest.raises(ConfigError, match="OUTREACH2DAY_API_KEY"):
        make_client(config_for(home, workspace=1))


async def test_make_client_uses_the_config(home):
    config = load_config(
        argparse.Namespace(base_url="http://127.0.0.1:9", workspace=5),
        {"HOME": str(home.root), "OUTREACH2DAY_API_KEY": KEY},
    )
    async with make_client(config, max_retries=0) as client:
        assert client.workspace_id == 5
        assert KEY not in repr(client)


def test_with_workspace_derives_the_cache_unless_explicit(home, tmp_path):
    derived = with_workspace(config_for(home), 7)
    assert derived.workspace == 7
    assert derived.cache_path == cache_path_for(derived.base_url, 7)
    explicit = with_workspace(config_for(home, cache=str(tmp_path / "mine.db")), 7)
    assert explicit.cache_path == tmp_path / "mine.db"


def test_unknown_workspace_uses_the_only_cache_on_disk(home):
    config = load_config(argparse.Namespace(), {"HOME": str(home.root), "OUTREACH2DAY_API_KEY": KEY})
    with pytest.raises(ConfigError, match="workspace unknown"):
        cache_path(config)
    open_cache(with_workspace(config, 3)).close()
    assert cache_path(config) == cache_path_for(config.base_url, 3)
    assert with_cached_workspace(config).workspace == 3
    open_cache(with_workspace(config, 4)).close()
    with pytest.raises(ConfigError, match="several caches"):
        cache_path(config)
    assert with_cached_workspace(config).workspace is None


def test_without_a_key_or_a_cache_the_key_is_what_is_missing(home):
    with pytest.raises(ConfigError, match="no API key.*OUTREACH2DAY_API_KEY=.*account settings"):
        cache_path(config_for(home))


def test_a_chosen_cache_in_a_folder_that_does_not_exist_is_not_created(home, tmp_path):
    with pytest.raises(ConfigError, match="does not exist.*mistyped"):
        open_cache(config_for(home, cache=str(tmp_path / "typo" / "mine.db")))
    assert not (tmp_path / "typo").exists()


def test_open_cache_has_the_schema(home):
    conn = open_cache(with_workspace(config_for(home), 3))
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert "threads" in tables


def test_open_cache_on_a_non_database_is_one_line(home, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(CacheError) as info:
        open_cache(config_for(home, cache=str(junk)))
    assert str(junk) in str(info.value) and "\n" not in str(info.value)
    assert info.value.kind == "damaged" and "cache rebuild" in str(info.value)
    assert info.value.exit_code == 6


def test_open_cache_makes_the_apps_own_folders_private_and_leaves_a_chosen_one(home, tmp_path):
    config = with_workspace(config_for(home), 3)
    caches = config.cache_path.parent
    caches.mkdir(parents=True, mode=0o755)
    caches.parent.chmod(0o755)  # as an older version left them
    open_cache(config).close()
    assert oct(caches.stat().st_mode & 0o777) == oct(caches.parent.stat().st_mode & 0o777) == "0o700"
    assert oct(config.cache_path.stat().st_mode & 0o777) == "0o600"
    chosen = tmp_path / "chosen"
    chosen.mkdir(mode=0o755)
    chosen.chmod(0o755)
    open_cache(config_for(home, cache=str(chosen / "mine.db"))).close()
    assert chosen.stat().st_mode & 0o777 == 0o755
