"""Theme files: the bundled pair loads with every intent colour; a broken user file is skipped."""

from __future__ import annotations

from o2d_inbox.tui.intents import FALLBACK_COLOURS
from o2d_inbox.tui.themes import discover_themes, load_theme


def test_bundled_themes_define_every_intent_colour():
    themes = {t.name: t for t in discover_themes()}
    assert {"o2d-dark", "o2d-light"} <= set(themes)
    assert themes["o2d-dark"].dark and not themes["o2d-light"].dark
    for theme in themes.values():
        assert set(FALLBACK_COLOURS) <= set(theme.variables), theme.name


def test_user_theme_dir(tmp_path):
    (tmp_path / "mine.toml").write_text('primary = "#ff00ff"\ndark = true\n[variables]\nunread = "#fff"\n')
    (tmp_path / "broken.toml").write_text("primary = \n")
    (tmp_path / "typo.toml").write_text('primray = "#fff"\n')
    names = [t.name for t in discover_themes([tmp_path])]
    assert "mine" in names and "broken" not in names and "typo" not in names
    assert load_theme(tmp_path / "mine.toml").variables == {"unread": "#fff"}
