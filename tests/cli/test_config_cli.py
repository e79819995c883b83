"""Bad settings and unsafe key files as a user meets them: `o2d-inbox …` in a temp HOME, the
one line on stderr and the exit code. The runs with a key file that is a FIFO (it used to
block the first read forever) are subprocesses with a timeout."""

from __future__ import annotations

import json
import os

import pytest

from o2d_inbox.config import DEFAULT_BASE_URL

pytestmark = pytest.mark.slow

KEY = "ot2d_cliCONFIG_secret_0123456789wxyz"
SHORT = 30  # seconds: far more than any of these needs, far less than "forever"


def one_error_line(result, code: int) -> str:
    """The single stderr line of a failed command (never a traceback), without its prefix."""
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("o2d-inbox: "), result.stderr
    return lines[0].removeprefix("o2d-inbox: ")


# ------------------------------------------------------------------ the key file


@pytest.mark.parametrize("argv", [("threads", "--workspace", "1"), ("sync",), ("outbox",)])
def test_fifo_key_file_is_refused_at_once(home, cli, argv):
    home.key_file.parent.mkdir(parents=True, mode=0o700)
    os.mkfifo(home.key_file, 0o600)
    result = cli(*argv, "--cache", str(home.root / "c.db"), timeout=SHORT, process=True)
    assert one_error_line(result, 2) == (
        f"{home.key_file} is a named pipe (FIFO), not a regular file; it should be a file "
        "holding the line OUTREACH2DAY_API_KEY=ot2d_…"
    )


def test_doctor_with_a_fifo_key_file_reports_it_and_does_not_hang(home, cli):
    home.key_file.parent.mkdir(parents=True, mode=0o700)
    os.mkfifo(home.key_file, 0o600)
    result = cli("doctor", timeout=SHORT, process=True)
    assert "named pipe (FIFO)" in one_error_line(result, 2)
    key_line = next(line for line in result.stdout.splitlines() if "API key" in line)
    assert key_line.startswith("✗") and "not a regular file" in key_line


def test_key_folder_writable_by_others_is_refused_with_the_fix(home, cli):
    home.write_key_file(f"OUTREACH2DAY_API_KEY={KEY}\n")
    folder = home.key_file.parent
    folder.chmod(0o777)
    result = cli("outbox", "--cache", str(home.root / "c.db"), timeout=SHORT)
    line = one_error_line(result, 2)
    assert line.endswith(f"fix it with: chmod 700 {folder}")
    assert KEY[-4:] not in result.stdout + result.stderr
    folder.chmod(0o755)  # readable by others, as the default umask makes it: fine
    assert cli("outbox", "--cache", str(home.root / "c.db"), timeout=SHORT).returncode == 0


