"""`[tiers] customers_hot = false`: an existing customer (as its CRM says) is
never hot, so hot accounts are new business."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scoring.engine import EventFacts, VisitFacts, score
from scoring.model import ModelError, parse_model
from scoring.tiers import Tier

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
MODEL = '[tiers]\nwarm = 5\nhot = 10\n{extra}\n[[page]]\nmatch = "/pricing"\npoints = 10\n'
VISIT = VisitFacts(1, NOW, None, None, None, None)
PRICING = EventFacts(1, NOW, "pageview", "/pricing", None)


def tier(text: str, customer: bool | None) -> Tier:
    result = score(parse_model(text), {"crm_customer": customer}, [VISIT], [PRICING], NOW)
    assert result.score == 10  # the score itself is untouched
    return result.tier


def test_customers_are_warm_at_most_when_the_model_says_so():
    """Same activity: the customer is warm, the prospect and the unknown are hot."""
    text = MODEL.format(extra="customers_hot = false")
    assert tier(text, True) is Tier.WARM
    assert tier(text, False) is Tier.HOT and tier(text, None) is Tier.HOT


def test_by_default_customers_can_be_hot():
    """Without the setting, nothing changes."""
    assert tier(MODEL.format(extra=""), True) is Tier.HOT


def test_a_setting_that_is_not_a_boolean_is_refused_with_its_line():
    """`customers_hot = "no"` is an error on line 4."""
    with pytest.raises(ModelError) as caught:
        parse_model(MODEL.format(extra='customers_hot = "no"'))
    assert caught.value.problems == [(4, "tiers.customers_hot: must be true or false")]
