"""Accounts to list, filter and export: two organisations with their sites,
users, tokens, accounts, visits, snapshots and sales outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from server.storage import session_scope
from server.storage.models import (
    Account,
    Contact,
    Enrichment,
    Event,
    Outcome,
    ScoreSnapshot,
    Visit,
)
from server.storage.tenancy import (
    SiteSettings,
    create_api_token,
    create_organisation,
    create_site,
    create_user,
)
from server.storage.types import utcnow

PASSWORD = "correct horse battery"
"""Password of the seeded dashboard user."""

FORMULA_NAME = '=HYPERLINK("x")'
"""A company name a spreadsheet would run as a formula."""


@dataclass(frozen=True)
class World:
    org_id: int
    other_org_id: int
    site_key: str
    second_site_key: str
    other_site_key: str
    token: str
    email: str
    ids: dict[str, int]
    """Account ids by name, both organisations."""


def make_account(session: Session, org_id: int, name: str, **fields: Any) -> Account:
    """An account of `org_id` keyed by its domain (or name)."""
    key = fields.get("domain") or f"name:{name.lower()}"
    account = Account(org_id=org_id, key=key, name=name, **fields)
    session.add(account)
    session.flush()
    return account


def add_visit(session: Session, account: Account, site_id: int, started_at, paths=("/",)) -> Visit:
    """A visit of `account` on a site with one pageview per path, a minute apart."""
    visit = Visit(
        site_id=site_id,
        account_id=account.id,
        visitor_hash="0" * 32,
        started_at=started_at,
        last_event_at=started_at + timedelta(minutes=len(paths)),
        pageviews=len(paths),
        entry_path=paths[0],
        connection_class="business",
    )
    session.add(visit)
    session.flush()
    for index, path in enumerate(paths):
        session.add(
            Event(
                event_id=f"{visit.id}-{index}",
                site_id=site_id,
                visit_id=visit.id,
                account_id=account.id,
                occurred_at=started_at + timedelta(minutes=index),
                type="pageview",
                path=path,
                title=f"Title of {path}",
                visitor_hash="0" * 32,
                connection_class="business",
            )
        )
    session.flush()
    return visit


def seed_accounts(app: Flask) -> World:
    """Five accounts of "Acme" (scores 80, 65, 40, 5 and -1000) and one of "Other"."""
    now = utcnow()
    with app.app_context(), session_scope() as session:
        acme = create_organisation(session, "Acme")
        other = create_organisation(session, "Other")
        site = create_site(session, acme, SiteSettings("Main", ["acme.example"]))
        second = create_site(session, acme, SiteSettings("Blog", ["blog.acme.example"]))
        other_site = create_site(session, other, SiteSettings("Theirs", ["other.example"]))
        user = create_user(session, acme, "sales@acme.example", PASSWORD)
        token = create_api_token(session, acme.id, "tests", user.id)
        hot = make_account(
            session,
            acme.id,
            "Hot Corp",
            domain="hotcorp.fr",
            score=80,
            tier="hot",
            fit=30.5,
            engagement=49.5,
            industry="Software",
            employees=200,
            country="FR",
            city="Paris",
            visits_30d=5,
            active_days_30d=3,
            first_seen=now - timedelta(days=60),
            last_seen=now - timedelta(days=1),
            top_pages=["/pricing", "/"],
            explanation=[
                {"label": "Persona Mid-market SaaS", "points": 30},
                {"label": "Pricing page", "points": 20},
                {"label": "Visits", "points": 10.5},
                {"label": "Frequency", "points": 9},
            ],
            hot_since=now - timedelta(days=2),
            firmographics={"revenue": "10-50M"},
        )
        beta = make_account(
            session,
            acme.id,
            "Beta GmbH",
            domain="beta.de",
            score=65,
            tier="hot",
            industry="software",
            country="DE",
            first_seen=now - timedelta(days=20),
            last_seen=now - timedelta(days=2),
        )
        warm = make_account(
            session,
            acme.id,
            "Warm Ltd",
            domain="warm.co.uk",
            score=40,
            tier="warm",
            industry="Retail",
            country="GB",
            first_seen=now - timedelta(days=30),
            last_seen=now - timedelta(days=10),
        )
        cold = make_account(
            session,
            acme.id,
            "Cold SA",
            domain="cold.be",
            score=5,
            tier="cold",
            industry="Consulting",
            country="BE",
            first_seen=now - timedelta(days=50),
            last_seen=now - timedelta(days=40),
        )
        formula = make_account(
            session,
            acme.id,
            FORMULA_NAME,
            score=-1000,
            tier="cold",
            fit=-1000.0,
            engagement=-0.25,
            country="US",
            first_seen=now - timedelta(days=120),
            last_seen=now - timedelta(days=100),
            explanation=[{"label": "-country outside the market", "points": -1000}],
        )
        foreign = make_account(
            session,
            other.id,
            "Foreign Corp",
            domain="foreign.example",
            score=99,
            tier="hot",
            country="FR",
            last_seen=now - timedelta(days=1),
        )
        add_visit(session, hot, site.id, now - timedelta(days=3), ("/", "/pricing"))
        add_visit(session, hot, site.id, now - timedelta(days=1), ("/pricing", "/demo", "/contact"))
        add_visit(session, beta, site.id, now - timedelta(days=2))
        add_visit(session, warm, second.id, now - timedelta(days=10))
        add_visit(session, foreign, other_site.id, now - timedelta(days=1))
        today = now.date()
        for days_ago, score, tier in (
            (40, 10, "cold"),
            (5, 50, "warm"),
            (1, 70, "hot"),
            (0, 80, "hot"),
        ):
            session.add(
                ScoreSnapshot(
                    account_id=hot.id,
                    day=today - timedelta(days=days_ago),
                    score=score,
                    fit=30.5,
                    engagement=score - 30.5,
                    tier=tier,
                )
            )
        outcomes = (
            (hot, "accepted", 3),
            (hot, "won", 1),
            (beta, "rejected", 1),
            (cold, "won", 5),
            (cold, "lost", 2),
        )
        for account, outcome, days_ago in outcomes:
            session.add(
                Outcome(
                    org_id=acme.id,
                    account_id=account.id,
                    outcome=outcome,
                    reason=f"{outcome} by sales",
                    recorded_at=now - timedelta(days=days_ago),
                )
            )
        session.add(Outcome(org_id=other.id, account_id=foreign.id, outcome="won"))
        session.add(Enrichment(account_id=hot.id, provider="file", status="done", attempts=1))
        session.add(Contact(account_id=hot.id, provider="file", name="Ada Martin", title="CTO"))
        return World(
            org_id=acme.id,
            other_org_id=other.id,
            site_key=site.public_key,
            second_site_key=second.public_key,
            other_site_key=other_site.public_key,
            token=token,
            email=user.email,
            ids={account.name: account.id for account in (hot, beta, warm, cold, formula, foreign)},
        )
