"""Bot filtering against the real-world user-agent lists kept in tests/data."""

from __future__ import annotations

import pytest

from server.collect.agents import AgentClassifier, classify
from tests.conftest import TEST_DATA

USER_AGENTS = TEST_DATA / "user-agents"


def lines(name):
    path = USER_AGENTS / name
    if not path.is_file():
        pytest.fail(f"{path} not found")
    return [line for line in path.read_text().splitlines() if line.strip()]


def test_share_of_bots_caught_and_browsers_wrongly_caught():
    bots, browsers = lines("bots.txt"), lines("browsers.txt")
    caught = sum(classify(agent).bot is not None for agent in bots) / len(bots)
    wrongly = [agent for agent in browsers if classify(agent).bot is not None]
    print(
        f"\nbots.txt caught: {caught:.1%} of {len(bots)}; "
        f"browsers.txt wrongly caught: {len(wrongly) / len(browsers):.2%} of {len(browsers)}"
    )
    assert caught >= 0.99
    assert len(wrongly) / len(browsers) <= 0.005, wrongly[:5]


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0 Safari/537.36",
        "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1",
        "python-requests/2.32.3",
        "curl/8.5.0",
        "Go-http-client/1.1",
        "Wget/1.21.4",
        "",
    ],
)
def test_automation_is_a_bot(agent):
    assert classify(agent).bot is not None


def test_browsers_are_reduced_to_device_class_and_family():
    iphone = classify(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
    )
    ipad = classify(
        "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
    )
    assert (iphone.bot, iphone.device_class, iphone.browser_family) == (
        None,
        "mobile",
        "Mobile Safari",
    )
    assert ipad.device_class == "tablet"


def test_answers_are_cached_per_user_agent():
    classifier = AgentClassifier(size=2)
    first = classifier.classify("curl/8.5.0")
    assert classifier.classify("curl/8.5.0") is first
