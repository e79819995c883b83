"""Fixtures for the CLI tests: an isolated home, the CLI (in this process or as a subprocess), a
simulator server."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.runner import opens_the_inbox, run_main
from tests.helpers import SimServer

REPO = Path(__file__).resolve().parents[2]
SIM_KEY = "ot2d_simTEST_secret_0123456789abcdWXYZ"
_ENV_NAMES = (
    "OUTREACH2DAY_API_KEY",
    "O2D_INBOX_BASE_URL",
    "O2D_INBOX_WORKSPACE",
    "O2D_INBOX_CACHE",
    "O2D_INBOX_CONFIG",
)


@dataclass
class Home:
    root: Path
    env: dict[str, str]  # a complete environment for a subprocess

    @property
    def config_file(self) -> Path:
        return self.root / "xdg-config" / "o2d-inbox" / "config.toml"

    @property
    def data_dir(self) -> Path:
        return self.root / "xdg-data" / "o2d-inbox"

    @property
    def key_file(self) -> Path:
        return self.root / ".config" / "outreach2day" / "env"

    def write_config(self, text: str) -> Path:
        self.config_file.parent.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(text)
        return self.config_file

    def write_key_file(self, text: str, mode: int = 0o600) -> Path:
        self.key_file.parent.mkdir(parents=True, exist_ok=True)
        self.key_file.write_text(text)
        self.key_file.chmod(mode)
        return self.key_file


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    """A fresh HOME + XDG dirs, set in this process (platformdirs reads them) and for children."""
    root = tmp_path / "home"
    root.mkdir()
    values = {"HOME": str(root), "XDG_CONFIG_HOME": str(root / "xdg-config"), "XDG_DATA_HOME": str(root / "xdg-data")}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    for name in _ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    env = {k: v for k, v in os.environ.items() if k not in _ENV_NAMES}
    env.update(values, PYTHONPATH=str(REPO), NO_COLOR="1", PYTHONIOENCODING="utf-8")
    return Home(root, env)


@pytest.fixture
def cli(home: Home):
    """cli(*args, **env) runs `o2d-inbox ARGS` in the isolated home and returns a
    subprocess.CompletedProcess (returncode, stdout, stderr).

    Most calls test the command line's logic (exit codes, the one error line, the output), and
    run `o2d_inbox.cli.main(args)` in this process, which is as faithful and saves an
    interpreter start and the imports per call. A real `python -m o2d_inbox` runs for
    process=True (what must not hang is bounded by `timeout`, which only a child process can
    enforce) and for the inbox itself (it turns off garbage collection and writes to the
    environment: settings of the whole process)."""

    def run(*args: str, timeout: float = 60, process: bool = False, **env: str) -> subprocess.CompletedProcess:
        if not process and not opens_the_inbox(args):
            return run_main(args, {**home.env, **env}, home.root)
        return subprocess.run(
            [sys.executable, "-m", "o2d_inbox", *args],
            cwd=home.root,
            env={**home.env, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


@dataclass
class Server:
    url: str
    key: str  # the only key it accepts


@pytest.fixture
def simulator():
    """The simulator as `o2d-inbox simulator --threads 40 --api-key SIM_KEY` serves it (the
    command's defaults: seed 42, the hostile threads), accepting only SIM_KEY, on a free
    127.0.0.1 port in a thread of this process: a real port, as the CLI meets it in this process
    or in a subprocess alike; a second interpreter for the server would only add its start-up. The command itself is
    tested in tests/simulator/test_real_port.py."""
    server = SimServer(threads=40, seed=42, hostile=True, api_keys={SIM_KEY})
    try:
        yield Server(server.url, SIM_KEY)
    finally:
        server.stop()
