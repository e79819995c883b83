"""Simulator state: config, fault knobs, workspaces' inboxes, operations, live replies.

No HTTP here: app.py serves a World, inprocess.py reaches it without a socket."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta, timezone
from typing import Any

from o2d_inbox.simulator.corpus import (
    CAMPAIGNS,
    COMPANIES,
    FIRST,
    HOSTILE_KINDS,
    INBOUND_SUBJECTS,
    LAST,
    LIVE_REPLIES,
    MAILBOXES,
    PATHOLOGICAL,
    PROSPECT_BY_INTENT,
)
from o2d_inbox.simulator.generator import (
    KIND_PROSPECT,
    ThreadMeta,
    html_quoted,
    iso,
    quote_attribution,
    seed_digest,
    text_to_html,
)
from o2d_inbox.simulator.inbox import Inbox

#: the classification a live reply gets (a bounce is not a reply: it is seeded only)
LIVE_INTENTS: tuple[str | None, ...] = (
    ("interested",) * 3
    + ("neutral",) * 3
    + ("out_of_office",) * 2
    + ("not_interested",) * 2
    + ("unsubscribe",)
    + (None,) * 2
)

#: With ``api_keys=None`` a key is refused when one of its ``_``/``-`` separated words starts
#: with one of these, or is exactly "bad" ("bad" alone: a hex secret may start with b-a-d).
REJECTED_KEY_WORDS = ("wrong", "invalid", "expired", "revoked")
EXAMPLE_KEY = "ot2d_sim_example_key"


@dataclass
class Faults:
    """Per-request fault knobs; mutable at runtime (``sim.faults.fail_rate = 0.5``)."""

    fail_rate: float = 0.0
    drop_rate: float = 0.0
    drop_after_rate: float = 0.0
    rate_limit_rate: float = 0.0
    latency: float = 0.0
    latency_jitter: float = 0.0
    malformed_rate: float = 0.0
    retry_after: float = 1.0
    #: A real rate limit (a token bucket; 0: none): ``rate_limit_rps`` requests per second of
    #: simulated time, ``rate_limit_burst`` at once; beyond it, 429 with ``Retry-After`` = the
    #: seconds until a token is free. ``rate_limit_rate`` above is a random 429 instead.
    rate_limit_rps: float = 0.0
    rate_limit_burst: float = 1.0


#: A bad network that one ``sync`` must still get through (tests/sync/test_sync_faults.py,
#: benchmarks/bench_faults.py): SimConfig(**BAD_NETWORK) or faults set one by one.
BAD_NETWORK: dict[str, float] = dict(
    fail_rate=0.2, drop_rate=0.05, malformed_rate=0.05, latency=0.02, rate_limit_rps=5.0, rate_limit_burst=2.0
)


class TokenBucket:
    """The server's rate limit: one bucket for the whole server (every key and workspace)."""

    def __init__(self) -> None:
        self.tokens: float | None = None  # None: full (not used yet)
        self.at = 0.0

    def take(self, now: float, rate: float, burst: float) -> float:
        """0.0 when a token was free (and is taken), else the seconds until one is."""
        burst = max(1.0, burst)
        if self.tokens is None:
            self.tokens = burst
        else:
            self.tokens = min(burst, self.tokens + max(0.0, now - self.at) * rate)
        self.at = max(self.at, now)
        if self.tokens >= 1.0 - 1e-6:  # timestamps near 1.7e9 s carry ~1e-7 s of float noise
            self.tokens = max(0.0, self.tokens - 1.0)
            return 0.0
        return (1.0 - self.tokens) / rate


@dataclass
class SimConfig(Faults):
    """The simulated world; the fault knobs (Faults' fields) are where ``sim.faults`` starts."""

    threads: int = 2000
    seed: int = 42
    #: None: any ``ot2d_…`` key (at least one char after the prefix) is valid for every
    #: workspace, unless a word of it starts with wrong/invalid/expired/revoked or is "bad".
    #: A set: exactly these keys, every workspace. A dict: key -> the workspace ids it may
    #: access (others answer 403).
    api_keys: set[str] | dict[str, list[int]] | None = None
    workspaces: list[int] = field(default_factory=lambda: [42])
    reply_rate: float = 0.0
    op_step_seconds: float = 1.0
    clock: Callable[[], datetime] | None = None
    #: date of the newest seeded message; default: the clock at start minus one minute
    anchor: datetime | None = None
    #: seed the hostile-content threads (ids thr_x_<kind>)
    hostile: bool = True
    #: a reply / forward / new message must name its sender: without ``fromMailboxAddress``,
    #: or with an address that is not a mailbox of the workspace, it is answered 400
    #: ``invalid_from_mailbox`` (off: the thread's mailbox, or the first one, is used)
    require_sender: bool = False
    #: start with the pathological records (data.PATHOLOGICAL, ids thr_p_<kind>): odd dates,
    #: lone surrogates, an escape-laden intent; Simulator.add_pathological_threads adds them later
    pathological: bool = False


