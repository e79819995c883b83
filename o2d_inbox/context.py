"""The one place that turns a Config into the objects a command needs.

make_client(config, **client_kwargs) -> UniboxClient
    The real server, or (config.demo) the process-wide in-process simulator.
    Raises ConfigError when there is no API key or base_url is unusable.
demo_simulator() -> Simulator           the one Simulator of this process (TUI + workers)
with_workspace(config, workspace) -> Config      the same, for a workspace already known
await resolve_workspace(config, client) -> Config
    The same config with workspace (and, unless given explicitly, cache_path) filled in,
    asking the server only when the workspace is not configured.
with_cached_workspace(config) -> Config
    no workspace configured: the workspace of the only default cache on disk for this
    server (what an earlier sync resolved); otherwise the config unchanged.
cache_path(config) -> Path
    config.cache_path, else the only default cache on disk for this server;
    ConfigError when it cannot be known without asking the server (on a first run
    without a key: that the key is missing, and how to set it).
open_cache(config) -> sqlite3.Connection         cache.db.open_db(cache_path(config));
    a local fault (disk full, read-only, damaged) raises cache.db.CacheError (exit 6); a
    cache in a folder the user named that does not exist, ConfigError (exit 2)
first_run_error() -> ConfigError                 no key and no cache: how to set the key
make_engine(config, conn, client, **engine_kwargs) -> SyncEngine
    reconcile walk every config.reconcile_minutes; config.from_mailbox learned as ours
make_dispatcher(config, conn, client, **dispatcher_kwargs) -> Dispatcher
"""

from __future__ import annotations

import dataclasses
import re
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from o2d_inbox.config import (
    DEMO_API_KEY,
    DEMO_WORKSPACE,
    Config,
    ConfigError,
    cache_path_for,
    data_dir,
    existing_caches_for,
    key_hint,
)

if TYPE_CHECKING:
    from o2d_inbox.api.client import UniboxClient
    from o2d_inbox.outbox.dispatcher import Dispatcher
    from o2d_inbox.simulator import Simulator
    from o2d_inbox.sync.engine import SyncEngine

# The demo: big enough to feel real, small enough to seed in well under a second.
DEMO_SEED = 2024
DEMO_THREADS = 3000
DEMO_REPLY_RATE = 0.2  # live inbound replies per second

_sim_lock = threading.Lock()
_sim: Simulator | None = None


def demo_simulator() -> Simulator:
    """One Simulator per process, so the TUI and its worker threads see the same world."""
    global _sim
    with _sim_lock:
        if _sim is None:
            from o2d_inbox.simulator import SimConfig, Simulator

            _sim = Simulator(SimConfig(threads=DEMO_THREADS, seed=DEMO_SEED, reply_rate=DEMO_REPLY_RATE))
        return _sim


def make_client(config: Config, **client_kwargs: Any) -> UniboxClient:
    """A client for ``config`` (extra kwargs, e.g. timeout/max_retries, go to UniboxClient)."""
    from o2d_inbox.api.client import UniboxClient

    client_kwargs.setdefault("patience", config.patience_seconds)

    if config.demo:
        return UniboxClient(
            config.base_url,
            DEMO_API_KEY,
            config.workspace or DEMO_WORKSPACE,
            transport=demo_simulator().transport(),
            **client_kwargs,
        )
    if not config.api_key:
        raise ConfigError(f"no API key: {key_hint()}")
    return UniboxClient(config.server_url(), config.api_key, config.workspace, **client_kwargs)


PROBE_TIMEOUT = 1.5  # seconds: a reachable server answers far sooner


async def probe_server(config: Config) -> Config:
    """One quick request, no retries: NetworkError when the server cannot be reached, so a
    command says "offline" at once instead of after the client's retries (~3 s). Returns
    the config with its workspace resolved (the probe had to learn it anyway)."""
    async with make_client(config, timeout=PROBE_TIMEOUT, max_retries=0) as client:
        await client.capabilities()
        return await resolve_workspace(config, client)


def with_workspace(config: Config, workspace: int) -> Config:
    """The config for a known workspace; an explicit cache path stays as it was."""
    cache = config.cache_path or cache_path_for(config.base_url, workspace)
    return dataclasses.replace(config, workspace=workspace, cache_path=cache)


