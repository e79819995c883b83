"""Outreach2day API: wire models, typed errors, the async client. Headless (no Textual)."""

from o2d_inbox.api.client import ClientStats, UniboxClient, format_updated_since, mask_key, parse_retry_after
from o2d_inbox.api.errors import (
    ApiError,
    AuthError,
    BadRequestError,
    ConflictError,
    NetworkError,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    ServerError,
    WorkspaceAccessError,
    WorkspaceChoiceError,
)
from o2d_inbox.api.models import (
    FAILED_OPERATION_STATUSES,
    FINAL_OPERATION_STATUSES,
    KNOWN_INTENTS,
    Campaign,
    CampaignsPage,
    Capabilities,
    ErrorEnvelope,
    ForwardRequest,
    LastMessage,
    Message,
    NewMessageRequest,
    OperationStatus,
    ReplyIntentPatch,
    ReplyIntentResult,
    ReplyRequest,
    ReplyResponse,
    SendResponse,
    SuppressionStatus,
    SuppressionUpsert,
    SuppressionUpsertResult,
    Thread,
    ThreadMessages,
    ThreadsPage,
    Workspace,
)

__all__ = [
    "ApiError", "AuthError", "BadRequestError", "Campaign", "CampaignsPage", "Capabilities",
    "ClientStats", "ConflictError", "ErrorEnvelope", "FAILED_OPERATION_STATUSES",
    "FINAL_OPERATION_STATUSES", "ForwardRequest", "KNOWN_INTENTS", "LastMessage", "Message",
    "NetworkError", "NewMessageRequest", "NotFoundError", "OperationStatus", "ProtocolError",
    "RateLimitError", "ReplyIntentPatch", "ReplyIntentResult", "ReplyRequest", "ReplyResponse",
    "SendResponse", "ServerError", "SuppressionStatus", "SuppressionUpsert",
    "SuppressionUpsertResult", "Thread", "ThreadMessages", "ThreadsPage", "UniboxClient",
    "Workspace", "WorkspaceAccessError", "WorkspaceChoiceError", "format_updated_since",
    "mask_key", "parse_retry_after",
]
