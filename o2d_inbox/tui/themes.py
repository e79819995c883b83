"""Themes from TOML files: the bundled ones (o2d_inbox/tui/themes/) and the user's own
(<config dir>/themes/*.toml). A file's keys are textual.theme.Theme fields; its [variables]
table adds CSS variables (intent colours)."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

from textual.theme import Theme

BUNDLED = Path(__file__).with_name("themes")
_FIELDS = {f.name for f in fields(Theme)}


def load_theme(path: Path) -> Theme:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data.setdefault("name", path.stem)
    unknown = set(data) - _FIELDS
    if unknown:
        raise ValueError(f"{path.name}: unknown theme keys {', '.join(sorted(unknown))}")
    data["variables"] = {str(k): str(v) for k, v in data.get("variables", {}).items()}
    return Theme(**data)


def discover_themes(extra_dirs: Sequence[Path] = ()) -> list[Theme]:
    """Every readable theme file; a broken user file is skipped (the app must still start)."""
    themes = []
    for folder in [BUNDLED, *extra_dirs]:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                themes.append(load_theme(path))
            except (OSError, ValueError, TypeError) as exc:
                if folder == BUNDLED:
                    raise RuntimeError(f"bundled theme {path.name} is broken: {exc}") from exc
    return themes


def theme_catalogue(extra_dirs: Sequence[Path] = ()) -> tuple[dict[str, str], list[str]]:
    """What ``theme`` in the config may name, for ``doctor``: name -> where it comes from
    (Textual's own, this package's, a user file), and one line for each user file the inbox
    skips because it cannot be loaded."""
    from textual.theme import BUILTIN_THEMES

    names = {name: "a Textual theme" for name in BUILTIN_THEMES}
    names.update({theme.name: "built in" for theme in discover_themes()})
    broken = []
    for folder in extra_dirs:
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else ():
            try:
                names[load_theme(path).name] = str(path)
            except (OSError, ValueError, TypeError) as exc:
                broken.append(f"{path} cannot be used (the inbox skips it): {exc}")
    return names, broken
