"""`vigie model check` as a user runs it."""

from __future__ import annotations

from scoring.model import default_model_text
from tests.support.processes import vigie


def test_valid_model(tmp_path):
    path = tmp_path / "model.toml"
    path.write_text(default_model_text())
    result = vigie("model", "check", str(path), env={})
    assert result.returncode == 0 and "valid" in result.stdout


def test_invalid_model_lists_each_problem_with_its_line(tmp_path):
    path = tmp_path / "model.toml"
    path.write_text(
        '[tiers]\nwarm = 30\nhot = 60\n[[page]]\nmatch = "/pricing*"\npoints = "ten"\n'
        "[[event]]\npoints = 5\n"
    )
    result = vigie("model", "check", str(path), env={})
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"{path}:6: page[1].points: must be a number",
        f"{path}:7: event[1].name: required text",
    ]
    assert "Traceback" not in result.stderr
