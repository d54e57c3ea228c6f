"""`vigie backtest --outcomes FILE.csv`: how well the scores separate won from lost."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from scoring.backtest import (
    BacktestReport,
    OutcomesError,
    ScoredAccount,
    backtest,
    read_outcomes,
    rule_name,
)
from server.cli.context import CommandError, database_session, fail_cleanly
from server.storage.models import Account, Outcome
from server.storage.tenancy import get_organisation


@click.command("backtest")
@click.option(
    "--outcomes",
    "source",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV with the header domain,outcome (won or lost); default: the won and lost "
    "accounts recorded by sales on the dashboard.",
)
@click.option("--org", "org_name", help="Only this organisation's accounts (default: all).")
@fail_cleanly
def backtest_command(source: Path | None, org_name: str | None) -> None:
    """Report AUC, win rate per tier and each rule's trigger rate among won and lost accounts."""
    outcomes: dict[str, bool] = {}
    if source is not None:
        try:
            with source.open(encoding="utf-8-sig", newline="") as handle:
                outcomes = read_outcomes(handle)
        except OutcomesError as error:
            raise CommandError(f"{source}: bad line(s)\n{error}") from None
    with database_session() as session:
        org_id = get_organisation(session, org_name).id if org_name else None
        if source is None:
            outcomes = recorded_outcomes(session, org_id)
            if not outcomes:
                raise CommandError(
                    "--outcomes: no account is marked won or lost yet; give a CSV file"
                )
        query = select(Account).where(Account.domain.in_(list(outcomes)))
        if org_id is not None:
            query = query.where(Account.org_id == org_id)
        scored = [_scored(account) for account in session.scalars(query)]
    print_report(backtest(scored, outcomes))


def recorded_outcomes(session: Session, org_id: int | None) -> dict[str, bool]:
    """Whether each account was won (else lost), by domain: the latest won/lost
    outcome sales recorded on the dashboard."""
    query = (
        select(Account.domain, Outcome.outcome)
        .join(Outcome, Outcome.account_id == Account.id)
        .where(Outcome.outcome.in_(("won", "lost")), Account.domain.is_not(None))
        .order_by(Outcome.recorded_at, Outcome.id)
    )
    if org_id is not None:
        query = query.where(Account.org_id == org_id)
    return {  # latest wins
        domain: outcome == "won"
        for domain, outcome in session.execute(query)
        if domain is not None  # always: the query keeps accounts with a domain only
    }


def _scored(account: Account) -> ScoredAccount:
    rules: dict[str, float] = {}
    for item in account.explanation or []:
        name = rule_name(str(item.get("label", "")))
        rules[name] = rules.get(name, 0.0) + float(item.get("points", 0))
    return ScoredAccount(account.domain or "", account.score, account.tier, rules)


def print_report(report: BacktestReport) -> None:
    console = Console()
    auc = "n/a (needs won and lost accounts)" if report.auc is None else f"{report.auc:.3f}"
    console.print(f"Accounts: {report.won} won, {report.lost} lost. AUC of the score: {auc}")
    tiers = Table("tier", "won", "accounts", "win rate", title="Win rate per tier")
    for tier, (won, total) in report.tiers.items():
        tiers.add_row(tier, str(won), str(total), f"{won / total:.0%}" if total else "-")
    console.print(tiers)
    rules = Table(
        "rule",
        "won accounts",
        "lost accounts",
        "avg points",
        title="Rules: triggered by won vs lost (won-heavy first)",
    )
    for rule in report.rules:
        rules.add_row(
            rule.rule,
            f"{rule.won_rate:.0%}",
            f"{rule.lost_rate:.0%}",
            f"{rule.average_points:+.1f}",
        )
    console.print(rules)
    if report.unknown:
        console.print(f"Unknown domains ({len(report.unknown)}): {', '.join(report.unknown)}")
