"""Salesforce: Accounts upserted by an external-id field holding the domain.

`PATCH /services/data/vXX.X/sobjects/Account/<ExternalIdField__c>/<domain>`
creates the Account (201, `"created": true`) or updates the one whose field
holds that domain (200, `"created": false`; 204 from API versions before 46).
The Account's `Type` is read back by the same external id, and open
opportunities with a SOQL query on `Opportunity` (`IsClosed = false`).

Authentication: the OAuth 2.0 client-credentials flow
(`POST /services/oauth2/token` on the login or My Domain URL, which answers
the `access_token` and the `instance_url` to call), or a session token given
with its instance URL. Errors come as a list:
`[{"message": …, "errorCode": "INVALID_FIELD"}]`; the token endpoint answers
`{"error": "invalid_client", "error_description": …}`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import requests

from enrich.crm import Change, Company, CrmError, CrmResult, CrmStatus, Failure
from enrich.crm.http import CrmHttp, RetryPolicy, text_of

DEFAULT_API_VERSION = "v60.0"
DEFAULT_EXTERNAL_ID_FIELD = "Vigie_Domain__c"

_API_VERSION = re.compile(r"^v\d{2,3}\.\d$")
_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
_RECORD_ID = re.compile(r"^[A-Za-z0-9]{15,18}$")


def describe(body: Any) -> str:
    """Salesforce's first error: "INVALID_FIELD: No such column …"."""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        code, message = body[0].get("errorCode"), body[0].get("message")
        return text_of(f"{code}: {message}" if code else message)
    if isinstance(body, dict):  # the OAuth token endpoint
        return text_of(body.get("error_description") or body.get("error"))
    return ""


class SalesforceConnector:
    """Accounts of one Salesforce org."""

    name = "salesforce"

    def __init__(
        self,
        session: requests.Session,
        *,
        login_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        instance_url: str | None = None,
        access_token: str | None = None,
        external_id_field: str = DEFAULT_EXTERNAL_ID_FIELD,
        api_version: str = DEFAULT_API_VERSION,
        policy: RetryPolicy | None = None,
    ) -> None:
        """Either `login_url`, `client_id` and `client_secret` (client credentials),
        or `instance_url` and `access_token` (a session token).

        :raise ValueError: naming the setting at fault.
        """
        if not (access_token and instance_url) and not (login_url and client_id and client_secret):
            raise ValueError(
                "client_secret: give a login URL, client id and client secret, "
                "or an instance URL and a session token"
            )
        if not _FIELD_NAME.match(external_id_field):
            raise ValueError(f"external_id_field: {external_id_field!r} is not a field name")
        if not _API_VERSION.match(api_version):
            raise ValueError(f"api_version: {api_version!r} is not like v60.0")
        self.http = CrmHttp(session, policy or RetryPolicy(), describe)
        self.login_url = (login_url or "").rstrip("/")
        self.client = (client_id, client_secret)
        self.instance_url = (instance_url or "").rstrip("/")
        self.access_token = access_token
        self.client_credentials = not access_token
        self.external_id_field = external_id_field
        self.api_version = api_version

    def upsert_company(self, company: Company) -> CrmResult:
        """Create or update the Account whose external id is the domain.

        :raise CrmError: when Salesforce refuses or does not answer.
        """
        fields = {"Name": company.name, **company.properties}
        response = self._call("PATCH", self._by_external_id(company.domain), json=fields)
        if response.status_code == 404:
            raise CrmError(Failure.VALIDATION, f"no Account field {self.external_id_field}", 404)
        body = _json(response)
        if response.status_code == 204:  # API versions before 46.0: an update, no body
            return CrmResult("", Change.UPDATED, 204)
        created = body.get("created", response.status_code == 201)
        return CrmResult(
            str(body.get("id") or ""),
            Change.CREATED if created else Change.UPDATED,
            response.status_code,
        )

    def read_status(self, domain: str) -> CrmStatus:
        """The Account's type and whether it has an open opportunity; empty if unknown.

        :raise CrmError: when Salesforce refuses or does not answer.
        """
        response = self._call("GET", self._by_external_id(domain), params={"fields": "Id,Type"})
        if response.status_code == 404:
            return CrmStatus()
        record = _json(response)
        account_type = record.get("Type") or None
        record_id = str(record.get("Id") or "")
        return CrmStatus(
            lifecycle=account_type,
            customer=bool(account_type and account_type.lower().startswith("customer")),
            open_opportunity=self._has_open_opportunity(record_id),
        )

    def authenticate(self) -> None:
        """Get an access token by the client-credentials flow (when not given one).

        :raise CrmError: "token refused" when the client id or secret is refused.
        """
        if self.access_token:
            return
        client_id, client_secret = self.client
        form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }
        try:
            response = self.http.call("POST", f"{self.login_url}/services/oauth2/token", data=form)
        except CrmError as error:
            if error.failure is Failure.VALIDATION:  # 400 invalid_client / invalid_grant
                raise CrmError(Failure.AUTH, error.detail, error.status) from None
            raise
        body = _json(response)
        if response.status_code == 404 or not body.get("access_token"):
            raise CrmError(Failure.AUTH, "no access token in the answer", response.status_code)
        self.access_token = body["access_token"]
        self.instance_url = str(body.get("instance_url") or self.login_url).rstrip("/")

    def _has_open_opportunity(self, record_id: str) -> bool:
        if not _RECORD_ID.match(record_id):
            return False
        soql = (
            f"SELECT Id FROM Opportunity WHERE AccountId = '{record_id}' "
            "AND IsClosed = false LIMIT 1"
        )
        response = self._call("GET", "/query", params={"q": soql})
        return response.status_code != 404 and int(_json(response).get("totalSize") or 0) > 0

    def _by_external_id(self, domain: str) -> str:
        return f"/sobjects/Account/{self.external_id_field}/{quote(domain, safe='')}"

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Call `path` of the data API, authenticating first (the instance URL
        comes with the token). A token of the client-credentials flow that
        expired (401) is replaced once; a given session token is not."""
        self.authenticate()
        try:
            return self._send(method, path, **kwargs)
        except CrmError as error:
            if error.status != 401 or not self.client_credentials:
                raise
        self.access_token = None
        self.authenticate()
        return self._send(method, path, **kwargs)

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = f"{self.instance_url}/services/data/{self.api_version}{path}"
        headers = {"Authorization": f"Bearer {self.access_token}", "Accept": "application/json"}
        return self.http.call(method, url, headers=headers, **kwargs)


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
