"""`@task`: mark a function as a job and say which queue it runs on.

A task takes plain values (ids, short strings, numbers), never rows and never
anything personal, since its arguments are serialised into Redis in scale
mode. It opens its own unit of work (`storage.session_scope()`), because it
always runs in a fresh app context: in an RQ work horse or in the in-process
runner's thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from server.jobs.defaults import DEFAULT_QUEUE, QUEUES

F = TypeVar("F", bound=Callable[..., Any])

ALLOWED_ARGUMENT_TYPES = (int, float, str, bool, type(None))


def task(queue: str = DEFAULT_QUEUE, merges_arguments: bool = False) -> Callable[[F], F]:
    """Declare the queue of a job function; the function itself is unchanged.

    `merges_arguments`: the job takes any number of ids and calls waiting to
    run may be merged into one with the union of their ids (the in-process
    runner does so: see `InProcessRunner.submit`).

    :raise ValueError: for a queue Vigie does not run.
    """
    if queue not in QUEUES:
        raise ValueError(f"queue: {queue!r} is not one of {', '.join(QUEUES)}")

    def mark(func: F) -> F:
        func.vigie_queue = queue  # type: ignore[attr-defined]  # a mark on the function, read with getattr
        func.vigie_merges_arguments = merges_arguments  # type: ignore[attr-defined]  # likewise
        return func

    return mark


def queue_of(func: Callable[..., Any], queue: str | None = None) -> str:
    """The queue a call of `func` goes to: `queue` if given, else its task's."""
    chosen = queue or getattr(func, "vigie_queue", DEFAULT_QUEUE)
    if chosen not in QUEUES:
        raise ValueError(f"queue: {chosen!r} is not one of {', '.join(QUEUES)}")
    return chosen


def check_arguments(func: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """Refuse arguments that are not plain values.

    :raise TypeError: naming the argument position and its type.
    """
    if "<locals>" in getattr(func, "__qualname__", "<locals>"):
        raise TypeError(f"{func!r}: a job must be a module-level function")
    for position, value in enumerate(args):
        if not isinstance(value, ALLOWED_ARGUMENT_TYPES):
            raise TypeError(
                f"{func.__name__} argument {position}: {type(value).__name__} is not a plain value"
            )
