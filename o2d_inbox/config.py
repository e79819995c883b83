"""Settings and the API key. CONTRACT (the config helper implements it):

    class ConfigError(Exception)            # exit code 2, one line, never contains the key
    @dataclass class Config:
        base_url: str                       # default https://public.outreach2day.com
        workspace: int | None
        api_key: str | None                 # field(repr=False); never logged
        from_mailbox: str | None
        cache_path: Path                    # default: platform data dir, one per base URL + workspace
        theme: str                          # "o2d-dark" | "o2d-light" | any Textual theme
        keymap: dict[str, str]              # binding id -> keys, e.g. {"reply": "ctrl+r"}
        undo_seconds: float                 # outbox undo window, default 10
        reconcile_minutes: float            # full reconcile interval, default 60
        config_path: Path | None            # the TOML file read, if any
        demo: bool                          # running on the in-process simulator
    load_config(args: argparse.Namespace | None = None, env: Mapping[str, str] = os.environ) -> Config
        precedence: flag > env (O2D_INBOX_BASE_URL, O2D_INBOX_WORKSPACE, O2D_INBOX_CACHE,
        O2D_INBOX_CONFIG) > TOML file (platformdirs user_config_dir("o2d-inbox")/config.toml) > default.
        Key: OUTREACH2DAY_API_KEY, else ~/.config/outreach2day/env (refused when group/other-readable).
    mask_key(key: str | None) -> str        # "ot2d_…ab12" at most
"""
