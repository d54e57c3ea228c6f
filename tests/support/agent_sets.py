"""The user-agent sets of `tests/data/`: their strings, and what the bot filter drops of them."""

from __future__ import annotations

from pathlib import Path

import crawleruseragents
import pytest

from server.collect.agents import classify_agent


def lines(path: Path) -> list[str]:
    """The non-blank lines of a set's file; a missing file fails the test."""
    if not path.is_file():
        pytest.fail(f"{path} not found")
    return [line for line in path.read_text().splitlines() if line.strip()]


def agent_files(folder: Path) -> list[Path]:
    """The user-agent files of a set, not the licences beside them."""
    return [path for path in folder.rglob("*.txt") if not path.name.startswith("LICENSE")]


def set_strings(*folders: Path) -> set[str]:
    """Every string of the sets in `folders`."""
    return {agent for folder in folders for path in agent_files(folder) for agent in lines(path)}


def dropped(agents: list[str]) -> list[str]:
    """The strings the bot filter drops."""
    return [agent for agent in agents if classify_agent(agent).bot is not None]


def listed_instances() -> set[str]:
    """The example strings of `crawler-user-agents`, whose patterns the filter uses."""
    return {
        instance
        for entry in crawleruseragents.CRAWLER_USER_AGENTS_DATA
        for instance in entry.get("instances", [])
    }
