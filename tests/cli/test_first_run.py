"""The first run explains itself: with no key anywhere, whatever needs the server (and the
inbox) says that the key is missing and how to set it; what works offline keeps working on a
cache that exists."""

from __future__ import annotations

import pytest

from o2d_inbox.cache.db import open_db

pytestmark = pytest.mark.slow

NEEDS_THE_KEY = (
    [],
    ["sync"],
    ["outbox", "flush"],
    ["threads"],
    ["show", "thr_1"],
    ["search", "hello"],
    ["outbox"],
    ["reply", "thr_1", "--body", "hi"],
    ["intent", "thr_1", "neutral"],
    ["new", "--to", "a@them.test", "--subject", "S", "--body", "B", "--from", "me@ours.test"],
)


def one_line(result) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("args", NEEDS_THE_KEY, ids=lambda a: " ".join(a[:2]) or "inbox")
def test_a_fresh_install_says_the_key_is_missing_and_how_to_set_it(cli, home, args):
    result = cli(*args)
    assert result.returncode == 2
    line = one_line(result)
    assert "no API key" in line and "OUTREACH2DAY_API_KEY=" in line and str(home.key_file) in line
    assert "workspace unknown" not in line


def test_the_inbox_with_a_workspace_but_no_key_says_the_key_too(cli, home):
    home.write_config("workspace = 42\n")
    result = cli()
    assert result.returncode == 2 and "no API key" in one_line(result)
    assert not home.data_dir.exists()  # no empty cache left behind


def test_doctor_names_the_key_file(cli, home):
    result = cli("doctor")
    assert result.returncode == 2
    assert "✗ API key" in result.stdout and str(home.key_file) in result.stdout


def test_offline_commands_keep_working_on_an_existing_cache_without_a_key(cli, home):
    cache = home.root / "work.db"
    conn = open_db(cache)
    conn.execute(
        "INSERT INTO threads (id, subject, last_ts, last_date) "
        "VALUES ('thr_1', 'Hello there', 1700000000, '2023-11-14T22:13:20Z')"
    )
    conn.close()
    for args in (["threads"], ["show", "thr_1"], ["outbox"], ["cache", "check"]):
        result = cli(*args, "--cache", str(cache))
        assert result.returncode == 0, (args, result.stderr)
    assert "Hello there" in cli("show", "thr_1", "--cache", str(cache)).stdout


def test_a_mistyped_cache_folder_is_an_error_not_a_new_cache(cli, home):
    typo = home.root / "Documnets" / "work.db"
    result = cli(
        "threads",
        "--cache",
        str(typo),
        OUTREACH2DAY_API_KEY="ot2d_someKEY_000000",
        O2D_INBOX_BASE_URL="http://127.0.0.1:9",
    )
    assert result.returncode == 2
    assert "does not exist" in result.stderr.strip().splitlines()[-1] and str(typo.parent) in result.stderr
    assert not typo.parent.exists()
