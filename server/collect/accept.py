"""What the collector answers a checked beacon, with no web framework in sight.

    beacon → site? → origin? → page? → privacy signal? → steps → sink → Answer

Both faces of the collector call `accept`: `POST /e` straight from the WSGI
environ (`server.collect.endpoint`), and the `<noscript>` pixel through Flask
(`server.collect.views`). An `Answer` is the status, the error text naming the
field at fault, and the origin the browser may read the answer from.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from server.collect.beacon import Beacon, BeaconError
from server.collect.parts import CollectParts
from server.sink import SinkError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Answer:
    """The collector's answer: `status`, with `error` ("field: reason") when
    refused. Once the beacon's site and origin passed their checks the answer
    varies by origin (`cors`) and the origin, if any, may read it
    (`allow_origin`)."""

    status: int
    error: str | None = None
    allow_origin: str | None = None
    cors: bool = False

    @classmethod
    def refused(cls, status: int, field: str, reason: str) -> Answer:
        return cls(status, f"{field}: {reason}")

    def json_body(self) -> bytes:
        """The error as the JSON object Flask's `jsonify` would write."""
        return json.dumps({"error": self.error}, separators=(",", ":")).encode() + b"\n"

    def for_site(self, origin: str | None) -> Answer:
        """This answer once the beacon's site is known: readable by `origin`."""
        return Answer(self.status, self.error, origin, cors=True)


ACCEPTED = Answer(202)


def accept(
    parts: CollectParts,
    beacon: Beacon,
    environ: Mapping[str, str],
    ip: str,
    now: datetime,
) -> Answer:
    """Check the beacon's site, origin and page against the request, then
    collect it. `ip` is the client's address (`server.client_address`), a
    local of the request. Answers past the origin check are readable by that origin."""
    site = parts.sites.get(beacon.site)
    if site is None:
        return Answer.refused(403, "site", "unknown site key")
    origin = environ.get("HTTP_ORIGIN")
    if origin and not site.owns_url(origin):
        return Answer.refused(403, "origin", "not a domain of this site")
    if not site.owns_url(beacon.url):
        return Answer.refused(403, "url", "not a domain of this site").for_site(origin)
    if environ.get("HTTP_SEC_GPC") == "1" or environ.get("HTTP_DNT") == "1":
        return ACCEPTED.for_site(origin)
    user_agent = environ.get("HTTP_USER_AGENT", "")
    try:
        record = parts.pipeline.process(beacon, site, ip, user_agent, now)
    except BeaconError as problem:  # a field that only cleaning shows unfit to store
        return Answer.refused(400, problem.field, problem.reason).for_site(origin)
    try:
        parts.sink.store([record])
    except SinkError as problem:
        log.error("event not stored: %s", problem)
        return Answer.refused(503, "storage", "temporarily unavailable").for_site(origin)
    return ACCEPTED.for_site(origin)
