"""`o2d-inbox doctor` checks the config's [keymap]: a mistyped id or key is a warning line."""

from __future__ import annotations


def test_a_mistyped_keymap_is_a_warning_with_the_likely_fix(home, cli):
    home.write_config('[keymap]\n"thread.donee" = "x"\n"app.quit" = "ctrl+"\n"app.help" = "f1"\n')
    result = cli("--demo", "doctor")
    assert result.returncode == 0, result.stdout + result.stderr  # a warning does not fail doctor
    lines = [line for line in result.stdout.splitlines() if line.split()[1:2] == ["keymap"]]
    assert lines == [
        "! keymap        unknown binding id 'thread.donee' (did you mean 'thread.done'?)",
        "! keymap        app.quit = 'ctrl+': not a key name: 'ctrl+'",
    ]


def test_a_good_keymap_is_one_green_line(home, cli):
    home.write_config('[keymap]\n"thread.done" = "y"\n')
    result = cli("--demo", "doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "✓ keymap        1 binding rebound, all known" in result.stdout.splitlines()
