"""The inbox's front: accepted records appended to files of their own, one per process.

An append to the inbox's SQLite file cost a transaction and, between the
serving processes and the writer, a turn at one write lock: a request could
wait for the writer's delete, and the writer (running at a lower priority)
could be put to sleep while holding that lock. Here each serving process
appends to a segment file that only it writes, with one `write()` of
length-prefixed, checksummed frames (`FRAME`), and no lock shared with anyone:

    <inbox>.spool/00001733111111111111-4242.seg   frame frame frame …
                                                  (length, CRC-32, payload)

An append is durable against the process being killed once `write()`
returned (the data is in the system's cache); like the SQLite file in WAL
mode with `synchronous=NORMAL`, only a power loss can take the last appends.

The writer (`SpoolReader`) reads frames from where it last stopped in each
segment and remembers how far each segment is stored (`Offsets`, kept by the
inbox in its SQLite file, which only the writer writes now). A segment is
removed once it is stored to its end and no process appends to it: a process
holds a shared `flock` on its open segment, so the writer's exclusive one
succeeds only after the appender rotated to a new segment or ended. A segment
is created under a temporary name, locked, then renamed, so the writer never
sees one that is not locked yet.
"""

from __future__ import annotations

import errno
import fcntl
import os
import struct
import threading
import time
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

FRAME = struct.Struct(">II")
"""A frame's header: the payload's length and its CRC-32, big-endian."""

SUFFIX = ".seg"
SEGMENT_BYTES = 64 * 1024 * 1024
"""A process starts a new segment past this size, so stored ones can be removed."""

READ_CHUNK = 1024 * 1024
"""Bytes read from a segment at once."""

ID_PREFIX = "s:"
"""Entry ids of the spool: `s:<segment>:<start>:<end>` (the inbox's own are numbers)."""


@dataclass(frozen=True)
class SpoolEntry:
    segment: str
    start: int
    end: int
    payload: bytes

    @property
    def id(self) -> str:
        return f"{ID_PREFIX}{self.segment}:{self.start}:{self.end}"


def parse_id(entry_id: str) -> tuple[str, int] | None:
    """(segment, end) of a spool entry's id; None for any other id."""
    if not entry_id.startswith(ID_PREFIX):
        return None
    segment, _start, end = entry_id[len(ID_PREFIX) :].rsplit(":", 2)
    return segment, int(end)


def frames(payloads: Iterable[bytes]) -> bytes:
    return b"".join(FRAME.pack(len(p), zlib.crc32(p)) + p for p in payloads)


