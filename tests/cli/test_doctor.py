"""`o2d-inbox doctor` as a user runs it: a subprocess in a temp HOME, against a real server."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

WRONG_KEY = "ot2d_wrongKEY_secret_9876543210zyxQRST"


def marks(stdout: str) -> dict[str, str]:
    """label -> mark (✓, ✗ or –) of each checklist line."""
    out = {}
    for line in stdout.splitlines():
        mark, label = line.split()[:2]
        out[label if label != "API" else "key"] = mark
    return out


def assert_one_line_without(result, secret: str) -> None:
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("o2d-inbox: doctor: ")
    assert "Traceback" not in result.stderr
    assert secret not in result.stdout + result.stderr
    assert secret[-4:] not in result.stderr or "…" + secret[-4:] in result.stderr


def test_all_green_against_the_simulator(simulator, cli, home):
    result = cli("doctor", "--base-url", simulator.url, OUTREACH2DAY_API_KEY=simulator.key)
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(marks(result.stdout).values()) == {"✓"}
    assert list(marks(result.stdout)) == ["config", "theme", "key", "server", "workspace", "capabilities", "cache"]
    assert "ot2d_…" + simulator.key[-4:] in result.stdout
    assert simulator.key not in result.stdout
    assert "inbox yes" in result.stdout
    assert result.stderr == ""


def test_wrong_key_exits_3_with_one_line(simulator, cli):
    result = cli("doctor", "--base-url", simulator.url, OUTREACH2DAY_API_KEY=WRONG_KEY)
    assert result.returncode == 3, result.stdout + result.stderr
    assert marks(result.stdout)["server"] == "✓" and marks(result.stdout)["workspace"] == "✗"
    assert_one_line_without(result, WRONG_KEY)
    assert f"rejected by {simulator.url}" in result.stderr  # which server said no


def test_inaccessible_workspace_exits_3(simulator, cli):
    result = cli("doctor", "--base-url", simulator.url, "--workspace", "987654", OUTREACH2DAY_API_KEY=simulator.key)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "987654" in result.stderr and simulator.url in result.stderr


def test_an_unknown_theme_is_named_with_the_choices(home, cli, closed_port):
    home.write_config('theme = "o2d-drak"\n')
    result = cli("doctor", "--base-url", f"http://127.0.0.1:{closed_port}", OUTREACH2DAY_API_KEY=WRONG_KEY)
    assert marks(result.stdout)["theme"] == "✗"
    assert result.returncode == 2  # the first failure: a setting, before the server's
    line = result.stderr.strip()
    assert "key 'theme'" in line and "'o2d-drak'" in line and "o2d-dark, o2d-light" in line
    assert str(home.config_file.parent / "themes") in line


def test_themes_from_textual_and_the_users_files_are_known(home, cli, closed_port):
    themes = home.config_file.parent / "themes"
    themes.mkdir(parents=True)
    (themes / "ours.toml").write_text('primary = "#336699"\n')
    (themes / "broken.toml").write_text("primary = \n")
    for name, source in (("nord", "Textual"), ("o2d-light", "built in"), ("ours", str(themes / "ours.toml"))):
        home.write_config(f'theme = "{name}"\n')
        result = cli("doctor", "--base-url", f"http://127.0.0.1:{closed_port}", OUTREACH2DAY_API_KEY=WRONG_KEY)
        [line] = [
            line for line in result.stdout.splitlines() if line.split()[1] == "theme" and "file" not in line.split()[2]
        ]
        assert line.startswith("✓") and source in line
        assert result.returncode == 4  # only the server is missing
        warned = [line for line in result.stdout.splitlines() if line.startswith("! theme file")]
        assert len(warned) == 1 and "broken.toml cannot be used" in warned[0]


def test_a_number_out_of_range_is_named(home, cli):
    home.write_config("reconcile_minutes = 0.5\n")
    result = cli("doctor", OUTREACH2DAY_API_KEY=WRONG_KEY)
    assert result.returncode == 2 and marks(result.stdout)["config"] == "✗"
    assert "reconcile_minutes' must be a number from 1 to 10080" in result.stderr


def test_demo_is_all_green_without_a_key(cli):
    result = cli("--demo", "doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(marks(result.stdout).values()) == {"✓"}


def test_nothing_listening_exits_4(cli, closed_port):
    result = cli(
        "doctor", "--base-url", f"http://127.0.0.1:{closed_port}", "--workspace", "42", OUTREACH2DAY_API_KEY=WRONG_KEY
    )
    assert result.returncode == 4, result.stdout + result.stderr
    status = marks(result.stdout)
    assert status["server"] == "✗" and status["cache"] == "✓"
    assert f"127.0.0.1:{closed_port}" in result.stderr
    assert_one_line_without(result, WRONG_KEY)


def test_no_key_exits_2(cli, closed_port):
    result = cli("doctor", "--base-url", f"http://127.0.0.1:{closed_port}")
    assert result.returncode == 2
    assert marks(result.stdout)["key"] == "✗" and marks(result.stdout)["server"] == "–"
    assert "OUTREACH2DAY_API_KEY" in result.stderr and result.stderr.count("\n") == 1


def test_key_file_readable_by_others_exits_2_with_the_fix(home, cli, closed_port):
    path = home.write_key_file(f"OUTREACH2DAY_API_KEY={WRONG_KEY}\n", 0o644)
    result = cli("doctor", "--base-url", f"http://127.0.0.1:{closed_port}")
    assert result.returncode == 2
    assert f"chmod 600 {path}" in result.stderr
    assert_one_line_without(result, WRONG_KEY)


def test_unwritable_cache_exits_2(home, cli, closed_port):
    blocker = home.root / "file"
    blocker.write_text("not a directory")
    result = cli(
        "doctor",
        "--base-url",
        f"http://127.0.0.1:{closed_port}",
        "--cache",
        str(blocker / "cache.db"),
        OUTREACH2DAY_API_KEY=WRONG_KEY,
    )
    # the network failure comes first and decides the exit code; the cache line still shows
    assert result.returncode == 4
    assert marks(result.stdout)["cache"] == "✗"


# ------------------------------------------------------------------ server text is data

HOSTILE_KEY = "ot2d_hostileTEST_secret_0123456789LMNO"


@pytest.fixture
def echoing_server():
    """A server on 127.0.0.1 that puts the key it was sent (and terminal escapes) into every
    text it returns: the workspace name and role, syncMode, or a 401's message. ``mode``
    picks the answer to GET /workspaces: "ok" or "401"."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from tests.helpers import send_json

    state = {"mode": "ok"}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # the stdlib's name
            key = self.headers.get("Authorization", "").partition(" ")[2]
            path = self.path.split("?")[0]
            if path == "/workspaces" and state["mode"] == "401":
                # split by a zero-width space: invisible, and no longer the exact key
                hidden = key[:9] + "\u200b" + key[9:]
                status, body = 401, {"detail": {"error": "unauthorized", "message": f"key {hidden} is revoked"}}
            elif path == "/workspaces":
                status, body = (
                    200,
                    [
                        {
                            "workspace_id": 42,
                            "role": f"owner of {key.upper()}",
                            "project_name": f"\x1b]0;pwned\x07\x1b[31mAcme {key}",
                        }
                    ],
                )
            elif path == "/threads/capabilities":
                status, body = 200, {"inbox": True, "outbound": True, "syncMode": f"\x1b[2Jincremental/{key}"}
            else:
                status, body = 404, {"detail": {"error": "not_found", "message": "no"}}
            send_json(self, json.dumps(body).encode(), status)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()


