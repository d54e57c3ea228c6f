"""What follows a store: live jobs after the commit, inline rescoring, snapshots."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from server import after_store
from server.after_store import (
    Enrich,
    FollowUp,
    Rescore,
    Snapshot,
    follow_up,
    follow_up_batch_by_batch,
    store_batch,
)
from server.jobs import drain
from server.records import CollectedEvent, CompanyFacts
from server.storage import session_scope
from server.storage.models import Account, Enrichment, ScoreSnapshot
from server.storage.types import utcnow
from tests.support.accounts import add_visit, make_account
from tests.support.factories import make_site

HOT_AT_TEN = '[tiers]\nwarm = 5\nhot = 10\n[[page]]\nmatch = "/pricing*"\npoints = 10\n'


@pytest.fixture
def hot_app(make_app, db_url, tmp_path):
    model = tmp_path / "model.toml"
    model.write_text(HOT_AT_TEN)
    return make_app(db_url, SCORING_MODEL=str(model))


@pytest.fixture
def queued(monkeypatch):
    """The jobs the module queues, by name, instead of running them."""
    calls: list[tuple[str, tuple[int, ...]]] = []
    monkeypatch.setattr(
        after_store, "enqueue", lambda func, *args: calls.append((func.__name__, args))
    )
    return calls


def pageview(org_id, site_id, event_id, company="acme.fr"):
    return CollectedEvent(
        event_id=event_id,
        site_id=site_id,
        org_id=org_id,
        occurred_at=utcnow(),
        type="pageview",
        path="/pricing",
        visitor_hash="v",
        connection_class="business",
        device_class="desktop",
        browser_family="Chrome",
        company=CompanyFacts(key=company, name=company),
    )


def account_ids(app):
    with app.app_context(), session_scope() as session:
        return list(session.scalars(select(Account.id).order_by(Account.id)))


def test_a_live_batch_queues_enrichment_of_new_accounts_and_rescoring_of_touched(hot_app, queued):
    org_id, site_id = make_site(hot_app)
    with hot_app.app_context():
        first = store_batch([pageview(org_id, site_id, "e1")])
    [acme] = account_ids(hot_app)
    assert first.new_account_ids == [acme] and first.stored == 1
    assert queued == [("enrich_account", (acme,)), ("rescore_accounts", (acme,))]
    queued.clear()
    with hot_app.app_context():
        store_batch([pageview(org_id, site_id, "e2"), pageview(org_id, site_id, "e3", "beta.de")])
    acme, beta = account_ids(hot_app)
    assert queued == [("enrich_account", (beta,)), ("rescore_accounts", (acme, beta))]


def test_a_live_batch_is_rescored_once_committed(hot_app):
    org_id, site_id = make_site(hot_app)
    with hot_app.app_context():
        store_batch([pageview(org_id, site_id, "e1")])
    assert drain(hot_app, timeout=20)
    with hot_app.app_context(), session_scope() as session:
        account = session.scalar(select(Account))
        assert (account.score, account.tier) == (10, "hot")


def test_inline_rescoring_scores_as_of_the_time_given_and_snapshots_the_day(hot_app):
    org_id, site_id = make_site(hot_app)
    other_org, _ = make_site(hot_app, "other", organisation="Other")
    day = date(2024, 3, 1)
    at = datetime(2024, 3, 1, 23, 59, tzinfo=UTC)
    with hot_app.app_context(), session_scope() as session:
        acme = make_account(session, org_id, "Acme", domain="acme.fr")
        add_visit(session, acme, site_id, at - timedelta(hours=1), paths=("/pricing",))
        make_account(session, other_org, "Other", domain="other.fr")
        acme_id = acme.id
        steps = FollowUp(rescore=Rescore.INLINE, snapshot=Snapshot(day, org_id))
        done = follow_up(session, [acme_id], at, steps)
    assert (done.rescored, done.snapshots, done.enrichment_queued) == (1, 1, 0)
    with hot_app.app_context(), session_scope() as session:
        account = session.get_one(Account, acme_id)
        assert (account.tier, account.scored_at) == ("hot", at)
        [snapshot] = session.scalars(select(ScoreSnapshot)).all()
        assert (snapshot.account_id, snapshot.day, snapshot.tier) == (acme_id, day, "hot")


def test_aggregates_are_slid_in_batches(hot_app):
    org_id, site_id = make_site(hot_app)
    now = utcnow()
    with hot_app.app_context(), session_scope() as session:
        ids = []
        for n in range(3):
            account = make_account(session, org_id, f"A{n}", domain=f"a{n}.fr")
            add_visit(session, account, site_id, now - timedelta(days=1))
            add_visit(session, account, site_id, now - timedelta(days=40))  # out of the window
            ids.append(account.id)
        done = follow_up(session, ids, now, FollowUp(aggregates=True, batch_size=2))
    assert done.rescored == 0
    with hot_app.app_context(), session_scope() as session:
        rows = session.execute(select(Account.visits_30d, Account.top_pages)).all()
        assert rows == [(1, ["/"])] * 3


def test_batch_by_batch_dates_hot_accounts_and_queues_the_never_enriched(hot_app, queued):
    org_id, site_id = make_site(hot_app)
    now = utcnow()
    earlier = now - timedelta(days=5)
    with hot_app.app_context(), session_scope() as session:
        accounts = [make_account(session, org_id, f"A{n}", domain=f"a{n}.fr") for n in range(3)]
        for account in accounts:
            add_visit(session, account, site_id, now - timedelta(days=2), paths=("/pricing",))
        session.add(Enrichment(account_id=accounts[1].id, provider="file", status="ok"))
        ids = [account.id for account in accounts]
    steps = FollowUp(
        aggregates=True,
        rescore=Rescore.INLINE,
        hot_since={ids[0]: earlier},
        enrich=Enrich.NEVER_ENRICHED,
        batch_size=2,
    )
    with hot_app.app_context():
        done = follow_up_batch_by_batch(ids, now, steps)
    assert (done.rescored, done.enrichment_queued, done.snapshots) == (3, 2, 0)
    assert [name for name, _ in queued if name == "enrich_account"] == ["enrich_account"] * 2
    assert ("enrich_account", (ids[1],)) not in queued
    with hot_app.app_context(), session_scope() as session:
        rows = dict(session.execute(select(Account.id, Account.hot_since)).all())
        assert rows[ids[0]] == earlier  # the time given, not the rescore's
        assert rows[ids[1]] != earlier and rows[ids[1]] is not None
