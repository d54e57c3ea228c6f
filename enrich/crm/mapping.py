"""Which of Vigie's account fields go to which CRM property, and the connector
each CRM's settings build.

The mapping is `{vigie field: CRM property}`; a field mapped to nothing is not
written. The defaults name custom properties to create in the CRM once (the
README lists them); a Pipedrive custom field is named by its API key, so its
defaults are placeholders to replace.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from enrich.crm import CRM_NAMES, Company, Connector
from enrich.crm.http import RetryPolicy
from enrich.crm.hubspot import DEFAULT_BASE_URL, HubSpotConnector
from enrich.crm.pipedrive import PipedriveConnector
from enrich.crm.salesforce import (
    DEFAULT_API_VERSION,
    DEFAULT_EXTERNAL_ID_FIELD,
    SalesforceConnector,
)

VIGIE_FIELDS = (
    "score",
    "tier",
    "fit",
    "engagement",
    "why",
    "top_pages",
    "last_seen",
    "vigie_url",
    "decision_makers",
)
"""Account fields a connector may write, besides the name and domain it always writes."""

DEFAULT_MAPPINGS: dict[str, dict[str, str]] = {
    "hubspot": {name: f"vigie_{name.removeprefix('vigie_')}" for name in VIGIE_FIELDS},
    "salesforce": {
        name: "Vigie_"
        + "_".join(p.capitalize() for p in name.removeprefix("vigie_").split("_"))
        + "__c"
        for name in VIGIE_FIELDS
    },
    "pipedrive": {name: f"vigie_{name.removeprefix('vigie_')}" for name in VIGIE_FIELDS},
}
"""Sensible property names per CRM: `vigie_score` (HubSpot, Pipedrive), `Vigie_Score__c`."""

SETTINGS: dict[str, tuple[str, ...]] = {
    "hubspot": ("base_url",),
    "salesforce": ("login_url", "client_id", "instance_url", "external_id_field", "api_version"),
    "pipedrive": ("base_url", "domain_field"),
}
"""The plain (not secret) settings of each CRM."""

SECRETS: dict[str, tuple[str, ...]] = {
    "hubspot": ("token",),
    "salesforce": ("client_secret", "access_token"),
    "pipedrive": ("token",),
}
"""The secret settings of each CRM, stored encrypted and never shown back."""

DEFAULT_SETTINGS: dict[str, dict[str, str]] = {
    "hubspot": {"base_url": DEFAULT_BASE_URL},
    "salesforce": {
        "login_url": "https://login.salesforce.com",
        "external_id_field": DEFAULT_EXTERNAL_ID_FIELD,
        "api_version": DEFAULT_API_VERSION,
    },
    "pipedrive": {"domain_field": ""},
}


def parse_mapping(crm: str, text: str) -> dict[str, str]:
    """A mapping from lines `field = Property` (or `field =` to write nothing);
    fields not named keep their default.

    :raise ValueError: naming the line's field that Vigie does not know.
    """
    mapping = dict(DEFAULT_MAPPINGS[crm])
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        field, sep, prop = (part.strip() for part in line.partition("="))
        if not sep or field not in VIGIE_FIELDS:
            raise ValueError(
                f"mapping: line {number}: {field!r} is not one of {', '.join(VIGIE_FIELDS)}"
            )
        if prop and (len(prop) > 100 or not prop.replace("_", "").replace("-", "").isalnum()):
            raise ValueError(f"mapping: line {number}: {prop!r} is not a property name")
        mapping[field] = prop
    return mapping


def mapping_text(mapping: Mapping[str, str]) -> str:
    """The mapping as `parse_mapping` reads it."""
    return "\n".join(f"{field} = {mapping.get(field, '')}" for field in VIGIE_FIELDS)


def company(
    domain: str, name: str, values: Mapping[str, Any], mapping: Mapping[str, str]
) -> Company:
    """What to write: the values of mapped fields, under their CRM property names."""
    properties = {
        mapping[field]: values[field]
        for field in VIGIE_FIELDS
        if mapping.get(field) and values.get(field) is not None
    }
    return Company(domain=domain, name=name, properties=properties)


def build_connector(
    crm: str,
    settings: Mapping[str, str],
    secrets: Mapping[str, str],
    session: requests.Session,
    policy: RetryPolicy | None = None,
) -> Connector:
    """The connector of `crm` with these settings and secrets.

    :raise ValueError: naming the setting at fault.
    """
    if crm not in CRM_NAMES:
        raise ValueError(f"crm: {crm!r} is not one of {', '.join(CRM_NAMES)}")
    merged = {**DEFAULT_SETTINGS[crm], **{k: v for k, v in settings.items() if v}}
    if crm == "hubspot":
        return HubSpotConnector(secrets.get("token", ""), session, merged["base_url"], policy)
    if crm == "salesforce":
        return SalesforceConnector(
            session,
            login_url=merged.get("login_url"),
            client_id=merged.get("client_id"),
            client_secret=secrets.get("client_secret"),
            instance_url=merged.get("instance_url"),
            access_token=secrets.get("access_token"),
            external_id_field=merged["external_id_field"],
            api_version=merged["api_version"],
            policy=policy,
        )
    return PipedriveConnector(
        secrets.get("token", ""),
        session,
        merged.get("base_url", ""),
        merged["domain_field"],
        policy,
    )
