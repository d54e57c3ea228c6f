"""Job functions for the jobs tests; module-level so an RQ worker can import them."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.jobs import enqueue, task
from server.storage import session_scope
from server.storage.models import Outcome


@task(queue="score")
def record_run(org_id: int, label: str) -> None:
    """Leave one outcome row labelled `label`: proof that the job ran."""
    with session_scope() as session:
        session.add(Outcome(org_id=org_id, outcome=label))


@task(queue="enrich")
def fail_then_succeed(org_id: int, label: str, failures: int) -> None:
    """Fail (leaving a row) the first `failures` times, then succeed."""
    with session_scope() as session:
        runs = count_runs(session, org_id, label)
        session.add(Outcome(org_id=org_id, outcome=label))
    if runs < failures:
        raise RuntimeError(f"planned failure {runs + 1} of {failures}")


@task(queue="alerts")
def always_fail(org_id: int) -> None:
    raise ValueError("this job always fails")


@task(queue="maintenance")
def chain(org_id: int, label: str, commit: bool) -> None:
    """Enqueue `record_run` inside a transaction that commits or rolls back."""
    with session_scope() as session:
        session.add(Outcome(org_id=org_id, outcome="chain"))
        enqueue(record_run, org_id, label)
        if not commit:
            raise RuntimeError("roll back")


def count_runs(session: Session, org_id: int, label: str) -> int:
    return session.scalar(
        select(func.count())
        .select_from(Outcome)
        .where(Outcome.org_id == org_id, Outcome.outcome == label)
    )


@task(queue="score", merges_arguments=True)
def record_labels(org_id: int, *labels: str) -> None:
    """One outcome row per call, naming every label it was given."""
    with session_scope() as session:
        session.add(Outcome(org_id=org_id, outcome="merged", reason=",".join(labels)))
