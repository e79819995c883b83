"""The headless commands: what the user sees, what the server receives."""

from __future__ import annotations

import json

import pytest

from o2d_inbox import cli
from o2d_inbox.cache.db import open_db
from o2d_inbox.outbox import queue as ob

SDR = "sarah@cooloutreach.com"  # one of the simulator's mailboxes


def run(*argv):
    return cli.main(list(argv))


def lines(text):
    return [line for line in text.splitlines() if line.strip()]


@pytest.fixture
def no_client_retries(monkeypatch):
    """The client's retry budget (seconds of back-off) is not what these tests are about."""
    import o2d_inbox.context as context

    real = context.make_client
    monkeypatch.setattr(context, "make_client", lambda config, **kw: real(config, **{**kw, "max_retries": 0}))


def test_queue_offline_then_flush_online(tmp_path, sim_server, cli_env, capsys, no_client_retries):
    cache = tmp_path / "c.db"
    cli_env(None, cache)  # the server is unreachable
    server = sim_server(op_step_seconds=0.01, require_sender=True)
    thread = next(t for t, v in server.sim.thread_snapshot().items() if v["replyIntent"] != "unsubscribe")
    body_file = tmp_path / "body.txt"
    body_file.write_text("Thanks!\n\nBest,\nJo", encoding="utf-8")

    # the thread was never synced here and the server cannot vouch for it: only --force queues
    assert run("reply", thread, "--body-file", str(body_file)) == 2
    err = lines(capsys.readouterr().err)
    assert len(err) == 1 and "not in the cache" in err[0] and "--force" in err[0]
    assert run("reply", thread, "--body-file", str(body_file), "--force") == 0
    assert run("forward", thread, "--to", "boss@ours.test", "--body", "FYI", "--force") == 0
    assert run("new", "--to", "lead@them.test", "--subject", "Hi", "--body", "Hello <there>", "--from", SDR) == 0
    assert run("intent", thread, "interested", "--force") == 0
    out = capsys.readouterr()
    assert len(lines(out.out)) == 4 and all(line.startswith("queued #") for line in lines(out.out))
    assert "not in the cache" in out.err and "queued anyway" in out.err

    assert run("outbox", "--json") == 0
    rows = [json.loads(line) for line in lines(capsys.readouterr().out)]
    assert [(r["kind"], r["state"]) for r in rows] == [
        ("reply", "scheduled"),
        ("forward", "scheduled"),
        ("new", "scheduled"),
        ("intent", "scheduled"),
    ]
    assert rows[2]["to"] == "lead@them.test" and rows[2]["subject"] == "Hi"

    assert run("outbox", "flush") == 4  # offline: one line, nothing lost
    err = capsys.readouterr().err
    assert len(lines(err)) == 1 and "offline" in err

    cli_env(server, cache)
    assert run("outbox", "flush", "--wait") == 0
    capsys.readouterr()
    conn = open_db(cache)
    items = ob.list_items(conn)
    assert [i.state for i in items] == ["sent"] * 4
    assert server.sim.deliveries == {i.idempotency_key: 1 for i in items}
    sent = {m["kind"]: m for m in server.sim.sent_messages}
    own = server.sim.thread_mailboxes()[thread]  # learned before sending (queued offline)
    assert (sent["reply"]["from_email"], sent["forward"]["from_email"], sent["new"]["from_email"]) == (own, own, SDR)
    assert sent["reply"]["body_text"] == "Thanks!\n\nBest,\nJo"
    assert sent["reply"]["body_html"] == "<p>Thanks!</p>\n<p>Best,<br>\nJo</p>"
    assert sent["new"]["body_html"] == "<p>Hello &lt;there&gt;</p>"
    assert server.sim.thread_snapshot()[thread]["replyIntent"] == "interested"

    assert run("outbox") == 0  # the plain listing still shows today's sent items
    assert len(lines(capsys.readouterr().out)) == 4


def test_reply_to_unsubscribed_is_refused_without_force(tmp_path, cli_env, capsys):
    cache = tmp_path / "c.db"
    cli_env(None, cache)
    conn = open_db(cache)
    conn.execute("INSERT INTO threads (id, reply_intent) VALUES ('thr_u', 'unsubscribe')")
    assert run("reply", "thr_u", "--body", "one more") == 2
    err = capsys.readouterr().err
    assert len(lines(err)) == 1 and "unsubscribe" in err and "--force" in err
    assert ob.list_items(conn) == []
    assert run("reply", "thr_u", "--body", "sorry", "--force") == 0
    assert len(ob.list_items(conn)) == 1


