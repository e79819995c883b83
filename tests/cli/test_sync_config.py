"""`o2d-inbox sync` takes its engine from context.make_engine, as the inbox does: the
configured reconcile interval and sender reach a sync run from the command line."""

from __future__ import annotations

import sqlite3
import time


def test_sync_honours_reconcile_minutes_and_knows_the_configured_sender(home, cli, simulator):
    home.write_config('reconcile_minutes = 5\nfrom_mailbox = "Rep@Ours.Example"\n')
    cache = home.root / "cache.db"
    env = {"OUTREACH2DAY_API_KEY": simulator.key, "O2D_INBOX_CACHE": str(cache), "O2D_INBOX_WORKSPACE": "42"}

    def sync() -> str:
        result = cli("sync", "--base-url", simulator.url, timeout=120, **env)
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert "full reconcile" in sync()  # a first sync walks every page
    assert "incremental" in sync()  # walked a moment ago: not due yet
    with sqlite3.connect(cache) as conn:  # the last walk 10 minutes ago (the default is 60)
        conn.execute("UPDATE sync_state SET value = ? WHERE key = 'last_full_at'", (str(time.time() - 600),))
    conn.close()
    assert "full reconcile" in sync()
    with sqlite3.connect(cache) as conn:
        sources = conn.execute("SELECT source FROM mailboxes WHERE address = 'rep@ours.example'").fetchall()
    conn.close()
    assert sources == [("config",)]