def test_server_text_echoing_the_key_is_masked_and_inert(echoing_server, cli, home):
    url, _ = echoing_server
    result = cli("doctor", "--base-url", url, "--cache", str(home.root / "c.db"), OUTREACH2DAY_API_KEY=HOSTILE_KEY)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert HOSTILE_KEY not in out and HOSTILE_KEY.upper() not in out
    assert HOSTILE_KEY[5:-4] not in out.lower()  # no part of the secret beyond the last 4
    assert "\x1b" not in out and "\x07" not in out
    workspace = next(line for line in out.splitlines() if line.startswith("✓ workspace"))
    assert "42 (" in workspace and "Acme ot2d_…LMNO" in workspace
    capabilities = next(line for line in out.splitlines() if line.startswith("✓ capabilities"))
    assert "syncMode incremental/ot2d_…LMNO" in capabilities


def test_error_text_echoing_the_key_is_masked(echoing_server, cli):
    url, state = echoing_server
    state["mode"] = "401"
    result = cli("doctor", "--base-url", url, "--workspace", "42", OUTREACH2DAY_API_KEY=HOSTILE_KEY)
    assert result.returncode == 3, result.stdout + result.stderr
    both = result.stdout + result.stderr
    # the zero-width space became a space, cutting the key in two: neither half may show
    for piece in (HOSTILE_KEY, HOSTILE_KEY[:9], HOSTILE_KEY[9:], HOSTILE_KEY[9:-4]):
        assert piece not in both
    assert "HTTP 401 unauthorized: key ot2d_…" in result.stderr and "is revoked" in result.stderr
    assert_one_line_without(result, HOSTILE_KEY)
