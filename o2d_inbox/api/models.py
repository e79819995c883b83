"""Wire models: exactly the JSON documented for the Unibox use case (001) and the common rules (000).

Field names are kept as they are on the wire (the docs mix snake_case and camelCase).
Every model ignores unknown fields; enum-like values (reply intents, operation statuses)
stay plain strings so an unknown value never crashes the client. Missing optional
fields are ``None``.

Text is repaired here, at the boundary: a lone UTF-16 surrogate (``"\\ud800"`` is valid JSON)
becomes U+FFFD (``repair``), so nothing downstream (SQLite, the terminal, ``--json``) meets
one. A thread or message that cannot be used at all (no id) is skipped and counted
(``ThreadsPage.skipped``, ``ThreadMessages.skipped``) instead of failing its whole page.

A sync validates thread pages into plain dicts instead (``ThreadData``, ``parse_plain_page``):
building model instances was a third of the validation time. Those TypedDicts are not written
out a second time: ``plain()`` derives them from the models (same annotations, hence the same
lenient validators; same defaults; nested models as their plain forms), and a page of them
gets the same salvage and skip rules; tests/api/test_plain_pages.py holds both paths equal.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Union, get_args, get_origin, get_type_hints

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from typing_extensions import TypedDict  # pydantic validates only this one on Python < 3.12

#: Reply intents the docs list. Others may arrive and are kept as strings.
KNOWN_INTENTS: tuple[str, ...] = (
    "interested",
    "not_interested",
    "out_of_office",
    "bounced",
    "unsubscribe",
    "neutral",
)

#: Operation statuses we treat as final (decision in docs/api-notes.md).
FINAL_OPERATION_STATUSES = frozenset(
    {"sent", "delivered", "failed", "bounced", "rejected", "cancelled", "canceled", "error"}
)
FAILED_OPERATION_STATUSES = frozenset({"failed", "bounced", "rejected", "cancelled", "canceled", "error"})


_SURROGATES = re.compile("[\ud800-\udfff]")


def repair(data: Any) -> Any:
    """``data`` as json.loads returned it, every lone surrogate in its strings (keys too)
    replaced by U+FFFD. json.loads keeps a lone ``\\udXXX`` escape as a surrogate code point
    (pydantic-core refuses the whole document): one would fail SQLite's UTF-8 encoding and any
    print. Valid pairs were joined by json.loads already, so every surrogate left is lone."""
    if isinstance(data, str):
        return _SURROGATES.sub("\ufffd", data)
    if isinstance(data, dict):
        return {repair(k): repair(v) for k, v in data.items()}
    if isinstance(data, list):
        return [repair(v) for v in data]
    return data


def has_surrogate_escape(body: bytes) -> bool:
    """Whether raw JSON may hold a lone surrogate (cheap: a scan of the bytes for the escape)."""
    return b"\\ud" in body or b"\\uD" in body


def _lenient_datetime(value: Any) -> datetime | None:
    """ISO-8601 → aware UTC datetime; naive means UTC; unparsable means None, never a crash."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    return _utc(dt)


def _lenient_str_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    return []


def _lenient_str(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _lenient_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _lenient_bool(value: Any) -> bool:
    return bool(value) if not isinstance(value, str) else value.lower() in {"true", "1", "yes"}


def _utc(value: datetime | None) -> datetime | None:
    """Aware UTC; None for a date that has no UTC form (year 1 at +01:00, year 9999 at -01:00)."""
    if value is None:
        return None
    try:
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    except OverflowError:
        return None


def _lenient(native: Any, fallback: Any) -> Any:
    """``native`` as pydantic-core validates it (in Rust: the fast path of every well-formed
    field), else ``fallback(value)`` in Python for whatever else arrived. Measured on thread
    pages: 30% less validation time than a Python validator on every field."""
    return Annotated[native | Annotated[Any, AfterValidator(fallback)], Field(union_mode="left_to_right")]


# Well-formed ISO-8601 parses natively; anything else goes through _lenient_datetime
# (unparsable means None). Either way: aware UTC, naive meaning UTC.
if TYPE_CHECKING:  # what each field holds once validated (the fallbacks return the same types)
    WireTime = datetime | None
    StrList = list[str]
    OptStr = str | None
    Count = int
    Flag = bool
else:
    WireTime = Annotated[_lenient(datetime | None, _lenient_datetime), AfterValidator(_utc)]
    StrList = _lenient(list[str], _lenient_str_list)
    OptStr = _lenient(str | None, _lenient_str)
    Count = _lenient(int, _lenient_int)
    Flag = _lenient(bool, _lenient_bool)


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=False)


# --- common (000) -------------------------------------------------------------------------


class ErrorDetail(Wire):
    error: OptStr = None
    message: OptStr = None


class ErrorEnvelope(Wire):
    """``{"detail": {"error", "message"}}``; FastAPI validation errors put a list in ``detail``."""

    detail: ErrorDetail | list[Any] | str | None = None


