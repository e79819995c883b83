"""The core (api, store, render, simulator, config, CLI parsing) must not import Textual."""

import subprocess
import sys

import pytest

CORE = [
    "o2d_inbox.api.models",
    "o2d_inbox.api.client",
    "o2d_inbox.api.errors",
    "o2d_inbox.cache.db",
    "o2d_inbox.sync.engine",
    "o2d_inbox.cache.queries",
    "o2d_inbox.outbox.queue",
    "o2d_inbox.outbox.dispatcher",
    "o2d_inbox.cache.search",
    "o2d_inbox.cache.local",
    "o2d_inbox.outbox.compliance",
    "o2d_inbox.templates",
    "o2d_inbox.snooze_times",
    "o2d_inbox.render.ooo",
    "o2d_inbox.render.quote",
    "o2d_inbox.render.links",
    "o2d_inbox.render.text",
    "o2d_inbox.render.html",
    "o2d_inbox.simulator",
    "o2d_inbox.config",
    "o2d_inbox.cli",
]


@pytest.mark.parametrize("module", CORE)
def test_core_module_does_not_import_textual(module):
    code = (
        f"import importlib, sys; importlib.import_module({module!r}); "
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.')); "
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"{module} pulled in textual: {proc.stdout.strip()} {proc.stderr.strip()[-500:]}"


def test_simulator_does_not_import_our_client():
    code = (
        "import sys, o2d_inbox.simulator; "
        "sys.exit(1 if 'o2d_inbox.api.client' in sys.modules else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-500:]
