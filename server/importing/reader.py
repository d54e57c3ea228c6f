"""Reading log files: lines to kept entries, in time order, each with its line id.

* Plain, `.gz` (read as a stream, so a truncated archive gives what it holds)
  and `-` for standard input.
* Every line is parsed and filtered here; bad lines are counted with the
  first few `file:line: why`.
* A line id is a keyed hash (BLAKE2b with a key derived from the app's secret
  and the site key) of the raw line, so a line imported twice is recognised
  and nothing of the line is kept. Identical lines within a file (same
  second, same client, same page) get an occurrence number.
* Each file is sorted by time in chunks, and the files are merged, so events
  reach sessionisation in time order whatever order the files come in.
"""

from __future__ import annotations

import gzip
import hashlib
import heapq
import hmac
import sys
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from server.importing.filters import Kind, RequestFilter
from server.importing.formats import LineError, LogFormat, LogLine

CHUNK_LINES = 5_000
"""Kept lines of a file sorted together by time."""

OCCURRENCE_GENERATION = 10_000
"""Lines after which the occurrence counts of identical lines are forgotten
(two generations are kept): identical lines share their second, so they are
close together, and memory stays flat."""

BAD_EXAMPLES = 5
"""Bad lines quoted (by number and reason) in the summary."""

LINE_ID_BYTES = 16
"""Length of a line id (32 hex characters)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """A kept line: its fields (in memory only), its kind and its id."""

    time: datetime
    line_id: str
    kind: Kind
    line: LogLine


@dataclass
class ReadStats:
    """What reading found, over every file."""

    lines: int = 0
    left_out: Counter[str] = field(default_factory=Counter)  # by `Kind` value
    bad: int = 0
    bad_examples: list[str] = field(default_factory=list)

    def bad_line(self, where: str, reason: str) -> None:
        self.bad += 1
        if len(self.bad_examples) < BAD_EXAMPLES:
            self.bad_examples.append(f"{where}: {reason}")


class LogSource:
    """One file (or standard input) opened for reading, with its progress in bytes."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.read_bytes = 0
        if name == "-":
            self._raw: BinaryIO = sys.stdin.buffer
            self.size: int | None = None
            self.stream: BinaryIO | gzip.GzipFile = self._raw
        else:
            self._raw = open(name, "rb")  # noqa: SIM115 (closed by `close`)
            self.size = Path(name).stat().st_size
            gzipped = name.endswith(".gz")
            self.stream = gzip.GzipFile(fileobj=self._raw) if gzipped else self._raw
        self.gzipped = self.stream is not self._raw
        self.closed = False

    def position(self) -> int:
        """Bytes of the file read so far (compressed bytes for `.gz`)."""
        if self.closed and self.size is not None:
            return self.size
        return self._raw.tell() if self.gzipped else self.read_bytes

    def close(self) -> None:
        self.closed = True
        if self.name != "-":
            self.stream.close()
            self._raw.close()


class LineIds:
    """Line ids of one file: a keyed hash of the raw line and its occurrence."""

    def __init__(self, secret: str, site_key: str) -> None:
        self.key = hmac.new(
            secret.encode(), f"import-logs\x1f{site_key}".encode(), hashlib.sha256
        ).digest()
        self._current: dict[bytes, int] = {}
        self._previous: dict[bytes, int] = {}

    def line_id(self, raw: bytes) -> str:
        digest = hashlib.blake2b(raw, key=self.key, digest_size=LINE_ID_BYTES).digest()
        seen = self._current.get(digest, self._previous.get(digest, 0))
        self._current[digest] = seen + 1
        if len(self._current) >= OCCURRENCE_GENERATION:
            self._previous, self._current = self._current, {}
        if seen:
            digest = hashlib.blake2b(
                digest + seen.to_bytes(4, "big"), key=self.key, digest_size=LINE_ID_BYTES
            ).digest()
        return digest.hex()


class LogReader:
    """Kept entries of several files, merged in time order."""

    def __init__(
        self, log_format: LogFormat, requests: RequestFilter, secret: str, site_key: str
    ) -> None:
        self.format = log_format
        self.requests = requests
        self.secret = secret
        self.site_key = site_key
        self.stats = ReadStats()

    def entries(self, sources: Iterable[LogSource]) -> Iterator[Entry]:
        streams = [self._sorted_entries(source) for source in sources]
        return heapq.merge(*streams, key=_entry_time)

    def _sorted_entries(self, source: LogSource) -> Iterator[Entry]:
        chunk: list[Entry] = []
        for entry in self._entries(source):
            chunk.append(entry)
            if len(chunk) >= CHUNK_LINES:
                chunk.sort(key=_entry_time)
                yield from chunk
                chunk = []
        chunk.sort(key=_entry_time)
        yield from chunk

    def _entries(self, source: LogSource) -> Iterator[Entry]:
        ids = LineIds(self.secret, self.site_key)
        for number, raw in _lines(source, self.stats):
            self.stats.lines += 1
            entry = self._entry(raw, ids, f"{source.name}:{number}")
            if entry is not None:
                yield entry

    def _entry(self, raw: bytes, ids: LineIds, where: str) -> Entry | None:
        raw = raw.rstrip(b"\r\n")
        try:
            request = self.format.request(raw.decode("utf-8", "replace"))
            kind = self.requests.kind(request)
            if kind not in (Kind.PAGEVIEW, Kind.DOWNLOAD):
                self.stats.left_out[kind.value] += 1
                return None
            line = self.format.line(request)
        except LineError as error:
            self.stats.bad_line(where, str(error) if raw.strip() else "empty line")
            return None
        return Entry(line.time, ids.line_id(raw), kind, line)


def _lines(source: LogSource, stats: ReadStats) -> Iterator[tuple[int, bytes]]:
    """The file's numbered lines; a damaged or truncated file ends where it breaks, reported."""
    number = 0
    try:
        for raw in source.stream:
            number += 1
            source.read_bytes += len(raw)
            yield number, raw
    except (EOFError, OSError, zlib.error) as error:
        reason = str(error) or type(error).__name__
        stats.bad_line(f"{source.name}:{number + 1}", f"file ends early ({reason})")
    finally:
        source.close()


def _entry_time(entry: Entry) -> datetime:
    return entry.time
