"""The headless commands: what the user sees, what the server receives."""

from __future__ import annotations

import json

import pytest

from o2d_inbox import cli
from o2d_inbox.store import outbox as ob
from o2d_inbox.store.db import open_db


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
    server = sim_server(op_step_seconds=0.01)
    thread = next(t for t, v in server.sim.thread_snapshot().items() if v["replyIntent"] != "unsubscribe")
    body_file = tmp_path / "body.txt"
    body_file.write_text("Thanks!\n\nBest,\nJo", encoding="utf-8")

    assert run("reply", thread, "--body-file", str(body_file)) == 0
    assert run("forward", thread, "--to", "boss@ours.test", "--body", "FYI") == 0
    assert run("new", "--to", "lead@them.test", "--subject", "Hi", "--body", "Hello <there>", "--from", SDR) == 0
    assert run("intent", thread, "interested") == 0
    out = capsys.readouterr()
    assert len(lines(out.out)) == 4 and all(line.startswith("queued #") for line in lines(out.out))
    assert "not in the cache" in out.err  # the thread was never synced here; queued anyway

    assert run("outbox", "--json") == 0
    rows = [json.loads(line) for line in lines(capsys.readouterr().out)]
    assert [(r["kind"], r["state"]) for r in rows] == [
        ("reply", "scheduled"), ("forward", "scheduled"), ("new", "scheduled"), ("intent", "scheduled")]
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
