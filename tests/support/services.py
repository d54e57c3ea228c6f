"""Reaching the real services the tests use: PostgreSQL and Redis.

A missing service skips its tests with a reason on a developer machine and
fails them when `CI=true`, so CI can never pass by skipping.
"""

from __future__ import annotations

import os

import pytest

POSTGRES_URL = os.environ.get(
    "VIGIE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("VIGIE_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
"""A dedicated Redis database number, flushed around each test."""


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def service_missing(name: str, error: BaseException) -> None:
    """Fail in CI, skip elsewhere, saying which service and why."""
    message = f"{name} is not reachable ({type(error).__name__}: {error})"
    if in_ci():
        pytest.fail(f"{message}; CI=true requires it")
    pytest.skip(f"{message}; not in CI, so skipped")
