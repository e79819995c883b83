"""The CLI's error contract: one line on stderr, a distinct exit code, never a traceback."""

from __future__ import annotations

import httpx
import pytest

from o2d_inbox import __version__
from o2d_inbox import cli as climod
from o2d_inbox.api.errors import AuthError, NetworkError, ServerError, WorkspaceAccessError
from o2d_inbox.config import ConfigError

SECRET = "ot2d_errorsTEST_secret_abcdef123456"


def test_help_and_version(cli):
    help_ = cli("--help")
    assert help_.returncode == 0 and "doctor" in help_.stdout and "--demo" in help_.stdout
    version = cli("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"o2d-inbox {__version__}"


def test_usage_error_exits_2(cli):
    result = cli("intent", "t1", "maybe")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "argv, message",
    [
        (["outbox", "flush", "--wait", "--timeout", "nan"], "--timeout: must be 0 or more, not nan"),  # no endless wait
        (["simulator", "--port", "-5"], "--port: must be from 0 to 65535, not -5"),
        (["simulator", "--threads", "-1"], "--threads: must be 0 or more, not -1"),
        (["simulator", "--latency", "inf"], "--latency: must be 0 or more, not inf"),
        (["simulator", "--fail-rate", "2"], "--fail-rate: must be from 0 to 1, not 2"),
        (["simulator", "--port", "x"], "--port: not an integer: 'x'"),
        (["simulator", "--latency", "y"], "--latency: not a number: 'y'"),
    ],
)
def test_numbers_out_of_range_are_usage_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        climod.main(argv)
    assert info.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.endswith(f": error: argument {message}")


def test_bad_config_is_one_line_exit_2(home, cli):
    home.write_config("workspace = [\n")
    result = cli("doctor")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert str(home.config_file) in result.stderr and "invalid TOML" in result.stderr


@pytest.mark.parametrize(
    "exc, code",
    [
        (ConfigError("config.toml: key 'theme' must be a string"), 2),
        (AuthError("invalid or missing API key", status=401), 3),
        (WorkspaceAccessError("no access to workspace 9", status=403), 3),
        (NetworkError("GET /threads: connection refused"), 4),
        (httpx.ConnectError("connection refused"), 4),
        (ConnectionResetError(104, "Connection reset by peer"), 4),
        (ServerError("GET /threads: 503 after 4 retries", status=503), 5),
        (FileNotFoundError(2, "No such file or directory", "body.txt"), 2),
        (RuntimeError("boom\nsecond line"), 5),
    ],
)
def test_exceptions_become_one_line_and_exit_code(capsys, exc, code):
    assert climod.fail_from_exception(exc) == code
    err = capsys.readouterr().err
    assert err.startswith("o2d-inbox: ") and err.count("\n") == 1


def test_a_key_in_any_message_is_masked(capsys):
    climod.fail_from_exception(RuntimeError(f"request with Bearer {SECRET} failed"))
    err = capsys.readouterr().err
    assert SECRET not in err and "ot2d_…3456" in err


def test_control_characters_from_server_text_are_dropped(capsys):
    climod.fail_from_exception(ServerError("bad \x1b[31mred\x1b[0m \x07thing"))
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err and "red" in err


def test_missing_command_module_is_one_line(monkeypatch, capsys):
    """A broken install (a command's module gone) is one line naming it, not a traceback."""
    monkeypatch.setitem(climod.HANDLERS, "doctor", "no_such_module")
    assert climod.main(["doctor"]) == 5
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing module o2d_inbox.commands.no_such_module" in err


def test_handler_exception_goes_through_main(monkeypatch, capsys):
    import o2d_inbox.commands.doctor as doctor

    def boom(args):
        raise NetworkError("GET /workspaces: could not connect")

    monkeypatch.setattr(doctor, "run", boom)
    assert climod.main(["doctor"]) == 4
    assert capsys.readouterr().err == "o2d-inbox: GET /workspaces: could not connect\n"


def test_interrupt_exits_130(monkeypatch, capsys):
    import o2d_inbox.commands.doctor as doctor

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(doctor, "run", interrupted)
    assert climod.main(["doctor"]) == 130
    assert capsys.readouterr().err == "o2d-inbox: interrupted\n"
