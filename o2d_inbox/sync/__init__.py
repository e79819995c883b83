"""The sync engine (engine.py): fills the cache from the Unibox API — full walk, updatedSince
increments, reconcile, message prefetch. Headless (no Textual)."""
