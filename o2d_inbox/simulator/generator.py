"""Building the seeded world: each thread and its messages derived from the seed.

Thread metadata for the seeded threads is 16 random bytes per thread (one ``randbytes`` call),
decoded on demand; message text is derived per (thread, message) from the corpus's templates,
so 1,000,000 threads cost 16 MB and no start-up time.

What the seeded inbox looks like (a working SDR's, so the demo reads true): dates follow
``AGE_PROFILE`` from the anchor (about 0.4 % in the last three hours, half within 14 days, a
tail to 180 days); whether the prospect wrote last follows ``NEEDS_REPLY_BY_AGE`` (65 % of
the last day's threads, 30 % of the rest of the fortnight, 3 % then 0.4 % of older ones: about
20 % overall); a conversation opens with one to three steps of our sequence, then the sides
alternate; the intent is drawn given who wrote last (a bounce always comes last, from a
mailer-daemon, minutes after our message; out-of-office replies name a return date); some
replies quote the message they answer ("On … wrote:" and "> " lines, or an Outlook header).
Threads, intents, message counts and senders are a function of the seed alone; dates (and the
return dates quoted in out-of-office text) move with the anchor.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json.encoder
import string
import time
from dataclasses import dataclass, field
from typing import Any

from o2d_inbox.simulator.corpus import (
    DMARC_BODY,
    DSN_FROM,
    DSN_SUBJECTS,
    FIRST,
    HOSTILE,
    HOSTILE_KINDS,
    MAILBOXES,
    OUR_ANSWER,
    OUR_BUMP,
    OUR_FIRST,
    OUR_FOLLOWUP,
    POSTMASTER_FROM,
    POSTMASTER_SUBJECTS,
    PROSPECT_BY_INTENT,
    SUBJECTS,
    WARMUP_BODY,
    WARMUP_PARTNERS,
    WARMUP_SUBJECTS,
)


def hostile_index(k: int) -> int:
    """Seeded position of the k-th hostile thread: spread over the first ~80 (first screens)."""
    return 3 + 7 * k


def iso(ts: float) -> str:
    """Epoch seconds → ``2026-03-09T14:30:00Z`` (the day part is cached: hot in listings)."""
    day, sec = divmod(int(ts), 86400)
    hours, sec = divmod(sec, 3600)
    return f"{_day(day)}T{hours:02d}:{sec // 60:02d}:{sec % 60:02d}Z"


@functools.lru_cache(maxsize=4096)
def _day(day: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(day * 86400))


def _domain(company: str) -> str:
    domain = _DOMAINS.get(company)
    if domain is None:
        domain = _DOMAINS[company] = "".join(c for c in company.lower() if c.isalnum()) + ".com"
    return domain


_DOMAINS: dict[str, str] = {}
# the json module's C string escaper (quotes, backslashes, control chars; non-ASCII kept)
_encode_str = json.encoder.encode_basestring


@functools.lru_cache(maxsize=256)
def _fields(template: str) -> tuple[str, ...]:
    return tuple({name for _, name, _, _ in string.Formatter().parse(template) if name})


@functools.lru_cache(maxsize=65536)
def _person_email(first: str, last: str, company: str) -> str:
    local = (f"{first}.{last}" if last else first).lower().translate(_ASCII_NAMES)
    local = "".join(c for c in local if c.isascii() and c.isalnum() or c == ".")
    return f"{local}@{_domain(company)}"


# how people spell their names in an address (Müller -> mueller)
_ASCII_NAMES = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "è": "e"})


def seed_digest(*parts: Any) -> bytes:
    return hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=8).digest()


def text_to_html(text: str) -> str:
    return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n"))


# message-count weights 1..8 mapped from a byte
COUNT_TABLE = bytes([1] * 40 + [2] * 80 + [3] * 36 + [4] * 38 + [5] * 26 + [6] * 18 + [7] * 10 + [8] * 8)
# Intent of a prospect thread, by who wrote last (None = unclassified). A bounce is always the
# last message (nobody answers a mailer-daemon); a thread that ends with us mostly answered a
# reply (a booked call, an acknowledged "not interested" or "remove me", a follow-up after an
# out-of-office) or is still waiting for any answer at all.
INTENT_PROSPECT_LAST: tuple[str | None, ...] = (
    ("interested",) * 56
    + ("not_interested",) * 26
    + ("out_of_office",) * 41
    + ("bounced",) * 26
    + ("unsubscribe",) * 15
    + ("neutral",) * 56
    + (None,) * 36
)
INTENT_OURS_LAST: tuple[str | None, ...] = (
    ("interested",) * 46
    + ("not_interested",) * 48
    + ("out_of_office",) * 30
    + ("unsubscribe",) * 20
    + ("neutral",) * 56
    + (None,) * 56
)
assert len(COUNT_TABLE) == 256 and len(INTENT_PROSPECT_LAST) == len(INTENT_OURS_LAST) == 256
assert len(OUR_FOLLOWUP) == len(PROSPECT_BY_INTENT[None])  # answers line up with questions

#: Ages (seconds before the anchor) of the seeded threads' last messages, as a piecewise linear
#: quantile function of a thread's position (0 = newest, 1 = oldest): a dozen threads per
#: 3,000 in the last three hours, half within two weeks, a tail to six months.
AGE_PROFILE: tuple[tuple[float, int], ...] = (
    (0.0, 0),
    (0.004, 3 * 3600),
    (0.03, 86400),
    (0.15, 4 * 86400),
    (0.5, 14 * 86400),
    (0.75, 45 * 86400),
    (0.9, 100 * 86400),
    (1.0, 180 * 86400),
)
#: (age from, chance in 256 that the prospect wrote last): recent conversations wait for us,
#: older ones were answered (or ended) long ago.
NEEDS_REPLY_BY_AGE: tuple[tuple[int, int], ...] = (
    (0, 166),
    (86400, 141),
    (3 * 86400, 77),
    (14 * 86400, 8),
    (45 * 86400, 1),
)


def _shape(n: int, prospect_last: bool, pref: int, inbound: bool) -> tuple[int, int]:
    """(message count, lead) of a conversation: ``lead`` messages of our sequence open it (0:
    the prospect wrote first), then the sides alternate, so who wrote last follows from the
    parity. ``pref`` is the sequence length we would like (1-3)."""
    want = 1 if prospect_last else 0  # parity of n - lead
    if not inbound and n == 1 and prospect_last:
        n = 2  # a lone inbound message is rare in cold outreach: make it a reply to us
    elif not inbound and n == 2 and not prospect_last and pref == 1:
        n = 3  # us, them, us
    if inbound and n % 2 == want:
        return n, 0
    for lead in (pref, pref - 1, pref + 1, pref - 2, pref + 2, pref + 3):
        # outbound only (lead == n): a single unanswered email, or our whole 2-step sequence
        if 1 <= lead <= n and (n - lead) % 2 == want and (lead < n or n == 1 or pref == 3):
            return n, lead
    return n, 0


_LEAD_PREF = (1, 1, 2, 3)  # by 2 bits: the sequence we would like before the first answer
#: _shape by ``count << 4 | prospect_last << 3 | shape byte & 3 << 1 | inbound`` (the hot path)
SHAPES: tuple[tuple[int, int], ...] = tuple(
    _shape(key >> 4 or 1, bool(key & 8), _LEAD_PREF[key >> 1 & 3], bool(key & 1)) for key in range(9 << 4)
)
#: who quotes the message they answer (1 the prospect, 2 us), by 3 bits: 3 threads in 8
QUOTE_MODES = (0, 0, 0, 0, 0, 1, 1, 3)

KIND_PROSPECT, KIND_WARMING, KIND_POSTMASTER = 0, 1, 2

#: our senders' surnames (by mailbox), for quote attributions and signatures
_OUR_SURNAMES = ("Carter", "Mitchell", "Russo", "Lindqvist", "Okoro", "Fontaine")
_OUR_TITLES = (
    "Account Executive",
    "SDR Team Lead",
    "Partnerships",
    "Account Executive",
    "Sales Development",
    "Founder",
)
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
AUTO, DSN = 1, 2  # flags of a generated message: an automatic reply (no quote), a bounce
_AUTOMATIC = ("out_of_office", "bounced")  # intents whose classified message is automatic


def _return_day(ts: int, days: int) -> time.struct_time:
    """The working day ``days`` after ``ts`` (a weekend moves to the Monday)."""
    t = time.gmtime(ts + days * 86400)
    if t.tm_wday >= 5:
        t = time.gmtime(ts + (days + 7 - t.tm_wday) * 86400)
    return t


def _long_date(t: time.struct_time) -> str:
    return f"{_WEEKDAY_NAMES[t.tm_wday]}, {_MONTH_NAMES[t.tm_mon - 1]} {t.tm_mday}"


def quote_attribution(ts: int, name: str, email: str) -> str:
    """Gmail's line above quoted history: "On Mon, Mar 9, 2026 at 2:30 PM Ann <a@b.c> wrote:"."""
    day, sec = divmod(ts, 86400)
    hour, minute = sec // 3600, sec % 3600 // 60
    return (
        f"On {_gmail_day(day)} at {hour % 12 or 12}:{minute:02d} {'AM' if hour < 12 else 'PM'} {name} <{email}> wrote:"
    )


