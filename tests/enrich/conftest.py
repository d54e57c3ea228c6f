"""Fixtures for the pure enrich library: real MaxMind test databases, no app."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import TEST_DATA

MAXMIND_TEST = TEST_DATA / "maxmind-test"


@pytest.fixture(scope="session")
def maxmind() -> dict[str, Path]:
    """The official MaxMind test databases by short name, read in place."""
    if not MAXMIND_TEST.is_dir():
        pytest.fail(f"MaxMind test databases not found in {MAXMIND_TEST}")
    return {path.stem.removesuffix("-Test"): path for path in sorted(MAXMIND_TEST.glob("*.mmdb"))}
