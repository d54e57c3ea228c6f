"""Reading a lead file: its encoding, its delimiter, its header and its records.

Lead files come from spreadsheets and CRMs: UTF-8 (with or without the byte
order mark Excel writes) or Windows-1252 (Excel's "CSV" on a French Windows),
with `,` or `;` between cells. Both are detected, never asked for. Records are
read with the line each starts on, so that a bad one is named by its line
and the others still read; a quote left open spoils its own line only.
"""

from __future__ import annotations

import codecs
import csv
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BOM = codecs.BOM_UTF8

SNIFF_BYTES = 64 * 1024
"""How much of the file the delimiter is guessed from."""

DELIMITERS = ",;\t"
"""Delimiters a lead file may use; the first line's most frequent one wins a tie."""

MAX_RECORD_LINES = 20
"""Lines a quoted cell may span; past that, its opening quote is taken as a mistake."""

MAX_HEADERS = 200
"""Columns a lead file may have."""


class LeadFileError(ValueError):
    """The whole file cannot be read as a lead list; the message says why."""


@dataclass(frozen=True)
class LeadFile:
    """What was detected of a lead file."""

    path: Path
    encoding: str  # "utf-8-sig", "utf-8" or "cp1252"
    delimiter: str
    headers: tuple[str, ...]


@dataclass(frozen=True)
class Record:
    """One row of cells by header, or the reason it could not be read."""

    line: int
    cells: dict[str, str] | None
    problem: str | None = None


def open_lead_file(path: Path) -> LeadFile:
    """Detect the encoding, delimiter and headers of the CSV file at `path`.

    :raise LeadFileError: for an empty file or a header that cannot be used.
    """
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, errors="replace", newline="") as stream:
        sample = stream.read(SNIFF_BYTES)
    first_line = sample.splitlines()[0] if sample.strip() else ""
    if not first_line.strip():
        raise LeadFileError("the file is empty: the first line must name the columns")
    delimiter = detect_delimiter(sample, first_line)
    headers = tuple(cell.strip() for cell in next(csv.reader([first_line], delimiter=delimiter)))
    problem = _header_problem(headers)
    if problem:
        raise LeadFileError(problem)
    return LeadFile(path, encoding, delimiter, headers)


def detect_encoding(path: Path) -> str:
    """UTF-8 when every byte decodes as UTF-8 (`utf-8-sig` behind a byte order
    mark), else Windows-1252, which any byte sequence is."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as stream:
        head = stream.read(len(BOM))
        if head == BOM:
            return "utf-8-sig"
        stream.seek(0)
        try:
            for chunk in iter(lambda: stream.read(SNIFF_BYTES), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def detect_delimiter(sample: str, first_line: str) -> str:
    """The delimiter `csv.Sniffer` finds in `sample`, else the one the header uses most."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
        return max(counts, key=lambda delimiter: counts[delimiter])


def _header_problem(headers: tuple[str, ...]) -> str | None:
    if len(headers) > MAX_HEADERS:
        return f"line 1: {len(headers)} columns; at most {MAX_HEADERS}"
    if not any(headers):
        return "line 1: the first line must name the columns"
    seen: set[str] = set()
    for header in headers:
        if header and header in seen:
            return f"line 1: the column {header!r} appears twice"
        seen.add(header)
    return None


def read_records(lead_file: LeadFile) -> Iterator[Record]:
    """Each record after the header, with its first line; blank lines are skipped.

    A record with more or fewer cells than the header, or whose quote is never
    closed, is a `Record` with a problem. When a quote opened on one line makes
    a bad record of several, only its first line is bad: the lines after it
    are read again as records.
    """
    with lead_file.path.open(encoding=lead_file.encoding, errors="replace", newline="") as stream:
        lines = enumerate(stream, start=1)
        next(lines, None)  # the header
        yield from _records(lines, lead_file)


def _records(lines: Iterator[tuple[int, str]], lead_file: LeadFile) -> Iterator[Record]:
    replay: deque[tuple[int, str]] = deque()
    pending: list[tuple[int, str]] = []
    while True:
        item = replay.popleft() if replay else next(lines, None)
        if item is None and not pending:
            return
        if item is not None:
            pending.append(item)
            text = "".join(part for _, part in pending)
            if text.count('"') % 2 and len(pending) <= MAX_RECORD_LINES:
                continue  # a quoted cell goes on to the next line
            record = _record(pending[0][0], text, lead_file) if not text.count('"') % 2 else None
            if record is not None and (record.cells is not None or len(pending) == 1):
                if record.cells is None or any(value.strip() for value in record.cells.values()):
                    yield record
                pending = []
                continue
        yield Record(pending[0][0], None, "a quote is opened and never closed")
        replay.extendleft(reversed(pending[1:]))
        pending = []


def _record(line: int, text: str, lead_file: LeadFile) -> Record | None:
    """The record in `text`, a `Record` with a problem, or None for a blank line."""
    if not text.strip():
        return Record(line, {header: "" for header in lead_file.headers})
    width = len(lead_file.headers)
    try:
        cells = next(csv.reader([text], delimiter=lead_file.delimiter, strict=True))
    except csv.Error as error:
        return Record(line, None, f"cannot be read as CSV ({error})")
    while len(cells) > width and not cells[-1].strip():
        cells.pop()  # spreadsheets add empty cells at the end of a row
    if len(cells) != width:
        return Record(line, None, f"{len(cells)} cell(s) where the header has {width}")
    return Record(line, dict(zip(lead_file.headers, cells, strict=True)))