@functools.lru_cache(maxsize=4096)
def _gmail_day(day: int) -> str:
    t = time.gmtime(day * 86400)
    return f"{_WEEKDAY_NAMES[t.tm_wday][:3]}, {_MONTH_NAMES[t.tm_mon - 1][:3]} {t.tm_mday}, {t.tm_year}"


def html_quoted(text: str, attribution: str, quoted: str) -> str:
    """A reply's HTML the way Gmail writes it: the new text, then the attribution and the
    quoted message in a blockquote."""
    return (
        text_to_html(text)
        + '<div class="gmail_quote"><div>'
        + html.escape(attribution)
        + '</div><blockquote class="gmail_quote">'
        + text_to_html(quoted)
        + "</blockquote></div>"
    )


def _outlook_header(ts: int, name: str, email: str, to_name: str, to: str, subject: str) -> str:
    t = time.gmtime(ts)
    hour = t.tm_hour % 12 or 12
    return (
        f"________________________________\nFrom: {name} <{email}>\n"
        f"Sent: {_long_date(t)}, {t.tm_year} {hour}:{t.tm_min:02d} "
        f"{'AM' if t.tm_hour < 12 else 'PM'}\nTo: {to_name} <{to}>\nSubject: {subject}"
    )


@dataclass(slots=True)
class ThreadMeta:
    """Everything needed to render a thread and its messages (seeded part + appended messages)."""

    tid: str
    index: int  # seeded position, -1 for threads created after start
    kind: int
    mailbox: int
    campaign: str | None
    intent: str | None
    base_subject: str
    first: str
    last: str
    company: str
    seed_count: int  # generated messages
    last_ours: bool  # sender of the last generated message
    last_ts: int  # date of the last generated message
    step: int  # seconds between generated messages
    html_mode: int  # 0 text+html, 1 html-only (text null), 2 html-only (text "")
    variant: int
    cc: bool
    spam: bool
    hostile: str | None = None
    extra: list[dict[str, Any]] = field(default_factory=list)  # appended wire messages
    extra_ts: list[int] = field(default_factory=list)
    seq: int = 0
    #: generated messages from us before the prospect's first (0: the prospect wrote first);
    #: after them the sides alternate
    lead: int = 1
    #: who quotes the message answered: 1 the prospect, 2 us (bits)
    quote: int = 0
    #: the prospect's address when it is not derived from the name (threads we started)
    email: str | None = None
    #: the intent the generated messages were written for (``intent`` may change later;
    #: the messages don't)
    seed_intent: str | None = None

    # -- derived -------------------------------------------------------------------------
    @property
    def message_count(self) -> int:
        return self.seed_count + len(self.extra)

    @property
    def last_date(self) -> int:
        return self.extra_ts[-1] if self.extra_ts else self.last_ts

    @property
    def prospect_email(self) -> str:
        if self.email is not None:
            return self.email
        if self.hostile == "rtl":
            return HOSTILE[HOSTILE_KINDS.index("rtl")][2] or ""
        if self.kind == KIND_WARMING:
            return WARMUP_PARTNERS[self.variant % len(WARMUP_PARTNERS)]
        if self.kind == KIND_POSTMASTER:
            return POSTMASTER_FROM[self.variant % len(POSTMASTER_FROM)]
        return _person_email(self.first, self.last if self.variant % 3 == 0 else "", self.company)

    @property
    def mailbox_email(self) -> str:
        return MAILBOXES[self.mailbox][0]

    @property
    def prospect_name(self) -> str:
        return f"{self.first} {self.last}".strip()

    @property
    def our_name(self) -> str:
        return f"{MAILBOXES[self.mailbox][1]} {_OUR_SURNAMES[self.mailbox]}"

    def outgoing_count(self) -> int:
        """Our messages in the thread (a campaign's sends to this contact, and our answers)."""
        return sum(self._ours(k) for k in range(self.seed_count)) + sum(not m["is_incoming"] for m in self.extra)

    def has_incoming(self) -> bool:
        if self.seed_count > self.lead:
            return True
        return any(m["is_incoming"] for m in self.extra)

    def subject_full(self) -> str:
        if self.hostile is not None:
            return self.base_subject
        if self.message_count > 1 and self.kind != KIND_POSTMASTER:
            return "Re: " + self.base_subject
        return self.base_subject

    def subject_display(self) -> str:
        if self.hostile is None and self.index >= 0:
            return self.base_subject  # seeded subjects carry no prefix of their own
        s = self.subject_full()
        while s[:4].lower() in ("re: ", "fw: ") or s[:5].lower() == "fwd: ":
            s = s[s.index(":") + 2 :]
        return s

    # -- messages --------------------------------------------------------------------------
    def _fmt(self, template: str, ts: int = 0) -> str:
        values = {}
        for name in _fields(template):  # only what the template uses (this is the hot path)
            if name == "first":
                values[name] = self.first
            elif name == "company":
                values[name] = self.company
            elif name == "our":
                values[name] = MAILBOXES[self.mailbox][1]
            elif name == "last":
                values[name] = self.last
            elif name == "our_lower":
                values[name] = MAILBOXES[self.mailbox][1].lower()
            elif name == "our_title":
                values[name] = _OUR_TITLES[self.mailbox]
            elif name == "domain":
                values[name] = _domain(self.company)
            elif name == "email":
                values[name] = self.prospect_email
            elif name == "first2":
                values[name] = FIRST[(self.variant + 7) % len(FIRST)]
            elif name == "first2_lower":
                values[name] = FIRST[(self.variant + 7) % len(FIRST)].lower()
            elif name == "code":
                values[name] = f"WX{self.variant:03d}"
            elif name == "back":  # an out-of-office return date, 2-9 days after the message
                values[name] = _long_date(_return_day(ts, 2 + self.variant % 8))
            elif name == "back_short":
                t = _return_day(ts, 2 + self.variant % 8)
                values[name] = f"{_MONTH_NAMES[t.tm_mon - 1]} {t.tm_mday}"
            elif name == "back_weekday":  # a bare weekday: within the next week
                values[name] = _WEEKDAY_NAMES[_return_day(ts, 1 + self.variant % 4).tm_wday]
            elif name == "reporter":
                values[name] = ("google.com", "Outlook.com", "Yahoo")[self.variant % 3]
            elif name == "mbdomain":
                values[name] = MAILBOXES[self.mailbox][0].partition("@")[2]
        return template.format_map(values)

    def _ours(self, k: int) -> bool:
        lead = self.lead
        return k < lead or (k - lead) & 1 == 1

    def _own(self, k: int) -> tuple[bool, int, str, str, int]:
        """(ours, ts, sender, text, flags) of the k-th generated message, without quoted
        history; flags: AUTO (an automatic reply: quotes nothing), DSN (a bounce)."""
        n, lead, step = self.seed_count, self.lead, self.step
        if k < lead:  # our sequence: its steps are a few days apart
            ours = True
            ts = self.last_ts - (n - 1 - k) * step - 2 * step * (lead - 1 - k)
        else:  # then the sides alternate; answers come within hours or days
            ours = (k - lead) & 1 == 1
            ts = self.last_ts - (n - 1 - k) * step
        if self.seed_intent in _AUTOMATIC and k < n - 1 - self.last_ours:
            # before an out-of-office or a bounce, which comes minutes after our message
            ts += step - 60 - 37 * (self.variant % 8)
        pick = self.variant + k
        if self.kind:  # warmup, postmaster
            return self._own_system(ours, ts, pick)
        pool: tuple[str, ...]
        if ours:
            if k == 0:
                pool = OUR_FIRST
            elif k < lead:
                pool = OUR_BUMP
            elif k == n - 1 and self.seed_intent in OUR_ANSWER:
                pool = OUR_ANSWER[self.seed_intent]  # answering the classified reply just before
            else:
                pool = OUR_FOLLOWUP
            return True, ts, MAILBOXES[self.mailbox][0], self._fmt(pool[pick % len(pool)]), 0
        # the prospect's latest message carries the thread's classification
        intent = self.seed_intent if k >= n - 2 else None
        pool = PROSPECT_BY_INTENT[intent]
        which = pick % len(pool)
        if intent == "bounced":
            return False, ts, self._fmt(DSN_FROM[which]), self._fmt(pool[which]), AUTO | DSN
        return False, ts, self.prospect_email, self._fmt(pool[which], ts), AUTO if intent == "out_of_office" else 0

    def _own_system(self, ours: bool, ts: int, pick: int) -> tuple[bool, int, str, str, int]:
        if self.kind == KIND_WARMING:
            return ours, ts, self.mailbox_email if ours else self.prospect_email, self._fmt(WARMUP_BODY), AUTO
        if self.base_subject.startswith("DMARC"):
            text = self._fmt(DMARC_BODY)
        else:
            pool = PROSPECT_BY_INTENT["bounced"]
            text = self._fmt(pool[pick % len(pool)]).replace(
                self.prospect_email, f"{self.first.lower()}@{_domain(self.company)}"
            )
        return False, ts, self.prospect_email, text, AUTO

    def _seeded_parts(self, k: int, with_html: bool = True) -> tuple[bool, int, str, str | None, str | None]:
        """(ours, ts, sender, body_text, body_html) of the k-th generated message; body_html
        is None when it is the plain text's paragraphs (and always without ``with_html``)."""
        ours, ts, sender, text, flags = self._own(k)
        body_html: str | None = None
        if self.hostile is not None:
            if not ours:
                h = HOSTILE[HOSTILE_KINDS.index(self.hostile)]
                return ours, ts, sender, h[3], h[4]
        elif k and not flags and self.quote & (2 if ours else 1) and self.kind == KIND_PROSPECT:
            # a reply that quotes the message it answers (one level: that message's own text)
            p_ours, p_ts, p_sender, p_text, p_flags = self._own(k - 1)
            if not p_flags & DSN:
                p_name = self.our_name if p_ours else self.prospect_name
                if not ours and self.variant % 4 == 1:  # an Outlook user: header, no "> "
                    to_name = self.prospect_name if p_ours else self.our_name
                    to = self.prospect_email if p_ours else self.mailbox_email
                    head = _outlook_header(
                        p_ts, p_name, p_sender, to_name, to, self.base_subject if k == 1 else "Re: " + self.base_subject
                    )
                    quoted = p_text
                    if with_html:
                        body_html = (
                            text_to_html(text)
                            + "<hr><div>"
                            + html.escape(head.partition("\n")[2]).replace("\n", "<br>")
                            + "</div>"
                            + text_to_html(p_text)
                        )
                else:
                    head = quote_attribution(p_ts, p_name, p_sender)
                    quoted = "> " + p_text.replace("\n", "\n> ")
                    if with_html:
                        body_html = html_quoted(text, head, p_text)
                text = f"{text}\n\n{head}\n{quoted}"
        if not ours and self.html_mode and k == self.seed_count - 1:
            if with_html and body_html is None:
                body_html = text_to_html(text)
            return ours, ts, sender, None if self.html_mode == 1 else "", body_html
        return ours, ts, sender, text, body_html

    def seeded_message(self, k: int) -> dict[str, Any]:
        """The k-th generated message (0 = oldest); a pure function of the seeded bytes."""
        ours, ts, sender, text, body_html = self._seeded_parts(k)
        prospect, mailbox = self.prospect_email, self.mailbox_email
        cc = (
            [f"{FIRST[(self.variant + 3) % len(FIRST)].lower()}@{_domain(self.company)}"]
            if (self.cc and not ours and self.kind == KIND_PROSPECT and not sender.startswith("mailer-daemon@"))
            else []
        )
        subject = self.subject_full() if k > 0 or self.hostile else self.base_subject
        if (
            not ours
            and self.kind == KIND_PROSPECT
            and self.seed_intent == "bounced"
            and k == self.seed_count - 1
            and self.hostile is None
        ):
            pool = PROSPECT_BY_INTENT["bounced"]
            subject = DSN_SUBJECTS[(self.variant + k) % len(pool)].format(base=self.base_subject)
        return {
            "id": f"msg_{self.tid[4:]}_{k + 1:02d}",
            "message_id": f"<{seed_digest(self.tid, k).hex()}@{sender.rpartition('@')[2]}>",
            "from_email": sender,
            "to_emails": [prospect] if ours else [mailbox],
            "cc_emails": cc,
            "subject": subject,
            "date_received": iso(ts),
            "body_text": text,
            "body_html": body_html if body_html is not None else text_to_html(text or ""),
            "is_incoming": not ours,
            "folder": "sent" if ours else ("spam" if self.spam and k == self.seed_count - 1 else "inbox"),
        }

    def messages(self) -> list[dict[str, Any]]:
        return [self.seeded_message(k) for k in range(self.seed_count)] + list(self.extra)

    def last_message(self) -> dict[str, Any]:
        return self.extra[-1] if self.extra else self.seeded_message(self.seed_count - 1)

    def wire_json(self) -> str:
        """The thread as GET /threads lists it, as JSON text. Written out by hand because it
        is the listing's hot path (about a third faster than building a dict and encoding
        it); every string goes through the json module's own escaper."""
        extra = self.extra
        if extra:
            last = extra[-1]
            sender, date, text = last["from_email"], last["date_received"], last["body_text"]
            first_id = extra[0]["message_id"].strip("<>") if not self.seed_count else None
        else:  # the listing needs only the last message's summary, not its HTML
            _, ts, sender, text, _ = self._seeded_parts(self.seed_count - 1, False)
            date = iso(ts)
        if self.seed_count:
            first_id = f"{self.tid[4:]}.{self.variant:02x}{self.step:x}@{_domain(self.company)}"
        display = self.base_subject if self.hostile is None and self.index >= 0 else self.subject_display()
        enc = _encode_str  # for the strings that are never null
        return (
            f'{{"id":{enc(self.tid)},"external_thread_id":{_js(first_id)},'
            f'"subject":{enc(self.subject_full())},"subject_display":{enc(display)},'
            f'"last_message":{{"from_email":{enc(sender)},"date_received":"{date}",'
            f'"body_text":{_js(text)}}},'
            f'"is_warming":{"true" if self.kind == KIND_WARMING else "false"},'
            f'"is_postmaster":{"true" if self.kind == KIND_POSTMASTER else "false"},'
            f'"message_count":{self.seed_count + len(extra)},'
            f'"replyIntent":{_js(self.intent)},"campaignId":{_js(self.campaign)}}}'
        )


def _js(value: str | None) -> str:
    return "null" if value is None else _encode_str(value)


def subject_for(kind: int, pick: int, first: str, company: str, mailbox: int, variant: int) -> str:
    if kind == KIND_PROSPECT:  # the hot path: most threads
        return SUBJECTS[pick % len(SUBJECTS)].format(company=company, first=first, our=MAILBOXES[mailbox][1])
    if kind == KIND_WARMING:
        return WARMUP_SUBJECTS[pick % len(WARMUP_SUBJECTS)].format(code=f"WX{variant:03d}")
    base = SUBJECTS[pick % len(SUBJECTS)].format(company=company, first=first, our=MAILBOXES[mailbox][1])
    return POSTMASTER_SUBJECTS[pick % len(POSTMASTER_SUBJECTS)].format(
        base=base, mbdomain=MAILBOXES[mailbox][0].partition("@")[2]
    )