class SimulatedDrop(Exception):
    """Raised out of the ASGI app to cut the connection (``after``: the work was done)."""

    def __init__(self, after: bool) -> None:
        super().__init__("simulated dropped connection" + (" after processing" if after else ""))
        self.after = after


@dataclass
class Operation:
    operation_id: str
    kind: str  # reply | forward | new
    created: datetime
    message_id: str
    thread_id: str | None
    recipient: str
    error: str | None  # set when the operation will fail

    def status_at(self, now: datetime, step: float) -> dict[str, Any]:
        phase = math.inf if step <= 0 else (now - self.created).total_seconds() / step
        if phase < 1:
            status, at = "queued", self.created
        elif phase < 2:
            status, at = "sending", self.created + timedelta(seconds=step)
        else:
            status = "failed" if self.error else "sent"
            at = self.created + timedelta(seconds=2 * max(step, 0))
        return {
            "operation_id": self.operation_id,
            "status": status,
            "kind": self.kind,
            "message_id": self.message_id,
            "thread_id": self.thread_id,
            "error": self.error if status == "failed" else None,
            "created_at": iso(self.created.timestamp()),
            "updated_at": iso(at.timestamp()),
        }


class World:
    """The simulated server's state and behaviour, without HTTP (app.py serves it;
    inprocess.Simulator adds the in-process transport)."""

    def __init__(self, cfg: SimConfig | None = None) -> None:
        self.cfg = cfg = cfg or SimConfig()
        if not cfg.workspaces:
            raise ValueError("SimConfig.workspaces must name at least one workspace")
        self._base_clock = cfg.clock or (lambda: datetime.now(timezone.utc))
        self._offset = timedelta()
        # every Faults knob starts from the SimConfig field of the same name
        self.faults = Faults(**{f.name: getattr(cfg, f.name) for f in fields(Faults)})
        self.fault_rng = random.Random(cfg.seed * 7919 + 1)
        self.rate_limiter = TokenBucket()
        self._live_rng = random.Random(cfg.seed * 104729 + 2)
        start = self.now()
        anchor = cfg.anchor or (start - timedelta(minutes=1))
        # the first workspace holds the seeded data; others start empty
        self.inboxes: dict[int, Inbox] = {
            ws: Inbox(cfg.threads if k == 0 else 0, cfg.seed + k, int(anchor.timestamp()), cfg.hostile)
            for k, ws in enumerate(cfg.workspaces)
        }
        self.primary = cfg.workspaces[0]
        self.operations: dict[str, Operation] = {}
        self.suppressions: dict[int, dict[str, dict[str, Any]]] = {ws: {} for ws in cfg.workspaces}
        self.idempotency: dict[str, tuple[str, int, bytes]] = {}  # key -> (fingerprint, status, body)
        # inspection hooks
        self.request_log: list[tuple[str, str, str | None, int]] = []
        self.deliveries: dict[str, int] = {}
        self.performed: list[tuple[str, str, str | None]] = []  # every mutation actually done
        self.sent_messages: list[dict[str, Any]] = []
        self._counter = 0
        self._campaign_counts: dict[int, tuple[int, dict[str, list[int]]]] = {}  # ws -> (version, counts)
        self._live_start = start
        self._live_done = 0
        if cfg.pathological:
            self.add_pathological_threads()

    # -- time ----------------------------------------------------------------------------------
    def now(self) -> datetime:
        return self._base_clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the simulated clock forward (works with the real clock too: it adds an offset)."""
        self._offset += timedelta(seconds=seconds)
        self.tick()

    def tick(self) -> None:
        """Materialise the live replies due by now (called on every request)."""
        rate = self.cfg.reply_rate
        if rate <= 0:
            return
        elapsed = (self.now() - self._live_start).total_seconds()
        due = int(elapsed * rate)
        if due - self._live_done > 1000:  # a long idle gap: skip the backlog
            self._live_done = due - 1000
        while self._live_done < due:
            self._live_done += 1
            at = self._live_start + timedelta(seconds=self._live_done / rate)
            self._live_reply(at)

    def _live_reply(self, at: datetime) -> None:
        rng = self._live_rng
        inbox = self.inboxes[self.primary]
        intent = rng.choice(LIVE_INTENTS)
        if inbox.n and rng.random() < 0.85:
            for _ in range(8):
                # recent threads are likelier to get answers
                i = min(int(rng.expovariate(1 / max(inbox.n / 10, 1))), inbox.n - 1)
                meta = inbox.get(inbox.tid_of(i))
                if (
                    meta is not None
                    and meta.kind == KIND_PROSPECT
                    and meta.hostile is None
                    and meta.intent != "bounced"
                ):
                    self._touch(inbox, meta.tid).intent = intent  # the server classifies it
                    self._inbound(inbox, meta.tid, None, at, intent=intent)
                    return
        self._inbound(inbox, None, None, at, intent=intent)

    # -- ids -------------------------------------------------------------------------------
    def _next(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter:06d}"

    def _touch(self, inbox: Inbox, tid: str) -> ThreadMeta:
        meta = inbox.touch(tid)
        if meta is None:
            raise KeyError(tid)
        return meta

    def _new_thread(
        self,
        inbox: Inbox,
        *,
        mailbox: int,
        subject: str,
        first: str,
        last: str,
        company: str,
        intent: str | None,
        ts: int,
        tid: str | None = None,
    ) -> ThreadMeta:
        meta = ThreadMeta(
            tid=tid or self._next("thr_n"),
            index=-1,
            kind=KIND_PROSPECT,
            mailbox=mailbox,
            campaign=None,
            intent=intent,
            base_subject=subject,
            first=first,
            last=last,
            company=company,
            seed_count=0,
            last_ours=True,
            last_ts=ts,
            step=0,
            html_mode=0,
            variant=self._counter % 251,
            cc=False,
            spam=False,
            seed_intent=intent,
        )
        inbox.add_created(meta)
        return meta

    def _message(
        self,
        meta: ThreadMeta,
        *,
        ours: bool,
        sender: str,
        to: list[str],
        subject: str,
        text: str | None,
        html_body: str | None,
        at: datetime,
        cc: list[str] | None = None,
    ) -> dict[str, Any]:
        k = meta.message_count
        return {
            "id": f"msg_{meta.tid[4:]}_{k + 1:02d}",
            "message_id": f"<{seed_digest(meta.tid, k, 'x').hex()}@{sender.rpartition('@')[2]}>",
            "from_email": sender,
            "to_emails": to,
            "cc_emails": cc or [],
            "subject": subject,
            "date_received": iso(at.timestamp()),
            "body_text": text,
            "body_html": html_body if html_body is not None else text_to_html(text or ""),
            "is_incoming": not ours,
            "folder": "sent" if ours else "inbox",
        }

    def _inbound(self, inbox: Inbox, tid: str | None, body: str | None, at: datetime, intent: str | None = None) -> str:
        """A prospect's message arrives at ``at`` (a new thread when tid is None). Without a
        body one is written: for ``intent`` when given, else a generic reply; an answer in a
        conversation quotes the message it answers."""
        ts = int(at.timestamp())
        if tid is None:
            rng = self._live_rng
            first, last, company = rng.choice(FIRST), rng.choice(LAST), rng.choice(COMPANIES)
            meta = self._new_thread(
                inbox,
                mailbox=rng.randrange(len(MAILBOXES)),
                subject=INBOUND_SUBJECTS[rng.randrange(len(INBOUND_SUBJECTS))].format(first=first, company=company),
                first=first,
                last=last,
                company=company,
                intent=intent,
                ts=ts,
            )
        else:
            meta = self._touch(inbox, tid)
        html_body = None
        if body is None:
            pool = PROSPECT_BY_INTENT[intent] if intent is not None else LIVE_REPLIES
            text = meta._fmt(pool[(meta.variant + meta.message_count) % len(pool)], ts)
            if meta.message_count and intent != "out_of_office":  # an auto-reply quotes nothing
                prev = meta.last_message()
                mine = meta.our_name if not prev["is_incoming"] else meta.prospect_name
                try:
                    sent = datetime.fromisoformat(prev["date_received"].replace("Z", "+00:00"))
                except ValueError:  # a pathological record's date (data.PATHOLOGICAL)
                    sent = at
                head = quote_attribution(int(sent.timestamp()), mine, prev["from_email"])
                quoted = prev["body_text"] or ""
                html_body = html_quoted(text, head, quoted)
                text = f"{text}\n\n{head}\n> " + quoted.replace("\n", "\n> ")
        else:
            text = body
        subject = meta.subject_full() if meta.message_count else meta.base_subject
        if meta.message_count and not subject.lower().startswith("re:"):
            subject = "Re: " + subject
        msg = self._message(
            meta,
            ours=False,
            sender=meta.prospect_email,
            to=[meta.mailbox_email],
            subject=subject,
            text=text,
            html_body=html_body,
            at=at,
        )
        inbox.append(meta, msg, ts)
        return meta.tid

    # -- public test hooks -----------------------------------------------------------------
    def add_inbound_reply(self, thread_id: str | None = None, body: str | None = None) -> str:
        """A prospect reply arrives now (a new thread when thread_id is None); bumps it."""
        self.tick()
        return self._inbound(self.inboxes[self.primary], thread_id, body, self.now())

    def add_pathological_threads(self) -> dict[str, str]:
        """The records of data.PATHOLOGICAL arrive now, one new thread each (so a sync of any
        kind, incremental too, lists them), each with one incoming message whose date,
        subject, sender and body are the record's; returns kind -> thread id. Already there:
        left as they are."""
        self.tick()
        inbox = self.inboxes[self.primary]
        at = self.now()
        ts = int(at.timestamp())
        out: dict[str, str] = {}
        for kind, date, subject, sender, body, intent in PATHOLOGICAL:
            tid = out[kind] = f"thr_p_{kind}"
            if inbox.get(tid) is not None:
                continue
            meta = self._new_thread(
                inbox,
                mailbox=0,
                subject=subject,
                first="Pat",
                last="Hollis",
                company=COMPANIES[0],
                intent=intent,
                ts=ts,
                tid=tid,
            )
            meta.email = sender
            msg = self._message(
                meta,
                ours=False,
                sender=meta.prospect_email,
                to=[meta.mailbox_email],
                subject=subject,
                text=body,
                html_body=None,
                at=at,
            )
            if date:
                msg["date_received"] = date
            inbox.append(meta, msg, ts)
        return out

    def set_intent_server_side(self, thread_id: str, intent: str | None) -> None:
        """Reclassify elsewhere: the thread's updatedSince position does NOT change."""
        self._touch(self.inboxes[self.primary], thread_id).intent = intent

    def delete_thread(self, thread_id: str) -> None:
        if not self.inboxes[self.primary].delete(thread_id):
            raise KeyError(thread_id)

    def thread_ids(self) -> list[str]:
        """Every thread of the primary workspace, newest first (the listing order)."""
        return [meta.tid for _, meta in self.inboxes[self.primary].walk()]

    def thread_snapshot(self) -> dict[str, dict[str, Any]]:
        return {
            meta.tid: {"replyIntent": meta.intent, "message_count": meta.message_count}
            for _, meta in self.inboxes[self.primary].walk()
        }

    def thread_mailboxes(self) -> dict[str, str]:
        """thread id -> the mailbox of ours the thread belongs to (what a reply should go from)."""
        return {meta.tid: meta.mailbox_email for _, meta in self.inboxes[self.primary].walk()}

    @property
    def hostile_thread_ids(self) -> dict[str, str]:
        """kind -> thread id of the seeded hostile-content threads present."""
        inbox = self.inboxes[self.primary]
        return {kind: f"thr_x_{kind}" for kind in HOSTILE_KINDS if inbox.index_of(f"thr_x_{kind}") is not None}

    @property
    def mailboxes(self) -> list[str]:
        return [m for m, _ in MAILBOXES]

    @property
    def campaigns(self) -> list[dict[str, Any]]:
        return self.campaigns_for(self.primary)

    def campaigns_for(self, ws: int) -> list[dict[str, Any]]:
        anchor = self.inboxes[self.primary].anchor
        out = []
        for k, (cid, name, priority, status) in enumerate(CAMPAIGNS):
            created = anchor - Inbox.SPAN_SECONDS - 86400 * (30 - 3 * k)
            out.append(
                {
                    "id": cid,
                    "workspaceId": ws,
                    "name": name,
                    "priority": priority,
                    "status": status,
                    "createdAt": iso(created),
                    "updatedAt": iso(anchor - 86400 * (k + 1)),
                }
            )
        return out

    def campaign_stats(self, ws: int, campaign_id: str) -> dict[str, Any] | None:
        """GET /campaigns/{id}/stats as the Campaigns document shows it, counted from this
        world's threads (None: no such campaign). Every contact of a campaign has a thread here
        (the seeded inbox keeps outbound-only ones), so: contacts = its threads; replied = those
        the prospect answered (a bounce is not an answer); sends = our messages in them."""
        status = {c["id"]: c["status"] for c in self.campaigns_for(ws)}.get(campaign_id)
        if status is None:
            return None
        inbox = self.inboxes[ws]
        counted = self._campaign_counts.get(ws)
        if counted is None or counted[0] != inbox.version:
            counted = self._campaign_counts[ws] = (inbox.version, inbox.campaign_counts())
        total, replied, bounced, sent = counted[1].get(campaign_id, [0, 0, 0, 0])
        return {
            "campaignId": campaign_id,
            "status": status,
            "contacts": {
                "total": total,
                "active": total - replied - bounced,
                "completed": 0,
                "replied": replied,
                "bounced": bounced,
            },
            "sends": {"total": sent, "sent": sent, "failed": 0, "bounced": bounced, "replied": replied},
        }

    # -- outbound ----------------------------------------------------------------------------
    def send(
        self,
        ws: int,
        kind: str,
        *,
        thread_id: str | None,
        sender: str,
        to: str,
        subject: str,
        text: str | None,
        html_body: str | None,
    ) -> tuple[Operation, ThreadMeta | None]:
        """Queue an outbound message; replies and new messages are appended to their thread
        at once (a new message: it bumps updatedSince), unless the recipient bounces."""
        now = self.now()
        inbox = self.inboxes[ws]
        bounce = "bounce" in to.lower()
        meta: ThreadMeta | None = None
        if kind == "new":
            mbx = [m for m, _ in MAILBOXES].index(sender) if sender in self.mailboxes else 0
            local = to.partition("@")[0]
            meta = self._new_thread(
                inbox,
                mailbox=mbx,
                subject=subject,
                first=local.split(".")[0].title() or "There",
                last="",
                company=to.partition("@")[2] or "unknown",
                intent=None,
                ts=int(now.timestamp()),
            )
            meta.email = to.strip().lower()  # replies come from the address we wrote to
        elif thread_id is not None:
            meta = self._touch(inbox, thread_id)
        tid = meta.tid if meta else None
        message_id = f"<{self._next('out')}.{seed_digest(tid, now.timestamp()).hex()}@{sender.rpartition('@')[2]}>"
        if meta is not None and kind in ("reply", "new") and not bounce:
            msg = self._message(
                meta, ours=True, sender=sender, to=[to], subject=subject, text=text, html_body=html_body, at=now
            )
            msg["message_id"] = message_id
            inbox.append(meta, msg, int(now.timestamp()))
        op = Operation(
            operation_id=self._next(f"op_{kind}_"),
            kind=kind,
            created=now,
            message_id=message_id,
            thread_id=tid,
            recipient=to,
            error=f"550 5.1.1 <{to}>: recipient address rejected (bounced)" if bounce else None,
        )
        self.operations[op.operation_id] = op
        self.sent_messages.append(
            {
                "kind": kind,
                "operation_id": op.operation_id,
                "thread_id": tid,
                "from_email": sender,
                "to": to,
                "subject": subject,
                "body_text": text,
                "body_html": html_body,
                "message_id": message_id,
                "date": iso(now.timestamp()),
                "bounced": bounce,
            }
        )
        return op, meta

    def operation(self, op_id: str) -> dict[str, Any] | None:
        op = self.operations.get(op_id)
        return op.status_at(self.now(), self.cfg.op_step_seconds) if op else None

    # -- auth ------------------------------------------------------------------------------
    def key_valid(self, key: str) -> bool:
        keys = self.cfg.api_keys
        if keys is None:
            words = re.split(r"[_\-]", key.lower())[1:]
            return (
                key.startswith("ot2d_")
                and len(key) > 5
                and key.isprintable()
                and not any(w.startswith(REJECTED_KEY_WORDS) or w == "bad" for w in words)
            )
        return key in keys

    def key_workspaces(self, key: str) -> list[int]:
        keys = self.cfg.api_keys
        if isinstance(keys, dict):
            return [ws for ws in keys.get(key, []) if ws in self.inboxes]
        return list(self.inboxes)