class Workspace(Wire):
    workspace_id: int
    project_name: OptStr = None
    type: OptStr = None
    description: OptStr = None
    max_mailboxes: int | None = None
    role: OptStr = None


# --- Unibox (001) -------------------------------------------------------------------------


class Capabilities(Wire):
    inbox: Flag = False
    outbound: Flag = False
    syncMode: OptStr = None
    providers: StrList = Field(default_factory=list)


class LastMessage(Wire):
    from_email: OptStr = None
    date_received: WireTime = None
    body_text: OptStr = None


class Thread(Wire):
    id: str
    external_thread_id: OptStr = None
    subject: OptStr = None
    subject_display: OptStr = None
    last_message: LastMessage | None = None
    is_warming: Flag = False
    is_postmaster: Flag = False
    message_count: Count = 0
    replyIntent: OptStr = None
    campaignId: OptStr = None


def _salvage(validate: Callable[[Any], Any]) -> Any:
    """For a list item that its native validation refused: the item retried (``validate``:
    a model's or a plain form's) with a numeric id as text and a ``last_message`` that is no
    object dropped; None when even that fails (the list then drops it and counts it, see
    ``_SkipsUnusable``)."""

    def salvage(value: Any) -> Any:
        if not isinstance(value, dict):
            return None
        fixed = dict(value)
        if isinstance(fixed.get("id"), (int, float)) and not isinstance(fixed["id"], bool):
            fixed["id"] = str(fixed["id"])
        if not isinstance(fixed.get("last_message"), (dict, type(None))):
            fixed["last_message"] = None
        try:
            return validate(fixed)
        except ValidationError:
            return None

    return salvage


class _SkipsUnusable(Wire):
    """A model with one list (named by ``_items``) whose unusable entries (None after
    ``_salvage``) are left out and counted in ``skipped`` instead of failing the model."""

    _items: ClassVar[str]
    _skipped: int = PrivateAttr(default=0)

    @model_validator(mode="after")
    def _skip_unusable(self) -> Any:
        items = getattr(self, self._items)
        if any(item is None for item in items):
            kept = [item for item in items if item is not None]
            setattr(self, self._items, kept)
            self._skipped = len(items) - len(kept)
        return self

    @property
    def skipped(self) -> int:
        """Entries that could not be used at all (no id): left out of the list."""
        return self._skipped


class ThreadsPage(_SkipsUnusable):
    _items: ClassVar[str] = "threads"
    threads: list[_lenient(Thread, _salvage(Thread.model_validate))] = Field(  # type: ignore[valid-type]
        default_factory=list
    )
    next_cursor: OptStr = None
    # The cursor this page was requested with (None = first page); set by the client, never
    # read from the wire, so a sync can record exactly where each page came from.
    _cursor: str | None = PrivateAttr(default=None)

    @property
    def cursor(self) -> str | None:
        return self._cursor


class Message(Wire):
    id: str
    message_id: OptStr = None
    from_email: OptStr = None
    to_emails: StrList = Field(default_factory=list)
    cc_emails: StrList = Field(default_factory=list)
    subject: OptStr = None
    date_received: WireTime = None
    body_text: OptStr = None
    body_html: OptStr = None
    is_incoming: Flag = False
    folder: OptStr = None


class ThreadMessages(_SkipsUnusable):
    _items: ClassVar[str] = "messages"
    replyIntent: OptStr = None
    campaignId: OptStr = None
    messages: list[_lenient(Message, _salvage(Message.model_validate))] = Field(  # type: ignore[valid-type]
        default_factory=list
    )


# --- plain forms: the sync's thread pages as dicts --------------------------------------------


def plain(model: type[Wire]) -> Any:
    """``model``'s fields as a TypedDict that pydantic validates into a plain dict: each field
    keeps its annotation as written (the lenient validators) and its default; a nested model
    becomes its plain form. Unknown fields are left out, as by the model."""
    hints = get_type_hints(model, include_extras=True)
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        annotation = _plain_types(hints[name])
        if not info.is_required():
            default = (
                Field(default_factory=info.default_factory)
                if info.default_factory is not None
                else Field(default=info.default)
            )
            annotation = Annotated[annotation, default]
        fields[name] = annotation
    return TypedDict(f"{model.__name__}Data", fields)  # type: ignore[operator]


def _plain_types(annotation: Any) -> Any:
    """``annotation`` with every Wire model in it replaced by its plain form."""
    if isinstance(annotation, type) and issubclass(annotation, Wire):
        return plain(annotation)
    args = get_args(annotation)
    if not args:
        return annotation
    origin = get_origin(annotation)
    if origin is Annotated:
        return Annotated[(_plain_types(args[0]), *annotation.__metadata__)]
    swapped = tuple(_plain_types(a) for a in args)
    if swapped == args:
        return annotation
    if origin in (Union, types.UnionType):
        return Union[swapped]  # noqa: UP007 -- built from a runtime tuple; `|` needs two operands
    return origin[swapped]


