"""Who an address belongs to, guessed from its text: the person's name and the company.

    company_from_domain("wonkaretail.com") -> "Wonka Retail"
    company_from_address("sarah.chen@acme-corp.co.uk") -> "Acme Corp"
    name_from_address("sarah.chen@acme.com") -> "Sarah Chen"

The API sends addresses only, so this is what the product knows when nothing better is (a
name the user typed, a contact's company field). A guess is None rather than wrong where the
address says nothing: a free-mail domain has no company, ``info@`` or ``jsmith42@`` no name.

A domain is one word more often than not ("wonkaretail"): a trailing word that companies
commonly end with (Retail, Labs, Capital, …) is split off, so "wonkaretail" reads "Wonka
Retail", while a name without such a word stays one word ("dundermifflin" -> "Dundermifflin").
Words of two letters are upper-cased (HR, AI, IO), others capitalised.
"""

from __future__ import annotations

import re

#: Domains of personal mail: they name the provider, not the prospect's company.
FREE_MAIL = frozenset(
    "gmail googlemail yahoo ymail hotmail outlook live msn aol icloud me mac proton protonmail "
    "gmx web mail yandex zoho fastmail hey tutanota qq 163 126 naver".split()
)
#: Second-level labels of country domains ("acme.co.uk" is Acme, not Co).
SECOND_LEVEL = frozenset("co com net org ac gov edu ltd plc gob nic or ne go".split())
#: Words companies commonly end with, longest first so "analytics" wins over "tics".
COMPANY_WORDS = tuple(
    sorted(
        set(
            "corp inc labs lab group retail foods food health healthcare logistics capital systems media "
            "travel trading traders homes industrial industries robotics cloud payments freight analytics dynamic "
            "dynamics energy bio imports fintech devtools hr ai software solutions consulting partners "
            "ventures studio studios digital tech technologies networks security marketing agency bank "
            "finance insurance pharma motors airlines hotels realty worldwide global holdings beverages "
            "apparel games interactive learning education legal data mobile apps".split()
        ),
        key=lambda w: (-len(w), w),
    )
)
MIN_STEM = 4  # "initech" stays one word: "ini" is too short to be a name of its own

_GENERIC_LOCAL = frozenset(
    "info hello contact sales support admin office team hi mail enquiries inquiries billing "
    "accounts noreply no-reply postmaster mailer-daemon jobs careers press marketing hr help".split()
)
_NAME_PART = re.compile(r"^[^\W\d_]+$")


def _split(address: str | None) -> tuple[str, str] | None:
    if not address or "@" not in address:
        return None
    local, _, domain = address.strip().rpartition("@")
    return local.lower(), domain.lower().strip(".")


def _word(w: str) -> str:
    return w.upper() if len(w) <= 2 else w.capitalize()


def _split_compound(label: str) -> list[str]:
    """'wonkaretail' -> ['wonka', 'retail']; a label without a known ending stays whole."""
    tail: list[str] = []
    while True:
        for word in COMPANY_WORDS:
            if label.endswith(word) and len(label) - len(word) >= MIN_STEM:
                tail.insert(0, word)
                label = label[: -len(word)]
                break
        else:
            return [label] + tail


def company_from_domain(domain: str | None) -> str | None:
    """The company a domain names (registrable label, words split and capitalised), or None
    for a free-mail domain or one that is no domain at all."""
    if not domain:
        return None
    labels = [label for label in domain.lower().strip(".").split(".") if label]
    if len(labels) < 2:
        return None
    labels = labels[:-1]  # the top-level domain
    if len(labels) >= 2 and labels[-1] in SECOND_LEVEL:
        labels = labels[:-1]
    name = labels[-1]
    if name in FREE_MAIL:
        return None
    words = [part for chunk in re.split(r"[-_]+", name) if chunk for part in _split_compound(chunk)]
    return " ".join(_word(w) for w in words) or None


def company_from_address(address: str | None) -> str | None:
    split = _split(address)
    return company_from_domain(split[1]) if split else None


def name_from_address(address: str | None) -> str | None:
    """'sarah.chen@…' -> 'Sarah Chen', 'sarah@…' -> 'Sarah'; None when the local part is a role
    (info@, sales@) or is not made of letters only ('jsmith42', 'j.smith')."""
    split = _split(address)
    if split is None:
        return None
    local = split[0].split("+", 1)[0]
    if local in _GENERIC_LOCAL:
        return None
    parts = [p for p in re.split(r"[._-]+", local) if p]
    if not parts or any(len(p) < 2 or not _NAME_PART.match(p) for p in parts):
        return None
    return " ".join(p.capitalize() for p in parts)
