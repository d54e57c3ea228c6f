"""Hand-computed scores: every rule kind, decay, window, caps and fit operators."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta

import pytest

from scoring.engine import (
    Contribution,
    EventFacts,
    Reason,
    VisitFacts,
    models_remembered,
    reached_at,
    remembered_rules,
    score,
)
from scoring.model import parse_model
from scoring.tiers import Tier

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

SEED = """
[tiers]
warm = 30
hot = 60

[engagement]
window_days = 90
half_life_days = 0

[visit]
points = 15

[[event]]
name = "download"
points = 30
label = "Downloaded the guide"

[[event]]
name = "form_submit"
points = 50
label = "Asked a question"
"""


def visit(number, days_ago=0, **fields):
    return VisitFacts(number, NOW - timedelta(days=days_ago), **fields)


def pageview(number, path, days_ago=0, minutes=0):
    return EventFacts(number, NOW - timedelta(days=days_ago, minutes=minutes), "pageview", path)


def custom(number, name, days_ago=0):
    return EventFacts(number, NOW - timedelta(days=days_ago), "event", name=name)


def test_the_seed_example_totals_95():
    result = score(
        parse_model(SEED), {}, [visit(1)], [custom(1, "download"), custom(1, "form_submit")], NOW
    )
    assert result.score == 95 and result.tier is Tier.HOT
    assert result.contributions == (
        Contribution("Asked a question", 50.0),
        Contribution("Downloaded the guide", 30.0),
        Contribution("Visits", 15.0, Reason.VISITS),
    )


def model(extra: str = "", half_life: int = 0, window: int = 90) -> str:
    return f"[tiers]\nwarm = 30\nhot = 60\n[engagement]\nwindow_days = {window}\nhalf_life_days = {half_life}\n{extra}"


PRICING = '[[page]]\nmatch = "/pricing*"\npoints = 10\nlabel = "Pricing page"\n'


def test_a_page_seen_ten_times_in_one_visit_counts_once():
    events = [pageview(1, "/pricing", minutes=i) for i in range(10)]
    assert score(parse_model(model(PRICING)), {}, [visit(1)], events, NOW).engagement == 10


@pytest.mark.parametrize(("per", "expected"), [("visit", 30), ("day", 20), ("ever", 10)])
def test_per_period_caps(per, expected):
    text = model(PRICING + f'per = "{per}"\n')
    events = [
        pageview(1, "/pricing?plan=pro"),
        pageview(2, "/pricing"),
        pageview(3, "/pricing", days_ago=1),
    ]
    assert (
        score(parse_model(text), {}, [visit(1), visit(2), visit(3, 1)], events, NOW).engagement
        == expected
    )


def test_decay_halves_points_every_half_life():
    events = [pageview(1, "/pricing", days_ago=30)]
    result = score(parse_model(model(PRICING, half_life=30)), {}, [visit(1, 30)], events, NOW)
    assert result.engagement == 5.0


def test_events_outside_the_window_give_nothing():
    events = [pageview(1, "/pricing", days_ago=91)]
    assert score(parse_model(model(PRICING)), {}, [visit(1, 91)], events, NOW).engagement == 0


def test_negative_pages_and_first_match_only():
    text = model(
        '[[page]]\nmatch = "/careers*"\npoints = -15\nper = "ever"\n'
        '[[page]]\nmatch = "/*"\npoints = 1\nper = "ever"\n'
    )
    events = [pageview(1, "/careers/dev"), pageview(2, "/careers")]
    result = score(parse_model(text), {}, [visit(1), visit(2)], events, NOW)
    assert result.engagement == -15 and result.score == -15 and result.tier is Tier.COLD


def test_frequency_is_capped():
    text = model("[frequency]\nwindow_days = 30\npoints_per_day = 3\nmax = 10\n")
    visits = [visit(n, days_ago=n) for n in range(5)]
    assert score(parse_model(text), {}, visits, [], NOW).engagement == 10


def test_sources_once_per_visit():
    text = model(
        '[[source]]\nutm_medium = "email"\npoints = 5\nlabel = "Newsletter"\n'
        '[[source]]\nreferrer_host = "*.google.*"\npoints = 2\n'
    )
    visits = [visit(1, utm_medium="Email"), visit(2, referrer_host="www.google.fr"), visit(3)]
    result = score(parse_model(text), {}, visits, [], NOW)
    assert result.engagement == 7
    assert Contribution("Newsletter", 5.0) in result.contributions


PERSONA = """
[[persona]]
name = "Mid-market SaaS"
points = 30
roles = ["CTO"]
  [[persona.when]]
  field = "industry"
  in = ["Software", "Telecommunications"]
  weight = 2
  [[persona.when]]
  field = "employees"
  min = 50
  max = 5000
