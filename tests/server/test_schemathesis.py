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


def conforms(app, path: str, headers: dict[str, str] | None = None) -> int:
    """Run every check on generated requests to the operations under `path`,
    in both modes; return how many requests were sent.

    :raise AssertionError: (schemathesis' failure) naming the request at fault.
    """
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    schema.config.generation.update(deterministic=True)
    sent = 0
    for result in schema.include(path_regex=path).get_all_operations():
        operation = result.ok()
        for mode in MODES:

            @given(case=operation.as_strategy(generation_mode=mode))
            @SETTINGS
            def check(case: schemathesis.Case) -> None:
                nonlocal sent
                sent += 1
                case.call_and_validate(checks=CHECKS, headers=headers)

            check()
    return sent


@pytest.fixture
def collector_app(make_app, tmp_path, sqlite_template):
    """The collector on SQLite, with the test site and no rate limit in the way."""
    path = tmp_path / "collector.db"
    shutil.copy(sqlite_template, path)
    app = make_app(f"sqlite:///{path}", COLLECT_RATE_LIMIT=f"{10**9} per minute")
    make_site(app, SITE_KEY)
    return app


def test_the_collector_answers_as_documented(collector_app):
    assert conforms(collector_app, "^/e$") >= len(MODES) * EXAMPLES // 2


def test_the_api_answers_as_documented(make_app, db_url):
    """On SQLite then PostgreSQL, with a seeded organisation's token."""
    app = make_app(db_url)
    token = seed_accounts(app).token
    sent = conforms(app, "^/api/", headers={"Authorization": f"Bearer {token}"})
    assert sent >= 3 * len(MODES) * EXAMPLES // 2
