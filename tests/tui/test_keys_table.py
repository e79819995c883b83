"""The README's keys table names every binding id of the actions table (o2d_inbox/keymap.py),
so a user who rebinds a key finds its id there; `a_1` … `a_6` stands for the ids between."""

from __future__ import annotations

import re
from pathlib import Path

from o2d_inbox import keymap

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def ids_in_the_keys_table() -> set[str]:
    start = README.index("| keys | what | binding id |")
    table = README[start : README.index("\n\n", start)]
    found = set(re.findall(r"`([a-z_]+\.[a-z_0-9]+)`", table))
    for stem, low, high in re.findall(r"`([a-z_]+\.[a-z_]+)_(\d+)` … `\1_(\d+)`", table):
        found |= {f"{stem}_{n}" for n in range(int(low), int(high) + 1)}
    return found


def test_the_readme_keys_table_names_every_binding_id():
    named = ids_in_the_keys_table()
    with_keys = {a.id for a in keymap.ACTIONS if a.id and a.keys}
    assert sorted(with_keys - named) == []
    assert sorted(named - set(keymap.BY_ID)) == []  # and no id that is not in the table
