"""Outreach2day API: wire models, typed errors, the async client. Headless (no Textual)."""