def test_outbox_json_is_ascii_escaped_like_every_json_output(tmp_path, cli_env, capsys):
    """What the user wrote comes back whole, but as \\u escapes: printed on a terminal, a
    pasted bidi override stays inert, as in `threads --json`."""
    cli_env(None, tmp_path / "c.db")
    body = "Grüße aus Köln \u202elive.exe 你好"
    assert run("new", "--to", "lead@them.test", "--subject", "Über", "--body", body, "--from", SDR) == 0
    capsys.readouterr()
    assert run("outbox", "--json") == 0
    out = capsys.readouterr().out
    assert out.isascii() and "\\u202e" in out
    [row] = [json.loads(line) for line in lines(out)]
    assert (row["subject"], row["body"]) == ("Über", body)


def test_bounce_exit_1_with_the_reason_then_retry_and_cancel(tmp_path, sim_server, cli_env, capsys):
    cache = tmp_path / "c.db"
    server = sim_server(op_step_seconds=0.01)
    cli_env(server, cache)
    assert run("new", "--to", "ann.bounce@them.test", "--subject", "S", "--body", "B", "--from", SDR) == 0
    assert run("outbox", "flush", "--wait") == 1
    err = capsys.readouterr().err
    assert "#1 new failed" in err and "bounced" in err
    assert run("outbox", "retry", "1") == 0 and "scheduled" in capsys.readouterr().out
    assert run("outbox", "cancel", "1") == 0
    assert run("outbox", "retry", "1") == 2  # cancelled: nothing to retry
    assert "cancelled" in capsys.readouterr().err
    assert run("outbox", "flush") == 0 and "nothing to send" in capsys.readouterr().err


def test_offline_flush_says_so_without_retrying_first(tmp_path, cli_env, capsys, monkeypatch):
    """An unreachable server is reported at once (one quick probe), not after the client's
    retries with back-off; nothing leaves the outbox."""
    from o2d_inbox.api.client import UniboxClient

    async def no_retry(self, *args):
        raise AssertionError("retried before saying offline")

    monkeypatch.setattr(UniboxClient, "_retry", no_retry)
    cache = tmp_path / "c.db"
    cli_env(None, cache)  # the server is unreachable
    assert run("new", "--to", "lead@them.test", "--subject", "Hi", "--body", "Hello", "--from", SDR) == 0
    capsys.readouterr()
    assert run("outbox", "flush") == 4
    err = lines(capsys.readouterr().err)
    assert len(err) == 1 and "offline" in err[0] and "retried" not in err[0]
    assert [i.state for i in ob.list_items(open_db(cache))] == ["scheduled"]


def test_a_server_error_on_the_probe_does_not_stop_the_flush(tmp_path, sim_server, cli_env, capsys, monkeypatch):
    """The probe only tells "unreachable" apart: a 5xx on it leaves the sending (and its
    retries) to the flush, which delivers."""
    import o2d_inbox.context as context
    from o2d_inbox.api.errors import ServerError

    async def busy(config):
        raise ServerError("GET /threads/capabilities: HTTP 503", status=503)

    cache = tmp_path / "c.db"
    server = sim_server(op_step_seconds=0.01)
    cli_env(server, cache)
    monkeypatch.setattr(context, "probe_server", busy)
    assert run("new", "--to", "lead@them.test", "--subject", "Hi", "--body", "Hello", "--from", SDR) == 0
    assert run("outbox", "flush", "--wait") == 0
    capsys.readouterr()
    [item] = ob.list_items(open_db(cache))
    assert item.state == "sent" and server.sim.deliveries == {item.idempotency_key: 1}


def test_a_refused_key_keeps_the_message_for_later(tmp_path, sim_server, cli_env, capsys, monkeypatch):
    cache = tmp_path / "c.db"
    server = sim_server(op_step_seconds=0.01)
    cli_env(server, cache)
    thread = next(t for t, v in server.sim.thread_snapshot().items() if v["replyIntent"] != "unsubscribe")
    assert run("reply", thread, "--body", "hi") == 0
    capsys.readouterr()
    monkeypatch.setenv("OUTREACH2DAY_API_KEY", "ot2d_revoked_0000000000")
    assert run("outbox", "flush") == 3  # auth: one line, the message is not failed
    err = lines(capsys.readouterr().err)
    assert len(err) == 1 and "401" in err[0] and "revoked_0000" not in err[0]
    conn = open_db(cache)
    assert ob.list_items(conn)[0].state == "scheduled"  # refused before anything was sent
    cli_env(server, cache)  # the good key again
    assert run("outbox", "flush", "--wait") == 0
    item = ob.list_items(conn)[0]
    assert item.state == "sent" and server.sim.deliveries == {item.idempotency_key: 1}


