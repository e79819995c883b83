"""Seeded, lazily generated Unibox data for one workspace.

Thread metadata for the seeded threads is 16 random bytes per thread (one ``randbytes`` call),
decoded on demand; message text is derived per (thread, message) from templates, so 1,000,000
threads cost 16 MB and no start-up time. Seeded thread ``i`` is the ``i``-th newest: its last
message date never increases with ``i``, so listing order is the index order except for the
threads that changed after start ("bumped" by a new message), which are kept in a small sorted
list and merged in front of the seeded stream.

Ordering key of a thread: ``(last_ts, seq)``, compared descending; ``seq`` is ``n - i`` for a
seeded thread and ``n + counter`` once a thread is bumped, so keys are unique and a cursor can
be a key (stable while threads move: a thread bumped during a walk jumps ahead of the cursor and
is picked up by ``updatedSince``).

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

import bisect
import json.encoder
import functools
import hashlib
import html
import math
import random
import string
import time
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable, Iterator

INTENTS: tuple[str, ...] = (
    "interested",
    "not_interested",
    "out_of_office",
    "bounced",
    "unsubscribe",
    "neutral",
)

#: Our side: the workspace's sending mailboxes (what ``mailboxId`` filters on).
MAILBOXES: tuple[tuple[str, str], ...] = (
    ("john@cooloutreach.com", "John"),
    ("sarah@cooloutreach.com", "Sarah"),
    ("mike@getcooloutreach.com", "Mike"),
    ("anna@cooloutreach.io", "Anna"),
    ("david@trycooloutreach.com", "David"),
    ("emma@cooloutreach.co", "Emma"),
)

#: (id, name, priority, status, created day offset)
CAMPAIGNS: tuple[tuple[str, str, str, str], ...] = (
    ("cmp_q1saas7a2f", "Q1 SaaS Outreach", "HIGH", "active"),
    ("cmp_fintech91c", "Fintech CFOs – Spring", "MEDIUM", "active"),
    ("cmp_agency3d0e", "Agencies Partnership", "MEDIUM", "paused"),
    ("cmp_ecom55b1", "E-commerce Founders", "LOW", "active"),
    ("cmp_hrtech0f4", "HR Tech Webinar Invite", "MEDIUM", "completed"),
    ("cmp_devtools8e", "DevTools Re-engagement", "HIGH", "active"),
    ("cmp_health2c9", "Healthcare Ops Leaders", "LOW", "draft"),
)

FIRST = (
    "Sarah Mike Priya Tom Olivia Daniel Chen Fatima Lukas Sofia James Aisha Marco Elena Noah "
    "Yuki Grace Omar Hannah Diego Chloe Ravi Zoe Ahmed Julia Ben Mei Carlos Nina Sam Lena Kofi "
    "Ingrid Pedro Maya Victor Leila Oscar Amara Felix"
).split()
LAST = (
    "Chen Johnson Patel Smith Garcia Müller Rossi Nakamura Kim Okafor Silva Novak Andersen "
    "Dubois Haddad Kowalski Brown Ivanova Lopez Schmidt Tanaka Walsh Singh Moreau Costa Berg "
    "Fischer Nguyen O'Brien Hughes Reyes Larsen Kaplan Mendes Petrov Ali Byrne Weber Cruz Hall"
).split()
COMPANIES = (
    "Acme Corp|BigCo|Northwind Traders|Globex|Initech|Umbrella Health|Stark Logistics|"
    "Wayne Fintech|Hooli|Pied Piper|Vandelay Imports|Soylent Foods|Cyberdyne Labs|Tyrell Bio|"
    "Oscorp Energy|Wonka Retail|Gringotts Capital|Aperture Analytics|Massive Dynamic|"
    "Blue Sun Media|Monarch Travel|Sterling Cooper|Dunder Mifflin|Prestige Worldwide|"
    "Rekall Systems|Nakatomi Trading|Virtucon|Duff Beverages|Bluth Homes|Kruger Industrial|"
    "Helios Robotics|Lumen Cloud|Quartz HR|Atlas Freight|Nimbus DevTools|Orbit Payments"
).split("|")

SUBJECTS = (
    "Quick question about {company}",
    "Idea for {company}",
    "Partnership opportunity",
    "{first}, worth a quick chat?",
    "Cutting {company}'s onboarding time in half",
    "Intro: {our} from Cool Outreach",
    "Your hiring plans at {company}",
    "15 minutes next week?",
    "Following up on our webinar",
    "Saw {company} on Product Hunt",
    "{company} + Cool Outreach",
    "Reply rates at {company}",
    "Question about your outbound team",
    "{first} — book more meetings this quarter?",
)

#: Our signature lines after the name (by mailbox): some SDRs sign with a title.
_OUR_TITLE = ("Account Executive", "SDR Team Lead", "Partnerships", "Account Executive",
              "Sales Development", "Founder")

# Templates: {first} {last} {company} {domain} {email} the prospect; {our} our sender's name,
# {our_lower}; {first2}/{first2_lower} a colleague of the prospect; {back} {back_short}
# {back_weekday} an out-of-office return date (derived from the message's own date).
OUR_FIRST = (
    "Hi {first},\n\nI noticed {company} is growing fast. We help teams like yours book more "
    "meetings without hiring more SDRs.\n\nWould you be open to a quick chat next week?\n\n"
    "Best,\n{our}\n{our_title}, Cool Outreach",
    "Hello {first},\n\nCongrats on the recent launch at {company}! We work with similar teams "
    "to automate outreach and keep deliverability high.\n\nWorth 15 minutes?\n\n{our}",
    "Hi {first},\n\nShort one: would improving reply rates at {company} be a priority this "
    "quarter? Happy to share what worked for BigCo.\n\nCheers,\n{our}",
    "Hi {first},\n\nMost outbound teams we talk to lose a third of their replies in messy "
    "inboxes. We put every mailbox in one queue, sorted by who is waiting on you.\n\n"
    "Teams like Hooli and Initech cut their response time from two days to two hours. Would "
    "that matter at {company}?\n\n{our}\n{our_title}, Cool Outreach",
    "{first} — saw you're hiring SDRs at {company}. Before you add headcount: we help five "
    "reps do the work of eight, without burning your domains.\n\nOpen to a 15-minute call "
    "on Tuesday or Thursday?\n\n{our}",
    "Hi {first},\n\nI'll be brief. We help revenue teams at companies like {company} run "
    "cold email that actually lands in the inbox (97% placement last quarter).\n\nIf this is "
    "on your radar, I can send a two-minute video. If not, no worries.\n\nThanks,\n{our}",
)
#: our sequence steps after the first one, sent while the prospect has not answered yet
OUR_BUMP = (
    "Hi {first},\n\nBumping this to the top of your inbox in case it got buried. Worth a "
    "quick look?\n\n{our}",
    "Hi {first}, following up on my note below. Would a 15-minute call next week make "
    "sense?\n\n{our}",
    "{first} — last note from me on this. If outbound isn't a priority at {company} right "
    "now, just say so and I'll close the loop.\n\n{our}",
    "Hi {first},\n\nOne more idea: teams like {company} usually start with a two-week pilot "
    "on a single mailbox. Happy to set that up for you.\n\n{our}",
    "Hi {first},\n\nJust wanted to follow up on my last email. Would love to connect this "
    "week.\n\n{our}",
)
#: our answers in the middle of a conversation: entry (j + 1) % 5 answers the prospect's
#: PROSPECT_BY_INTENT[None][j] (both pools are picked by variant + message index)
OUR_FOLLOWUP = (
    "No rush, {first}. I'll check in next week. Here's my calendar in case it's easier: "
    "https://cal.example.com/{our_lower}\n\n{our}",
    "Thanks {first}! Here's my calendar: https://cal.example.com/{our_lower}. Tuesday 10:00 "
    "works on my side too.\n\n{our}",
    "Great question. It syncs both ways with HubSpot and Salesforce, and setup takes about "
    "an hour. Want me to send a short video?\n\n{our}",
    "Makes sense. I'll check back after your planning meeting. Would the week after next "
    "work for a quick call?\n\n{our}",
    "Sounds good, {first}. Happy to join a call with the team if that helps. Here's a "
    "one-pager with pricing for {company} to share.\n\nBest,\n{our}",
)
#: our last message when it answers a classified prospect reply
OUR_ANSWER: dict[str, tuple[str, ...]] = {
    "interested": (
        "Thanks {first}! Here's my calendar: https://cal.example.com/{our_lower}. Tuesday "
        "10:00 works on my side too.\n\n{our}",
        "Great to hear from you, {first}. I've attached a one-pager with pricing for "
        "{company}: for 20 seats it's $49 per seat a month, billed annually.\n\nBest,\n{our}",
        "Perfect, I've sent an invite for Thursday at 2:00 pm ET. I'll bring a short demo "
        "tailored to {company}; feel free to add anyone on your team.\n\n{our}",
    ),
    "not_interested": (
        "Understood, {first}. Thanks for letting me know, I won't follow up.\n\n{our}",
        "Thanks for the reply, {first}. If things change at {company}, you know where to find "
        "me.\n\nAll the best,\n{our}",
    ),
    "unsubscribe": (
        "Done, {first}: you're removed from our list. Sorry for the noise.\n\n{our}",
        "You've been removed from all our sequences. Apologies for the interruption.\n\n{our}",
    ),
    "out_of_office": (
        "Hi {first}, hope you had a good break! Circling back on my note below: would a "
        "quick call this week make sense?\n\n{our}",
        "Thanks, I'll follow up when you're back.\n\n{our}",
    ),
    "neutral": (
        "Happy to share more, {first}. Here's a two-page overview and three customer stories "
        "from teams like {company}.\n\n{our}",
        "Sure! We work with Hooli, Initech and Globex, mostly teams of 5 to 50 reps. Pricing "
        "starts at $49 per seat. Want me to set up a short call to see if it fits?\n\n{our}",
        "Thanks for looping in {first2}. {first2}, happy to walk you through it whenever "
        "suits.\n\n{our}",
    ),
}
PROSPECT_BY_INTENT: dict[str | None, tuple[str, ...]] = {
    "interested": (
        "Hi {our},\n\nThanks for reaching out. This sounds interesting. Could we set up a call "
        "next week? Tuesday or Wednesday afternoon works.\n\n{first}",
        "Yes, we've been looking at this. Can you send pricing for a team of 20?\n\n{first} {last}"
        "\n{company}",
        "Timing is actually good: we're reviewing vendors this quarter. What does your "
        "availability look like on Thursday or Friday?\n\n{first}",
        "Interested. Can you walk me and our Head of Sales through it? Send a few times that "
        "work and I'll loop her in.\n\n{first} {last}",
        "Sure, let's chat. What does pricing look like for about 50 seats, and is there an "
        "annual discount?\n\n{first}",
        "Hey {our}, good timing. Do you have 30 minutes on Monday afternoon? Send the invite "
        "to this address.\n\n{first}\n\nSent from my iPhone",
    ),
    "not_interested": (
        "Hi {our}, thanks but we're not interested at this time.\n\n{first}",
        "Please stop emailing me. Not a fit for {company}.",
        "We're happy with our current tool and locked in until next year. Not a priority, "
        "sorry.\n\n{first}",
        "Appreciate the persistence, but this isn't something we need. Best of luck.\n\n"
        "{first}",
        "No thanks.",
    ),
    "out_of_office": (
        "I am out of the office with limited access to email and will be back on {back}. For "
        "urgent matters please contact office@{domain}.\n\n{first} {last}",
        "Thank you for your email. I'm currently out of the office until {back_short} and will "
        "respond as soon as possible when I return.\n\nBest regards,\n{first} {last}\n{company}",
        "Automatic reply: I'm travelling for work and returning on {back}. Expect delays in my "
        "responses. For anything urgent, reach {first2} at {first2_lower}@{domain}.",
        "Hi, I'm out of the office and back in on {back_weekday}. I'll reply when I'm back.",
        "Automatic reply: I'm on parental leave until next month. Your message will not be "
        "forwarded.",
    ),
    "bounced": (  # delivery status notifications, in the style of the big providers
        "** Address not found **\n\nYour message wasn't delivered to {email} because the "
        "address couldn't be found, or is unable to receive mail.\n\nThe response from the "
        "remote server was:\n550 5.1.1 The email account that you tried to reach does not "
        "exist. Please try double-checking the recipient's email address for typos or "
        "unnecessary spaces.",
        "Delivery has failed to these recipients or groups:\n\n{email}\nThe email address you "
        "entered couldn't be found. Please check the recipient's email address and try to "
        "resend the message.\n\nDiagnostic information for administrators:\n\nGenerating "
        "server: mx1.{domain}\nRemote Server returned '550 5.1.10 "
        "RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'",
        "This is the mail system at host mx1.{domain}.\n\nI'm sorry to have to inform you that "
        "your message could not be delivered to one or more recipients.\n\n"
        "                   The mail system\n\n<{email}>: host mx1.{domain}[203.0.113.25] "
        "said: 550 5.1.1 <{email}>: Recipient address rejected: User unknown in virtual "
        "mailbox table (in reply to RCPT TO command)",
        "Delivery to the following recipient failed permanently:\n\n    {email}\n\nTechnical "
        "details of permanent failure: 552 5.2.2 The email account that you tried to reach is "
        "over quota.",
    ),
    "unsubscribe": (
        "Unsubscribe.",
        "Please remove me from your mailing list. Thanks.\n\n{first}",
        "please remove me",
        "Take me off your list, please. I never signed up for this.",
        "Unsubscribe me from all future emails. Thank you.\n\n{first} {last}",
    ),
    "neutral": (
        "Hi {our}, who else have you worked with in our space? Send over some info.\n\n{first}",
        "Forwarding this to our Head of Ops, {first2}: she handles vendors at {company}.",
        "What's the price range? Not promising anything.\n\n{first}",
        "Does this integrate with Salesforce? We're not switching CRMs.\n\n{first}",
        "I'm not the right person for this, but {first2} ({first2_lower}@{domain}) might be.",
        "How is this different from what we get out of HubSpot sequences today?\n\n{first}",
    ),
    None: (
        "Thanks, got it.\n\n{first}",
        "Can you tell me more about how this works with our CRM?\n\n{first}",
        "Received, will circle back after our planning meeting.",
        "Let me check with the team and get back to you.\n\n{first}",
        "Will look at this later this week.\n\nSent from my iPhone",
    ),
}
#: subject of a delivery status notification, per template of PROSPECT_BY_INTENT["bounced"]
DSN_SUBJECTS = (
    "Delivery Status Notification (Failure)",
    "Undeliverable: {base}",
    "Undelivered Mail Returned to Sender",
    "Delivery Status Notification (Failure)",
)
#: sender of a delivery status notification, per template
DSN_FROM = ("mailer-daemon@googlemail.com", "mailer-daemon@{domain}", "mailer-daemon@mx1.{domain}",
            "mailer-daemon@googlemail.com")
LIVE_REPLIES = (
    "Just saw this — yes, let's talk. Are you free tomorrow?\n\n{first}",
    "Following up on my own note: we'd like a demo for the team.\n\n{first}",
    "Thanks {our}, I'm out until Friday, will reply then.",
    "Not the right person, try {first2_lower}@{domain}.",
    "Could you resend the deck? The link didn't work.\n\n{first}",
)
#: subjects of conversations a prospect starts (live replies without a thread)
INBOUND_SUBJECTS = (
    "Question from {first} at {company}",
    "Demo request",
    "Pricing for {company}?",
    "Re: Your webinar last week",
)
WARMUP_PARTNERS = ("lisa.warm@inboxwarmers.net", "tom@warmupmesh.io", "ava@deliverabilitypool.com")
WARMUP_SUBJECTS = ("Meeting notes {code}", "Quarterly update {code}", "Lunch plans? {code}")
WARMUP_BODY = "Hey, sharing the notes from today. Let me know what you think! {code}"
POSTMASTER_FROM = ("mailer-daemon@googlemail.com", "postmaster@outlook.com", "postmaster@zoho.com")
POSTMASTER_SUBJECTS = (
    "Delivery Status Notification (Failure)",
    "Undeliverable: {base}",
    "DMARC aggregate report for {mbdomain}",
)
DMARC_BODY = (
    "This is an aggregate report from {reporter} for {mbdomain}.\n\nReport ID: {code}\n"
    "Messages: 1,284 passed SPF and DKIM, 3 failed.\n\nThe XML report is attached."
)

# Untrusted-content fixtures: (kind, subject, from_email or None, body_text, body_html).
# The client must show these as plain, inert text. Kept in a small known set of threads whose
# ids are ``thr_x_<kind>`` (see ``HOSTILE_KINDS``); body_text None/"" means an HTML-only body.
_NESTED = "<div>" * 3000 + "deep inside" + "</div>" * 3000
HOSTILE: tuple[tuple[str, str, str | None, str | None, str], ...] = (
    ("markup", "Re: [bold red]URGENT[/] pricing", None,
     "[link=https://evil.example]click here[/link] [blink]now[/] [/] [bold]unclosed "
     "$(rm -rf ~) {first} %s \\[escaped] :warning: [@click=app.quit]quit[/]",
     "<p>[bold red]URGENT[/] [@click=app.quit]quit[/]</p>"),
    ("ansi", "\x1b[31mRED ALERT\x1b[0m invoice \x1b[2J\x1b[H overdue", None,
     "Line one\x1b[1A\x1b[2K overwritten\r\nbell\x07 back\x08\x08space nul\x00 end \x1b[5m"
     "blink\x1b[0m \x1b[?1049h alt screen",
     "<p>\x1b[31mred\x1b[0m</p>"),
    ("osc", "Hello \x1b]0;pwned\x07 world", None,
     "\x1b]8;;https://evil.example\x1b\\totally safe link\x1b]8;;\x1b\\ and "
     "\x1b]52;c;cm0gLXJmIH4=\x07 clipboard \x1bP+q544e\x1b\\ dcs",
     "<p>\x1b]0;pwned\x07</p>"),
    ("rtl", "Invoice \u202egnp.exe\u202c attached", "billing\u202efdp.exe@rtl-vendor.com",
     "Please open \u202etxt.exe\u202c and \u2067isolate\u2069 \u200fRLM\u200e done",
     "<p dir=\"rtl\">\u202eevil\u202c</p>"),
    ("zerowidth", "Pay\u200bPal acc\u200dount ver\ufeffify\u2060 now", None,
     "Zero\u200bwidth\u200c joiners\u200d everywhere\ufeff\u2060\u00ad soft hyphen",
     "<p>z\u200bw</p>"),
    ("wide", "【重要】お見積もりの件 🚀🔥👨‍👩‍👧‍👦 한국어 中文 测试", None,
     "全角テキスト　と　絵文字 🎉🇯🇵👍🏽 混在。한국어도 있습니다。" * 6,
     "<p>全角 🎉</p>"),
    ("long", ("Re: " + "An extremely long subject line that keeps going " * 11)[:500], None,
     "The subject of this thread is exactly five hundred characters long.",
     "<p>long subject</p>"),
    ("empty", "", None, "This message has an empty subject.", "<p>(no subject)</p>"),
    ("nested", "Re: Deeply nested newsletter", None, None, _NESTED),
    ("script", "Re: Your invoice is ready", None, "",
     "<p>Hi</p><script>alert('xss')</script><img src=x onerror=alert(1)>"
     "<style>body{display:none}</style><iframe src=\"https://evil.example\"></iframe>"
     "<a href=\"javascript:alert(2)\">open</a>"),
    ("control", "tab\there\nnew line\r carriage \x7f del \x9b31m c1 csi \x85 nel", None,
     "C0: \x01\x02\x03 \x1b c1: \x9b2J \x9d0;x\x9c form\x0cfeed vertical\x0btab",
     "<p>\x9b31m</p>"),
)
HOSTILE_KINDS: tuple[str, ...] = tuple(h[0] for h in HOSTILE)

# Records a careless server may send (Simulator.add_pathological_threads, SimConfig
# pathological): (kind, date_received as sent ("": the time it arrives), subject, from_email
# or None, body_text, replyIntent). Dates before 1970 (year 1 too), far in the future (to
# the last second of 9999) or not a date at all; lone UTF-16 surrogates (sent as the JSON
# escape "\\ud800", which is valid JSON); an intent no client knows that carries a terminal
# escape. Thread ids are ``thr_p_<kind>``.
PATHOLOGICAL: tuple[tuple[str, str, str, str | None, str, str | None], ...] = (
    ("before_1970", "1969-12-31T23:59:59Z", "Sent before the epoch", None,
     "This message is dated 1969-12-31.", None),
    ("far_future", "2300-01-01T00:00:00Z", "Sent from the far future", None,
     "This message is dated 2300-01-01.", "interested"),
    ("bad_date", "2026-13-45T99:99:99Z", "A date that is not one", None,
     "This message's date cannot be read.", None),
    ("year_1", "0001-01-01T00:00:00Z", "Sent in the year 1", None,
     "This message is dated 0001-01-01.", None),
    ("year_9999", "9999-12-31T23:59:59Z", "Sent at the end of time", None,
     "I am out of the office until Monday.", "out_of_office"),
    ("surrogate", "", "Lone \ud800 surrogate \udfff subject", "lone\ud83d@surrogate.example",
     "A body with \udc00 lone surrogates \ud83d inside.", "neutral"),
    ("escape_intent", "", "An intent that clears the screen", None,
     "The intent of this thread carries a terminal escape.", "\x1b[2J\x1b[Hpwned\x07"),
)
PATHOLOGICAL_KINDS: tuple[str, ...] = tuple(p[0] for p in PATHOLOGICAL)


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


def _digest(*parts: Any) -> bytes:
    return hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=8).digest()


def _html(text: str) -> str:
    return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n"))


# message-count weights 1..8 mapped from a byte
_COUNT_TABLE = bytes(
    [1] * 40 + [2] * 80 + [3] * 36 + [4] * 38 + [5] * 26 + [6] * 18 + [7] * 10 + [8] * 8
)
# Intent of a prospect thread, by who wrote last (None = unclassified). A bounce is always the
# last message (nobody answers a mailer-daemon); a thread that ends with us mostly answered a
# reply (a booked call, an acknowledged "not interested" or "remove me", a follow-up after an
# out-of-office) or is still waiting for any answer at all.
_INTENT_PROSPECT_LAST: tuple[str | None, ...] = (
    ("interested",) * 56 + ("not_interested",) * 26 + ("out_of_office",) * 41 + ("bounced",) * 26
    + ("unsubscribe",) * 15 + ("neutral",) * 56 + (None,) * 36
)
_INTENT_OURS_LAST: tuple[str | None, ...] = (
    ("interested",) * 46 + ("not_interested",) * 48 + ("out_of_office",) * 30
    + ("unsubscribe",) * 20 + ("neutral",) * 56 + (None,) * 56
)
assert len(_COUNT_TABLE) == 256 and len(_INTENT_PROSPECT_LAST) == len(_INTENT_OURS_LAST) == 256
assert len(OUR_FOLLOWUP) == len(PROSPECT_BY_INTENT[None])  # answers line up with questions

#: Ages (seconds before the anchor) of the seeded threads' last messages, as a piecewise linear
#: quantile function of a thread's position (0 = newest, 1 = oldest): a dozen threads per
#: 3,000 in the last three hours, half within two weeks, a tail to six months.
AGE_PROFILE: tuple[tuple[float, int], ...] = (
    (0.0, 0), (0.004, 3 * 3600), (0.03, 86400), (0.15, 4 * 86400), (0.5, 14 * 86400),
    (0.75, 45 * 86400), (0.9, 100 * 86400), (1.0, 180 * 86400),
)
#: (age from, chance in 256 that the prospect wrote last): recent conversations wait for us,
#: older ones were answered (or ended) long ago.
NEEDS_REPLY_BY_AGE: tuple[tuple[int, int], ...] = (
    (0, 166), (86400, 141), (3 * 86400, 77), (14 * 86400, 8), (45 * 86400, 1),
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
_SHAPES: tuple[tuple[int, int], ...] = tuple(
    _shape(key >> 4 or 1, bool(key & 8), _LEAD_PREF[key >> 1 & 3], bool(key & 1))
    for key in range(9 << 4))
#: who quotes the message they answer (1 the prospect, 2 us), by 3 bits: 3 threads in 8
_QUOTE_MODES = (0, 0, 0, 0, 0, 1, 1, 3)

KIND_PROSPECT, KIND_WARMING, KIND_POSTMASTER = 0, 1, 2

#: our senders' surnames (by mailbox), for quote attributions and signatures
_OUR_SURNAMES = ("Carter", "Mitchell", "Russo", "Lindqvist", "Okoro", "Fontaine")
_OUR_TITLES = ("Account Executive", "SDR Team Lead", "Partnerships", "Account Executive",
               "Sales Development", "Founder")
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")
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


def _attribution(ts: int, name: str, email: str) -> str:
    """Gmail's line above quoted history: "On Mon, Mar 9, 2026 at 2:30 PM Ann <a@b.c> wrote:"."""
    day, sec = divmod(ts, 86400)
    hour, minute = sec // 3600, sec % 3600 // 60
    return (f"On {_gmail_day(day)} at {hour % 12 or 12}:{minute:02d} "
            f"{'AM' if hour < 12 else 'PM'} {name} <{email}> wrote:")


