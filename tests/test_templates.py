"""Reply templates: files in the config dir (untrusted), built-in defaults, merge fields
filled from the thread, unknown fields left visible."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from o2d_inbox.templates import (
    DEFAULTS,
    MAX_BYTES,
    Template,
    company_name,
    fill,
    load_templates,
    merge_fields,
    signature_for,
    templates_for,
    unfilled_fields,
)


@dataclass
class Thread:  # the ThreadRow attributes templates read
    prospect: str | None = "sarah.chen@acme-corp.com"
    last_from: str | None = None
    needs_reply: bool = True
    mailbox: str | None = "john@cooloutreach.com"


def _write(path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())


def test_merge_fields_from_the_prospect_address():
    assert merge_fields(Thread(), "John Smith") == {
        "prospect": "sarah.chen@acme-corp.com",
        "first_name": "Sarah",
        "last_name": "Chen",
        "company": "Acme Corp",
        "mailbox": "john@cooloutreach.com",
        "sender_name": "John Smith",
    }


@pytest.mark.parametrize(
    "address, first, company",
    [
        ("priya@globex.co.uk", "Priya", "Globex"),
        ("info@initech.io", None, "Initech"),
        ("tom.baker+news@gmail.com", "Tom", None),
        ("jsmith42@hp.com", None, "HP"),
        ("j.smith@umbrella-labs.de", None, "Umbrella Labs"),
    ],
)
def test_names_and_company_derived_or_left_out(address, first, company):
    fields = merge_fields(Thread(prospect=address), None)
    assert fields.get("first_name") == first
    assert fields.get("company") == company
    assert fields["sender_name"] == "John"  # from our mailbox when no name is given


def test_last_sender_is_the_prospect_when_unknown():
    thread = Thread(prospect=None, last_from="olivia.park@northwind.com", mailbox=None)
    assert merge_fields(thread)["first_name"] == "Olivia"
    assert "first_name" not in merge_fields(Thread(prospect=None, last_from="john@cooloutreach.com", needs_reply=False))


def test_fill_leaves_unknown_and_unfillable_fields_visible():
    template = Template(
        "t",
        "neutral",
        "Hi {first_name} at {company}, {nickname} {0} {x.__class__} {company:>9999999999} {{literal}} {mailbox}",
    )
    text = fill(template, thread=Thread(prospect="info@gmail.com"), sender_name=None)
    assert text == (
        "Hi {first_name} at {company}, {nickname} {0} {x.__class__} "
        "{company:>9999999999} {{literal}} john@cooloutreach.com"
    )


def test_default_templates_fill_for_every_intent():
    templates = load_templates("/nonexistent-config-dir")
    for intent in ("interested", "not_interested", "out_of_office", "unsubscribe", "neutral", "bounced", None):
        offered = templates_for(templates, intent)
        assert offered and offered[-1].intent == "any"
        text = fill(offered[0], thread=Thread(), sender_name="John")
        assert "{" not in text and "John" in text


def test_user_files_folders_titles_subjects_and_overrides(tmp_path):
    root = tmp_path / "templates"
    _write(root / "interested" / "book.txt", "# Book a call\r\nHi {first_name},\r\nTuesday?\r\n")
    _write(root / "interested" / "pricing.txt", "# Send pricing\nMy own pricing note\n")
    _write(root / "out-of-office.txt", "Subject: Catching up\nWelcome back, {first_name}!")
    _write(root / "interested" / "notes.md", "ignored: not .txt")
    _write(root / "interested" / ".hidden.txt", "ignored: hidden")
    templates = load_templates(tmp_path)
    names = [t.name for t in templates["interested"]]
    assert names == ["Book a call", "Send pricing"]  # both defaults of that name replaced
    assert templates["interested"][0].body == "Hi {first_name},\nTuesday?"
    assert templates["interested"][1].body == "My own pricing note"
    ooo = templates["out_of_office"][0]
    assert (ooo.name, ooo.subject, ooo.body) == ("out of office", "Catching up", "Welcome back, {first_name}!")
    assert fill(ooo, thread=Thread()) == "Welcome back, Sarah!"
    assert len(templates["out_of_office"]) == 2  # plus the built-in one


def test_hostile_template_files_are_read_safely(tmp_path):
    root = tmp_path / "templates" / "neutral"
    _write(root / "big.txt", b"A" * (MAX_BYTES * 4))
    _write(root / "binary.txt", b"\xff\xfe\x00\x1b[31mred\x1b[0m\x07 hi {first_name}")
    secret = tmp_path / "secret"
    secret.write_text("do not read me")
    os.symlink(secret, root / "link.txt")
    os.mkfifo(root / "fifo.txt")  # reading it would block
    templates = {t.path.name: t for t in load_templates(tmp_path)["neutral"] if t.path}
    assert set(templates) == {"big.txt", "binary.txt"}
    assert len(templates["big.txt"].body) == MAX_BYTES
    body = templates["binary.txt"].body
    assert "\x1b" not in body and "\x00" not in body and "\x07" not in body
    assert fill(templates["binary.txt"], thread=Thread()).endswith("hi Sarah")


def test_defaults_can_be_left_out(tmp_path):
    assert load_templates(tmp_path, defaults=False) == {}
    assert all(t.path is None for t in DEFAULTS)


@pytest.mark.parametrize(
    "address, company",
    [
        ("tom@wonkaretail.com", "Wonka Retail"),  # not "Wonkaretail"
        ("tom@soylentfoods.com", "Soylent Foods"),
        ("tom@cyberdynelabs.io", "Cyberdyne Labs"),
        ("tom@quartzhr.com", "Quartz HR"),
        ("tom@initech.io", "Initech"),  # "tech" is not split off a short stem
        ("tom@acme-corp.co.uk", "Acme Corp"),
        ("tom@yahoo.com", None),
    ],
)
def test_company_from_the_domain_split_into_words(address, company):
    assert company_name(address) == company


def test_a_name_the_thread_spells_wins_over_the_domain():
    known = ["Re: Quick question about Blue Sun Media's rollout", "Best,\nTom Baker\nBlue Sun Media"]
    assert company_name("tom@bluesunmedia.com") == "Bluesun Media"
    assert company_name("tom@bluesunmedia.com", known) == "Blue Sun Media"
    assert company_name("tom@wonkaretail.com", ["wonka retail in lower case is no spelling"]) == "Wonka Retail"
    thread = Thread(prospect="tom.baker@bluesunmedia.com")
    assert fill("Hi {first_name} at {company}", thread=thread, known=known) == "Hi Tom at Blue Sun Media"


def test_unfilled_fields_finds_every_shape_once():
    text = "Hi {first_name}, {{ company }} and {First.Name}; {first_name} again; {} {0} {x y} plain"
    assert unfilled_fields(text) == ["{first_name}", "{{ company }}", "{First.Name}"]
    assert unfilled_fields("Hi Tom, nothing left") == []


def test_signature_per_mailbox_then_default(tmp_path):
    folder = tmp_path / "signatures"
    assert signature_for("amy@growthlane.co", tmp_path) is None
    _write(folder / "default.txt", "\ufeffBest,\n{sender_name}\x1b[31m\n\n")
    _write(folder / "amy@growthlane.co.txt", "Cheers,\nAmy")
    assert signature_for("Amy@GrowthLane.co", tmp_path) == "Cheers,\nAmy"
    assert signature_for("john@cooloutreach.com", tmp_path) == "Best,\nJohn[31m"  # control chars dropped
    assert signature_for("sales@cooloutreach.com", tmp_path) == "Best,\n{sender_name}[31m"  # no name: stays
    assert signature_for("../../etc/passwd", tmp_path) == "Best,\n{sender_name}[31m"  # never a path
