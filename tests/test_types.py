"""The type checker runs with the tests: strict on the pure libraries, basic on the server.

mypy reads its settings from `pyproject.toml` (`[tool.mypy]`); a failure shows
mypy's own report.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# slow: a cold mypy cache reads every dependency's stubs
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def run_mypy(*targets: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", *targets],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_scoring_and_enrich_pass_strict_type_checking():
    """`scoring/` and `enrich/` type-check under every flag of mypy's --strict."""
    result = run_mypy("--strict", "-p", "scoring", "-p", "enrich")
    assert result.returncode == 0, result.stdout + result.stderr


def test_configured_type_check_passes():
    """`mypy` with the project's settings (what CI and a developer run) passes."""
    result = run_mypy()
    assert result.returncode == 0, result.stdout + result.stderr


def test_server_passes_basic_type_checking():
    """`server/` type-checks with the project's settings (annotated functions checked)."""
    result = run_mypy("server")
    assert result.returncode == 0, result.stdout + result.stderr
