"""Fixtures for the CLI tests: an isolated home, the CLI as a subprocess, a simulator server."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

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
    """cli(*args, **env) runs `python -m o2d_inbox ARGS` in the isolated home."""

    def run(*args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
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
def simulator(home: Home):
    """`o2d-inbox simulator --port 0` (it picks a free 127.0.0.1 port and prints its URL, so
    parallel test processes never race for a port), accepting only SIM_KEY."""
    log = open(home.root / "simulator.log", "w+")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "o2d_inbox",
            "simulator",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--threads",
            "40",
            "--api-key",
            SIM_KEY,
        ],
        cwd=home.root,
        env=home.env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        match = re.search(r"http://127\.0\.0\.1:(\d+)", proc.stdout.readline())
        if match is None:
            proc.wait(10)
            log.seek(0)
            pytest.fail(f"simulator did not start: {log.read()[-2000:]}")
        port = int(match.group(1))
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"simulator did not start: {log.read()[-2000:]}")
            time.sleep(0.05)
        yield Server(match.group(0), SIM_KEY)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        log.close()
