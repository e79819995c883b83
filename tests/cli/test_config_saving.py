"""config.toml: the alerts and sort settings, and a setting chosen in the inbox written back
into the file with every other line and comment kept."""

from __future__ import annotations

import argparse
import os
import stat

import pytest

from o2d_inbox.config import ConfigError, load_config, read_settings, save_setting
from tests.helpers import make_read_only


def test_alerts_default_to_the_bell_and_are_checked(home):
    assert load_config(argparse.Namespace(), {"HOME": str(home.root)}).alerts == "bell"
    home.write_config('alerts = "notify"\n')
    assert load_config(argparse.Namespace(), {"HOME": str(home.root)}).alerts == "notify"
    home.write_config('alerts = "loud"\n')
    with pytest.raises(ConfigError, match=r"key 'alerts' must be one of 'off', 'bell', 'notify', got 'loud'"):
        load_config(argparse.Namespace(), {"HOME": str(home.root)})


def test_the_sort_is_each_queues_own_unless_the_file_names_one(home):
    assert load_config(argparse.Namespace(), {"HOME": str(home.root)}).sort is None
    home.write_config('sort = "oldest"\n')
    assert load_config(argparse.Namespace(), {"HOME": str(home.root)}).sort == "oldest"
    home.write_config('sort = "wake"\n')  # Snoozed's own order is not a choice
    with pytest.raises(ConfigError, match=r"key 'sort' must be one of 'oldest', 'newest', 'intent', got 'wake'$"):
        load_config(argparse.Namespace(), {"HOME": str(home.root)})


def test_the_file_load_config_looked_at_is_where_settings_are_saved(home):
    config = load_config(argparse.Namespace(), {"HOME": str(home.root)})
    assert config.settings_file == home.config_file and config.config_path is None  # not there yet


MINE = """# my o2d-inbox settings
theme = "o2d-dark"   # dark at night
undo_seconds = 5

[keymap]
"thread.done" = "y"  # like gmail
"""


def test_saving_the_theme_changes_its_line_only(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(MINE)
    os.chmod(path, 0o640)
    save_setting(path, "theme", "o2d-light")
    assert path.read_text() == MINE.replace('theme = "o2d-dark"', 'theme = "o2d-light"')
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert read_settings(path)["theme"] == "o2d-light"


def test_a_theme_line_is_added_before_the_first_table(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(MINE.replace('theme = "o2d-dark"   # dark at night\n', ""))
    save_setting(path, "theme", "nord")
    text = path.read_text()
    assert text.index('theme = "nord"') < text.index("[keymap]")
    assert read_settings(path) == {"theme": "nord", "undo_seconds": 5.0, "keymap": {"thread.done": "y"}}


def test_a_missing_file_is_created_private(tmp_path):
    path = tmp_path / "new" / "config.toml"
    save_setting(path, "theme", 'odd "quoted" \\ name')
    assert read_settings(path)["theme"] == 'odd "quoted" \\ name'
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_linked_config_stays_a_link(tmp_path):
    real = tmp_path / "dotfiles" / "config.toml"
    real.parent.mkdir()
    real.write_text(MINE)
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    save_setting(link, "theme", "o2d-light")
    assert link.is_symlink() and read_settings(real)["theme"] == "o2d-light"


def test_a_file_that_cannot_be_written_is_one_line_and_untouched(tmp_path, request):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "config.toml"
    path.write_text(MINE)
    make_read_only(folder, request)
    with pytest.raises(ConfigError, match=r"theme not saved: (Permission denied|Operation not permitted)"):
        save_setting(path, "theme", "o2d-light")
    assert path.read_text() == MINE
