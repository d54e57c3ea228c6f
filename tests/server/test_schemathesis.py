"""The published OpenAPI document against the code: schemathesis generates
requests from `/openapi.json`, valid and invalid, and sends them to the app in
process (WSGI). The collector and the API must answer no 5xx, only documented
statuses and content types, bodies matching their schemas, and a 4xx to every
request the document says is invalid.

Examples are few and derandomized (the same run every time) to keep the file
within a minute.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.accounts import seed_accounts
from tests.support.collector import SITE_KEY
from tests.support.factories import make_site

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

SITE_DOMAIN = "shop.example"
"""The test site's domain (`make_site`'s default)."""

EXAMPLES = 40
"""Generated requests per operation and mode."""

SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


def conforms(
    app,
    path: str,
    headers: dict[str, str] | None = None,
    valid: Callable[[schemathesis.Case], None] = lambda case: None,
) -> Counter[int]:
    """Run every check on generated requests to the operations under `path`,
    in both modes; return how many answers of each status came back.

    `valid` may change a valid request into another valid one (a known site's
    key), so that it reaches further than the first check.

    :raise AssertionError: (schemathesis' failure) naming the request at fault.
    """
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    schema.config.generation.update(deterministic=True)
    rejection = schema.config.checks.negative_data_rejection
    # An invalid body may be invalid by its size first: 413 is a rejection too.
    rejection.expected_statuses = [*rejection.expected_statuses, "413"]
    statuses: Counter[int] = Counter()
    for result in schema.include(path_regex=path).get_all_operations():
        for mode in MODES:
            prepare = valid if mode is GenerationMode.POSITIVE else (lambda case: None)
            run(result.ok().as_strategy(generation_mode=mode), prepare, headers, statuses)
    return statuses


def run(strategy, prepare, headers, statuses: Counter[int]) -> None:
    """One hypothesis run of `strategy`, counting the statuses answered."""

    @given(case=strategy)
    @SETTINGS
    def check(case: schemathesis.Case) -> None:
        prepare(case)
        response = case.call_and_validate(checks=CHECKS, headers=headers)
        statuses[response.status_code] += 1

    check()


@pytest.fixture
def collector_app(make_app, tmp_path, sqlite_template):
    """The collector on SQLite, with the test site and no rate limit in the way."""
    path = tmp_path / "collector.db"
    shutil.copy(sqlite_template, path)
    app = make_app(f"sqlite:///{path}", COLLECT_RATE_LIMIT=f"{10**9} per minute")
    make_site(app, SITE_KEY)
    return app


def on_the_test_site(case: schemathesis.Case) -> None:
    """A valid beacon of the test site: its key, and the page on its domain."""
    if isinstance(case.body, dict):
        page = urlsplit(case.body["url"])
        case.body["site"] = SITE_KEY
        case.body["url"] = urlunsplit((page.scheme, SITE_DOMAIN, page.path, page.query, ""))


@pytest.mark.slow
def test_the_collector_answers_as_documented(collector_app):
    statuses = conforms(collector_app, "^/e$", valid=on_the_test_site)
    assert statuses[202] and statuses[400]  # beacons collected, and refused


@pytest.mark.slow
def test_the_api_answers_as_documented(make_app, db_url):
    """On SQLite then PostgreSQL, with a seeded organisation's token."""
    app = make_app(db_url)
    token = seed_accounts(app).token
    statuses = conforms(app, "^/api/", headers={"Authorization": f"Bearer {token}"})
    assert statuses[200] and statuses[400] and statuses[404]
