"""`vigie model check`: validate a scoring model file."""

from __future__ import annotations

from pathlib import Path

import click

from scoring.model import ModelError, parse_model
from server.cli.context import USAGE_ERROR


@click.group()
def model() -> None:
    """The scoring model (TOML)."""


@model.command("check")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check(source: Path) -> None:
    """Validate SOURCE; print every problem with its line and exit 2 if there is one."""
    try:
        parsed = parse_model(source.read_text("utf-8"))
    except ModelError as error:
        for line, message in error.problems:
            click.echo(f"{source}:{line}: {message}" if line else f"{source}: {message}", err=True)
        raise SystemExit(USAGE_ERROR) from None
    except UnicodeDecodeError:
        click.echo(f"{source}: not a UTF-8 text file", err=True)
        raise SystemExit(USAGE_ERROR) from None
    rules = len(parsed.pages) + len(parsed.events) + len(parsed.sources) + len(parsed.fits)
    click.echo(
        f"{source}: valid ({rules} rule(s), {len(parsed.personas)} persona(s); "
        f"warm from {parsed.warm:g}, hot from {parsed.hot:g})."
    )
