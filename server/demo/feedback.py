"""Sales feedback and decision makers on a few demo accounts.

Outcomes are what a sales team would have said about the accounts it looked
at: hot ones accepted or won, one that cooled down lost, an existing customer
and a job applicant rejected with a reason. Decision makers (invented names,
titles among the default persona's roles) are attached to the hottest
accounts, as an enrichment provider would have found them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.demo.companies import SEED, DemoCompany, Profile
from server.demo.names import slug
from server.storage.models import Account, Contact, Outcome

CONTACT_PROVIDER = "demo"
"""Provider name the demo's contacts are recorded under."""

CONTACT_ACCOUNTS = 8
"""Hot accounts that get decision makers."""

FEEDBACK = (
    (Profile.HOT, "accepted", "Meeting booked with their sales director."),
    (Profile.HOT, "accepted", None),
    (Profile.HOT, "won", "Signed the Growth plan for two sites."),
    (Profile.RISING, "accepted", "Asked for a demo; first call next week."),
    (Profile.COOLING, "lost", "Chose to build it in-house."),
    (Profile.WARM, "lost", "No budget this year; try again in Q1."),
    (Profile.CUSTOMER, "rejected", "Existing customer: these visits are support requests."),
    (Profile.JOB_SEEKER, "rejected", "Job applicant, not a buyer."),
)
"""(profile of the account, outcome, reason) for each piece of feedback."""

FIRST_NAMES = ("Camille", "Julien", "Sophie", "Thomas", "Claire", "Nicolas", "Élodie",
               "Mathieu", "Laure", "Antoine", "Inès", "Romain", "Chloé", "Hugo", "Manon")  # fmt: skip
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Girard", "Lefèvre",
              "Fournier", "Mercier", "Blanc", "Garnier", "Chevalier", "Rousseau", "Faure")  # fmt: skip
ROLES = (
    ("CEO", "C-level", "Executive"),
    ("CTO", "C-level", "Engineering"),
    ("Directeur Commercial", "Director", "Sales"),
    ("Head of Sales", "Head", "Sales"),
    ("Directeur Marketing", "Director", "Marketing"),
    ("Marketing Director", "Director", "Marketing"),
)
"""(title, seniority, department): titles among the default persona's roles."""


def add_feedback(
    session: Session,
    org_id: int,
    user_id: int | None,
    companies: Sequence[DemoCompany],
    now: datetime,
) -> tuple[int, int]:
    """Record the outcomes and contacts; return how many of each."""
    rng = random.Random(SEED + 2)
    by_profile = _accounts_by_profile(session, org_id, companies)
    outcomes = 0
    for profile, outcome, reason in FEEDBACK:
        if not by_profile.get(profile):
            continue
        account = by_profile[profile].pop(0)
        session.add(
            Outcome(
                org_id=org_id,
                account_id=account.id,
                domain=account.domain,
                outcome=outcome,
                reason=reason,
                user_id=user_id,
                recorded_at=now - timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 8)),
            )
        )
        outcomes += 1
    contacts = 0
    hottest = session.scalars(
        select(Account)
        .where(Account.org_id == org_id, Account.tier == "hot")
        .order_by(Account.score.desc())
        .limit(CONTACT_ACCOUNTS)
    )
    for account in hottest:
        for role in rng.sample(ROLES, rng.randint(1, 3)):
            session.add(_contact(account, role, rng, now))
            contacts += 1
    session.flush()
    return outcomes, contacts


def _accounts_by_profile(
    session: Session, org_id: int, companies: Sequence[DemoCompany]
) -> dict[Profile, list[Account]]:
    """The organisation's accounts per profile of their company, best score first."""
    profiles = {company.domain: company.profile for company in companies}
    accounts = session.scalars(
        select(Account).where(Account.org_id == org_id).order_by(Account.score.desc())
    )
    grouped: dict[Profile, list[Account]] = {}
    for account in accounts:
        profile = profiles.get(account.domain or "")
        if profile is not None:
            grouped.setdefault(profile, []).append(account)
    return grouped


def _contact(
    account: Account, role: tuple[str, str, str], rng: random.Random, now: datetime
) -> Contact:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    title, seniority, department = role
    return Contact(
        account_id=account.id,
        provider=CONTACT_PROVIDER,
        name=f"{first} {last}",
        title=title,
        seniority=seniority,
        department=department,
        email=f"{slug(first)}.{slug(last)}@{account.domain}" if account.domain else None,
        found_at=now - timedelta(days=rng.randint(0, 20)),
    )
