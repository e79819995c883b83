"""`o2d-inbox` without a subcommand: refuses in one line when there is neither key nor cache."""

from __future__ import annotations

from o2d_inbox.cli import main


def test_no_key_and_no_cache_is_one_line_exit_2(tmp_path, monkeypatch, capsys):
    for name in (
        "OUTREACH2DAY_API_KEY",
        "O2D_INBOX_CACHE",
        "O2D_INBOX_WORKSPACE",
        "O2D_INBOX_CONFIG",
        "O2D_INBOX_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("o2d-inbox: ") and err.count("\n") == 1
