"""The correction table alone: which correction wins, and what each one makes of a resolution."""

from __future__ import annotations

import pytest

from enrich.connection import ConnectionClass
from enrich.corrections import Correction, CorrectionError, CorrectionTable, Effect, Scope, check
from enrich.resolver import Company, Resolution, correct

OPERATOR = Resolution(
    ConnectionClass.BUSINESS,
    "ASN organisation",
    company=Company(key="name:globex", name="Globex"),
    company_source="ASN organisation",
    asn=64501,
    asn_organisation="Globex",
)

TABLE = CorrectionTable.of(
    [
        Correction(Scope.ORGANISATION, Effect.HOSTING, organisation="GLOBEX"),
        Correction(Scope.ASN, Effect.ISP, asn=64501),
        Correction(
            Scope.NETWORK,
            Effect.COMPANY,
            network="5.5.5.0/24",
            company_name="Initrode",
            company_domain="initrode.fr",
        ),
        Correction(Scope.NETWORK, Effect.ISP, network="2a01:e0a::/32"),
    ]
)


def test_the_network_wins_over_the_asn_and_the_asn_over_the_name():
    named = correct(OPERATOR, "5.5.5.9", TABLE)
    assert (named.connection, named.company.key, named.company_source) == (
        ConnectionClass.BUSINESS,
        "initrode.fr",
        "correction",
    )
    assert correct(OPERATOR, "5.5.6.9", TABLE).connection is ConnectionClass.ISP
    by_name = correct(OPERATOR, None, CorrectionTable.of([TABLE.by_name["globex"]]))
    assert (by_name.connection, by_name.company) == (ConnectionClass.HOSTING, None)
    assert correct(OPERATOR, "2a01:e0a:1::5", CorrectionTable.of([])) is OPERATOR


def test_an_ipv6_network_matches_its_addresses_only():
    other = Resolution(ConnectionClass.ISP, "operator name", asn=3215)
    assert correct(other, "2a01:e0a:1::5", TABLE).decided_by == "correction"
    assert correct(other, "2a02::1", TABLE) is other


@pytest.mark.parametrize(
    ("correction", "field"),
    [
        (Correction(Scope.ASN, Effect.ISP, asn=0), "asn"),
        (Correction(Scope.ORGANISATION, Effect.ISP, organisation=" - "), "organisation"),
        (Correction(Scope.NETWORK, Effect.ISP, network="5.5.5.300/24"), "network"),
        (Correction(Scope.ASN, Effect.COMPANY, asn=1, company_name=" "), "name"),
    ],
)
def test_unusable_corrections_name_their_field(correction, field):
    with pytest.raises(CorrectionError, match=f"^{field}: "):
        check(correction)
