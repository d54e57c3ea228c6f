"""Backtest figures on hand-made accounts."""

from __future__ import annotations

import io

import pytest

from scoring.backtest import OutcomesError, ScoredAccount, auc, backtest, read_outcomes, rule_name


def account(domain, score, tier, **rules):
    return ScoredAccount(domain, score, tier, rules)


def test_auc_and_tiers_and_rules():
    accounts = [
        account("a.fr", 80, "hot", Pricing=10, Demo=15),
        account("b.fr", 40, "warm", Pricing=10),
        account("c.fr", 20, "cold", Careers=-15, Pricing=10),
        account("d.fr", 40, "warm", Careers=-15),
    ]
    report = backtest(
        accounts, {"a.fr": True, "b.fr": True, "c.fr": False, "d.fr": False, "nobody.fr": True}
    )
    assert (report.won, report.lost) == (2, 2)
    assert report.auc == pytest.approx((1 + 1 + 1 + 0.5) / 4)
    assert report.tiers == {"cold": (0, 1), "warm": (1, 2), "hot": (1, 1)}
    assert report.unknown == ("nobody.fr",)
    by_rule = {r.rule: (r.won_rate, r.lost_rate) for r in report.rules}
    assert by_rule == {"Pricing": (1.0, 0.5), "Demo": (0.5, 0.0), "Careers": (0.0, 1.0)}
    assert report.rules[0].rule == "Pricing"  # won accounts trigger it most


def test_auc_needs_both_outcomes():
    assert auc([1, 2], []) is None and auc([3], [1]) == 1.0


def test_outcomes_file_errors_name_the_line():
    with pytest.raises(OutcomesError) as raised:
        read_outcomes(io.StringIO("domain,outcome\na.fr,won\nb.fr,maybe\n,lost\n"))
    assert raised.value.problems == [
        (3, "outcome: 'maybe' is not won or lost"),
        (4, "domain: must not be empty"),
    ]


def test_rule_names_ignore_details():
    assert rule_name("Persona Mid-market, 1 of 2: employees 12 < 50") == "Persona Mid-market"
    assert rule_name("Came back on 4 day(s)") == "Came back (frequency)"
