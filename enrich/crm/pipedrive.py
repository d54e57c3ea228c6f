"""Pipedrive: organisations found by their domain, then created or updated.

Pipedrive has no upsert and no standard domain field: the domain is kept in a
custom organisation field (`domain_field`, its 40-character API key), and
`GET /api/v1/organizations/search?term=<domain>&fields=custom_fields&exact_match=true`
finds the organisation holding it. Then `POST /api/v1/organizations` creates
one, or `PUT /api/v1/organizations/{id}` updates it. Deal counts
(`open_deals_count`, `won_deals_count`) are read back with
`GET /api/v1/organizations/{id}`: a won deal makes a customer.

The API token goes in the `x-api-token` header (not the `api_token` query
parameter, which would put it in every URL and proxy log). Answers are
`{"success": true, "data": …}`; errors `{"success": false, "error": …}`.
"""

from __future__ import annotations

import re
from typing import Any

import requests

from enrich.crm import Change, Company, CrmError, CrmResult, CrmStatus, Failure
from enrich.crm.http import CrmHttp, RetryPolicy, text_of

_FIELD_KEY = re.compile(r"^[A-Za-z0-9_]{1,64}$")


def describe(body: Any) -> str:
    """Pipedrive's error, with its detail when it gives one."""
    if not isinstance(body, dict):
        return ""
    error, info = text_of(body.get("error")), text_of(body.get("error_info"))
    return f"{error} ({info})" if error and info and "developers.pipedrive" not in info else error


class PipedriveConnector:
    """Organisations of one Pipedrive company account."""

    name = "pipedrive"

    def __init__(
        self,
        token: str,
        session: requests.Session,
        base_url: str,
        domain_field: str,
        policy: RetryPolicy | None = None,
    ) -> None:
        """:raise ValueError: naming the setting at fault."""
        if not token:
            raise ValueError("token: an API token is needed")
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("base_url: your company's URL, https://<company>.pipedrive.com")
        if not _FIELD_KEY.match(domain_field or ""):
            raise ValueError(
                "domain_field: the API key of the organisation field holding the domain"
            )
        self.base_url = base_url.rstrip("/")
        self.domain_field = domain_field
        self.http = CrmHttp(session, policy or RetryPolicy(), describe)
        self.headers = {"x-api-token": token, "Accept": "application/json"}

    def upsert_company(self, company: Company) -> CrmResult:
        """Update the organisation holding the domain, else create one.

        :raise CrmError: when Pipedrive refuses or does not answer.
        """
        fields = {**company.properties, "name": company.name, self.domain_field: company.domain}
        found = self.find(company.domain)
        if found is None:
            response = self._call("POST", "/api/v1/organizations", json=fields)
            change = Change.CREATED
        else:
            response = self._call("PUT", f"/api/v1/organizations/{found}", json=fields)
            change = Change.UPDATED
        data = _data(response)
        if response.status_code == 404 or not isinstance(data, dict) or "id" not in data:
            raise CrmError(Failure.SERVER, "no organisation in the answer", response.status_code)
        return CrmResult(str(data["id"]), change, response.status_code)

    def find(self, domain: str) -> int | None:
        """The id of the organisation whose domain field holds exactly `domain`.

        :raise CrmError: when Pipedrive refuses or does not answer.
        """
        response = self._call(
            "GET",
            "/api/v1/organizations/search",
            params={"term": domain, "fields": "custom_fields", "exact_match": "true", "limit": 10},
        )
        items = (_data(response) or {}).get("items") or [] if response.status_code != 404 else []
        for entry in items:
            item = entry.get("item") or {}
            values = [str(value).lower() for value in item.get("custom_fields") or []]
            found = item.get("id")
            if domain.lower() in values and isinstance(found, int):
                return found
        return None

    def read_status(self, domain: str) -> CrmStatus:
        """Whether the organisation has won or open deals; empty if unknown.

        :raise CrmError: when Pipedrive refuses or does not answer.
        """
        found = self.find(domain)
        if found is None:
            return CrmStatus()
        response = self._call("GET", f"/api/v1/organizations/{found}")
        data = _data(response) if response.status_code != 404 else None
        if not isinstance(data, dict):
            return CrmStatus()
        won = int(data.get("won_deals_count") or 0)
        open_deals = int(data.get("open_deals_count") or 0)
        lifecycle = "customer" if won else "open deal" if open_deals else "prospect"
        return CrmStatus(lifecycle, customer=won > 0, open_opportunity=open_deals > 0)

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.call(method, self.base_url + path, headers=self.headers, **kwargs)


def _data(response: requests.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("data") if isinstance(body, dict) else None
