"""The intents' looks for the TUI's widgets: they live in render/intents.py, where the
headless actions table (o2d_inbox/keymap.py) reads them too."""

from __future__ import annotations

from o2d_inbox.render.intents import FALLBACK_COLOURS, INTENTS, ORDER, IntentLook, look

__all__ = ["FALLBACK_COLOURS", "INTENTS", "ORDER", "IntentLook", "look"]
