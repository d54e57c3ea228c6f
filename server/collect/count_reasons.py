"""Why a beacon was only counted, in a vocabulary small enough to chart and
stable enough to keep in `traffic_counts`: the `reason` of a count.

The bot filter names the detector or rule that decided (`BotReason`); that
list follows the detectors and changes with them. A count keeps the category
mapped here instead, and only here, so that a detector added or renamed
never splits one kind of bot into two rows of the funnel. A data centre's
reason is the cloud provider whose published ranges hold the address.

Nothing here is per visitor: a reason is one of a few words, never a user
agent, an address or a network.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum

from enrich.connection import ConnectionClass
from enrich.resolver import Resolution
from server.collect.agent_rules import BotReason


class BotCategory(StrEnum):
    """What kind of bot a beacon came from."""

    CRAWLER = "crawler"
    """Search, SEO, feed, link-preview, AI and monitoring bots: named or listed."""
    AUTOMATION = "automation"
    """Headless browsers, test drivers and page renderers."""
    SCRIPT = "script"
    """HTTP client libraries and command-line tools."""
    NO_USER_AGENT = "no-user-agent"
    """No user agent at all."""
    NOT_A_BROWSER = "not-a-browser"
    """A user agent that names no browser, engine or platform."""
    OTHER = "other"
    """A reason of the filter not mapped below (a detector added since)."""


BOT_CATEGORIES: Mapping[str, BotCategory] = {
    BotReason.EMPTY: BotCategory.NO_USER_AGENT,
    BotReason.AUTOMATION: BotCategory.AUTOMATION,
    BotReason.HTTP_LIBRARY: BotCategory.SCRIPT,
    BotReason.SELF_DESCRIBED: BotCategory.CRAWLER,
    BotReason.CONTACT: BotCategory.CRAWLER,
    BotReason.KNOWN_SERVICE: BotCategory.CRAWLER,
    BotReason.CRAWLER_USER_AGENTS: BotCategory.CRAWLER,
    BotReason.CRAWLERDETECT: BotCategory.CRAWLER,
    BotReason.UA_PARSER_SPIDER: BotCategory.CRAWLER,
    BotReason.NOT_A_BROWSER: BotCategory.NOT_A_BROWSER,
}
"""The bot filter's reasons (`Agent.bot`) → the category a count keeps."""

LISTED = "listed"
"""A network the site's own operator list (`sites.extra_networks`) classes."""

MAX_REASON_LENGTH = 32
"""Characters of a reason (the column's width)."""

_PROVIDER = re.compile(r"[a-z0-9][a-z0-9._-]*")


def bot_category(reason: str) -> BotCategory:
    """The category counted for the bot filter's `reason`."""
    return BOT_CATEGORIES.get(reason, BotCategory.OTHER)


def network_reason(resolution: Resolution) -> str:
    """The reason counted for a network that is not an account: a data
    centre's cloud provider (`aws`), else "" (the kind says it all)."""
    if resolution.connection is not ConnectionClass.HOSTING:
        return ""
    return provider_reason(resolution.cloud_provider)


def provider_reason(provider: str | None) -> str:
    """A provider's name as a reason: lower case, the characters of a range
    file's name; "" for none or for anything else (a generic data centre)."""
    name = (provider or "").strip().lower()[:MAX_REASON_LENGTH]
    return name if _PROVIDER.fullmatch(name) else ""
