"""HubSpot: companies upserted in a batch keyed on their `domain` property.

`POST /crm/v3/objects/companies/batch/upsert` with `idProperty: "domain"`
creates the company or updates the one with that domain; each result says
whether it is `new`. The lifecycle stage (`lifecyclestage`) and the number of
open deals (`hs_num_open_deals`) are read back with
`GET /crm/v3/objects/companies/{domain}?idProperty=domain`. A private app's
access token goes in `Authorization: Bearer`.

Errors come as `{"status": "error", "message": …, "category": …, "errors": [...]}`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

from enrich.crm import Change, Company, CrmError, CrmResult, CrmStatus, Failure
from enrich.crm.http import CrmHttp, RetryPolicy, text_of

DEFAULT_BASE_URL = "https://api.hubapi.com"

CUSTOMER_STAGES = frozenset({"customer", "evangelist"})
"""Lifecycle stages of a company that already buys."""

OPPORTUNITY_STAGE = "opportunity"

STATUS_PROPERTIES = "lifecyclestage,hs_num_open_deals"


def describe(body: Any) -> str:
    """HubSpot's error message, with the first detailed error if any."""
    if not isinstance(body, dict):
        return ""
    message = text_of(body.get("message"))
    details = body.get("errors") or []
    if details and isinstance(details[0], dict) and details[0].get("message"):
        first = text_of(details[0]["message"])
        if first and first not in message:
            message = f"{message}; {first}" if message else first
    return message


class HubSpotConnector:
    """Companies of one HubSpot portal."""

    name = "hubspot"

    def __init__(
        self,
        token: str,
        session: requests.Session,
        base_url: str = DEFAULT_BASE_URL,
        policy: RetryPolicy | None = None,
    ) -> None:
        if not token:
            raise ValueError("token: a private app access token is needed")
        self.base_url = base_url.rstrip("/")
        self.http = CrmHttp(session, policy or RetryPolicy(), describe)
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def upsert_company(self, company: Company) -> CrmResult:
        """Create or update the company with this domain.

        :raise CrmError: when HubSpot refuses or does not answer.
        """
        properties = {**company.properties, "name": company.name, "domain": company.domain}
        body = {
            "inputs": [{"idProperty": "domain", "id": company.domain, "properties": properties}]
        }
        response = self.http.call(
            "POST",
            f"{self.base_url}/crm/v3/objects/companies/batch/upsert",
            json=body,
            headers=self.headers,
        )
        if response.status_code == 404:
            raise CrmError(Failure.NOT_FOUND, "the upsert endpoint", 404)
        results = (response.json() or {}).get("results") or []
        if not results:
            raise CrmError(Failure.SERVER, "no result in the answer", response.status_code)
        first = results[0]
        change = Change.CREATED if first.get("new") else Change.UPDATED
        return CrmResult(str(first.get("id")), change, response.status_code)

    def read_status(self, domain: str) -> CrmStatus:
        """The company's lifecycle stage and open deals; an empty status if unknown.

        :raise CrmError: when HubSpot refuses or does not answer.
        """
        response = self.http.call(
            "GET",
            f"{self.base_url}/crm/v3/objects/companies/{quote(domain, safe='')}",
            params={"idProperty": "domain", "properties": STATUS_PROPERTIES},
            headers=self.headers,
        )
        if response.status_code == 404:
            return CrmStatus()
        properties = (response.json() or {}).get("properties") or {}
        stage = properties.get("lifecyclestage") or None
        open_deals = _whole(properties.get("hs_num_open_deals"))
        return CrmStatus(
            lifecycle=stage,
            customer=stage in CUSTOMER_STAGES,
            open_opportunity=open_deals > 0 or stage == OPPORTUNITY_STAGE,
        )


def _whole(value: Any) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0
