"""The bot filter on the first held-out set, which has since become a tuning set.

`user-agents-eval/` stopped being a blind test once rules were written from
what it missed. `user-agents-holdout/` (woothee's, fnando/browser's and
intoli/user-agents' strings, tests/data/README.md) was measured once with the
filter frozen (1.43 % of browsers dropped); the phone and gateway rules of
`agent_rules` were then written with its misses in sight, so it is no longer
blind either: `user-agents-holdout2/` (test_agents_holdout2.py) is. The tests
pin the figures measured after that change, so a change that makes them worse
fails; the SPEC bars are checked apart, below.
"""

from __future__ import annotations

import pytest

from tests.conftest import TEST_DATA
from tests.support.agent_sets import dropped, lines, listed_instances, set_strings

HOLDOUT = TEST_DATA / "user-agents-holdout"
OTHER_SETS = (TEST_DATA / "user-agents", TEST_DATA / "user-agents-eval")

# Measured on the set (bench/bots.py --set holdout), rounded to the safe side: 119 of 119
# bots dropped, 3 of 1,115 browsers dropped (0.27 %; 16, 1.43 %, when it was still blind).
MEASURED_BOTS_DROPPED_AT_LEAST = 1.0
MEASURED_BROWSERS_DROPPED_AT_MOST = 0.003
# 1 of woothee's 32 mobile-phone strings is dropped: Google Wireless Transcoder (11 before).
MEASURED_FEATURE_PHONES_DROPPED_AT_MOST = 1

SPEC_BOTS_DROPPED_AT_LEAST = 0.95
SPEC_BROWSERS_DROPPED_BELOW = 0.01


def share_dropped(name):
    agents = lines(HOLDOUT / name)
    return len(dropped(agents)) / len(agents)


def test_holdout_shares_no_string_with_the_filters_lists_nor_the_other_sets():
    """No held-out string is an example of the filter's lists or a line of the other sets."""
    listed = listed_instances()
    others = set_strings(*OTHER_SETS)
    holdout = set_strings(HOLDOUT)
    assert len(holdout) > 1_200
    assert holdout & listed == set()
    assert holdout & others == set()


def test_holdout_labels_do_not_contradict_each_other():
    """No string is filed as a bot by one source and as a browser by another."""
    assert set(lines(HOLDOUT / "bots.txt")) & set(lines(HOLDOUT / "browsers.txt")) == set()


def test_holdout_bots_dropped_no_less_than_measured():
    """Every held-out bot was dropped when the set was measured; one let through fails."""
    bots = lines(HOLDOUT / "bots.txt")
    missed = sorted(set(bots) - set(dropped(bots)))
    assert len(bots) >= 100
    assert (len(bots) - len(missed)) / len(bots) >= MEASURED_BOTS_DROPPED_AT_LEAST, missed


def test_holdout_browsers_dropped_no_more_than_measured():
    """At most 0.3 % of the held-out browsers are dropped, as measured (0.27 %)."""
    share = share_dropped("browsers.txt")
    print(f"\nheld-out browsers.txt: {share:.2%} dropped")
    assert share <= MEASURED_BROWSERS_DROPPED_AT_MOST


def test_holdout_real_traffic_browsers_are_all_kept():
    """intoli/user-agents' 831 browsers from real traffic: none dropped when measured."""
    assert dropped(lines(HOLDOUT / "by-source" / "intoli-browsers.txt")) == []


def test_holdout_feature_phones_dropped_no_more_than_measured():
    """The former weak spot: Japanese feature phones with no modern browser token, gateways."""
    phones = lines(HOLDOUT / "by-category" / "browsers-feature-phones.txt")
    assert len(dropped(phones)) <= MEASURED_FEATURE_PHONES_DROPPED_AT_MOST


class TestSpecBarsOnTheHoldout:
    """SPEC.md's bars on the held-out set: ≥ 95 % of bots, < 1 % of browsers, WebView and Electron kept.

    Measured: bots hold (100 %, but on 119 strings only); WebView (11) and
    Electron (1) browsers are all kept, too few to say much. The browser bar
    did not hold while the set was blind (1.43 %, mostly Japanese feature
    phones); it holds since the phone rules were written from those misses
    (0.27 %), which is why this set no longer counts as a blind test.
    """

    def test_bots_bar(self):
        assert share_dropped("bots.txt") >= SPEC_BOTS_DROPPED_AT_LEAST

    def test_browsers_bar(self):
        assert share_dropped("browsers.txt") < SPEC_BROWSERS_DROPPED_BELOW

    @pytest.mark.parametrize("name", ["browsers-webview.txt", "browsers-electron.txt"])
    def test_webview_and_electron_kept(self, name):
        assert dropped(lines(HOLDOUT / "by-category" / name)) == []
