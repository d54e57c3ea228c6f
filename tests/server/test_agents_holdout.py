"""The bot filter on a held-out set: user agents nobody looked at while writing its rules.

`user-agents-eval/` stopped being a blind test once rules were written from
what it missed. `user-agents-holdout/` (woothee's, fnando/browser's and
intoli/user-agents' strings, tests/data/README.md) was measured once, with the
filter frozen. The first tests pin the figures measured then, so a change that
makes them worse fails; the SPEC bars are checked apart, below.
"""

from __future__ import annotations

import crawleruseragents
import pytest

from server.collect.agents import classify
from tests.conftest import TEST_DATA

HOLDOUT = TEST_DATA / "user-agents-holdout"
OTHER_SETS = (TEST_DATA / "user-agents", TEST_DATA / "user-agents-eval")

# Measured on the held-out set (bench/bots.py --set holdout), rounded to the safe side:
# 119 of 119 bots dropped, 16 of 1,115 browsers dropped (1.43 %).
MEASURED_BOTS_DROPPED_AT_LEAST = 1.0
MEASURED_BROWSERS_DROPPED_AT_MOST = 0.015
# 11 of woothee's 32 mobile-phone strings are dropped: 9 Japanese feature phones, 2 transcoders.
MEASURED_FEATURE_PHONES_DROPPED_AT_MOST = 11

SPEC_BOTS_DROPPED_AT_LEAST = 0.95
SPEC_BROWSERS_DROPPED_BELOW = 0.01


def lines(path):
    if not path.is_file():
        pytest.fail(f"{path} not found")
    return [line for line in path.read_text().splitlines() if line.strip()]


def agent_files(folder):
    """The user-agent files of a set, not the licences beside them."""
    return [path for path in folder.rglob("*.txt") if not path.name.startswith("LICENSE")]


def dropped(agents):
    return [agent for agent in agents if classify(agent).bot is not None]


def share_dropped(name):
    agents = lines(HOLDOUT / name)
    return len(dropped(agents)) / len(agents)


def test_holdout_shares_no_string_with_the_filters_lists_nor_the_other_sets():
    """No held-out string is an example of the filter's lists or a line of the other sets."""
    listed = {
        instance
        for entry in crawleruseragents.CRAWLER_USER_AGENTS_DATA
        for instance in entry.get("instances", [])
    }
    others = {
        agent for folder in OTHER_SETS for path in agent_files(folder) for agent in lines(path)
    }
    holdout = {agent for path in agent_files(HOLDOUT) for agent in lines(path)}
    assert len(holdout) > 1_200
    assert holdout & listed == set()
    assert holdout & others == set()


def test_holdout_labels_do_not_contradict_each_other():
    """No string is filed as a bot by one source and as a browser by another."""
    assert set(lines(HOLDOUT / "bots.txt")) & set(lines(HOLDOUT / "browsers.txt")) == set()


def test_holdout_bots_dropped_no_less_than_measured():
    """Every held-out bot was dropped when the set was measured; one let through fails."""
    bots = lines(HOLDOUT / "bots.txt")
    missed = [agent for agent in bots if classify(agent).bot is None]
    assert len(bots) >= 100
    assert (len(bots) - len(missed)) / len(bots) >= MEASURED_BOTS_DROPPED_AT_LEAST, missed


def test_holdout_browsers_dropped_no_more_than_measured():
    """At most 1.5 % of the held-out browsers are dropped, as measured (1.43 %)."""
    share = share_dropped("browsers.txt")
    print(f"\nheld-out browsers.txt: {share:.2%} dropped")
    assert share <= MEASURED_BROWSERS_DROPPED_AT_MOST


def test_holdout_real_traffic_browsers_are_all_kept():
    """intoli/user-agents' 831 browsers from real traffic: none dropped when measured."""
    assert dropped(lines(HOLDOUT / "by-source" / "intoli-browsers.txt")) == []


def test_holdout_feature_phones_dropped_no_more_than_measured():
    """The known weak spot: Japanese feature phones with no browser token, and transcoders."""
    phones = lines(HOLDOUT / "by-category" / "browsers-feature-phones.txt")
    assert len(dropped(phones)) <= MEASURED_FEATURE_PHONES_DROPPED_AT_MOST


class TestSpecBarsOnTheHoldout:
    """SPEC.md's bars on the held-out set: ≥ 95 % of bots, < 1 % of browsers, WebView and Electron kept.

    Measured: bots hold (100 %, but on 119 strings only); WebView (11) and
    Electron (1) browsers are all kept, too few to say much; **the browser
    bar does not hold**: 1.43 % dropped, mostly woothee's Japanese feature
    phones. That test is a strict expected failure: the finding stays in
    view, and the day the bar is met it fails as an unexpected pass, so that
    this note and the figures above get updated.
    """

    def test_bots_bar(self):
        assert share_dropped("bots.txt") >= SPEC_BOTS_DROPPED_AT_LEAST

    @pytest.mark.xfail(
        reason="held-out finding: 1.43 % of browsers dropped (feature phones), bar is < 1 %",
        strict=True,
    )
    def test_browsers_bar(self):
        assert share_dropped("browsers.txt") < SPEC_BROWSERS_DROPPED_BELOW

    @pytest.mark.parametrize("name", ["browsers-webview.txt", "browsers-electron.txt"])
    def test_webview_and_electron_kept(self, name):
        assert dropped(lines(HOLDOUT / "by-category" / name)) == []