async def resolve_workspace(config: Config, client: UniboxClient) -> Config:
    """Fill in the workspace (from the server if needed) and the per-workspace cache path."""
    if config.workspace is not None:
        return with_workspace(config, config.workspace)
    return with_workspace(config, await client.resolve_workspace())


def with_cached_workspace(config: Config) -> Config:
    """Without a configured workspace, the one of the only default cache on disk for this
    server (what an earlier sync resolved), so client and cache agree; else unchanged."""
    if config.workspace is not None or config.cache_path is not None:
        return config
    found = existing_caches_for(config.base_url)
    if len(found) != 1:
        return config
    named = re.search(r"-ws(\d+)\.db$", found[0].name)
    return with_workspace(config, int(named.group(1))) if named else config


def cache_path(config: Config) -> Path:
    config = with_cached_workspace(config)
    if config.cache_path is not None:
        return config.cache_path
    found = existing_caches_for(config.base_url)
    if not found and not (config.api_key or config.demo):
        raise first_run_error()
    hint = "several caches exist for this server" if found else "no cache yet"
    raise ConfigError(
        f"workspace unknown ({hint}): pass --workspace ID, set "
        f"O2D_INBOX_WORKSPACE or 'workspace' in config.toml, or run o2d-inbox sync"
    )


def first_run_error() -> ConfigError:
    """Without a key and without a cache there is nothing to show: the key comes first."""
    return ConfigError(
        f"no API key, and no cache to read yet: {key_hint()}; then run `o2d-inbox sync` (or try `o2d-inbox --demo`)"
    )


def open_cache(config: Config, *, readonly: bool = False) -> sqlite3.Connection:
    """The cache, opened by cache.db.open_db (read-only when it cannot be written); a local
    fault raises cache.db.CacheError. Folders of o2d-inbox's own data dir on the way are made
    private (0700; older versions left them 0755); a folder the user chose is left alone, and
    must exist: a mistyped --cache is an error (ConfigError), not a new cache somewhere else."""
    from o2d_inbox.cache.db import PRIVATE_DIR, open_db, restrict

    path = cache_path(config)
    own = data_dir()
    chosen = path.parent != own and own not in path.parent.parents
    if chosen and not path.parent.exists():
        raise ConfigError(
            f"cache {path}: the folder {path.parent} does not exist (mistyped in "
            "--cache, O2D_INBOX_CACHE or 'cache' in config.toml? create it first)"
        )
    for folder in (path.parent, *path.parent.parents):
        if folder == own or own in folder.parents:
            restrict(folder, PRIVATE_DIR)
    return open_db(path, readonly=readonly)


def make_engine(config: Config, conn: sqlite3.Connection, client: UniboxClient, **engine_kwargs: Any) -> SyncEngine:
    """The sync engine for ``config`` (the CLI's sync and the TUI alike): a reconcile walk
    every ``reconcile_minutes``, and the configured sender known as one of our mailboxes
    before the first page, so its threads never wait for a reply from ourselves. Extra
    kwargs (e.g. clock, page_limit) go to SyncEngine."""
    from o2d_inbox.cache import writes
    from o2d_inbox.sync.engine import SyncEngine

    if config.from_mailbox:
        with writes.transaction(conn):
            writes.learn_mailboxes(conn, [config.from_mailbox], "config")
    engine_kwargs.setdefault("reconcile_every", timedelta(minutes=config.reconcile_minutes))
    return SyncEngine(conn, client, **engine_kwargs)


def make_dispatcher(
    config: Config, conn: sqlite3.Connection, client: UniboxClient, **dispatcher_kwargs: Any
) -> Dispatcher:
    """The outbox dispatcher for ``config`` (``outbox flush`` and the TUI's sender). No
    setting shapes it today; extra kwargs (clock, poll_backoff, idle_interval, ...) go to
    Dispatcher, so a setting added later has one place to land."""
    from o2d_inbox.outbox.dispatcher import Dispatcher

    return Dispatcher(conn, client, **dispatcher_kwargs)
