"""`batched(items, size)`: one pass over any iterable, a list of `size` at a time.

Rescoring, imports and bulk writes keep each transaction (and each `IN (…)`
list) to a bounded size; they all cut their input here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of `size` items (the last one shorter), in order; reads lazily.

    :raise ValueError: for a size below 1.
    """
    if size < 1:
        raise ValueError(f"size: {size} is not a positive number")
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
