"""o2d-inbox: a keyboard-first terminal Unified Inbox for Outreach2day."""

__version__ = "0.1.0"
