"""``o2d-inbox`` (and ``o2d-inbox --demo``): the inbox TUI."""

from __future__ import annotations

import argparse
import asyncio
import gc
import os


def run(args: argparse.Namespace) -> int:
    # No cyclic garbage collection until the first frame is on screen (InboxApp turns it
    # back on): importing Textual and building the screen make objects that live as long
    # as the app, and collecting while they pile up cost ~30 ms of the start.
    gc.disable()
    # Textual draws at most TEXTUAL_FPS frames a second (60 unless set), and a key that changes
    # the list at once and the pane after it (`j`) waits a frame slot for the pane: at 240 the
    # pane follows within ~20 ms instead of ~40. Frames are drawn only when something changed.
    # Read when Textual is imported (below); a value the user set wins. Ours is taken out of
    # the environment again once read, so an editor launched from compose does not inherit it.
    ours = "TEXTUAL_FPS" not in os.environ
    os.environ.setdefault("TEXTUAL_FPS", "240")
    from o2d_inbox.api.keys import checked_key
    from o2d_inbox.config import ConfigError, load_config
    from o2d_inbox.context import (
        cache_path,
        first_run_error,
        make_client,
        open_cache,
        resolve_workspace,
        with_cached_workspace,
    )

    config = with_cached_workspace(load_config(args))
    online = bool(config.api_key or config.demo)  # no key: the cache alone still reads (offline)
    if config.api_key and not config.demo:
        checked_key(config.api_key)  # a key that cannot be sent: one line now, not in the app
        config.server_url()  # likewise an unusable base_url (exit 2), before the screen opens
    if not online:
        # the one-line error: no key (first run) or workspace unknown; a cache not made yet
        # would only open an empty inbox that can never sync
        if not cache_path(config).exists():
            raise first_run_error()
    else:
        try:
            cache_path(config)
        except ConfigError:
            # first run without a workspace: ask the server which one, on a throwaway loop
            probe = make_client(config)

            async def resolve():
                async with probe:
                    return await resolve_workspace(config, probe)

            config = asyncio.run(resolve())
    conn = open_cache(config)

    from o2d_inbox.tui.app import build_app

    if ours:
        del os.environ["TEXTUAL_FPS"]

    try:
        # the client is built on first use, after the first frame (see InboxApp.client)
        factory = (lambda: make_client(config)) if online else None
        build_app(config, client_factory=factory, conn=conn).run()
    finally:
        conn.close()
    return 0
