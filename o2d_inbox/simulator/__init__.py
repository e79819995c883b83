"""A local Outreach2day Unibox server (Starlette ASGI app), built from the published docs.

    from o2d_inbox.simulator import SimConfig, Simulator, create_app
    sim = Simulator(SimConfig(threads=2000, seed=42))
    app = create_app(sim)          # app.state.sim is sim
    transport = sim.transport()    # in-process httpx transport; drops become httpx errors

Decisions where the docs are silent (mirrored in docs/api-notes.md by the lead):

* Auth: ``Authorization: Bearer <key>``. With ``SimConfig.api_keys=None`` any key starting
  ``ot2d_`` (then 1+ printable chars) is valid unless one of its ``_``/``-`` separated words
  starts with wrong/invalid/expired/revoked or is exactly ``bad`` (e.g. ``ot2d_bad``);
  a set = exactly those keys; a dict = key -> allowed workspace ids. Missing/invalid key: 401
  ``invalid_api_key`` (the key is never echoed). ``workspaceId`` is required on every endpoint
  but ``GET /workspaces`` (400 if missing/not an integer); a workspace the key can't use: 403
  ``workspace_not_found``. The first workspace holds the seeded data, others start empty.
* Errors: always ``{"detail": {"error", "message"}}``; validation errors are 400
  (``validation_error``, ``invalid_json``, ``invalid_cursor``, ``mailbox_not_found``).
* The sender (``fromMailboxAddress``, shown on every reply, forward and new message in the
  docs): absent, the thread's own mailbox (a new message: the first mailbox); not one of ours,
  400 ``mailbox_not_found``. ``SimConfig.require_sender`` makes it strict, as a server may be:
  absent or not ours is 400 ``invalid_from_mailbox``. ``sim.sent_messages`` records the
  ``from_email`` each message went out from.
* ``GET /threads``: newest first by last message date; ``limit`` 1..200 (default 50);
  ``cursor`` is an opaque signed position (a thread bumped during a walk moves ahead of the
  cursor and is found by ``updatedSince``); a tampered cursor is 400 ``invalid_cursor``.
  ``updatedSince`` (ISO-8601, inclusive) returns threads whose last message is at or after it:
  only new messages count (ours or theirs); an intent change never bumps a thread.
  ``replyIntent`` accepts the six documented intents plus ``unclassified`` (null intent);
  anything else is 400. ``mailboxId`` is one of our mailbox addresses (case-insensitive).
  The Relevant view: ``mode=relevant`` (or ``relevant=true``) drops warmup, postmaster and
  outbound-only threads; ``mode=full`` / absent is everything. An unchanged inbox answers a
  repeated query from a 64 MB page cache (keyed by a version every change bumps), so only a
  first walk pays for generating the data (~0.85 s CPU per 100,000 threads at limit=200).
* ``GET /threads/debug``: ``{workspaceId, serverTime, threadCount, mailboxes, syncMode, modes,
  simulator}`` (serverTime = the server's clock, usable as a sync watermark).
* Mutations answer 200. ``Idempotency-Key``: same key + same method/path/workspace/JSON body →
  the stored answer again (header ``Idempotent-Replayed: true``), nothing performed; same key +
  anything different → 409 ``idempotency_key_conflict``; only 2xx answers are stored.
* Reply: our message is appended to the thread at once (message_count+1, is_incoming false,
  folder sent) and, being a new message, bumps the thread for ``updatedSince``. ``POST
  /threads/new`` creates a thread (id ``thr_n…``) the same way. A forward is sent outside the
  conversation: the thread is unchanged. A recipient containing "bounce" is not appended and
  its operation fails.
* Operations (``GET /threads/outbound-operations/{id}``): ``{operation_id, status, kind,
  message_id, thread_id, error, created_at, updated_at}``; status ``queued`` → ``sending``
  (after op_step_seconds) → ``sent`` (after 2×), or ``failed`` with ``error`` set.
* ``PATCH /threads/{id}/reply-intent`` ``{"replyIntent": <intent or null>}`` → ``{"id",
  "replyIntent"}``; unknown intent 400.
* ``GET /campaigns`` → ``{items, next_cursor}``; ``POST /campaigns/suppressions`` →
  ``{upserted, emails, reason}``; ``GET /campaigns/suppressions/status?email=`` →
  ``{email, suppressed, reason, createdAt}``.
* Faults (seeded, one draw per knob per request): latency(+jitter); drop_rate → the connection
  is cut before any work; rate_limit_rps/rate_limit_burst → a token bucket (one per
  server, on simulated time): a request finding it empty gets 429 + ``Retry-After`` = the
  seconds until a token is free (whole milliseconds); rate_limit_rate → a random 429 +
  ``Retry-After`` = retry_after (seconds, may be fractional); fail_rate → 500/502/503
  envelope; drop_after_rate (mutations) → done and stored, then the connection is cut;
  malformed_rate → a 2xx whose JSON is truncated.
  A cut starts a response and aborts it, so over a real socket the client sees
  ``httpx.RemoteProtocolError``; ``sim.transport()`` raises the same in-process.
  ``sim.request_log`` records status 0 for a cut. ``BAD_NETWORK`` is the fault mix a sync
  must survive in one run (20 % 5xx, 5 % drops, 5 % truncated JSON, 20 ms, 5 req/s burst 2).
* Hostile-content threads: ids ``thr_x_<kind>`` for kind in ``HOSTILE_KINDS`` (markup, ansi,
  osc, rtl, zerowidth, wide, long, empty, nested, script, control), seeded at positions
  3, 10, 17, … (those below ``threads`` exist). Other seeded ids are ``thr_000000``…
"""

from o2d_inbox.simulator.app import ServedInThread, create_app, listen_socket
from o2d_inbox.simulator.core import BAD_NETWORK, EXAMPLE_KEY, Faults, SimConfig, SimulatedDrop, World
from o2d_inbox.simulator.corpus import HOSTILE_KINDS, INTENTS, MAILBOXES
from o2d_inbox.simulator.inprocess import Simulator

__all__ = [
    "BAD_NETWORK",
    "EXAMPLE_KEY",
    "Faults",
    "HOSTILE_KINDS",
    "INTENTS",
    "MAILBOXES",
    "SimConfig",
    "ServedInThread",
    "SimulatedDrop",
    "Simulator",
    "World",
    "create_app",
    "listen_socket",
]
