"""Account keys: one account per company, however its name is written."""

from __future__ import annotations

import pytest

from enrich.identity import account_key, normalise_name, registrable_domain


@pytest.mark.parametrize(
    ("name", "normalised"),
    [
        ("ACME S.A.S.", "acme"),
        ("Acme SAS", "acme"),
        ("acme, Inc.", "acme"),
        ("Société Générale SA", "societe generale"),
        ("Deutsche Bank GmbH & Co. KG", "deutsche bank"),
        ("Tesco PLC", "tesco"),
        ("Müller Ltd", "muller"),
        ("SA", "sa"),
    ],
)
def test_names_are_normalised(name, normalised):
    assert normalise_name(name) == normalised


@pytest.mark.parametrize(
    ("host", "registrable"),
    [
        ("www.acme.co.uk", "acme.co.uk"),
        ("shop.acme.fr", "acme.fr"),
        ("ACME.COM.", "acme.com"),
        ("co.uk", None),
        ("localhost", None),
    ],
)
def test_registrable_domain_from_the_bundled_suffix_list(host, registrable):
    assert registrable_domain(host) == registrable


def test_domain_wins_over_name():
    assert account_key("www.acme.com", "Acme Corp") == "acme.com"
    assert account_key(None, "ACME Corp.") == account_key("co.uk", "Acme") == "name:acme"
    assert account_key(None, None) is None and account_key("", "  ") is None
