"""Loopback fakes of HubSpot, Salesforce and Pipedrive that keep companies and
answer in each API's documented shapes, errors and rate limits included.

`fail_next(status, times, retry_after=…)` makes the next calls fail as the CRM
would (its own error body), then the fake serves normally again. `writes`
counts the calls that created or changed a company.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

Reply = tuple[int, Any]


class FakeCrm:
    """A CRM on 127.0.0.1: routes by method and path, a token, scripted failures."""

    token = "good-token"

    def __init__(self) -> None:
        self.companies: dict[str, dict[str, Any]] = {}  # by domain
        self.requests: list[tuple[str, str]] = []  # (method, path) as received
        self.writes = 0
        self._failures: list[tuple[int, dict[str, str]]] = []
        self._ids = count(1001)
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def handle_any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                split = urlsplit(self.path)
                with fake.lock:
                    fake.requests.append((self.command, split.path))
                    status, body, headers = fake.answer(
                        self.command, unquote(split.path), parse_qs(split.query), self.headers, raw
                    )
                payload = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = handle_any

            def log_message(self, *_args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def fail_next(self, status: int, times: int = 1, retry_after: str | None = None) -> None:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self._failures.extend([(status, headers)] * times)

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], headers: Any, raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        if self._failures:
            status, extra = self._failures.pop(0)
            return status, self.error_body(status), extra
        if not self.authorised(headers):
            return 401, self.error_body(401), {}
        body = json.loads(raw) if raw and raw[:1] in (b"{", b"[") else parse_qs(raw.decode())
        status, reply = self.route(method, path, query, body)
        return status, reply, {}

    def new_id(self) -> str:
        return str(next(self._ids))

    def authorised(self, headers: Any) -> bool:
        raise NotImplementedError

    def route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> Reply:
        raise NotImplementedError

    def error_body(self, status: int) -> Any:
        raise NotImplementedError

    def __enter__(self) -> FakeCrm:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class FakeHubSpot(FakeCrm):
    """`/crm/v3/objects/companies/batch/upsert` keyed on domain, and reads by domain."""

    def authorised(self, headers: Any) -> bool:
        return headers.get("Authorization") == f"Bearer {self.token}"

    def route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> Reply:
        if method == "POST" and path == "/crm/v3/objects/companies/batch/upsert":
            return 200, self.upsert(body["inputs"])
        prefix = "/crm/v3/objects/companies/"
        if method == "GET" and path.startswith(prefix) and query.get("idProperty") == ["domain"]:
            company = self.companies.get(path.removeprefix(prefix))
            if company is None:
                return 404, {
                    "status": "error",
                    "message": "resource not found",
                    "category": "OBJECT_NOT_FOUND",
                }
            return 200, {"id": company["id"], "properties": company["properties"]}
        return 404, {"status": "error", "message": "Not found", "category": "NOT_FOUND"}

    def upsert(self, inputs: list[dict[str, Any]]) -> dict[str, Any]:
        results = []
        for item in inputs:
            assert item["idProperty"] == "domain"
            company = self.companies.get(item["id"])
            new = company is None
            if new:
                company = {"id": self.new_id(), "properties": {"lifecyclestage": "lead"}}
                self.companies[item["id"]] = company
            company["properties"].update(item["properties"])
            self.writes += 1
            results.append({"id": company["id"], "new": new, "properties": company["properties"]})
        return {"status": "COMPLETE", "results": results, "startedAt": "2026-12-02T03:00:00Z"}

    def error_body(self, status: int) -> Any:
        if status == 401:
            return {
                "status": "error",
                "message": "Authentication credentials not found.",
                "correlationId": "4a2d9d6e-0000-0000-0000-000000000000",
                "category": "INVALID_AUTHENTICATION",
            }
        if status == 429:
            return {
                "status": "error",
                "message": "You have reached your secondly limit.",
                "errorType": "RATE_LIMIT",
                "policyName": "SECONDLY",
            }
        if status == 400:
            return {
                "status": "error",
                "message": "Property values were not valid",
                "category": "VALIDATION_ERROR",
                "errors": [
                    {
                        "message": 'Property "vigie_score" does not exist',
                        "code": "PROPERTY_DOESNT_EXIST",
                    }
                ],
            }
        return {"status": "error", "message": "internal error", "category": "INTERNAL_ERROR"}


class FakeSalesforce(FakeCrm):
    """OAuth client credentials, Account upsert by `Vigie_Domain__c`, Type and open opportunities."""

    client_secret = "good-secret"
    version = "v60.0"

    def __init__(self) -> None:
        super().__init__()
        self.open_opportunities: set[str] = set()  # account ids

    @property
    def bearer(self) -> str:
        return f"Bearer {self.token}"

    def authorised(self, headers: Any) -> bool:
        return True  # the token is checked per route: the token endpoint takes none

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], headers: Any, raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        token_call = path == "/services/oauth2/token"
        if not token_call and not self._failures and headers.get("Authorization") != self.bearer:
            return 401, self.error_body(401), {}
        return super().answer(method, path, query, headers, raw)

    def route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> Reply:
        if path == "/services/oauth2/token" and method == "POST":
            if body.get("grant_type") != ["client_credentials"] or body.get("client_secret") != [
                self.client_secret
            ]:
                return 400, {
                    "error": "invalid_client",
                    "error_description": "invalid client credentials",
                }
            return 200, {
                "access_token": self.token,
                "instance_url": self.url,
                "token_type": "Bearer",
                "issued_at": "1764644400000",
            }
        prefix = f"/services/data/{self.version}/sobjects/Account/Vigie_Domain__c/"
        if path.startswith(prefix):
            domain = path.removeprefix(prefix)
            if method == "PATCH":
                return self.upsert(domain, body)
            account = self.companies.get(domain)
            if account is None:
                return 404, [
                    {"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}
                ]
            return 200, {
                "attributes": {"type": "Account"},
                "Id": account["Id"],
                "Type": account.get("Type"),
            }
        if path == f"/services/data/{self.version}/query":
            soql = query["q"][0]
            hits = [a for a in self.open_opportunities if f"AccountId = '{a}'" in soql]
            return 200, {"totalSize": len(hits), "done": True, "records": []}
        return 404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]

    def upsert(self, domain: str, fields: dict[str, Any]) -> Reply:
        if "Vigie_Domain__c" in fields:
            return 400, [{"errorCode": "INVALID_FIELD", "message": "external id in the body"}]
        self.writes += 1
        account = self.companies.get(domain)
        if account is None:
            account = self.companies[domain] = {
                "Id": f"001{self.new_id():0>15}"[:18],
                "Type": "Prospect",
            }
            account.update(fields)
            return 201, {"id": account["Id"], "success": True, "errors": [], "created": True}
        account.update(fields)
        return 200, {"id": account["Id"], "success": True, "errors": [], "created": False}

    def error_body(self, status: int) -> Any:
        if status == 401:
            return [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
        if status in (403, 429):
            return [
                {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
            ]
        return [{"message": "An unexpected error occurred", "errorCode": "UNKNOWN_EXCEPTION"}]


class FakePipedrive(FakeCrm):
    """Organisation search on a custom domain field, create, update and read."""

    domain_field = "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2"

    def authorised(self, headers: Any) -> bool:
        return headers.get("x-api-token") == self.token

    def by_id(self, org_id: int) -> dict[str, Any] | None:
        return next((o for o in self.companies.values() if o["id"] == org_id), None)

    def route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> Reply:
        if path == "/api/v1/organizations/search" and method == "GET":
            term = query["term"][0]
            exact = query.get("exact_match") == ["true"]
            items = [
                {
                    "result_score": 1,
                    "item": {
                        "id": o["id"],
                        "type": "organization",
                        "name": o["name"],
                        "custom_fields": [o[self.domain_field]],
                    },
                }
                for o in self.companies.values()
                if (o[self.domain_field] == term if exact else term in o[self.domain_field])
            ]
            return 200, {
                "success": True,
                "data": {"items": items},
                "additional_data": {
                    "pagination": {"start": 0, "limit": 10, "more_items_in_collection": False}
                },
            }
        if path == "/api/v1/organizations" and method == "POST":
            if not body.get("name"):
                return 400, {"success": False, "error": "Name must be given.", "errorCode": 400}
            org = {"id": int(self.new_id()), "open_deals_count": 0, "won_deals_count": 0, **body}
            self.companies[body[self.domain_field]] = org
            self.writes += 1
            return 201, {"success": True, "data": org}
        if path.startswith("/api/v1/organizations/"):
            org = self.by_id(int(path.rsplit("/", 1)[1]))
            if org is None:
                return 404, {"success": False, "error": "Organization not found", "errorCode": 404}
            if method == "PUT":
                org.update(body)
                self.writes += 1
            return 200, {"success": True, "data": org}
        return 404, {"success": False, "error": "Unknown method .", "errorCode": 404}

    def error_body(self, status: int) -> Any:
        if status == 401:
            return {
                "success": False,
                "error": "unauthorized access",
                "errorCode": 401,
                "error_info": "Please check developers.pipedrive.com for more information about Pipedrive API.",
            }
        if status == 429:
            return {"success": False, "error": "Request over limit", "errorCode": 429}
        return {"success": False, "error": "Internal server error", "errorCode": status}


FAKES: dict[str, Callable[[], FakeCrm]] = {
    "hubspot": FakeHubSpot,
    "salesforce": FakeSalesforce,
    "pipedrive": FakePipedrive,
}


def settings_for(crm: str, fake: FakeCrm) -> tuple[dict[str, str], dict[str, str]]:
    """(settings, secrets) pointing a connector at `fake` with its good token."""
    if crm == "hubspot":
        return {"base_url": fake.url}, {"token": fake.token}
    if crm == "salesforce":
        return {"login_url": fake.url, "client_id": "vigie"}, {
            "client_secret": FakeSalesforce.client_secret
        }
    return {"base_url": fake.url, "domain_field": FakePipedrive.domain_field}, {"token": fake.token}
