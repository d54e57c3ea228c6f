"""The jobs facade: after-commit delivery, retries and visible failures, on RQ and in process."""

from __future__ import annotations

import pytest
from rq import Queue
from rq.registry import FailedJobRegistry

from server.jobs import drain, enqueue, jobs_of
from server.storage import get_session, session_scope
from server.storage.models import Organisation, Outcome
from tests.support.jobs import always_fail, chain, count_runs, fail_then_succeed, record_run

SCALE_SETTINGS = {"SECRET_KEY": "test-secret"}


@pytest.fixture
def org_id(app):
    with app.app_context(), session_scope() as session:
        organisation = Organisation(name="Acme")
        session.add(organisation)
        session.flush()
        return organisation.id


@pytest.fixture
def rq_app(make_app, db_url, redis_url):
    """An app in scale mode: jobs go to RQ on the tests' Redis database."""
    return make_app(db_url, REDIS_URL=redis_url, **SCALE_SETTINGS)


def runs(app, org_id, label):
    with app.app_context():
        return count_runs(get_session(), org_id, label)


def enqueue_in_transaction(app, org_id, label, commit):
    """Enqueue `record_run` while a request's transaction is open, then end it."""
    with app.test_request_context():
        session = get_session()
        session.add(Organisation(name=f"other-{label}"))
        session.flush()
        enqueue(record_run, org_id, label)
        session.commit() if commit else session.rollback()


def test_in_process_job_runs_once_after_commit(app, org_id):
    enqueue_in_transaction(app, org_id, "committed", commit=True)
    assert drain(app, timeout=10)
    assert runs(app, org_id, "committed") == 1


def test_in_process_job_of_a_rolled_back_transaction_never_runs(app, org_id):
    enqueue_in_transaction(app, org_id, "undone", commit=False)
    assert drain(app, timeout=10)
    assert runs(app, org_id, "undone") == 0
    assert jobs_of(app).local.completed == 0


def test_job_enqueued_outside_a_transaction_runs_at_once(app, org_id):
    with app.app_context():
        enqueue(record_run, org_id, "direct")
    assert drain(app, timeout=10)
    assert runs(app, org_id, "direct") == 1


def test_jobs_enqueued_by_a_job_follow_its_transaction(app, org_id):
    with app.app_context():
        enqueue(chain, org_id, "from-commit", True)
        enqueue(chain, org_id, "from-rollback", False)
    assert drain(app, timeout=10)
    assert runs(app, org_id, "from-commit") == 1
    assert runs(app, org_id, "from-rollback") == 0


def test_in_process_job_is_retried_then_succeeds(app, org_id):
    with app.app_context():
        enqueue(fail_then_succeed, org_id, "flaky", 2)
    assert drain(app, timeout=10)
    assert runs(app, org_id, "flaky") == 3
    assert list(jobs_of(app).local.failures) == []


def test_in_process_failure_is_kept_visible(app, org_id, caplog):
    with app.app_context():
        enqueue(always_fail, org_id)
    assert drain(app, timeout=10)
    [failure] = jobs_of(app).local.failures
    assert failure.name == "tests.support.jobs.always_fail"
    assert failure.queue == "alerts"
    assert "ValueError: this job always fails" in failure.error
    assert failure.attempts == 3
    assert "always_fail failed after 3 attempts" in caplog.text


def test_rq_job_of_a_committed_transaction_runs_once(rq_app, org_id, rq_worker, redis_conn):
    enqueue_in_transaction(rq_app, org_id, "rq-committed", commit=True)
    assert Queue("score", connection=redis_conn).count == 1
    rq_worker(rq_app)
    assert runs(rq_app, org_id, "rq-committed") == 1
    assert Queue("score", connection=redis_conn).count == 0


def test_rq_job_of_a_rolled_back_transaction_is_never_queued(rq_app, org_id, rq_worker, redis_conn):
    enqueue_in_transaction(rq_app, org_id, "rq-undone", commit=False)
    assert Queue("score", connection=redis_conn).count == 0
    rq_worker(rq_app)
    assert runs(rq_app, org_id, "rq-undone") == 0


def test_rq_jobs_enqueued_by_a_job_follow_its_transaction(rq_app, org_id, rq_worker):
    with rq_app.app_context():
        enqueue(chain, org_id, "rq-from-commit", True)
        enqueue(chain, org_id, "rq-from-rollback", False)
    rq_worker(rq_app)
    assert runs(rq_app, org_id, "rq-from-commit") == 1
    assert runs(rq_app, org_id, "rq-from-rollback") == 0


def test_rq_job_is_retried_then_succeeds(rq_app, org_id, rq_worker):
    with rq_app.app_context():
        enqueue(fail_then_succeed, org_id, "rq-flaky", 2)
    rq_worker(rq_app)
    assert runs(rq_app, org_id, "rq-flaky") == 3


def test_rq_failure_lands_in_the_failed_registry(rq_app, org_id, rq_worker, redis_conn):
    with rq_app.app_context():
        enqueue(always_fail, org_id)
    rq_worker(rq_app)
    registry = FailedJobRegistry(queue=Queue("alerts", connection=redis_conn))
    assert registry.count == 1
    [failure] = jobs_of(rq_app).rq.failed_jobs()
    assert failure["job"] == "tests.support.jobs.always_fail"
    assert failure["error"] == "ValueError: this job always fails"


def test_job_runs_in_process_when_redis_is_down(make_app, db_url, org_id):
    """Work committed in the database is not lost because Redis refused the job."""
    app = make_app(db_url, REDIS_URL="redis://127.0.0.1:1/0", **SCALE_SETTINGS)
    with app.app_context():
        enqueue(record_run, org_id, "fallback")
    assert drain(app, timeout=10)
    assert runs(app, org_id, "fallback") == 1


def test_job_arguments_must_be_plain_values(sqlite_app):
    with sqlite_app.app_context(), pytest.raises(TypeError, match="argument 1: dict"):
        enqueue(record_run, 1, {"ip": "x"})


def test_unknown_queue_is_refused(sqlite_app):
    with sqlite_app.app_context(), pytest.raises(ValueError, match="queue: 'fast'"):
        enqueue(record_run, 1, "x", queue="fast")


def test_waiting_calls_of_a_merging_job_run_once_with_every_argument(make_app, db_url, org_id):
    """Under a flood, rescoring of touched accounts runs once per window, not per batch."""
    from sqlalchemy import select

    from tests.support.jobs import record_labels

    app = make_app(db_url, JOBS_MERGE_SECONDS=0.5)
    with app.app_context():
        for label in ("a", "b", "a", "c"):
            enqueue(record_labels, org_id, label)
        assert drain(timeout=10)
        with session_scope() as session:
            runs = session.scalars(select(Outcome.reason).where(Outcome.outcome == "merged")).all()
    assert runs == ["a,b,c"]