@functools.lru_cache(maxsize=4096)
def _gmail_day(day: int) -> str:
    t = time.gmtime(day * 86400)
    return f"{_WEEKDAY_NAMES[t.tm_wday][:3]}, {_MONTH_NAMES[t.tm_mon - 1][:3]} {t.tm_mday}, {t.tm_year}"


def html_quoted(text: str, attribution: str, quoted: str) -> str:
    """A reply's HTML the way Gmail writes it: the new text, then the attribution and the
    quoted message in a blockquote."""
    return (_html(text) + '<div class="gmail_quote"><div>' + html.escape(attribution)
            + '</div><blockquote class="gmail_quote">' + _html(quoted) + "</blockquote></div>")


def _outlook_header(ts: int, name: str, email: str, to_name: str, to: str, subject: str) -> str:
    t = time.gmtime(ts)
    hour = t.tm_hour % 12 or 12
    return (f"________________________________\nFrom: {name} <{email}>\n"
            f"Sent: {_long_date(t)}, {t.tm_year} {hour}:{t.tm_min:02d} "
            f"{'AM' if t.tm_hour < 12 else 'PM'}\nTo: {to_name} <{to}>\nSubject: {subject}")


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
        return sum(self._ours(k) for k in range(self.seed_count)) + sum(
            not m["is_incoming"] for m in self.extra)

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
            s = s[s.index(":") + 2:]
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
        return False, ts, self.prospect_email, self._fmt(pool[which], ts), \
            AUTO if intent == "out_of_office" else 0

    def _own_system(self, ours: bool, ts: int, pick: int) -> tuple[bool, int, str, str, int]:
        if self.kind == KIND_WARMING:
            return ours, ts, self.mailbox_email if ours else self.prospect_email, \
                self._fmt(WARMUP_BODY), AUTO
        if self.base_subject.startswith("DMARC"):
            text = self._fmt(DMARC_BODY)
        else:
            pool = PROSPECT_BY_INTENT["bounced"]
            text = self._fmt(pool[pick % len(pool)]).replace(
                self.prospect_email, f"{self.first.lower()}@{_domain(self.company)}")
        return False, ts, self.prospect_email, text, AUTO

    def _seeded_parts(self, k: int, with_html: bool = True
                      ) -> tuple[bool, int, str, str | None, str | None]:
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
                    head = _outlook_header(p_ts, p_name, p_sender, to_name, to,
                                           self.base_subject if k == 1 else
                                           "Re: " + self.base_subject)
                    quoted = p_text
                    if with_html:
                        body_html = (_html(text) + "<hr><div>" + html.escape(head.partition(
                            "\n")[2]).replace("\n", "<br>") + "</div>" + _html(p_text))
                else:
                    head = _attribution(p_ts, p_name, p_sender)
                    quoted = "> " + p_text.replace("\n", "\n> ")
                    if with_html:
                        body_html = html_quoted(text, head, p_text)
                text = f"{text}\n\n{head}\n{quoted}"
        if not ours and self.html_mode and k == self.seed_count - 1:
            if with_html and body_html is None:
                body_html = _html(text)
            return ours, ts, sender, None if self.html_mode == 1 else "", body_html
        return ours, ts, sender, text, body_html

    def seeded_message(self, k: int) -> dict[str, Any]:
        """The k-th generated message (0 = oldest); a pure function of the seeded bytes."""
        ours, ts, sender, text, body_html = self._seeded_parts(k)
        prospect, mailbox = self.prospect_email, self.mailbox_email
        cc = [f"{FIRST[(self.variant + 3) % len(FIRST)].lower()}@{_domain(self.company)}"] if (
            self.cc and not ours and self.kind == KIND_PROSPECT
            and not sender.startswith("mailer-daemon@")) else []
        subject = self.subject_full() if k > 0 or self.hostile else self.base_subject
        if not ours and self.kind == KIND_PROSPECT and self.seed_intent == "bounced" \
                and k == self.seed_count - 1 and self.hostile is None:
            pool = PROSPECT_BY_INTENT["bounced"]
            subject = DSN_SUBJECTS[(self.variant + k) % len(pool)].format(base=self.base_subject)
        return {
            "id": f"msg_{self.tid[4:]}_{k + 1:02d}",
            "message_id": f"<{_digest(self.tid, k).hex()}@{sender.rpartition('@')[2]}>",
            "from_email": sender,
            "to_emails": [prospect] if ours else [mailbox],
            "cc_emails": cc,
            "subject": subject,
            "date_received": iso(ts),
            "body_text": text,
            "body_html": body_html if body_html is not None else _html(text or ""),
            "is_incoming": not ours,
            "folder": "sent" if ours else (
                "spam" if self.spam and k == self.seed_count - 1 else "inbox"),
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
        display = self.base_subject if self.hostile is None and self.index >= 0 \
            else self.subject_display()
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


def _base_subject(kind: int, pick: int, first: str, company: str, mailbox: int,
                  variant: int) -> str:
    if kind == KIND_PROSPECT:  # the hot path: most threads
        return SUBJECTS[pick % len(SUBJECTS)].format(
            company=company, first=first, our=MAILBOXES[mailbox][1])
    if kind == KIND_WARMING:
        return WARMUP_SUBJECTS[pick % len(WARMUP_SUBJECTS)].format(code=f"WX{variant:03d}")
    base = SUBJECTS[pick % len(SUBJECTS)].format(
        company=company, first=first, our=MAILBOXES[mailbox][1])
    return POSTMASTER_SUBJECTS[pick % len(POSTMASTER_SUBJECTS)].format(
        base=base, mbdomain=MAILBOXES[mailbox][0].partition("@")[2])


Key = tuple[int, int]  # (last_ts, seq), larger = newer


def _tally(per: dict[str, list[int]], campaign: str, answered: bool, bounced: bool, ours: int, sign: int) -> None:
    c = per.setdefault(campaign, [0, 0, 0, 0])
    c[0] += sign
    c[1] += sign * answered
    c[2] += sign * bounced
    c[3] += sign * ours


def _tally_meta(per: dict[str, list[int]], meta: ThreadMeta, sign: int) -> None:
    if meta.campaign is not None:
        _tally(per, meta.campaign, meta.has_incoming() and meta.intent != "bounced", meta.intent == "bounced",
               meta.outgoing_count(), sign)


class Inbox:
    """The threads of one workspace: seeded (lazy) + created, with overlays for changes."""

    SPAN_SECONDS = AGE_PROFILE[-1][1]  # seeded dates reach back ~6 months

    def __init__(self, n: int, seed: int, anchor_ts: int, hostile: bool = True) -> None:
        self.n = max(0, n)
        self.seed = seed
        self.anchor = anchor_ts
        self._raw = random.Random(seed).randbytes(self.n * 16)
        # AGE_PROFILE in thread positions: segment starts, their ages, seconds per position
        scale = max(self.n, 1)
        self._seg_x = [u * scale for u, _ in AGE_PROFILE[:-1]]
        self._seg = [(u * scale, age, (age2 - age) / ((u2 - u) * scale))
                     for (u, age), (u2, age2) in zip(AGE_PROFILE, AGE_PROFILE[1:])]
        # first position of each NEEDS_REPLY_BY_AGE band, and the band's chance
        self._band_start = [self._position_of_age(age) for age, _ in NEEDS_REPLY_BY_AGE[1:]]
        self._band_chance = [chance for _, chance in NEEDS_REPLY_BY_AGE]
        self.hostile_at: dict[int, str] = {}
        if hostile:
            for k, kind in enumerate(HOSTILE_KINDS):
                if hostile_index(k) < self.n:
                    self.hostile_at[hostile_index(k)] = kind
        self._hostile_ids = {f"thr_x_{kind}": i for i, kind in self.hostile_at.items()}
        self.touched: dict[str, ThreadMeta] = {}  # changed seeded threads + all created ones
        self.deleted: set[str] = set()
        self._bumped: list[tuple[int, int, str]] = []  # sorted ascending (ts, seq, tid)
        self._bumped_key: dict[str, tuple[int, int, str]] = {}
        self._seq = self.n
        self.version = 0  # bumped by every change: keys the response cache
        self._seeded_campaigns: dict[str, list[int]] | None = None  # see campaign_counts

    def _position_of_age(self, age: int) -> int:
        """The first seeded position whose last message is at least ``age`` seconds old."""
        for (u, a), (u2, a2) in zip(AGE_PROFILE, AGE_PROFILE[1:]):
            if age <= a2:
                return min(self.n, math.ceil((u + (age - a) / (a2 - a) * (u2 - u)) * self.n))
        return self.n

    # -- identity ----------------------------------------------------------------------------
    def tid_of(self, i: int) -> str:
        kind = self.hostile_at.get(i)
        return f"thr_x_{kind}" if kind else f"thr_{i:06d}"

    def index_of(self, tid: str) -> int | None:
        if tid in self._hostile_ids:
            return self._hostile_ids[tid]
        if tid.startswith("thr_") and len(tid) >= 10 and tid[4:].isdigit() and tid[4:].isascii():
            i = int(tid[4:])
            if i < self.n and i not in self.hostile_at and tid == f"thr_{i:06d}":
                return i
        return None

    def _ts(self, i: int) -> int:
        x = i + self._raw[16 * i + 7] / 256.0
        x0, age0, per = self._seg[bisect.bisect_right(self._seg_x, x) - 1]
        return self.anchor - int(age0 + (x - x0) * per)

    def _key(self, i: int) -> Key:
        return (self._ts(i), self.n - i)

    def _outline(self, i: int, b: bytes, hostile: str | None
                 ) -> tuple[int, str | None, str | None, int, int, bool]:
        """(kind, campaign, intent, message count, lead, prospect wrote last) of seeded thread
        ``i`` (``b`` its 16 bytes): what its conversation is, before any text."""
        kind = KIND_WARMING if b[0] < 13 else KIND_POSTMASTER if b[0] < 18 else KIND_PROSPECT
        if hostile:
            kind = KIND_PROSPECT
        count = _COUNT_TABLE[b[4]]
        shape = b[6]
        prospect_last = b[5] < self._band_chance[bisect.bisect_right(self._band_start, i)]
        intent = (_INTENT_PROSPECT_LAST if prospect_last else _INTENT_OURS_LAST)[b[1]]
        campaign: str | None = None if b[3] < 20 else CAMPAIGNS[b[3] % len(CAMPAIGNS)][0]
        lead = 1
        if kind == KIND_WARMING:
            intent, campaign = None, None
            count, lead = _SHAPES[(2 + b[4] % 3) << 4 | prospect_last << 3 | 1]
        elif kind == KIND_POSTMASTER:
            intent, campaign, count, prospect_last, lead = None, None, 1, True, 0
        elif hostile:
            count, prospect_last = 2, True
        elif intent == "bounced":  # our first step (and maybe a second), then the bounce
            count = 3 if b[4] < 48 else 2
            lead = count - 1
        else:
            count, lead = _SHAPES[count << 4 | prospect_last << 3 | (shape & 3) << 1
                                  | (shape >= 224)]
            if lead == count:
                intent = None  # outbound only: nobody has answered yet
        return kind, campaign, intent, count, lead, prospect_last

    def _seeded(self, i: int) -> ThreadMeta:
        b = self._raw[16 * i: 16 * i + 16]
        hostile = self.hostile_at.get(i) if self.hostile_at else None
        kind, campaign, intent, count, lead, prospect_last = self._outline(i, b, hostile)
        first, company, mailbox = FIRST[b[8] % len(FIRST)], COMPANIES[b[10] % len(COMPANIES)], \
            b[2] % len(MAILBOXES)
        shape = b[6]
        base = HOSTILE[HOSTILE_KINDS.index(hostile)][1] if hostile else \
            _base_subject(kind, b[11], first, company, mailbox, b[12])
        return ThreadMeta(
            self.tid_of(i) if hostile else f"thr_{i:06d}", i, kind, mailbox, campaign, intent,
            base, first, LAST[b[9] % len(LAST)], company, count, not prospect_last, self._ts(i),
            3600 * (3 + b[12] % 45), 1 if b[13] < 12 else 2 if b[13] < 20 else 0, b[12],
            b[14] < 15, b[15] < 5, hostile, [], [], self.n - i, lead, _QUOTE_MODES[shape >> 2 & 7], None,
            intent,
        )

    # -- campaign figures (GET /campaigns/{id}/stats) ------------------------------------------
    def campaign_counts(self) -> dict[str, list[int]]:
        """Per campaign: [threads, answered by the prospect (a bounce is no answer), bounced,
        our messages]. The seeded threads as generated are counted once from their bytes
        (about a second per million threads; decoding every thread took ten), then the threads
        changed, created or deleted since are corrected from their metadata."""
        if self._seeded_campaigns is None:
            per: dict[str, list[int]] = {}
            raw, hostile_at = self._raw, self.hostile_at
            for i in range(self.n):
                b = raw[16 * i: 16 * i + 16]
                if b[3] < 20:
                    continue  # no campaign (see _outline)
                kind, campaign, intent, count, lead, _ = self._outline(i, b, hostile_at.get(i))
                if campaign is not None:
                    _tally(per, campaign, count > lead and intent != "bounced", intent == "bounced",
                           min(lead, count) + max(0, count - lead) // 2, 1)
            self._seeded_campaigns = per
        out = {c: list(v) for c, v in self._seeded_campaigns.items()}
        for tid in set(self.touched) | self.deleted:
            seeded_at = self.index_of(tid)
            if seeded_at is not None:  # what the seeded count holds for it
                _tally_meta(out, self._seeded(seeded_at), -1)
            meta = self.get(tid)
            if meta is not None:
                _tally_meta(out, meta, 1)
        return out

    # -- access ------------------------------------------------------------------------------
    def get(self, tid: str) -> ThreadMeta | None:
        if tid in self.deleted:
            return None
        meta = self.touched.get(tid)
        if meta is not None:
            return meta
        i = self.index_of(tid)
        return self._seeded(i) if i is not None else None

    def touch(self, tid: str) -> ThreadMeta | None:
        """The thread's mutable metadata (a seeded thread is materialised once)."""
        meta = self.get(tid)
        if meta is not None:
            self.version += 1  # the caller is about to change it
            self.touched.setdefault(tid, meta)
        return meta

    def add_created(self, meta: ThreadMeta) -> None:
        self.version += 1
        self.touched[meta.tid] = meta

    def append(self, meta: ThreadMeta, message: dict[str, Any], ts: int) -> None:
        """Append a message and move the thread to the front (a new message bumps it)."""
        self.version += 1
        meta.extra.append(message)
        meta.extra_ts.append(ts)
        old = self._bumped_key.pop(meta.tid, None)
        if old is not None:
            del self._bumped[bisect.bisect_left(self._bumped, old)]
        self._seq += 1
        meta.seq = self._seq
        entry = (ts, self._seq, meta.tid)
        bisect.insort(self._bumped, entry)
        self._bumped_key[meta.tid] = entry

    def delete(self, tid: str) -> bool:
        if self.get(tid) is None:
            return False
        self.version += 1
        self.deleted.add(tid)
        old = self._bumped_key.pop(tid, None)
        if old is not None:
            del self._bumped[bisect.bisect_left(self._bumped, old)]
        return True

    def count(self) -> int:
        created = sum(1 for m in self.touched.values() if m.index < 0 and m.tid not in self.deleted)
        seeded_deleted = sum(1 for t in self.deleted if self.index_of(t) is not None)
        return self.n - seeded_deleted + created

    # -- listing -----------------------------------------------------------------------------
    def _first_after(self, key: Key | None) -> int:
        """Smallest seeded index whose key is strictly older than ``key``."""
        if key is None:
            return 0
        lo, hi = 0, self.n
        while lo < hi:
            mid = (lo + hi) // 2
            if self._key(mid) < key:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def _stream_bumped(self, after: Key | None) -> Iterator[tuple[Key, ThreadMeta]]:
        pos = len(self._bumped) if after is None else bisect.bisect_left(self._bumped, after)
        snapshot = self._bumped[:pos]
        for ts, seq, tid in reversed(snapshot):
            meta = self.touched.get(tid)
            if meta is not None and tid not in self.deleted:
                yield (ts, seq), meta

    def _stream_seeded(self, after: Key | None) -> Iterator[tuple[Key, ThreadMeta]]:
        bumped, touched, deleted = self._bumped_key, self.touched, self.deleted
        check = bool(touched or deleted)
        for i in range(self._first_after(after), self.n):
            if check:
                tid = self.tid_of(i)
                if tid in bumped or tid in deleted:
                    continue
                meta = touched.get(tid) or self._seeded(i)
            else:
                meta = self._seeded(i)
            yield (meta.last_ts, self.n - i), meta

    def walk(self, after: Key | None = None, since: int | None = None
             ) -> Iterator[tuple[Key, ThreadMeta]]:
        """Threads newest first, strictly older than ``after``, stopping below ``since``."""
        b = self._stream_seeded(after)
        if not self._bumped and since is None:
            yield from b  # nothing changed since start: no merge needed
            return
        a = self._stream_bumped(after)
        na, nb = next(a, None), next(b, None)
        while True:
            if na is not None and (nb is None or na[0] > nb[0]):
                item, na = na, next(a, None)
            elif nb is not None:
                item, nb = nb, next(b, None)
            else:
                return
            if since is not None and item[0][0] < since:
                return
            yield item

    def page(self, after: Key | None, limit: int, pred: Callable[[ThreadMeta], bool] | None,
             since: int | None) -> tuple[list[ThreadMeta], Key | None]:
        out: list[ThreadMeta] = []
        last_key: Key | None = None
        for key, meta in self.walk(after, since):
            if pred is not None and not pred(meta):
                continue
            if len(out) == limit:
                return out, last_key  # there is at least one more
            out.append(meta)
            last_key = key
        return out, None
