"""Scale mode: accepted records go to a Redis Stream that `vigie ingest` drains.

The inbox's forwarder (`server.sink.forward`) appends records to `STREAM`,
the XADDs of a batch in one pipelined round trip. The consumers of the group `GROUP` read batches and remove an entry (XACK) only
after the batch that holds it is committed: a consumer killed mid-batch leaves
its entries pending, and another one (or itself, restarted) claims them after
`CLAIM_IDLE_MS`. Storage skips event ids it already has and counts carry a
receipt, so an entry stored but not acknowledged is not stored twice.

Entries that cannot be stored go to the `DEAD_LETTERS` stream with their
reason. Once every group has acknowledged an entry, it is trimmed from the
stream (`XTRIM MINID`), so the stream holds only what is still to store.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from redis import Redis
from redis.exceptions import ResponseError
from redis.typing import EncodableT, FieldT

from server.sink.inbox import DeadLetter, Entry

log = logging.getLogger(__name__)

STREAM = "vigie:events"
GROUP = "vigie-ingest"
DEAD_LETTERS = "vigie:events:dead"
FIELD = b"r"
BATCH_SIZE = 1_000
"""Entries a `vigie ingest` consumer stores per transaction at most (measured:
5,100 events/s for one consumer against 4,400 with 500, on PostgreSQL)."""
BLOCK_MS = 1_000
"""How long a read waits for entries; a batch is flushed at the latest then."""
CLAIM_IDLE_MS = 60_000
"""Entries pending this long on a consumer are taken over by another."""
TRIM_EVERY = 1.0
"""Seconds between two trims of the stream by one consumer."""


def append(redis: Redis, payloads: Sequence[bytes]) -> None:
    """XADD every payload in one pipelined round trip."""
    with redis.pipeline(transaction=False) as pipe:
        for payload in payloads:
            pipe.xadd(STREAM, {FIELD: payload})
        pipe.execute()


@dataclass
class StreamSource:
    """The group's entries for one consumer (`name`), as the ingest loop takes them."""

    redis: Redis
    name: str
    block_ms: int = BLOCK_MS
    claim_idle_ms: int = CLAIM_IDLE_MS
    _trimmed_at: float = field(default=0.0, init=False)
    _untrimmed: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.ensure_group()

    def ensure_group(self) -> None:
        try:
            self.redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def take(self, limit: int) -> list[Entry]:
        """Own pending entries first, then those a stopped consumer left, then new ones."""
        own = self.redis.xreadgroup(GROUP, self.name, {STREAM: "0"}, count=limit)
        entries = _read_entries(own)
        if not entries:
            _cursor, claimed, *_ = self.redis.xautoclaim(
                STREAM, GROUP, self.name, self.claim_idle_ms, start_id="0-0", count=limit
            )
            if claimed:
                log.info("claimed %d entr(ies) left by a stopped consumer", len(claimed))
            entries = cast(_Entries, claimed)
        if not entries:
            fresh = self.redis.xreadgroup(
                GROUP, self.name, {STREAM: ">"}, count=limit, block=self.block_ms
            )
            entries = _read_entries(fresh)
        if not entries and self._untrimmed:
            self.trim()  # idle: leave the stream holding only what is still to store
        return [_entry(entry_id, fields) for entry_id, fields in entries if fields]

    def done(self, ids: Sequence[str]) -> None:
        if ids:
            self.redis.xack(STREAM, GROUP, *ids)
            self._untrimmed = True
        if time.monotonic() - self._trimmed_at >= TRIM_EVERY:
            self.trim()

    def trim(self) -> int:
        """Remove the entries every group has acknowledged; return how many."""
        self._trimmed_at = time.monotonic()
        self._untrimmed = False
        floor = acknowledged_floor(self.redis)
        return self.redis.xtrim(STREAM, minid=floor, approximate=False) if floor else 0

    def bury(self, entries: Sequence[tuple[Entry, str]]) -> None:
        now = str(time.time())
        with self.redis.pipeline() as pipe:
            for entry, reason in entries:
                fields: dict[FieldT, EncodableT] = {
                    b"id": entry.id,
                    b"reason": reason,
                    b"at": now,
                    FIELD: entry.payload,
                }
                pipe.xadd(DEAD_LETTERS, fields)
                pipe.xack(STREAM, GROUP, entry.id)
            pipe.execute()

    def drained(self) -> bool:
        for group in self.redis.xinfo_groups(STREAM):
            if group["name"] in (GROUP, GROUP.encode()):
                return not group["pending"] and not group.get("lag")
        return False

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        return [
            DeadLetter(
                _text(entry_id),
                fields.get(FIELD, b""),
                _text(fields.get(b"reason", b"")),
                float(fields.get(b"at", b"0") or 0),
            )
            for entry_id, fields in _range_entries(self.redis.xrange(DEAD_LETTERS, count=limit))
        ]

    def dead_count(self) -> int:
        return self.redis.xlen(DEAD_LETTERS)

    def replay_dead(self, ids: Sequence[str] | None = None) -> int:
        letters = self._dead(ids)
        with self.redis.pipeline() as pipe:
            for letter in letters:
                pipe.xadd(STREAM, {FIELD: letter.payload})
                pipe.xdel(DEAD_LETTERS, letter.id)
            pipe.execute()
        return len(letters)

    def drop_dead(self, ids: Sequence[str] | None = None) -> int:
        letters = self._dead(ids)
        if letters:
            self.redis.xdel(DEAD_LETTERS, *(letter.id for letter in letters))
        return len(letters)

    def _dead(self, ids: Sequence[str] | None) -> list[DeadLetter]:
        letters = self.dead_letters(limit=self.dead_count() or 1)
        return letters if ids is None else [letter for letter in letters if letter.id in ids]


def acknowledged_floor(redis: Redis) -> str | None:
    """The lowest entry id some group still needs (pending or not delivered yet).

    Entries below it were acknowledged by every group. None when no group
    exists: then nobody has stored anything, and nothing may go.
    """
    try:
        groups = redis.xinfo_groups(STREAM)
    except ResponseError:
        return None
    floors = []
    for group in groups:
        if group["pending"]:
            name = _text(group["name"])
            floors.append(_text(redis.xpending(STREAM, name)["min"]))
        else:
            floors.append(_successor(_text(group["last-delivered-id"])))
    return min(floors, key=_id_key) if floors else None


def _successor(entry_id: str) -> str:
    millis, sequence = _id_key(entry_id)
    return f"{millis}-{sequence + 1}"


def _id_key(entry_id: str) -> tuple[int, int]:
    millis, _, sequence = entry_id.partition("-")
    return int(millis), int(sequence or 0)


_Entries = list[tuple[bytes, dict[bytes, bytes]]]
"""Stream entries as this client reads them: ids and fields in bytes, since
it speaks RESP2 and does not decode replies (server/redis_client.py)."""


def _read_entries(reply: object) -> _Entries:
    """The entries of an XREADGROUP reply on the one stream read.

    redis-py types the reply for every protocol and decoding setting; with
    RESP2 it is [[stream, entries]], or empty when nothing came.
    """
    streams = cast(list[tuple[bytes, _Entries]], reply)
    return streams[0][1] if streams else []


def _range_entries(reply: object) -> _Entries:
    """XRANGE's entries, typed as this client receives them (see `_Entries`)."""
    return cast(_Entries, reply)


def _entry(entry_id: bytes | str, fields: dict[bytes, bytes]) -> Entry:
    return Entry(_text(entry_id), fields.get(FIELD, b""))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


__all__ = ["DEAD_LETTERS", "FIELD", "GROUP", "STREAM", "StreamSource"]
