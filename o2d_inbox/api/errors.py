"""Typed errors of the Outreach2day API client.

Messages carry the server's ``detail.error`` / ``detail.message`` and never the API key.
Each error knows the CLI exit code it maps to (usage/config 2, auth 3, network 4, server 5).
``exhausted`` is True when the client stopped retrying something retryable (its patience ran
out): the server was unreachable or failing for that long, so a caller doing optional work
stops asking instead of waiting that long again for each remaining item.
"""

from __future__ import annotations


class ApiError(Exception):
    """Base of every error the client raises."""

    exit_code = 5

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
        exhausted: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code  # the envelope's detail.error, e.g. "workspace_not_found"
        self.retry_after = retry_after
        self.exhausted = exhausted

    def __str__(self) -> str:
        return self.message


class BadRequestError(ApiError):  # 400 (includes a rejected cursor)
    exit_code = 5


class AuthError(ApiError):  # 401
    exit_code = 3


class WorkspaceAccessError(ApiError):  # 403
    exit_code = 3


class NotFoundError(ApiError):  # 404
    exit_code = 5


class ConflictError(ApiError):  # 409 (e.g. Idempotency-Key reused with another body)
    exit_code = 5


class RateLimitError(ApiError):  # 429 after the client's patience ran out
    exit_code = 5


class ServerError(ApiError):  # 5xx (after the client's patience ran out, if retryable)
    exit_code = 5


class ProtocolError(ApiError):  # malformed JSON, wrong shape
    exit_code = 5


class NetworkError(ApiError):  # connection refused/dropped, timeout, after retries
    exit_code = 4


class WorkspaceChoiceError(ApiError):  # no workspace configured and the key sees zero or several
    exit_code = 2
