"""Shared by every test folder: the store tests' helpers module (seeded simulators, clients,
a cache file made read-only or damaged), registered once as ``store_helpers``.

The tests run in importlib import mode (no package), so shared modules are loaded by path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

if "store_helpers" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("store_helpers", Path(__file__).parent / "store" / "helpers.py")
    _mod = importlib.util.module_from_spec(_spec)
    sys.modules["store_helpers"] = _mod
    _spec.loader.exec_module(_mod)
