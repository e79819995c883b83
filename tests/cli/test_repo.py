"""What a newcomer reads and runs first: the README's paths and key name are the code's,
the LICENSE is the one pyproject declares, and `make demo` installs only when it must."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from o2d_inbox.config import DEFAULT_BASE_URL, DEMO_API_KEY, cache_path_for, demo_cache_path

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")


def test_the_readme_names_the_real_cache_files(home):
    default = cache_path_for(DEFAULT_BASE_URL, 42)
    assert default.name == "public.outreach2day.com-ws42.db" and default.name in README
    assert "~/.local/share/o2d-inbox/caches/<host>-ws<workspace>.db" in README
    assert f"~/.local/share/o2d-inbox/{demo_cache_path().name}" in README
    assert demo_cache_path().parent == default.parent.parent  # the same data folder


def test_the_simulator_key_has_one_name_everywhere():
    from o2d_inbox.simulator import EXAMPLE_KEY

    assert DEMO_API_KEY == EXAMPLE_KEY
    keys = {word.strip("`'\",.:;()") for word in README.split() if word.strip("`'\"").startswith("ot2d_s")}
    assert keys == {EXAMPLE_KEY}


def test_the_readme_says_how_to_get_a_key_install_and_uninstall():
    for text in (
        "account settings",
        "pipx install .",
        "uv tool install .",
        "pipx uninstall o2d-inbox",
        "~/.config/outreach2day/env",
        "register-python-argcomplete o2d-inbox",
        "--shell fish",
    ):
        assert text in README


def test_license_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT"
    assert (REPO / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_demo_reinstalls_only_when_pyproject_changes(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()

    def plan(*extra: str) -> str:
        return subprocess.run(
            ["make", "-n", "-C", str(REPO), "demo", f"VENV={venv}", *extra],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout

    assert "pip install" in plan()  # never installed
    (venv / ".installed").touch()
    assert "pip install" not in plan() and "o2d-inbox --demo" in plan()
    assert "pip install" in plan("-W", "pyproject.toml")  # as if pyproject.toml had changed
