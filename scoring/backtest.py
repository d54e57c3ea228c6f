"""Backtest: does the model separate won accounts from lost ones?

From each account's score, tier and explanation, and a list of outcomes:

* AUC: the chance that a won account scores above a lost one (0.5 is a coin);
* win rate per tier;
* per rule: how often won and lost accounts triggered it. A rule won accounts
  trigger far more often is under-weighted if its points are low; one lost
  accounts trigger as often is over-weighted.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TextIO

from scoring.tiers import Tier

OUTCOMES = ("won", "lost")


class OutcomesError(ValueError):
    """The outcomes file has bad lines; `problems` are (line, message) pairs."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"line {line}: {message}" for line, message in problems))


@dataclass(frozen=True)
class ScoredAccount:
    """An account as the backtest reads it: its domain (matched to the outcomes),
    score, tier, and the points each rule of its explanation gave."""

    domain: str
    score: float
    tier: str
    rules: Mapping[str, float]  # rule name → points it gave


@dataclass(frozen=True)
class RuleReport:
    """One rule over the outcomes: the share of won and of lost accounts it gave
    points to, and the points it gave them on average."""

    rule: str
    won_rate: float
    lost_rate: float
    average_points: float


@dataclass(frozen=True)
class BacktestReport:
    """How well the scores separate won accounts from lost ones; `unknown` are
    the outcomes' domains no account has."""

    won: int
    lost: int
    auc: float | None
    tiers: Mapping[str, tuple[int, int]]  # tier → (won, total)
    rules: tuple[RuleReport, ...]
    unknown: tuple[str, ...]


def read_outcomes(handle: TextIO) -> dict[str, bool]:
    """`domain,outcome` lines → {domain: won?}. :raise OutcomesError: naming bad lines."""
    reader = csv.DictReader(handle)
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if "domain" not in header or "outcome" not in header:
        raise OutcomesError([(1, "header: needs the columns domain,outcome")])
    reader.fieldnames = header
    outcomes, problems = {}, []
    for row in reader:
        domain = (row.get("domain") or "").strip().lower()
        outcome = (row.get("outcome") or "").strip().lower()
        if not domain:
            problems.append((reader.line_num, "domain: must not be empty"))
        elif outcome not in OUTCOMES:
            problems.append((reader.line_num, f"outcome: {outcome!r} is not won or lost"))
        else:
            outcomes[domain] = outcome == "won"
    if problems:
        raise OutcomesError(problems)
    return outcomes


def rule_name(label: str) -> str:
    """One name per rule, whatever the details in its explanation label."""
    if label.startswith("Persona "):
        return label.split(",", 1)[0]
    if label.startswith("Came back on "):
        return "Came back (frequency)"
    return label


def backtest(accounts: Iterable[ScoredAccount], outcomes: Mapping[str, bool]) -> BacktestReport:
    by_domain = {account.domain: account for account in accounts}
    known = [(by_domain[domain], won) for domain, won in outcomes.items() if domain in by_domain]
    unknown = tuple(sorted(domain for domain in outcomes if domain not in by_domain))
    won = [account for account, is_won in known if is_won]
    lost = [account for account, is_won in known if not is_won]
    tiers = {
        tier.value: (
            sum(a.tier == tier.value for a in won),
            sum(a.tier == tier.value for a in won + lost),
        )
        for tier in Tier
    }
    return BacktestReport(
        len(won),
        len(lost),
        auc([a.score for a in won], [a.score for a in lost]),
        tiers,
        rule_reports(won, lost),
        unknown,
    )


def auc(won_scores: Sequence[float], lost_scores: Sequence[float]) -> float | None:
    """Mann–Whitney AUC: P(won score > lost score), ties counting half."""
    if not won_scores or not lost_scores:
        return None
    ranked = sorted(
        [(value, True) for value in won_scores] + [(value, False) for value in lost_scores]
    )
    won_rank_sum, position = 0.0, 0
    while position < len(ranked):
        end = position
        while end < len(ranked) and ranked[end][0] == ranked[position][0]:
            end += 1
        average_rank = (position + 1 + end) / 2  # ties share their average rank
        won_rank_sum += average_rank * sum(1 for _, is_won in ranked[position:end] if is_won)
        position = end
    count_won, count_lost = len(won_scores), len(lost_scores)
    return (won_rank_sum - count_won * (count_won + 1) / 2) / (count_won * count_lost)


def rule_reports(
    won: Sequence[ScoredAccount], lost: Sequence[ScoredAccount]
) -> tuple[RuleReport, ...]:
    names = sorted({name for account in [*won, *lost] for name in account.rules})
    reports = []
    for name in names:
        givers = [a.rules[name] for a in [*won, *lost] if name in a.rules]
        reports.append(
            RuleReport(
                rule=name,
                won_rate=_rate(won, name),
                lost_rate=_rate(lost, name),
                average_points=sum(givers) / len(givers),
            )
        )
    return tuple(sorted(reports, key=lambda r: (r.lost_rate - r.won_rate, -r.won_rate, r.rule)))


def _rate(accounts: Sequence[ScoredAccount], name: str) -> float:
    return sum(name in a.rules for a in accounts) / len(accounts) if accounts else 0.0
