"""Background jobs: one facade over RQ (scale mode) and an in-process runner.

Call sites write `enqueue(func, *args)` and never know which one runs it.
"""

from server.jobs.queue import drain, enqueue, init_app, jobs_of
from server.jobs.task import task

__all__ = ["drain", "enqueue", "init_app", "jobs_of", "task"]
