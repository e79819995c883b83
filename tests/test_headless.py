"""Everything outside tui/ is usable without Textual, and the simulator never imports our client.

One fresh interpreter imports the simulator alone, then every module outside tui/, one at a time,
noting after each import which Textual modules are loaded, then calls the render functions the CLI
calls. One interpreter instead of one per module: a module that pulls Textual in fails, and so does
every module imported after it, each failure naming the first culprit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import o2d_inbox

ROOT = Path(o2d_inbox.__file__).parent


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


HEADLESS = sorted(
    name
    for name in map(module_name, ROOT.rglob("*.py"))
    if name != "o2d_inbox.__main__" and name.split(".")[:2] != ["o2d_inbox", "tui"]
)

PROBE = """
import importlib, json, sys

def textual():
    return sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))

import o2d_inbox.simulator
report = {"simulator imports the client": "o2d_inbox.api.client" in sys.modules, "modules": {}}
for name in sys.argv[1:]:
    importlib.import_module(name)
    report["modules"][name] = textual()
from o2d_inbox.render import html, text
html.html_to_text("<p>x</p>"); text.fit(text.safe_line("x"), 3)
report["after rendering"] = textual()
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def report() -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE, *HEADLESS], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


@pytest.mark.parametrize("module", HEADLESS)
def test_core_module_does_not_import_textual(report, module):
    first = next(name for name, loaded in report["modules"].items() if loaded) if report["modules"][module] else None
    assert first is None, f"{first} pulled in textual: {','.join(report['modules'][first])}"


def test_render_does_not_import_textual(report):
    assert report["after rendering"] == []


def test_simulator_does_not_import_our_client(report):
    assert report["simulator imports the client"] is False


def test_the_list_covers_the_headless_packages():
    for package in ("api", "cache", "sync", "outbox", "render", "simulator"):
        assert f"o2d_inbox.{package}" in HEADLESS
    assert not [m for m in HEADLESS if m.startswith("o2d_inbox.tui")]
