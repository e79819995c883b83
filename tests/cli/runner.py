"""`o2d-inbox ARGS` run in the test process, as faithfully as a subprocess for what the CLI
tests check (the exit code, stdout, stderr), without an interpreter start and the imports per
call."""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
import subprocess
import sys
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest


class _Pipe(io.StringIO):
    """What a pipe with PYTHONIOENCODING=utf-8 looks like to the code: not a terminal, no
    file descriptor, UTF-8."""

    encoding = "utf-8"


def run_main(args: Sequence[str], env: Mapping[str, str], cwd: Path | str) -> subprocess.CompletedProcess:
    """`o2d_inbox.cli.main(args)` as `python -m o2d_inbox ARGS` with this env and cwd would
    see the world: exactly ``env`` as the environment, ``cwd`` as the working folder, stdout
    and stderr pipes (captured), the per-process state of o2d_inbox fresh. Everything is put
    back after."""
    from o2d_inbox import cli, context
    from o2d_inbox.cache import db

    out, err = _Pipe(), _Pipe()
    with pytest.MonkeyPatch.context() as m:
        for name in set(os.environ) - set(env):
            m.delenv(name)
        for name, value in env.items():
            m.setenv(name, value)
        m.chdir(cwd)
        # shutil.get_terminal_size (argparse's help width, tables) asks sys.__stdout__ when
        # COLUMNS is unset: a pipe there, whatever the test runner's own stdout is
        m.setattr(sys, "__stdout__", out)
        m.setattr(sys, "__stderr__", err)
        # no logging set up, as in a fresh process: a warning (the outbox's) reaches stderr
        # through logging's last resort, not the test runner's capturing handlers
        m.setattr(logging.root, "handlers", [])
        m.setattr(context, "_sim", None)  # the --demo world: one per process
        m.setattr(db, "_opened", None)  # the cache file last opened, named in errors
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), _fresh_warnings(err):
            try:
                code = cli.main(list(args))
            except SystemExit as exc:  # argparse: --help, --version, usage errors
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                if isinstance(exc.code, str):
                    print(exc.code, file=sys.stderr)
    return subprocess.CompletedProcess(["o2d-inbox", *args], code, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def _fresh_warnings(err: io.StringIO):
    """Python's warnings as a fresh interpreter shows them (its default filters, on stderr),
    not recorded by the test runner."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
        for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
            warnings.simplefilter("ignore", category, append=True)
        try:
            yield
        finally:
            for w in caught:
                err.write(warnings.formatwarning(w.message, w.category, w.filename, w.lineno, w.line))


def opens_the_inbox(args: Sequence[str]) -> bool:
    """Whether `o2d-inbox ARGS` gets as far as the inbox's handler (commands/app.py), which
    changes the whole process (garbage collection off, TEXTUAL_FPS in the environment) and
    opens a screen: that one runs as a subprocess."""
    from o2d_inbox.cli import HANDLERS

    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            parsed = _parser().parse_args(list(args))
    except SystemExit:  # --help, --version or a usage error: argparse answers first
        return False
    return HANDLERS[parsed.command] == "app"


@functools.cache
def _parser():
    """The full parser, built once (parsing does not change it)."""
    from o2d_inbox.cli import build_parser

    return build_parser()
