"""The user agent reduced to what is stored: bot or not, device class, browser family.

The raw user agent is never stored (SPEC.md privacy rule 4). A bot is anything
that matches the crawler patterns of `crawler-user-agents`, an automation
marker (headless browsers, HTTP libraries, test drivers), or what `user-agents`
calls a bot. Parsing costs about a millisecond, so answers are cached per
user-agent string.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import crawleruseragents
import user_agents
from cachetools import LRUCache

AGENT_CACHE_SIZE = 20_000
"""Distinct user-agent strings remembered per process."""

AUTOMATION_MARKERS = re.compile(
    r"HeadlessChrome|Headless|PhantomJS|Selenium|webdriver|puppeteer|playwright|Cypress|"
    r"Lighthouse|python-requests|python-urllib|aiohttp|httpx|curl/|Wget|Go-http-client|"
    r"okhttp|node-fetch|axios|undici|Java/|Apache-HttpClient|libwww-perl|Scrapy|"
    r"PostmanRuntime|insomnia|Electron/",
    re.IGNORECASE,
)
"""Automation and HTTP libraries that no person browses with."""


@dataclass(frozen=True)
class Agent:
    """What is kept of a user agent."""

    bot: str | None  # why it is a bot, or None for a browser
    device_class: str  # desktop | mobile | tablet | other
    browser_family: str


class AgentClassifier:
    """Classify user-agent strings, remembering the answers."""

    def __init__(self, size: int = AGENT_CACHE_SIZE) -> None:
        self._cache: LRUCache[str, Agent] = LRUCache(size)
        self._lock = threading.Lock()

    def classify(self, user_agent: str) -> Agent:
        agent = self._cache.get(user_agent)
        if agent is None:
            agent = classify(user_agent)
            with self._lock:
                self._cache[user_agent] = agent
        return agent


def classify(user_agent: str) -> Agent:
    """Classify one user-agent string (uncached)."""
    if not user_agent.strip():
        return Agent("no user agent", "other", "Other")
    if AUTOMATION_MARKERS.search(user_agent):
        return Agent("automation", "other", "Other")
    if crawleruseragents.is_crawler(user_agent):
        return Agent("crawler", "other", "Other")
    parsed = user_agents.parse(user_agent)
    if parsed.is_bot:
        return Agent("crawler", "other", parsed.browser.family)
    return Agent(None, _device_class(parsed), parsed.browser.family[:64])


def _device_class(parsed: user_agents.parsers.UserAgent) -> str:
    if parsed.is_tablet:
        return "tablet"
    if parsed.is_mobile:
        return "mobile"
    if parsed.is_pc:
        return "desktop"
    return "other"
