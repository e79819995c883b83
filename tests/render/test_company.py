"""Company and person names guessed from an address (render/company.py)."""

from __future__ import annotations

import pytest

from o2d_inbox.render.company import company_from_address, company_from_domain, name_from_address


@pytest.mark.parametrize(
    "domain, company",
    [
        ("wonkaretail.com", "Wonka Retail"),  # one word on the wire, two in the name
        ("northwindtraders.com", "Northwind Traders"),
        ("cyberdynelabs.io", "Cyberdyne Labs"),
        ("quartzhr.com", "Quartz HR"),
        ("acme-corp.co.uk", "Acme Corp"),  # country second level skipped
        ("mail.initech.com", "Initech"),  # "ini" + "tech": too short a stem to split
        ("dundermifflin.com", "Dundermifflin"),  # no known ending: one word, not a wrong split
        ("gmail.com", None),
        ("yahoo.co.uk", None),  # free mail names no company
        ("localhost", None),
        ("", None),
        (None, None),
    ],
)
def test_company_from_domain(domain, company):
    assert company_from_domain(domain) == company


def test_company_and_name_from_an_address():
    assert company_from_address("Sarah.Chen@WonkaRetail.com") == "Wonka Retail"
    assert company_from_address("not an address") is None
    assert name_from_address("sarah.chen@acme.com") == "Sarah Chen"
    assert name_from_address("priya@acme.com") == "Priya"
    for role_or_unsure in ("info@acme.com", "sales+x@acme.com", "jsmith42@acme.com", "j.smith@acme.com", "x"):
        assert name_from_address(role_or_unsure) is None
