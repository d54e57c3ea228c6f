"""Connection classes from each signal, and the editable list of operators."""

from __future__ import annotations

import pytest

from enrich.classify import NetworkListError, Signals, classify, load_network_list, parse_entries
from enrich.connection import ConnectionClass as C

NETWORKS = load_network_list()


@pytest.mark.parametrize(
    ("signals", "expected"),
    [
        (Signals(own_company=True, anonymous={"is_anonymous": True}), C.BUSINESS),
        (Signals(anonymous={"is_tor_exit_node": True}, user_type="business"), C.HOSTING),
        (Signals(user_type="cellular"), C.MOBILE),
        (Signals(user_type="school"), C.EDUCATION),
        (Signals(user_type="military"), C.GOVERNMENT),
        (Signals(user_type="residential", organisation="Acme"), C.ISP),
        (Signals(asn=16276, asn_organisation="Whatever"), C.HOSTING),
        (Signals(asn_organisation="Hetzner Online GmbH"), C.HOSTING),
        (Signals(isp="Deutsche Telekom AG", organisation="Deutsche Telekom AG"), C.ISP),
        (Signals(connection_type="Cable/DSL", organisation="Acme"), C.ISP),
        (Signals(connection_type="Corporate"), C.BUSINESS),
        (Signals(isp="Small ISP", organisation="Acme Widgets"), C.BUSINESS),
        (Signals(isp="Small ISP", organisation="small isp"), C.ISP),
        (Signals(asn_organisation="Acme Widgets SA"), C.BUSINESS),
        (Signals(asn_organisation="Widget Broadband Networks"), C.ISP),
        (Signals(), C.UNKNOWN),
    ],
)
def test_classification(signals, expected):
    assert classify(signals, NETWORKS)[0] is expected


@pytest.mark.parametrize(
    "name",
    [
        "Orange",
        "Free SAS",
        "Societe Francaise du Radiotelephone - SFR SA",
        "Bouygues Telecom SA",
        "Deutsche Telekom AG",
        "Vodafone GmbH",
        "Comcast Cable Communications, LLC",
        "AMAZON-02",
        "GOOGLE-CLOUD-PLATFORM",
        "MICROSOFT-CORP-MSN-AS-BLOCK",
        "OVH SAS",
        "Hetzner Online GmbH",
        "SCALEWAY S.A.S.",
        "DIGITALOCEAN-ASN",
    ],
)
def test_big_operators_are_in_the_shipped_list(name):
    assert NETWORKS.find(None, [name]) is not None, name


def test_sites_extend_the_list():
    extended = NETWORKS.extended(
        parse_entries([{"class": "isp", "name": "Local", "match": ["acme widgets*"]}])
    )
    signals = Signals(asn_organisation="ACME Widgets SAS")
    assert classify(signals, NETWORKS)[0] is C.BUSINESS
    assert classify(signals, extended) == (C.ISP, "known network: Local")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"class": "business", "asn": [1]}, r"network\[0\]\.class: must be isp, mobile or hosting"),
        ({"class": "isp", "asn": ["1"]}, r"network\[0\]\.asn: must be a list of positive integers"),
        ({"class": "isp", "match": "x"}, r"network\[0\]\.match: must be a list"),
        ({"class": "isp"}, r"network\[0\]: give asn or match"),
    ],
)
def test_bad_entries_name_the_field(entry, message):
    with pytest.raises(NetworkListError, match=message):
        parse_entries([entry])


def test_a_custom_file_is_checked(tmp_path):
    path = tmp_path / "networks.toml"
    path.write_text("[[network]]\nasn = [1]\nclass = isp\n")
    with pytest.raises(NetworkListError, match=f"{path}: .*line 3"):
        load_network_list(path)
