"""Run `vigie` in process against an app's database, as a user would from a shell."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result
from flask import Flask

from server.cli import main


def cli_for(app: Flask, tmp_path: Path) -> Callable[..., Result]:
    """A `vigie ARGS…` runner on `app`'s database; `stdin=` feeds input."""
    env = {
        "VIGIE_DATABASE_URL": app.config["DATABASE_URL"],
        "VIGIE_INSTANCE_PATH": str(tmp_path / "cli-instance"),
    }
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None) -> Result:
        return runner.invoke(main, list(args), env=env, input=stdin)

    return run
