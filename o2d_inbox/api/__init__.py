"""Outreach2day API: wire models, typed errors, the async client. Headless (no Textual).

Names are loaded on first use (PEP 562): importing the models or the errors does not import
httpx, so the inbox paints its first rows before the client's stack is loaded.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOME = {
    # client
    "ClientStats": "client",
    "UniboxClient": "client",
    "format_updated_since": "client",
    "parse_retry_after": "client",
    # errors
    "ApiError": "errors",
    "AuthError": "errors",
    "BadRequestError": "errors",
    "ConflictError": "errors",
    "NetworkError": "errors",
    "NotFoundError": "errors",
    "ProtocolError": "errors",
    "RateLimitError": "errors",
    "ServerError": "errors",
    "WorkspaceAccessError": "errors",
    "WorkspaceChoiceError": "errors",
    # keys
    "mask_key": "keys",
    # models
    "Campaign": "models",
    "CampaignsPage": "models",
    "Capabilities": "models",
    "ErrorEnvelope": "models",
    "FAILED_OPERATION_STATUSES": "models",
    "FINAL_OPERATION_STATUSES": "models",
    "ForwardRequest": "models",
    "KNOWN_INTENTS": "models",
    "LastMessage": "models",
    "Message": "models",
    "NewMessageRequest": "models",
    "OperationStatus": "models",
    "ReplyIntentPatch": "models",
    "ReplyIntentResult": "models",
    "ReplyRequest": "models",
    "ReplyResponse": "models",
    "SendResponse": "models",
    "SuppressionStatus": "models",
    "SuppressionUpsert": "models",
    "SuppressionUpsertResult": "models",
    "Thread": "models",
    "ThreadMessages": "models",
    "ThreadsPage": "models",
    "Workspace": "models",
}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
