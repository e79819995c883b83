"""``o2d-inbox`` (and ``o2d-inbox --demo``): the inbox TUI."""

from __future__ import annotations

import argparse
import asyncio


def run(args: argparse.Namespace) -> int:
    from o2d_inbox.config import ConfigError, load_config
    from o2d_inbox.context import (cache_path, make_client, open_cache, resolve_workspace,
                                   with_cached_workspace)

    config = with_cached_workspace(load_config(args))
    try:
        client = make_client(config)
    except ConfigError:
        # no key: the cache alone still reads (offline), if there is one
        client = None
        cache_path(config)  # raises the one-line "workspace unknown / no cache" error
    if client is not None:
        try:
            cache_path(config)
        except ConfigError:
            # first run without a workspace: ask the server which one, on a throwaway loop,
            # then a fresh client for the app's own loop
            probe = client

            async def resolve():
                async with probe:
                    return await resolve_workspace(config, probe)

            config = asyncio.run(resolve())
            client = make_client(config)
    conn = open_cache(config)

    from o2d_inbox.tui.app import build_app

    try:
        build_app(config, client=client, conn=conn).run()
    finally:
        conn.close()
    return 0
