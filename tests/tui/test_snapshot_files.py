"""Every stored snapshot belongs to a snapshot test, and every snapshot test has its picture.

syrupy names a snapshot __snapshots__/<test module>/<test name>.svg and, in a plain run, fails on
files no test used. Under pytest-xdist it cannot see the whole run, so it no longer does: this
test keeps the check (a renamed or moved test would otherwise leave its old picture behind)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

HERE = Path(__file__).parent
SNAPSHOTS = HERE / "__snapshots__"


def snapshot_tests() -> dict[str, bool]:
    """{"<module>/<test name>": parametrized?} for the test functions taking ``snap_compare``."""
    found: dict[str, bool] = {}
    for path in sorted(HERE.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if (
                isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                and node.name.startswith("test_")
                and "snap_compare" in [a.arg for a in node.args.args]
            ):
                parametrized = any("parametrize" in ast.unparse(d) for d in node.decorator_list)
                found[f"{path.stem}/{node.name}"] = parametrized
    return found


def stored() -> set[str]:
    return {f"{p.parent.name}/{p.stem}" for p in SNAPSHOTS.glob("*/*.svg")}


def test_every_snapshot_file_belongs_to_a_snapshot_test():
    tests = snapshot_tests()
    orphans = sorted(name for name in stored() if re.sub(r"\[.*\]$", "", name) not in tests)
    assert orphans == [], f"snapshots no test uses: {orphans}"


def test_every_snapshot_test_has_its_picture():
    have = stored()
    missing = sorted(name for name, parametrized in snapshot_tests().items() if not parametrized and name not in have)
    assert missing == [], f"snapshot tests without a stored picture: {missing}"


def test_the_checks_see_the_snapshot_tests():
    assert "test_snapshots/test_main_screen" in snapshot_tests()
    assert "test_snapshots/test_main_screen" in stored()