def test_vendor_format_with_quotes_and_a_comment_is_accepted_by_the_server(home, cli, simulator):
    """The simulator accepts only its own key: all green proves the quotes and the comment
    were not sent as part of it."""
    home.write_key_file(f'# Outreach2day\nexport OUTREACH2DAY_API_KEY="{simulator.key}"  # created 2026-03-01\n')
    result = cli("doctor", "--base-url", simulator.url, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"ot2d_…{simulator.key[-4:]} (from {home.key_file})" in result.stdout
    assert simulator.key not in result.stdout + result.stderr


# ------------------------------------------------------------------ numbers


@pytest.mark.parametrize(
    "setting, value, message",
    [
        ("undo_seconds", "nan", "must be a number from 0 to 600 (seconds), got nan"),
        ("undo_seconds", "-inf", "must be a number from 0 to 600 (seconds), got -inf"),
        ("reconcile_minutes", "inf", "must be a number from 1 to 10080 (minutes), got inf"),
        ("reconcile_minutes", "0", "must be a number from 1 to 10080 (minutes), got 0"),
    ],
)
def test_non_finite_or_out_of_range_numbers_fail_doctor_and_commands(home, cli, setting, value, message):
    home.write_config(f"{setting} = {value}\n")
    expected = f"{home.config_file}: key '{setting}' {message}"
    doctor = cli("doctor", timeout=SHORT)
    assert one_error_line(doctor, 2) == f"doctor: config: {expected}"
    assert doctor.stdout.splitlines()[0].startswith("✗ config")
    outbox = cli("outbox", "--cache", str(home.root / "c.db"), timeout=SHORT)
    assert one_error_line(outbox, 2) == expected


def test_negative_workspace_flag_is_a_config_error(cli):
    result = cli("threads", "--workspace", "-4", timeout=SHORT)
    assert one_error_line(result, 2) == "--workspace must be a positive workspace id, got -4"


# ------------------------------------------------------------------ base_url


@pytest.fixture
def synced_cache(home, cli, simulator):
    """A cache filled by `o2d-inbox sync` from the simulator (which then stays up)."""
    cache = home.root / "cache.db"
    env = {"OUTREACH2DAY_API_KEY": simulator.key, "O2D_INBOX_CACHE": str(cache), "O2D_INBOX_WORKSPACE": "42"}
    result = cli("sync", "--base-url", simulator.url, timeout=120, **env)
    assert result.returncode == 0, result.stderr
    return env


@pytest.mark.parametrize("source", ["file", "env", "flag"])
def test_bad_base_url_does_not_stop_offline_commands(home, cli, synced_cache, source):
    env, flags = dict(synced_cache), []
    where = {"file": f"{home.config_file}: key 'base_url'", "env": "O2D_INBOX_BASE_URL", "flag": "--base-url"}[source]
    if source == "file":
        home.write_config('base_url = "public.outreach2day.com"\n')
    elif source == "env":
        env["O2D_INBOX_BASE_URL"] = "htps://public.outreach2day.com"
    else:
        flags = ["--base-url", "https://public.outreach2day.com:http"]
    problem = "has an invalid port" if source == "flag" else f"must be an http(s) URL like {DEFAULT_BASE_URL}"

    threads = cli("threads", "--json", "--limit", "3", *flags, timeout=SHORT, **env)
    assert threads.returncode == 0, threads.stderr
    assert len([json.loads(line) for line in threads.stdout.splitlines()]) == 3
    assert threads.stderr.splitlines() == [
        f"o2d-inbox: warning: {where} {problem}; offline: showing cached data",
        "3 of 40 shown — `--limit N` or `--all`",
    ]
    first = json.loads(threads.stdout.splitlines()[0])
    shown = cli("show", first["id"], "--json", *flags, timeout=SHORT, **env)
    assert shown.returncode == 0 and first["id"] in shown.stdout, shown.stderr
    listing = cli("outbox", *flags, timeout=SHORT, **env)
    assert listing.returncode == 0, listing.stderr

    for argv in (("sync",), ("outbox", "flush")):
        result = cli(*argv, *flags, timeout=SHORT, **env)
        assert one_error_line(result, 2) == f"{where} {problem}"


def test_the_inbox_with_a_key_refuses_a_bad_base_url_before_its_screen_opens(home, cli):
    """The inbox syncs and sends as soon as it starts: like a key that cannot be sent, the
    setting is named at once (a started app would show it as "offline" and stay stale)."""
    result = cli("--base-url", "localhost:8765", "--workspace", "1", timeout=SHORT, OUTREACH2DAY_API_KEY=KEY)
    assert one_error_line(result, 2) == f"--base-url must be an http(s) URL like {DEFAULT_BASE_URL}"


def test_doctor_names_a_bad_base_url_and_still_checks_the_cache(home, cli, synced_cache):
    result = cli("doctor", timeout=SHORT, **synced_cache, O2D_INBOX_BASE_URL="example.com")
    assert one_error_line(result, 2) == (
        f"doctor: config: O2D_INBOX_BASE_URL must be an http(s) URL like {DEFAULT_BASE_URL}"
    )
    lines = result.stdout.splitlines()
    assert lines[0].startswith("✗ config")
    assert any(line.startswith("– server") and "skipped (config)" in line for line in lines)
    assert any(line.startswith("✓ cache") for line in lines)


def test_plain_http_to_another_host_warns_once_and_still_works(home, cli):
    result = cli(
        "outbox", "--base-url", "http://crm.example.com:8080", "--cache", str(home.root / "c.db"), timeout=SHORT
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "o2d-inbox: warning: base_url uses plain http:// to crm.example.com: the API key and "
        "your messages travel unencrypted; use https://",
        "the outbox is empty",
    ]
    local = cli("outbox", "--base-url", "http://127.0.0.1:8765", "--cache", str(home.root / "c.db"), timeout=SHORT)
    assert local.returncode == 0 and local.stderr.splitlines() == ["the outbox is empty"]


def test_doctor_shows_the_plain_http_warning_as_a_line(home, cli):
    """No key: nothing is sent, so the run stays on this machine; the warning is a checklist
    line (not an extra stderr line) and does not decide the exit code."""
    result = cli("doctor", "--base-url", "http://crm.example.com", "--workspace", "3", timeout=SHORT)
    assert "OUTREACH2DAY_API_KEY" in one_error_line(result, 2)  # the missing key decides
    warning = [line for line in result.stdout.splitlines() if line.startswith("!")]
    assert warning == [
        "! base_url      base_url uses plain http:// to crm.example.com: the API "
        "key and your messages travel unencrypted; use https://"
    ]
