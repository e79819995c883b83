"""`--help` teaches: a description for every subcommand, help and default for every option,
the search syntax, examples, -V; shell completion for bash, zsh and fish through argcomplete,
which is imported only when a shell asks for completions."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from o2d_inbox import __version__
from o2d_inbox.cli import build_parser

BIN = Path(sys.executable).parent


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_every_subcommand_has_a_description_and_every_argument_a_help_text():
    for name, parser in subcommands().items():
        assert parser.description and len(parser.description) > 20, name
        for action in parser._actions:
            assert action.help, (name, action.option_strings or action.metavar)


def test_options_show_their_defaults(cli):
    text = cli("simulator", "--help", COLUMNS="200").stdout
    assert "port to listen on; 0: any free port (default: 8765)" in text
    assert "(default: 5000)" in text and "(default: 127.0.0.1)" in text
    flush = cli("outbox", "--help", COLUMNS="200").stdout
    assert "(default 600)" in flush and "(default: 600" not in flush  # said once


def test_search_help_teaches_the_syntax(cli):
    text = cli("search", "--help").stdout
    for piece in ("from:", "intent:interested", "before:", "is:needs-reply", '"next tuesday"'):
        assert piece in text


def test_top_level_help_has_examples_and_the_key(cli):
    result = cli("--help")
    assert result.returncode == 0
    assert "examples:" in result.stdout and "o2d-inbox --demo" in result.stdout
    assert "OUTREACH2DAY_API_KEY" in result.stdout


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version(cli, flag):
    result = cli(flag)
    assert result.returncode == 0 and result.stdout.strip() == f"o2d-inbox {__version__}"


@pytest.mark.parametrize(
    "args", [["simulator", "--port", "-5"], ["simulator", "--threads", "-1"], ["simulator", "--port", "65536"]]
)
def test_simulator_numbers_out_of_range_are_usage_errors(cli, args):
    result = cli(*args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("o2d-inbox simulator: error: argument --")


def test_help_does_not_import_argcomplete(home):
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "o2d_inbox", "--help"],
        env=home.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "import time:" in result.stderr
    assert "argcomplete" not in result.stderr


# --- completion -------------------------------------------------------------------------------


def complete(home, tmp_path, line: str, shell: str = "bash") -> list[str]:
    """What argcomplete answers a shell for the command line ``line`` (cursor at its end)."""
    out = tmp_path / "completions"
    env = {
        **home.env,
        "_ARGCOMPLETE": "1",
        "_ARGCOMPLETE_SHELL": shell,
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
        "_ARGCOMPLETE_STDOUT_FILENAME": str(out),
    }
    if shell == "fish":  # as argcomplete's fish script sets them (bash and zsh: the defaults)
        env.update(_ARGCOMPLETE_IFS="\n", _ARGCOMPLETE_DFS="\t")
    result = subprocess.run([sys.executable, "-m", "o2d_inbox"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    separator = "\n" if shell == "fish" else "\013"
    # fish: "word<TAB>description", zsh: "word:description", bash: "word"
    cut = {"fish": "\t", "zsh": ":"}.get(shell, "\n")
    return [c.split(cut)[0].strip() for c in out.read_text().split(separator) if c.strip()]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_offers_subcommands(home, tmp_path, shell):
    offered = complete(home, tmp_path, "o2d-inbox ", shell)
    assert {"doctor", "sync", "threads", "search", "reply", "outbox"} <= set(offered)
    assert complete(home, tmp_path, "o2d-inbox ou", shell) == ["outbox"]


def test_completion_offers_options_and_choices(home, tmp_path):
    assert "--messages" in complete(home, tmp_path, "o2d-inbox sync --")
    assert complete(home, tmp_path, "o2d-inbox intent thr_1 not") == ["not_interested"]


@pytest.mark.skipif(
    not (BIN / "register-python-argcomplete").exists() or not shutil.which("bash"),
    reason="needs bash and argcomplete's register script",
)
def test_the_documented_bash_one_liner_completes(home):
    """`eval "$(register-python-argcomplete o2d-inbox)"`, then what bash does on <tab>."""
    script = r"""
        eval "$(register-python-argcomplete o2d-inbox)"
        COMP_LINE="o2d-inbox sy"; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(o2d-inbox sy); COMP_CWORD=1
        fn=$(complete -p o2d-inbox | sed -E 's/.*-F ([^ ]+) .*/\1/')
        "$fn" o2d-inbox sy o2d-inbox
        printf '%s\n' "${COMPREPLY[@]}"
    """
    env = {**home.env, "PATH": f"{BIN}{os.pathsep}{home.env.get('PATH', '')}"}
    result = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["sync"]


@pytest.mark.parametrize("words", [[], ["--demo"]])
def test_the_inbox_alone_reads_the_same_arguments_without_the_subcommand_parsers(words):
    # `o2d-inbox` and `o2d-inbox --demo` skip building every subcommand's parser (cli.main)
    assert build_parser(commands=False).parse_args(words) == build_parser().parse_args(words)
