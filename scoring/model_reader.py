"""Reading a model file's values with their line numbers: the checks every section shares.

`ModelReader` finds the line of a key in a `[table]` or `[[table]]`, reads
numbers and text, and refuses unknown keys, collecting each problem with its
line rather than stopping at the first. The sections are read by
`scoring.model` (accounts) and `scoring.lead_model` (`[leads]`), both through
this one reader, so neither imports the other's reader.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Span:
    """Lines of a model file: after line `after`, before line `before` (None: to the end)."""

    after: int = 0
    before: int | None = None


WHOLE_FILE = Span()


class ModelReader:
    """Walks the document, collecting problems rather than stopping at the first."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.problems: list[tuple[int | None, str]] = []

    def fail(self, where: str, message: str, line: int | None) -> None:
        self.problems.append((line, f"{where}: {message}"))

    def line_of(
        self, table: str, index: int | None, key: str | None, within: Span = WHOLE_FILE
    ) -> int | None:
        """The line of `key` in the `index`-th `[[table]]` (or `[table]`) inside the
        lines `within`, best effort: the table's header line when `key` is not found."""
        start = self.header_line(table, index, within)
        if start is None:
            return None
        if key is None:
            return start
        key_line = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for number in range(start + 1, len(self.lines) + 1):
            text = self.lines[number - 1]
            if re.match(r"^\s*\[", text) and not text.strip().startswith(f"[[{table}."):
                break
            if key_line.match(text):
                return number
        return start

    def header_line(self, table: str, index: int | None, within: Span = WHOLE_FILE) -> int | None:
        """The line of the `index`-th `[[table]]` header (the first when `index` is None)
        after line `within.after` and before `within.before`."""
        header = re.compile(rf"^\s*\[\[?\s*{re.escape(table)}\s*\]\]?\s*(#.*)?$")
        end = len(self.lines) if within.before is None else within.before - 1
        seen = 0
        for number in range(within.after + 1, end + 1):
            if header.match(self.lines[number - 1]):
                seen += 1
                if index is None or seen == index:
                    return number
        return None

    def span_of(self, table: str, index: int) -> Span:
        """The lines of the `index`-th `[[table]]`, up to the next `[[table]]` header."""
        start = self.header_line(table, index)
        if start is None:
            return WHOLE_FILE
        return Span(start, self.header_line(table, index + 1))

    # -- values -------------------------------------------------------------

    def number(
        self,
        data: Mapping[str, Any],
        key: str,
        where: str,
        line: int | None,
        default: float | None = None,
        minimum: float | None = None,
    ) -> float:
        value = data.get(key, default)
        if value is None:
            self.fail(f"{where}.{key}", "required", line)
            return 0.0
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(f"{where}.{key}", "must be a number", line)
            return 0.0
        if minimum is not None and value < minimum:
            self.fail(f"{where}.{key}", f"must be {minimum:g} or more", line)
        return float(value)

    def setting(
        self,
        data: Mapping[str, Any],
        table: str,
        key: str,
        default: float | None = None,
        minimum: float | None = None,
    ) -> float:
        """The number `key` of a table that stands once in the file (`[table]`,
        read into `data`), checked as `number` checks it."""
        return self.number(data, key, table, self.line_of(table, None, key), default, minimum)

    def text(self, data: Mapping[str, Any], key: str, where: str, line: int | None) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{where}.{key}", "required text" if value is None else "must be text", line)
            return ""
        return value

    def known_keys(
        self,
        data: Mapping[str, Any],
        allowed: set[str],
        where: str,
        table: str,
        index: int | None,
        within: Span = WHOLE_FILE,
    ) -> None:
        for key in data:
            if key not in allowed:
                self.fail(f"{where}.{key}", "unknown key", self.line_of(table, index, key, within))
