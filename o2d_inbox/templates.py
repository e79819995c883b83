"""Reply templates per intent, with merge fields filled from the thread. Headless.

Files live in ``<user_config_dir("o2d-inbox")>/templates/``::

    templates/interested/book-a-call.txt     one file per template, in a folder per intent
    templates/not_interested.txt             or one file for an intent's single template
    templates/any/thanks.txt                 "any": offered whatever the intent

The folder / file stem is the intent as the API spells it (``out-of-office`` is read as
``out_of_office``); ``unclassified`` is for threads without one. A file is UTF-8 text; its
first line may be a title comment (``# Book a call``), else the title is the file name; a
``Subject: …`` line (first, after the title) is kept apart for new messages and forwards.
The rest is the body. A user file replaces the built-in default of the same intent and name;
built-in defaults (``DEFAULTS``) are offered too.

Template files are untrusted: at most ``MAX_BYTES`` are read per file, ``MAX_FILES`` per
folder, symlinks and other non-regular files are skipped, undecodable bytes replaced, control
characters dropped. Filling only replaces ``{field}`` names it knows and has a value for;
everything else (unknown names, ``{0}``, ``{x.attr}``, format specs) stays as written, so a
template never crashes and never reaches an attribute (no ``str.format``).

Merge fields: ``first_name``, ``last_name``, ``company``, ``prospect`` (address),
``sender_name``, ``mailbox``. Names come from the prospect's address
(``sarah.chen@acme-corp.com`` → Sarah, Chen; a generic local part such as ``info@`` gives no
name). The company is a name the thread's own text spells for the domain when there is one
(``Wonka Retail`` in a subject or signature, for ``wonkaretail.com``), else the domain split
into words (``acme-corp`` → Acme Corp, ``soylentfoods`` → Soylent Foods by a list of common
trailing words, ``globex`` → Globex); a free-mail domain gives none. A field without a value
stays as written, and ``unfilled_fields`` finds it (and any other ``{name}`` /
``{{name}}``) so compose can refuse to send it raw.

Signatures live beside the templates, one file per sending mailbox:
``<config dir>/signatures/<mailbox address>.txt``, else ``signatures/default.txt``
(``signature_for``); read with the same limits as templates, ``{sender_name}`` and
``{mailbox}`` filled from the mailbox.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import platformdirs

from o2d_inbox.render.compose import clean_body

__all__ = [
    "Template",
    "DEFAULTS",
    "ANY",
    "UNCLASSIFIED",
    "templates_dir",
    "load_templates",
    "templates_for",
    "merge_fields",
    "sender_first_name",
    "fill",
    "company_name",
    "unfilled_fields",
    "UNFILLED",
    "signatures_dir",
    "signature_for",
]

ANY = "any"
UNCLASSIFIED = "unclassified"
MAX_BYTES = 64 * 1024
MAX_FILES = 100

_FIELD = re.compile(r"\{([a-z_]+)\}")
_NAME_OK = re.compile(r"^[A-Za-z][A-Za-z'\u00c0-\u024f-]{0,40}$")
_GENERIC_LOCAL = frozenset(
    "info sales office contact hello hi team admin support help noreply no-reply no_reply "
    "mail email marketing billing accounts finance hr jobs careers press media enquiries "
    "inquiries service services reception postmaster mailer-daemon webmaster".split()
)
_FREE_MAIL = frozenset(
    "gmail googlemail outlook hotmail live msn yahoo ymail icloud me mac aol gmx web "
    "proton protonmail pm zoho yandex mail fastmail hey t-online orange free laposte".split()
)
# second-level labels under a country code ("acme.co.uk" is acme)
_SECOND_LEVEL = frozenset("co com net org ac gov edu ltd plc".split())


@dataclass(frozen=True)
class Template:
    name: str  # the title shown in the picker
    intent: str  # an intent, 'unclassified' or 'any'
    body: str
    subject: str | None = None
    path: Path | None = None  # None for a built-in default


def _t(intent: str, name: str, body: str) -> Template:
    return Template(name=name, intent=intent, body=body)


DEFAULTS: tuple[Template, ...] = (
    _t(
        "interested",
        "Book a call",
        "Hi {first_name},\n\nGreat to hear from you! Would Tuesday or Wednesday afternoon work "
        "for a 20-minute call? If it's easier, pick any slot that suits you and I'll make it "
        "work.\n\nBest,\n{sender_name}",
    ),
    _t(
        "interested",
        "Send pricing",
        "Hi {first_name},\n\nThanks for your interest. I've put together pricing for "
        "{company}; happy to walk you through it on a short call.\n\nBest,\n{sender_name}",
    ),
    _t(
        "not_interested",
        "Thanks anyway",
        "Hi {first_name},\n\nUnderstood, thanks for letting me know. I won't follow up; if "
        "things change at {company}, just reply to this email.\n\nAll the best,\n{sender_name}",
    ),
    _t(
        "out_of_office",
        "Follow up on return",
        "Hi {first_name},\n\nThanks, no rush. I'll follow up once you're back.\n\n{sender_name}",
    ),
    _t(
        "unsubscribe",
        "Confirm removal",
        "Hi {first_name},\n\nDone: you've been removed from our list and won't hear from us "
        "again. Sorry for the noise.\n\n{sender_name}",
    ),
    _t(
        "neutral",
        "Share more info",
        "Hi {first_name},\n\nHappy to share more. Here's a short overview and a few stories "
        "from teams like {company}. Would a quick call help?\n\nBest,\n{sender_name}",
    ),
    _t(
        "bounced",
        "Ask for a colleague",
        "Hi,\n\nIt looks like my earlier note didn't reach {prospect}. Who would be the right "
        "person at {company} to talk to about this?\n\nThanks,\n{sender_name}",
    ),
    _t(UNCLASSIFIED, "Quick reply", "Hi {first_name},\n\nThanks for getting back to me.\n\nBest,\n{sender_name}"),
    _t(ANY, "Thanks", "Thanks {first_name}!\n\n{sender_name}"),
)


def templates_dir(config_dir: str | os.PathLike[str] | None = None) -> Path:
    base = Path(config_dir) if config_dir is not None else Path(platformdirs.user_config_dir("o2d-inbox"))
    return base / "templates"


def _intent_key(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def _read_text(path: Path) -> str | None:
    """At most MAX_BYTES of a regular file (not through a symlink), or None."""
    try:
        st = path.lstat()
        if not stat.S_ISREG(st.st_mode):
            return None
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(path, flags)
        try:
            data = os.read(fd, MAX_BYTES)
        finally:
            os.close(fd)
    except OSError:
        return None
    return data.decode("utf-8", errors="replace")


def _parse(text: str, intent: str, stem: str, path: Path) -> Template:
    text = clean_body(text.lstrip("\ufeff"))
    lines = text.split("\n")
    name = stem.replace("_", " ").replace("-", " ").strip() or stem
    if lines and lines[0].startswith("#"):
        title = lines.pop(0).lstrip("#").strip()
        if title.lower().startswith("title:"):
            title = title[6:].strip()
        name = title[:80] or name
    subject = None
    if lines and lines[0].lower().startswith("subject:"):
        subject = lines.pop(0)[8:].strip() or None
    return Template(name=name, intent=intent, body="\n".join(lines).strip("\n"), subject=subject, path=path)


def _files(folder: Path) -> list[Path]:
    try:
        entries = sorted(p for p in folder.iterdir() if p.suffix == ".txt" and not p.name.startswith("."))
    except OSError:
        return []
    return entries[:MAX_FILES]


def load_templates(
    config_dir: str | os.PathLike[str] | None = None, *, defaults: bool = True
) -> dict[str, list[Template]]:
    """{intent: [Template]}: the user's files (by name), then the defaults they don't replace."""
    found: dict[str, list[Template]] = {}
    root = templates_dir(config_dir)
    try:
        children = sorted(root.iterdir())[:MAX_FILES] if root.is_dir() else []
    except OSError:
        children = []
    for child in children:
        if child.name.startswith("."):
            continue
        if child.is_dir() and not child.is_symlink():
            intent = _intent_key(child.name)
            for path in _files(child):
                text = _read_text(path)
                if text is not None:
                    found.setdefault(intent, []).append(_parse(text, intent, path.stem, path))
        elif child.suffix == ".txt":
            intent = _intent_key(child.stem)
            text = _read_text(child)
            if text is not None:
                found.setdefault(intent, []).append(_parse(text, intent, intent.replace("_", " "), child))
    if defaults:
        for template in DEFAULTS:
            mine = found.setdefault(template.intent, [])
            if not any(t.name.lower() == template.name.lower() for t in mine):
                mine.append(template)
    return found


def templates_for(templates: dict[str, list[Template]], intent: str | None) -> list[Template]:
    """What compose offers for a thread of ``intent`` (None = unclassified), then 'any'."""
    key = _intent_key(intent) if intent else UNCLASSIFIED
    return list(templates.get(key, [])) + (list(templates.get(ANY, [])) if key != ANY else [])


# --- merge fields ---------------------------------------------------------------------------


def _split_address(address: str | None) -> tuple[str, str] | None:
    if not address or "@" not in address:
        return None
    local, _, domain = address.strip().rpartition("@")
    return local.lower(), domain.lower().strip(".")


def _names(local: str) -> tuple[str | None, str | None]:
    local = local.split("+", 1)[0]
    if local in _GENERIC_LOCAL:
        return None, None
    parts = [p for p in re.split(r"[._-]+", local) if p]
    words = [p for p in parts if _NAME_OK.match(p) and len(p) > 1]
    if not words or len(words) != len(parts):
        return None, None  # "jsmith42", "j.smith": no sure first name
    first = words[0].capitalize()
    last = words[-1].capitalize() if len(words) > 1 else None
    return first, last


# Words a run-together company domain often ends with: "soylentfoods" reads Soylent Foods.
_COMPANY_WORDS = sorted(
    set(
        "retail foods food labs lab tech technologies systems capital health healthcare logistics "
        "energy media travel cloud bio biotech trading group industries industrial robotics "
        "analytics payments pay freight devtools homes home beverages fintech dynamics imports "
        "traders software solutions consulting partners digital networks security data studio "
        "studios ventures holdings global marketing motors insurance bank finance hr apps "
        "worldwide agency foundation games learning legal medical pharma mobility corp".split()
    ),
    key=len,
    reverse=True,
)
_WORD_TOKEN = re.compile(r"[^\W_][\w&'’.-]*")
_MAX_KNOWN_CHARS = 20_000  # of thread text searched for a company's spelling
_MAX_RUN = 4  # words in a company name


def _label(domain: str) -> str | None:
    """The registrable label of a domain ("acme" for mail.acme.co.uk), None for free mail."""
    labels = [label for label in domain.lower().split(".") if label]
    if len(labels) < 2:
        return None
    labels = labels[:-1]  # the top-level domain
    if len(labels) >= 2 and labels[-1] in _SECOND_LEVEL:
        labels = labels[:-1]
    name = labels[-1]
    return None if name in _FREE_MAIL else name


def _split_words(chunk: str) -> list[str]:
    """ "wonkaretail" -> ["wonka", "retail"]: common trailing words split off (at least four
    letters must stay in front: "initech" stays whole), what is left stays whole."""
    for word in _COMPANY_WORDS:
        if chunk.endswith(word) and len(chunk) - len(word) >= 4:
            return _split_words(chunk[: -len(word)]) + [word]
    return [chunk]


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def _known_spelling(label: str, texts: Iterable[str]) -> str | None:
    """A run of capitalised words in ``texts`` that spells ``label`` ("Wonka Retail" for
    wonkaretail): how the company writes its own name beats any guess from the domain."""
    target = _squash(label)
    budget = _MAX_KNOWN_CHARS
    for text in texts:
        if not text or budget <= 0:
            continue
        text = text[:budget]
        budget -= len(text)
        run: list[str] = []
        for token in [*_WORD_TOKEN.findall(text), ""]:
            word = re.sub(r"(['’]s|[.'’-])+$", "", token)
            if word and (word[0].isupper() or word[0].isdigit()):
                run.append(word)
                continue
            for i in range(len(run)):
                for j in range(i + 1, min(len(run), i + _MAX_RUN) + 1):
                    if _squash("".join(run[i:j])) == target:
                        return " ".join(run[i:j])
            run = []
    return None


def company_name(address_or_domain: str | None, known: Iterable[str] = ()) -> str | None:
    """The company behind an address (or a bare domain): a spelling found in ``known`` (the
    thread's subject and messages) wins, else the domain's words; None for free mail."""
    domain = (address_or_domain or "").strip().rpartition("@")[2].strip(".")
    label = _label(domain) if domain else None
    if not label:
        return None
    spelled = _known_spelling(label, known)
    if spelled:
        return spelled
    words = [w for part in re.split(r"[-_]+", label) if part for w in _split_words(part)]
    return " ".join(w.upper() if len(w) <= 2 else w.capitalize() for w in words) or None


class MergeThread(Protocol):
    """What merge fields read of a thread (queries.ThreadRow has it)."""

    @property
    def prospect(self) -> str | None: ...
    @property
    def last_from(self) -> str | None: ...
    @property
    def needs_reply(self) -> bool: ...
    @property
    def mailbox(self) -> str | None: ...


def sender_first_name(mailbox: str | None) -> str | None:
    """{sender_name} as a mailbox address gives it: the first name of john.smith@… ("John")."""
    ours = _split_address(mailbox)
    return _names(ours[0])[0] if ours else None


def merge_fields(thread: MergeThread, sender_name: str | None = None, *, known: Iterable[str] = ()) -> dict[str, str]:
    """The fields this thread can fill (a field without a value is left out, so it stays
    visible as ``{field}`` in the text). ``known`` is text the cache holds about the thread
    (subject, message bodies) where the company may be spelled."""
    out: dict[str, str] = {}
    prospect = thread.prospect
    if not prospect and thread.needs_reply:
        prospect = thread.last_from  # the last message is theirs
    mailbox = thread.mailbox
    split = _split_address(prospect)
    if prospect is not None and split is not None:
        out["prospect"] = prospect.strip()
        first, last = _names(split[0])
        if first:
            out["first_name"] = first
        if last:
            out["last_name"] = last
        company = company_name(split[1], known)
        if company:
            out["company"] = company
    if mailbox:
        out["mailbox"] = mailbox
    if sender_name and sender_name.strip():
        out["sender_name"] = sender_name.strip()
    else:
        first = sender_first_name(mailbox)
        if first:
            out["sender_name"] = first
    return out


def fill(
    template: Template | str, *, thread: MergeThread, sender_name: str | None = None, known: Iterable[str] = ()
) -> str:
    """The template's body with its merge fields filled; unknown ones stay as ``{name}``."""
    body = template.body if isinstance(template, Template) else template
    values = merge_fields(thread, sender_name, known=known)
    return clean_body(_FIELD.sub(lambda m: values.get(m.group(1), m.group(0)), body))


# Anything that looks like a merge field: {first_name}, {{ company }}, {First.Name}. What is
# left of one after filling must never reach a prospect.
UNFILLED = re.compile(r"\{\{?\s*[A-Za-z_][A-Za-z0-9_.]*\s*\}\}?")


def unfilled_fields(text: str | None) -> list[str]:
    """The merge fields left in ``text``, each once, in order of appearance."""
    return list(dict.fromkeys(m.group(0) for m in UNFILLED.finditer(text or "")))


# --- signatures -----------------------------------------------------------------------------


def signatures_dir(config_dir: str | os.PathLike[str] | None = None) -> Path:
    return templates_dir(config_dir).parent / "signatures"


def signature_for(mailbox: str | None, config_dir: str | os.PathLike[str] | None = None) -> str | None:
    """The signature of ``mailbox``: ``signatures/<address>.txt`` (address lower-cased), else
    ``signatures/default.txt``, else None. Its ``{sender_name}`` / ``{mailbox}`` are filled
    from the mailbox (other fields stay, for unfilled_fields to catch)."""
    folder = signatures_dir(config_dir)
    address = (mailbox or "").strip().lower()
    names = (
        [f"{address}.txt"]
        if address and re.fullmatch(r"[^/\\\x00]+@[^/\\\x00]+", address) and not address.startswith(".")
        else []
    )
    values = {k: v for k, v in (("mailbox", address), ("sender_name", sender_first_name(address))) if v}
    for name in [*names, "default.txt"]:
        text = _read_text(folder / name)
        if text is None:
            continue
        text = clean_body(text.lstrip("\ufeff")).strip("\n")
        if not text.strip():
            return None
        return _FIELD.sub(lambda m: values.get(m.group(1), m.group(0)), text)
    return None
