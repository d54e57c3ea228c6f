"""The bot filter on the second held-out set: the one still blind.

The first two sets (`user-agents-eval/`, `user-agents-holdout/`) were tuned
on. `user-agents-holdout2/` (express-useragent's bot fixtures and
fake-useragent's real-traffic browsers, tests/data/README.md) was gathered
after the last change to the filter and measured once with it frozen. The
tests pin the figures measured then, so a change that makes them worse fails;
the SPEC bars are checked apart. Its 15 bots are too few to measure recall:
15 of 15 says only that it is above 78 % (95 % confidence).
"""

from __future__ import annotations

import pytest

from tests.conftest import TEST_DATA
from tests.support.agent_sets import dropped, lines, listed_instances, set_strings

HOLDOUT2 = TEST_DATA / "user-agents-holdout2"
OTHER_SETS = (
    TEST_DATA / "user-agents",
    TEST_DATA / "user-agents-eval",
    TEST_DATA / "user-agents-holdout",
)

# Measured once (bench/bots.py --set holdout2): 15 of 15 bots, 0 of 680 browsers dropped.
MEASURED_BOTS_DROPPED_AT_LEAST = 1.0
MEASURED_BROWSERS_DROPPED_AT_MOST = 0

SPEC_BOTS_DROPPED_AT_LEAST = 0.95
SPEC_BROWSERS_DROPPED_BELOW = 0.01


def share_dropped(name):
    agents = lines(HOLDOUT2 / name)
    return len(dropped(agents)) / len(agents)


def test_holdout2_shares_no_string_with_the_filters_lists_nor_the_other_sets():
    """No string of the set is an example of the filter's lists or a line of the other sets."""
    listed = listed_instances()
    others = set_strings(*OTHER_SETS)
    holdout2 = set_strings(HOLDOUT2)
    assert len(holdout2) == 695
    assert holdout2 & listed == set()
    assert holdout2 & others == set()


def test_holdout2_labels_do_not_contradict_each_other():
    """No string is filed both as a bot and as a browser."""
    assert set(lines(HOLDOUT2 / "bots.txt")) & set(lines(HOLDOUT2 / "browsers.txt")) == set()


def test_holdout2_bots_dropped_no_less_than_measured():
    """Every bot of the set was dropped when it was measured; one let through fails."""
    bots = lines(HOLDOUT2 / "bots.txt")
    missed = sorted(set(bots) - set(dropped(bots)))
    assert (len(bots) - len(missed)) / len(bots) >= MEASURED_BOTS_DROPPED_AT_LEAST, missed


def test_holdout2_browsers_dropped_no_more_than_measured():
    """No browser of the set was dropped when it was measured (0 of 680)."""
    assert len(dropped(lines(HOLDOUT2 / "browsers.txt"))) <= MEASURED_BROWSERS_DROPPED_AT_MOST


class TestSpecBarsOnTheSecondHoldout:
    """SPEC.md's bars on the blind set: ≥ 95 % of bots, < 1 % of browsers, WebView kept.

    Measured: both hold (100 % of 15 bots, 0 % of 680 browsers). At 95 %
    confidence that is recall above 78 % only (too few bots to check the
    bar) and false drops below 0.54 %; the one WebView string says nothing.
    """

    def test_bots_bar(self):
        assert share_dropped("bots.txt") >= SPEC_BOTS_DROPPED_AT_LEAST

    def test_browsers_bar(self):
        assert share_dropped("browsers.txt") < SPEC_BROWSERS_DROPPED_BELOW

    @pytest.mark.parametrize("name", ["browsers-webview.txt", "browsers-in-app.txt"])
    def test_webview_and_in_app_kept(self, name):
        assert dropped(lines(HOLDOUT2 / "by-category" / name)) == []
