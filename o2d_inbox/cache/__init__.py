"""The SQLite cache: schema and migrations, writes, the one read path (lists, counts, search)
used by the TUI and the CLI alike, local states, and repair. Headless (no Textual)."""