LastMessageData = plain(LastMessage)
ThreadData = plain(Thread)
_validate_thread_data = TypeAdapter(ThreadData).validate_python


class _ThreadsPageData(TypedDict):
    threads: Annotated[list[_lenient(ThreadData, _salvage(_validate_thread_data))], Field(default_factory=list)]  # type: ignore[valid-type]
    next_cursor: Annotated[OptStr, Field(default=None)]


#: GET /threads into plain data (``parse_plain_page``); ``validate_json`` / ``validate_python``.
PLAIN_THREADS_PAGE = TypeAdapter(_ThreadsPageData)


@dataclass
class PlainThreadsPage:
    """A thread page as plain data: ``threads`` are ThreadData dicts (every field present)."""

    threads: list[Any]
    next_cursor: str | None
    skipped: int = 0  # entries that could not be used at all (no id): left out, as ThreadsPage
    cursor: str | None = None  # the cursor it was requested with (None: the first page)


def plain_threads_page(data: dict[str, Any], cursor: str | None = None) -> PlainThreadsPage:
    """``PLAIN_THREADS_PAGE``'s output as a page: unusable entries left out and counted."""
    threads = data["threads"]
    kept = [t for t in threads if t is not None]
    return PlainThreadsPage(kept, data["next_cursor"], len(threads) - len(kept), cursor)


class ReplyRequest(Wire):
    bodyText: str
    bodyHtml: str | None = None
    fromMailboxAddress: str | None = None


class ReplyResponse(Wire):
    status: OptStr = None
    message_id: OptStr = None
    operation_id: OptStr = None


class NewMessageRequest(Wire):
    toAddress: str
    subject: str
    bodyText: str
    bodyHtml: str | None = None
    fromMailboxAddress: str | None = None


class SendResponse(Wire):
    status: OptStr = None
    message_id: OptStr = None
    thread_id: OptStr = None
    operation_id: OptStr = None


class ForwardRequest(Wire):
    toAddress: str
    bodyText: str | None = None
    bodyHtml: str | None = None
    fromMailboxAddress: str | None = None


class OperationStatus(Wire):
    """Undocumented shape (see docs/api-notes.md): we read these fields if present."""

    operation_id: OptStr = None
    status: OptStr = None
    message_id: OptStr = None
    thread_id: OptStr = None
    error: OptStr = None
    updated_at: WireTime = None

    @property
    def is_final(self) -> bool:
        return (self.status or "").lower() in FINAL_OPERATION_STATUSES

    @property
    def is_failed(self) -> bool:
        return (self.status or "").lower() in FAILED_OPERATION_STATUSES


class ReplyIntentPatch(Wire):
    replyIntent: str | None  # None clears the classification (sent as JSON null)


class ReplyIntentResult(Wire):
    """Undocumented response of PATCH reply-intent; we accept any object."""

    id: OptStr = None
    thread_id: OptStr = None
    replyIntent: OptStr = None


# --- Campaigns (003), the parts this product touches ---------------------------------------


class Campaign(Wire):
    id: str
    workspaceId: int | None = None
    name: OptStr = None
    priority: OptStr = None
    status: OptStr = None
    createdAt: WireTime = None
    updatedAt: WireTime = None


class CampaignsPage(Wire):
    items: list[Campaign] = Field(default_factory=list)
    next_cursor: OptStr = None


class SuppressionUpsert(Wire):
    emails: list[str]
    reason: str | None = None


class SuppressionUpsertResult(Wire):
    """Undocumented response shape; fields read if present."""

    upserted: int | None = None
    emails: StrList = Field(default_factory=list)


class SuppressionStatus(Wire):
    email: OptStr = None
    suppressed: Flag = False
    reason: OptStr = None


# --- Campaign stats (003: GET /campaigns/{id}/stats) ----------------------------------------
# The endpoint list names CampaignStatsOut / CampaignStatsCampaignOut / CampaignStatsSendsOut
# without their fields; the Campaigns document's example is the shape read here. A missing or
# unreadable count is None (unknown), never 0.


class CampaignStatsContacts(Wire):
    total: int | None = None
    active: int | None = None
    completed: int | None = None
    replied: int | None = None
    bounced: int | None = None


class CampaignStatsSends(Wire):
    total: int | None = None
    sent: int | None = None
    failed: int | None = None
    bounced: int | None = None
    replied: int | None = None


class CampaignStats(Wire):
    campaignId: OptStr = None
    status: OptStr = None
    contacts: CampaignStatsContacts = Field(default_factory=CampaignStatsContacts)
    sends: CampaignStatsSends = Field(default_factory=CampaignStatsSends)

    @model_validator(mode="before")
    @classmethod
    def _tolerant(cls, data: Any) -> Any:
        """Counts that are not whole numbers become None; a part that is no object, empty."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for part in ("contacts", "sends"):
            value = data.get(part)
            if not isinstance(value, dict):
                data[part] = {}
                continue
            data[part] = {
                k: (v if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else None) for k, v in value.items()
            }
        return data
