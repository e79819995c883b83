"""The simulator's texts and names: people, companies, our mailboxes and campaigns, the
messages each side writes (by intent), system mail (warmup, postmaster, bounces) and the
hostile and pathological records. Data only; generator.py builds threads from it.
"""

from __future__ import annotations

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
    "Hi {first},\n\nBumping this to the top of your inbox in case it got buried. Worth a quick look?\n\n{our}",
    "Hi {first}, following up on my note below. Would a 15-minute call next week make sense?\n\n{our}",
    "{first} — last note from me on this. If outbound isn't a priority at {company} right "
    "now, just say so and I'll close the loop.\n\n{our}",
    "Hi {first},\n\nOne more idea: teams like {company} usually start with a two-week pilot "
    "on a single mailbox. Happy to set that up for you.\n\n{our}",
    "Hi {first},\n\nJust wanted to follow up on my last email. Would love to connect this week.\n\n{our}",
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
        "Thanks for looping in {first2}. {first2}, happy to walk you through it whenever suits.\n\n{our}",
    ),
}
PROSPECT_BY_INTENT: dict[str | None, tuple[str, ...]] = {
    "interested": (
        "Hi {our},\n\nThanks for reaching out. This sounds interesting. Could we set up a call "
        "next week? Tuesday or Wednesday afternoon works.\n\n{first}",
        "Yes, we've been looking at this. Can you send pricing for a team of 20?\n\n{first} {last}\n{company}",
        "Timing is actually good: we're reviewing vendors this quarter. What does your "
        "availability look like on Thursday or Friday?\n\n{first}",
        "Interested. Can you walk me and our Head of Sales through it? Send a few times that "
        "work and I'll loop her in.\n\n{first} {last}",
        "Sure, let's chat. What does pricing look like for about 50 seats, and is there an annual discount?\n\n{first}",
        "Hey {our}, good timing. Do you have 30 minutes on Monday afternoon? Send the invite "
        "to this address.\n\n{first}\n\nSent from my iPhone",
    ),
    "not_interested": (
        "Hi {our}, thanks but we're not interested at this time.\n\n{first}",
        "Please stop emailing me. Not a fit for {company}.",
        "We're happy with our current tool and locked in until next year. Not a priority, sorry.\n\n{first}",
        "Appreciate the persistence, but this isn't something we need. Best of luck.\n\n{first}",
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
        "Automatic reply: I'm on parental leave until next month. Your message will not be forwarded.",
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
DSN_FROM = (
    "mailer-daemon@googlemail.com",
    "mailer-daemon@{domain}",
    "mailer-daemon@mx1.{domain}",
    "mailer-daemon@googlemail.com",
)
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
    (
        "markup",
        "Re: [bold red]URGENT[/] pricing",
        None,
        "[link=https://evil.example]click here[/link] [blink]now[/] [/] [bold]unclosed "
        "$(rm -rf ~) {first} %s \\[escaped] :warning: [@click=app.quit]quit[/]",
        "<p>[bold red]URGENT[/] [@click=app.quit]quit[/]</p>",
    ),
    (
        "ansi",
        "\x1b[31mRED ALERT\x1b[0m invoice \x1b[2J\x1b[H overdue",
        None,
        "Line one\x1b[1A\x1b[2K overwritten\r\nbell\x07 back\x08\x08space nul\x00 end \x1b[5m"
        "blink\x1b[0m \x1b[?1049h alt screen",
        "<p>\x1b[31mred\x1b[0m</p>",
    ),
    (
        "osc",
        "Hello \x1b]0;pwned\x07 world",
        None,
        "\x1b]8;;https://evil.example\x1b\\totally safe link\x1b]8;;\x1b\\ and "
        "\x1b]52;c;cm0gLXJmIH4=\x07 clipboard \x1bP+q544e\x1b\\ dcs",
        "<p>\x1b]0;pwned\x07</p>",
    ),
    (
        "rtl",
        "Invoice \u202egnp.exe\u202c attached",
        "billing\u202efdp.exe@rtl-vendor.com",
        "Please open \u202etxt.exe\u202c and \u2067isolate\u2069 \u200fRLM\u200e done",
        '<p dir="rtl">\u202eevil\u202c</p>',
    ),
    (
        "zerowidth",
        "Pay\u200bPal acc\u200dount ver\ufeffify\u2060 now",
        None,
        "Zero\u200bwidth\u200c joiners\u200d everywhere\ufeff\u2060\u00ad soft hyphen",
        "<p>z\u200bw</p>",
    ),
    (
        "wide",
        "【重要】お見積もりの件 🚀🔥👨‍👩‍👧‍👦 한국어 中文 测试",
        None,
        "全角テキスト　と　絵文字 🎉🇯🇵👍🏽 混在。한국어도 있습니다。" * 6,
        "<p>全角 🎉</p>",
    ),
    (
        "long",
        ("Re: " + "An extremely long subject line that keeps going " * 11)[:500],
        None,
        "The subject of this thread is exactly five hundred characters long.",
        "<p>long subject</p>",
    ),
    ("empty", "", None, "This message has an empty subject.", "<p>(no subject)</p>"),
    ("nested", "Re: Deeply nested newsletter", None, None, _NESTED),
    (
        "script",
        "Re: Your invoice is ready",
        None,
        "",
        "<p>Hi</p><script>alert('xss')</script><img src=x onerror=alert(1)>"
        '<style>body{display:none}</style><iframe src="https://evil.example"></iframe>'
        '<a href="javascript:alert(2)">open</a>',
    ),
    (
        "control",
        "tab\there\nnew line\r carriage \x7f del \x9b31m c1 csi \x85 nel",
        None,
        "C0: \x01\x02\x03 \x1b c1: \x9b2J \x9d0;x\x9c form\x0cfeed vertical\x0btab",
        "<p>\x9b31m</p>",
    ),
)
HOSTILE_KINDS: tuple[str, ...] = tuple(h[0] for h in HOSTILE)

# Records a careless server may send (Simulator.add_pathological_threads, SimConfig
# pathological): (kind, date_received as sent ("": the time it arrives), subject, from_email
# or None, body_text, replyIntent). Dates before 1970 (year 1 too), far in the future (to
# the last second of 9999) or not a date at all; lone UTF-16 surrogates (sent as the JSON
# escape "\\ud800", which is valid JSON); an intent no client knows that carries a terminal
# escape. Thread ids are ``thr_p_<kind>``.
PATHOLOGICAL: tuple[tuple[str, str, str, str | None, str, str | None], ...] = (
    ("before_1970", "1969-12-31T23:59:59Z", "Sent before the epoch", None, "This message is dated 1969-12-31.", None),
    (
        "far_future",
        "2300-01-01T00:00:00Z",
        "Sent from the far future",
        None,
        "This message is dated 2300-01-01.",
        "interested",
    ),
    ("bad_date", "2026-13-45T99:99:99Z", "A date that is not one", None, "This message's date cannot be read.", None),
    ("year_1", "0001-01-01T00:00:00Z", "Sent in the year 1", None, "This message is dated 0001-01-01.", None),
    (
        "year_9999",
        "9999-12-31T23:59:59Z",
        "Sent at the end of time",
        None,
        "I am out of the office until Monday.",
        "out_of_office",
    ),
    (
        "surrogate",
        "",
        "Lone \ud800 surrogate \udfff subject",
        "lone\ud83d@surrogate.example",
        "A body with \udc00 lone surrogates \ud83d inside.",
        "neutral",
    ),
    (
        "escape_intent",
        "",
        "An intent that clears the screen",
        None,
        "The intent of this thread carries a terminal escape.",
        "\x1b[2J\x1b[Hpwned\x07",
    ),
)
PATHOLOGICAL_KINDS: tuple[str, ...] = tuple(p[0] for p in PATHOLOGICAL)