# --- the sender -------------------------------------------------------------------------------

WRONG = "david@trycooloutreach.com"  # a mailbox of the workspace, but not these threads'


@pytest.fixture
def wrong_default(tmp_path, monkeypatch):
    """config.toml sets from_mailbox to one SDR's mailbox (after cli_env, which clears it)."""

    def apply() -> None:
        cfg = tmp_path / "config.toml"
        cfg.write_text(f'from_mailbox = "{WRONG}"\n', encoding="utf-8")
        monkeypatch.setenv("O2D_INBOX_CONFIG", str(cfg))

    return apply


def test_replies_go_from_their_threads_mailbox_not_the_configured_default(
    tmp_path, sim_server, cli_env, capsys, wrong_default
):
    cache = tmp_path / "c.db"
    server = sim_server(op_step_seconds=0.01, require_sender=True, threads=80)
    cli_env(server, cache)
    wrong_default()
    assert run("sync", "--full") == 0
    truth, mailbox_of = server.sim.thread_snapshot(), server.sim.thread_mailboxes()
    targets = [t for t, v in truth.items() if v["replyIntent"] != "unsubscribe" and mailbox_of[t] != WRONG][:20]
    conn = open_db(cache)
    # whatever the sync learned, most of these threads' mailboxes are unknown to the cache
    conn.executemany("UPDATE threads SET mailbox = NULL WHERE id = ?", [(t,) for t in targets[:15]])
    cached = dict(conn.execute("SELECT id, mailbox FROM threads").fetchall())
    assert len(targets) == 20 and sum(cached.get(t) is None for t in targets) >= 15
    capsys.readouterr()

    for n, t in enumerate(targets):
        assert run("reply", t, "--body", f"reply {n}") == 0
    queued = lines(capsys.readouterr().out)
    assert all(f"from {mailbox_of[t]};" in line for t, line in zip(targets, queued))  # learned at once

    assert run("outbox", "flush", "--wait") == 0
    capsys.readouterr()
    assert sorted((m["thread_id"], m["from_email"]) for m in server.sim.sent_messages) == sorted(
        (t, mailbox_of[t]) for t in targets
    )

    # the configured default is what a new message goes from
    assert run("new", "--to", "lead@them.test", "--subject", "Hi", "--body", "Hello") == 0
    assert f"from {WRONG};" in capsys.readouterr().out
    assert run("outbox", "flush", "--wait") == 0
    assert server.sim.sent_messages[-1]["from_email"] == WRONG


def test_new_without_a_sender_is_refused_listing_the_known_mailboxes(tmp_path, cli_env, capsys):
    cache = tmp_path / "c.db"
    cli_env(None, cache)
    conn = open_db(cache)
    conn.executemany(
        "INSERT INTO mailboxes (address, source) VALUES (?, 'messages')",
        [("john@cooloutreach.com",), ("sarah@cooloutreach.com",)],
    )
    assert run("new", "--to", "lead@them.test", "--subject", "Hi", "--body", "Hello") == 2
    err = lines(capsys.readouterr().err)
    assert len(err) == 1 and "needs a sender" in err[0] and "--from" in err[0]
    assert "john@cooloutreach.com, sarah@cooloutreach.com" in err[0]
    assert ob.list_items(conn) == []


def test_a_waiting_reply_is_shown_and_flush_exits_1_until_it_is_sent(
    tmp_path, sim_server, cli_env, capsys, no_client_retries
):
    cache = tmp_path / "c.db"
    server = sim_server(op_step_seconds=0.01, require_sender=True)
    cli_env(server, cache)
    thread = next(t for t, v in server.sim.thread_snapshot().items() if v["replyIntent"] != "unsubscribe")
    open_db(cache).execute("INSERT INTO threads (id) VALUES (?)", (thread,))  # synced, mailbox unknown
    server.sim.faults.fail_rate = 1.0  # every request answers 5xx: the mailbox cannot be learned
    assert run("reply", thread, "--body", "hello") == 0
    assert "learned before sending" in capsys.readouterr().out
    assert run("outbox", "flush") == 1
    err = capsys.readouterr().err
    assert "#1 reply not sent: waiting for the thread's mailbox" in err
    assert server.sim.sent_messages == []

    assert run("outbox") == 0
    listed = capsys.readouterr().out
    assert " waiting " in listed and "[waiting for the thread's mailbox" in listed
    assert run("outbox", "--json") == 0
    [row] = [json.loads(line) for line in lines(capsys.readouterr().out)]
    assert row["waiting"].startswith("waiting for the thread's mailbox") and row["from"] is None
    assert row["body"] == "hello" and row["state"] == "scheduled"

    server.sim.faults.fail_rate = 0.0
    assert run("outbox", "flush", "--wait") == 0
    assert [m["from_email"] for m in server.sim.sent_messages] == [server.sim.thread_mailboxes()[thread]]


