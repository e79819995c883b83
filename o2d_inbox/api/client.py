"""Async client of the Outreach2day Unibox API (one pooled httpx.AsyncClient).

CONTRACT (other layers code against exactly these signatures; the api helper implements them):

    client = UniboxClient(base_url, api_key, workspace_id=None, *, transport=None,
                          timeout=15.0, max_retries=4, backoff_base=0.25, backoff_max=8.0,
                          sleep=asyncio.sleep)
    async with client: ...            # or await client.aclose()
    client.workspace_id               # int | None; set by resolve_workspace()
    client.stats                      # ClientStats: requests, retries (for tests/benchmarks)

    await client.list_workspaces() -> list[Workspace]                      GET /workspaces
    await client.resolve_workspace() -> int     # the configured one, or the only one visible
    await client.capabilities() -> Capabilities                            GET /threads/capabilities
    await client.threads_page(*, limit=200, cursor=None, mailbox_id=None, reply_intent=None,
                              updated_since: datetime | None = None) -> ThreadsPage   GET /threads
    client.iter_thread_pages(**same filters, start_cursor=None) -> AsyncIterator[ThreadsPage]
    await client.thread_messages(thread_id) -> ThreadMessages     GET /threads/{id}/messages
    await client.reply(thread_id, ReplyRequest, *, idempotency_key) -> ReplyResponse
                                                                  POST /threads/{id}/reply
    await client.forward(thread_id, ForwardRequest, *, idempotency_key) -> ReplyResponse
                                                                  POST /threads/{id}/forward
    await client.send_new(NewMessageRequest, *, idempotency_key) -> SendResponse
                                                                  POST /threads/new
    await client.operation_status(operation_id) -> OperationStatus
                                                  GET /threads/outbound-operations/{id}
    await client.set_reply_intent(thread_id, intent, *, idempotency_key) -> ReplyIntentResult
                                                  PATCH /threads/{id}/reply-intent
    await client.list_campaigns() -> list[Campaign]           GET /campaigns (all cursor pages)
    await client.add_suppressions(emails, reason, *, idempotency_key) -> SuppressionUpsertResult
                                                  POST /campaigns/suppressions
    await client.suppression_status(email) -> SuppressionStatus
                                                  GET /campaigns/suppressions/status

Rules: Bearer auth; workspaceId query param on every call but /workspaces; retries with
exponential backoff + jitter on connection errors and 5xx for GET and for POST/PATCH that
carry an Idempotency-Key; 429 waits Retry-After (seconds or HTTP date) then retries; errors
raised as the typed classes in errors.py; the key never appears in str/repr/log.
"""
