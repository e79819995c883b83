"""The user's own editor on a piece of text (compose's ctrl+e, `outbox edit`): $VISUAL, else
$EDITOR, else vi, on a private temporary file that is removed afterwards. Headless."""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

__all__ = ["EditorFailed", "edit_text", "editor_command"]


class EditorFailed(Exception):
    """The editor could not run or did not exit 0; the text is unchanged (one line)."""


def editor_command() -> str:
    return os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"


def edit_text(text: str, *, around: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext) -> str:
    """``text`` as the user left it in their editor. ``around`` wraps the editor's run (the
    TUI hands the terminal over with it). The newline editors add at the end is dropped."""
    editor = editor_command()
    fd, path = tempfile.mkstemp(prefix="o2d-inbox-", suffix=".txt")  # 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        try:
            with around():
                code = subprocess.run([*shlex.split(editor), path], check=False).returncode
        except (OSError, ValueError) as exc:
            raise EditorFailed(f"could not start {editor}: {exc}") from None
        if code != 0:
            raise EditorFailed(f"the editor {editor} exited with status {code}")
        edited = Path(path).read_text(encoding="utf-8", errors="replace")
        return edited[:-1] if edited.endswith("\n") else edited
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
