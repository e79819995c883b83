"""The SQLite cache: schema, sync engine, outbox, read queries. Headless (no Textual)."""