def test_outbox_edit_mends_a_refused_reply(tmp_path, sim_server, cli_env, capsys, monkeypatch):
    import sys

    cache = tmp_path / "c.db"
    server = sim_server(op_step_seconds=0.01, require_sender=True)
    cli_env(server, cache)
    thread = next(t for t, v in server.sim.thread_snapshot().items() if v["replyIntent"] != "unsubscribe")
    assert run("reply", thread, "--body", "Thnaks!", "--from", "jhon@cooloutreach.com") == 0
    assert run("outbox", "flush") == 1
    assert "refused the sender jhon@cooloutreach.com" in capsys.readouterr().err
    [failed] = ob.list_items(open_db(cache))

    editor = tmp_path / "fix.py"  # stands in for $EDITOR: rewrites the file it is given
    editor.write_text(
        "import sys, pathlib\np = pathlib.Path(sys.argv[1])\np.write_text(p.read_text().replace('Thnaks', 'Thanks'))\n",
        encoding="utf-8",
    )
    monkeypatch.delenv("VISUAL", raising=False)  # $VISUAL would come first
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    assert run("outbox", "edit", "1") == 0
    assert "scheduled" in capsys.readouterr().out
    assert run("outbox", "edit", "1", "--from", SDR) == 0
    capsys.readouterr()
    assert run("outbox", "--json") == 0
    [row] = [json.loads(line) for line in lines(capsys.readouterr().out)]
    assert (row["state"], row["body"], row["from"]) == ("scheduled", "Thanks!", SDR)
    assert row["idempotency_key"] != failed.idempotency_key

    assert run("outbox", "flush", "--wait") == 0
    assert [(m["body_text"], m["from_email"]) for m in server.sim.sent_messages] == [("Thanks!", SDR)]
    capsys.readouterr()
    assert run("outbox", "edit", "1", "--body", "too late") == 2
    err = lines(capsys.readouterr().err)
    assert len(err) == 1 and "cannot edit #1: it is sent" in err[0]
    monkeypatch.setenv("EDITOR", "false")
    assert run("outbox", "edit", "7") == 2 and "no outbox item #7" in capsys.readouterr().err


def test_a_full_disk_reports_what_the_server_already_accepted(tmp_path, sim_server, cli_env, capsys, monkeypatch):
    """The server accepts the reply but its new state cannot be written: flush exits 1 naming
    it; the row is still `sending`, and the next flush records it without a second message."""
    import sqlite3

    import o2d_inbox.context as context

    class FullDisk:
        """A cache connection on a full disk: recording the server's answer fails as SQLite does."""

        def __init__(self, conn):
            self._conn = conn

        def __getattr__(self, name):
            return getattr(self._conn, name)

        def execute(self, sql, *args):
            if "operation_id = ?" in sql:
                raise sqlite3.OperationalError("database or disk is full")
            return self._conn.execute(sql, *args)

    cache = tmp_path / "c.db"
    server = sim_server(op_step_seconds=0.01)
    cli_env(server, cache)
    assert run("new", "--to", "lead@them.test", "--subject", "Hi", "--body", "Hello", "--from", SDR) == 0
    capsys.readouterr()
    real_open = context.open_cache
    monkeypatch.setattr(context, "open_cache", lambda config, **kw: FullDisk(real_open(config, **kw)))
    assert run("outbox", "flush", "--wait") == 1
    err = lines(capsys.readouterr().err)
    [op] = list(server.sim.operations)
    assert err == [
        f"o2d-inbox: #1 new: the server accepted it (operation {op}); the next flush records it "
        "without sending it twice",
        "o2d-inbox: the cache could not be written: database or disk is full; the outbox keeps every item",
    ]
    [item] = ob.list_items(open_db(cache))
    assert item.state == "sending"

    monkeypatch.setattr(context, "open_cache", real_open)  # space again
    assert run("outbox", "flush", "--wait") == 0
    [item] = ob.list_items(open_db(cache))
    assert item.state == "sent" and server.sim.deliveries == {item.idempotency_key: 1}
    assert len(server.sim.sent_messages) == 1