class SpoolAppender:
    """This process's segment, appended to by its threads (one `write()` each)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._descriptor: int | None = None
        self._pid = 0
        self._size = 0

    def append(self, payloads: Sequence[bytes]) -> None:
        """Append `payloads`; durable against this process being killed on return.

        :raise OSError: when the segment cannot be written (disk full…); the
            segment is then closed, and a later append starts a new one.
        """
        data = frames(payloads)
        with self._lock:
            descriptor = self._segment()
            try:
                written = os.write(descriptor, data)
            except OSError:
                self._close()
                raise
            if written != len(data):  # a short write: nothing may follow the torn frame
                self._close()
                raise OSError(errno.ENOSPC, "the spool took part of a record")
            self._size += written

    def _segment(self) -> int:
        if self._descriptor is None or self._pid != os.getpid() or self._size > SEGMENT_BYTES:
            if self._pid == os.getpid():
                self._close()
            self._descriptor = self._open()
            self._pid = os.getpid()
            self._size = 0
        return self._descriptor

    def _open(self) -> int:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{os.getpid()}"
        temporary = self.directory / f"{name}.new"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_EXCL, 0o600)
        fcntl.flock(descriptor, fcntl.LOCK_SH)  # held while this process may append
        os.rename(temporary, self.directory / f"{name}{SUFFIX}")
        return descriptor

    def _close(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)  # releases the lock: the writer may remove it once stored
            self._descriptor = None


class Offsets(Protocol):
    """How far each segment is stored (kept by the writer, see `Inbox.done`)."""

    def stored_offsets(self) -> dict[str, int]: ...

    def forget_offset(self, segment: str) -> None: ...


class SpoolReader:
    """The writer's side: frames not stored yet, oldest segments first."""

    def __init__(self, directory: Path, offsets: Offsets) -> None:
        self.directory = directory
        self.offsets = offsets

    def segments(self) -> list[str]:
        try:
            names = os.listdir(self.directory)
        except FileNotFoundError:
            return []
        return sorted(name[: -len(SUFFIX)] for name in names if name.endswith(SUFFIX))

    def read(self, limit: int) -> list[SpoolEntry]:
        """Up to `limit` entries from where each segment is stored, a share
        from each segment in turn (segments of concurrent processes cover the
        same minutes).

        The torn or damaged end of a closed segment comes as one entry of its
        raw bytes, which no record decodes from: the ingest loop moves it to
        the dead letters like any undecodable entry."""
        segments = self.segments()
        if not segments:
            return []
        stored = self.offsets.stored_offsets()
        share = max(1, limit // len(segments))
        entries: list[SpoolEntry] = []
        for segment in segments:
            if len(entries) >= limit:
                break
            wanted = min(share, limit - len(entries))
            entries.extend(self._read_segment(segment, stored.get(segment, 0), wanted))
        return entries

    def _read_segment(self, segment: str, offset: int, limit: int) -> list[SpoolEntry]:
        try:
            file = open(self.directory / f"{segment}{SUFFIX}", "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            return []
        with file:
            closed = _closed(file.fileno())  # before the size: a closed segment grows no more
            size = os.fstat(file.fileno()).st_size
            entries: list[SpoolEntry] = []
            window = _Window(file)
            position = offset
            while len(entries) < limit and position + FRAME.size <= size:
                length, checksum = FRAME.unpack(window.bytes(position, FRAME.size))
                end = position + FRAME.size + length
                payload = window.bytes(position + FRAME.size, length) if end <= size else b""
                if end > size or zlib.crc32(payload) != checksum:
                    if not closed:
                        break  # being written: look again later
                    # A closed segment with a torn or damaged frame: nothing after it can be read.
                    rest = SpoolEntry(
                        segment, position, size, window.bytes(position, size - position)
                    )
                    return [*entries, rest]
                entries.append(SpoolEntry(segment, position, end, payload))
                position = end
            return entries

    def remove_finished(self) -> None:
        """Remove the segments stored to their end that no process appends to."""
        stored = self.offsets.stored_offsets()
        for segment in self.segments():
            path = self.directory / f"{segment}{SUFFIX}"
            try:
                descriptor = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                if not _closed(descriptor):
                    continue
                if os.fstat(descriptor).st_size <= stored.get(segment, 0):
                    path.unlink()
                    self.offsets.forget_offset(segment)
            finally:
                os.close(descriptor)

    def waiting(self) -> int:
        """Frames not stored yet (read through, for listings and tests)."""
        stored = self.offsets.stored_offsets()
        count = 0
        for segment in self.segments():
            count += _count_frames(self.directory / f"{segment}{SUFFIX}", stored.get(segment, 0))
        return count


class _Window:
    """Reads of a file through a buffer of `READ_CHUNK` bytes."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.start = 0
        self.data = b""

    def bytes(self, position: int, length: int) -> bytes:
        if position < self.start or position + length > self.start + len(self.data):
            self.file.seek(position)
            self.data = self.file.read(max(READ_CHUNK, length))
            self.start = position
        return self.data[position - self.start : position - self.start + length]


def _closed(descriptor: int) -> bool:
    """Whether no process appends to the segment open as `descriptor`."""
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    fcntl.flock(descriptor, fcntl.LOCK_UN)
    return True


def _count_frames(path: Path, offset: int) -> int:
    try:
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            count = 0
            while offset + FRAME.size <= size:
                file.seek(offset)
                length, _ = FRAME.unpack(file.read(FRAME.size))
                if offset + FRAME.size + length > size:
                    break
                offset += FRAME.size + length
                count += 1
            return count
    except FileNotFoundError:
        return 0