[[fit]]
field = "country"
not_in = ["FR", "BE", "CH", "LU", "MC", "CA"]
points = -1000
label = "Country not served"
"""


def test_persona_fit_and_its_unmet_conditions():
    result = score(
        parse_model(model(PERSONA)),
        {"industry": "software", "employees": 12, "country": "FR"},
        [],
        [],
        NOW,
    )
    assert result.fit == 20 and result.persona == "Mid-market SaaS"
    assert result.contributions == (
        Contribution(
            "Persona Mid-market SaaS, 1 of 2: employees 12 < 50",
            20.0,
            Reason.PERSONA,
            {
                "persona": "Mid-market SaaS",
                "met": 1,
                "total": 2,
                "unmet": [{"field": "employees", "value": 12, "miss": "below", "expected": 50}],
            },
        ),
    )


def test_contributions_carry_what_another_language_needs_to_word_them():
    """Frequency and visits say their reason and numbers, not only English text."""
    text = model(
        "[frequency]\nwindow_days = 30\npoints_per_day = 3\nmax = 30\n[visit]\npoints = 1\n"
    )
    result = score(parse_model(text), {}, [visit(1), visit(3, days_ago=2)], [], NOW)
    stored = [c.as_dict() for c in result.contributions]
    assert {
        "label": "Came back on 2 day(s)",
        "points": 6.0,
        "reason": "frequency",
        "days": 2,
    } in stored
    assert {"label": "Visits", "points": 2.0, "reason": "visits"} in stored


def test_country_exclusion():
    result = score(
        parse_model(model(PERSONA)),
        {"industry": "Software", "employees": 100, "country": "US"},
        [],
        [],
        NOW,
    )
    assert result.score == -970
    assert result.contributions[0] == Contribution("Country not served", -1000.0)


@pytest.mark.parametrize(
    ("rule", "account", "met"),
    [
        ('equals = "Retail"', {"industry": "retail"}, True),
        ('equals = "Retail"', {"industry": "Software"}, False),
        ('in = ["A", "B"]', {"industry": "B"}, True),
        ('not_in = ["A"]', {"industry": "B"}, True),
        ('not_in = ["A"]', {}, False),
        ('matches = "^soft"', {"industry": "Software house"}, True),
        ("min = 10", {"industry": 9}, False),
        ("max = 10", {"industry": 10}, True),
        ("min = 10", {"industry": "many"}, False),
    ],
)
def test_fit_operators(rule, account, met):
    text = model(f'[[fit]]\nfield = "industry"\n{rule}\npoints = 7\n')
    assert score(parse_model(text), account, [], [], NOW).fit == (7 if met else 0)


def test_same_inputs_same_score_whatever_their_order_and_history():
    """Shuffled events and a model that already scored other accounts give the same
    result, down to the decayed points of each contribution."""
    parsed = parse_model(model(PRICING + PERSONA, half_life=30))
    account = {"industry": "Software"}
    visits = [visit(1, 10), visit(2, 3)]
    events = [pageview(1, "/pricing", days_ago=10), pageview(2, "/pricing/plans", days_ago=3)]
    first = score(parsed, account, visits, events, NOW)
    assert first.engagement == round(10 * 0.5 ** (10 / 30) + 10 * 0.5 ** (3 / 30), 2)
    assert first.persona == "Mid-market SaaS" and 0 < first.fit < 30
    for number in range(5):  # other accounts warm the engine's memo for this model
        score(parsed, {"industry": "Retail"}, [visit(1)], [pageview(1, f"/p/{number}")], NOW)
    again = score(parsed, dict(account), visits[::-1], events[::-1], NOW)
    assert again == first
    assert again == score(
        parse_model(model(PRICING + PERSONA, half_life=30)), account, visits, events, NOW
    )


def test_one_model_scores_many_accounts_alike_with_bounded_memory(monkeypatch):
    """Rules found for a path are remembered across accounts, up to a bound."""
    monkeypatch.setattr("scoring.engine.RULE_MEMO_SIZE", 50)
    shared = parse_model(model(PRICING))
    for number in range(200):  # 200 accounts, each on its own page and on pricing
        events = [pageview(1, f"/blog/{number}"), pageview(1, "/pricing/plans")]
        result = score(shared, {}, [visit(1)], events, NOW)
        assert result.engagement == 10
        assert result == score(parse_model(model(PRICING)), {}, [visit(1)], events, NOW)
    assert 0 < remembered_rules(shared) <= 50
    other = parse_model(model('[[page]]\nmatch = "/blog/*"\npoints = 4\nlabel = "Blog"\n'))
    assert score(other, {}, [visit(1)], [pageview(1, "/blog/3")], NOW).engagement == 4


def test_a_models_rule_memo_goes_with_the_model():
    """Models parsed again and again (one per rescoring job) leave no memo behind."""
    before = models_remembered()
    for number in range(30):
        parsed = parse_model(model(PRICING))
        score(parsed, {}, [visit(1)], [pageview(1, f"/blog/{number}")], NOW)
        assert remembered_rules(parsed) == 1
    del parsed
    gc.collect()
    assert models_remembered() <= before


def test_reached_at_is_the_moment_of_the_page_view_that_crossed_the_threshold():
    """An account scored at the end of the day became hot at its pricing page view."""
    text = model(PRICING + '[[page]]\nmatch = "/demo*"\npoints = 55\n')
    events = [pageview(1, "/pricing", minutes=300), pageview(2, "/demo", minutes=120)]
    visits = [visit(1), visit(2)]
    parsed = parse_model(text)
    assert score(parsed, {}, visits, events, NOW).score >= parsed.hot
    moment = reached_at(parsed, {}, visits, events, parsed.hot, None, NOW)
    assert moment == NOW - timedelta(minutes=120)
    quiet = (NOW - timedelta(minutes=100), NOW - timedelta(minutes=50))
    assert reached_at(parsed, {}, visits, events, parsed.hot, *quiet) is None  # no activity
