"""Named constants of the jobs backend."""

QUEUES = ("enrich", "score", "alerts", "maintenance")
"""Every queue Vigie uses; a worker listens to all of them unless told otherwise."""

DEFAULT_QUEUE = "maintenance"
"""Queue of a task that does not name one."""

RETRY_INTERVALS = (10, 60, 300)
"""Seconds before the first, second and third retry of a failed job."""

JOB_TIMEOUT = 600
"""Seconds a job may run before RQ kills it."""

FAILURE_TTL = 7 * 24 * 3600
"""How long a failed job stays in RQ's failed registry, for `vigie jobs`."""

RECENT_FAILURES_KEPT = 100
"""Failed in-process jobs remembered for `vigie jobs` and the dashboard."""
