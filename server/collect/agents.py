"""The user agent reduced to what is stored: bot or not, device class, browser family.

The raw user agent is never stored (SPEC.md privacy rule 4). Whether it is a
bot is decided by several detectors, each naming its reason (`BotReason`,
kept as `Agent.bot`): Vigie's own generic rules (`agent_rules`), the
`crawler-user-agents` and CrawlerDetect lists (`agent_lists`), and
`ua-parser`'s "Spider" device family. Browser-shaped strings from app shells
(Android WebView, Electron, in-app browsers) take the allow path of
`agent_rules` and are dropped only on strong signals. Answers are cached per
user-agent string; a new string costs about 60 µs (`bench/bots.py`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache

import ua_parser
from cachetools import LRUCache
from user_agents.parsers import (
    UserAgent,
    parse_browser,
    parse_device,
    parse_operating_system,
)

from server.collect.agent_lists import (
    is_listed_by_crawler_user_agents,
    is_listed_by_crawlerdetect,
)
from server.collect.agent_rules import (
    ENGINE_OR_PLATFORM,
    PERSON_CLIENT,
    BotReason,
    bare_token,
    for_lists,
    generic_reason,
    in_app_shell,
    shell_reason,
    without_device_names,
)

AGENT_CACHE_SIZE = 20_000
"""Distinct user-agent strings remembered per process."""

MAX_FAMILY_LENGTH = 64
"""Characters of the browser family kept (the column's width)."""


@dataclass(frozen=True)
class Agent:
    """What is kept of a user agent."""

    bot: str | None  # why it is a bot (a `BotReason`), or None for a browser
    device_class: str  # desktop | mobile | tablet | other
    browser_family: str


UNLOGGED_AGENT = "Mozilla/5.0 (user agent not logged)"
"""What log import passes for lines of a format that logs no user agent
(`common`): such lines cannot be told from bots, so they are read as browsers
of no known family rather than all dropped as agents without a browser token."""

UNLOGGED = Agent(bot=None, device_class="other", browser_family="Other")

WARM_UP_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
"""A browser's string classified once when a serving process starts."""


class AgentClassifier:
    """Classify user-agent strings, remembering the answers."""

    def __init__(self, size: int = AGENT_CACHE_SIZE) -> None:
        self._cache: LRUCache[str, Agent] = LRUCache(size)
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Compile the parser and pattern lists now (they are built on first use)."""
        classify_agent(WARM_UP_AGENT)

    def classify(self, user_agent: str) -> Agent:
        if user_agent == UNLOGGED_AGENT:
            return UNLOGGED
        agent = self._cache.get(user_agent)
        if agent is None:
            agent = classify_agent(user_agent)
            with self._lock:
                self._cache[user_agent] = agent
        return agent


class ParsedAgent(UserAgent):
    """`user-agents`' device rules over a parse by `ua-parser`'s default (Rust) backend.

    `user_agents.parse` goes through `ua-parser`'s legacy pure-Python API,
    about 1 ms a string; this is the same answer for a twentieth of it.
    """

    def __init__(self, user_agent: str) -> None:
        # no super().__init__(): it is the slow parse this class replaces
        result = _ua_parser().parse(user_agent).with_defaults()
        browser, os, device = result.user_agent, result.os, result.device
        self.ua_string = user_agent
        self.browser = parse_browser(
            browser.family, browser.major, browser.minor, browser.patch, browser.patch_minor
        )
        self.os = parse_operating_system(os.family, os.major, os.minor, os.patch, os.patch_minor)
        self.device = parse_device(device.family, device.brand, device.model)


@cache
def _ua_parser() -> ua_parser.Parser:
    """ua-parser's best backend without its own cache: `AgentClassifier` caches the answers."""
    return ua_parser.Parser(ua_parser.BestAvailableResolver(ua_parser.load_builtins()))


def classify_agent(user_agent: str) -> Agent:
    """Classify one user-agent string (uncached)."""
    text = user_agent.strip()
    if not text:
        return Agent(BotReason.EMPTY, "other", "Other")
    if not text.isascii():
        # RE2 reads UTF-8: a lone surrogate (a log line decoded with surrogateescape) becomes "?"
        text = text.encode("utf-8", "replace").decode("utf-8")
    parsed = ParsedAgent(text)
    reason = bot_reason(text, parsed)
    if reason is not None:
        return Agent(reason, "other", "Other")
    return Agent(None, _device_class(parsed), parsed.browser.family[:MAX_FAMILY_LENGTH])


def bot_reason(text: str, parsed: ParsedAgent) -> BotReason | None:
    """Why `text` is a bot, or None for a browser.

    Inside an app shell only the strongest signals count; a text browser or
    mail client is judged by the generic rules alone, which know it.
    """
    cleaned = without_device_names(text)
    if in_app_shell(text):
        return shell_reason(text, cleaned)
    reason = generic_reason(text, cleaned)
    if reason is not None or PERSON_CLIENT.search(text):
        return reason
    listed = for_lists(cleaned)
    if is_listed_by_crawler_user_agents(listed):
        return BotReason.CRAWLER_USER_AGENTS
    if is_listed_by_crawlerdetect(listed):
        return BotReason.CRAWLERDETECT
    if parsed.is_bot and _spider_outside_ie_platform(text):
        return BotReason.UA_PARSER_SPIDER
    if bare_token(text) or not _names_a_browser(text, parsed):
        return BotReason.NOT_A_BROWSER
    return None


def _spider_outside_ie_platform(text: str) -> bool:
    """ua-parser's spider rule, like the lists, takes `Abbott` in IE's platform for a bot."""
    shown = for_lists(text)
    return shown == text or ParsedAgent(shown).is_bot


def _names_a_browser(text: str, parsed: ParsedAgent) -> bool:
    """A browser engine, device or system in the string, or one `ua-parser` knows."""
    return bool(
        ENGINE_OR_PLATFORM.search(text)
        or parsed.browser.family != "Other"
        or parsed.os.family != "Other"
    )


def _device_class(parsed: UserAgent) -> str:
    if parsed.is_tablet:
        return "tablet"
    if parsed.is_mobile:
        return "mobile"
    if parsed.is_pc:
        return "desktop"
    return "other"
