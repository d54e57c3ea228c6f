"""Scoring leads in the server: the library's facts and score, as stored columns.

`enrich.leads.classify_lead` reads the e-mail, phone, country and language;
`scoring.leads.score_lead` scores those facts with the lead rules of the
organisation's model in force. Leads are scored when imported and rescored
when the model is saved (`server.jobs.leads.rescore_leads`) or their company's homepage has
been read (`server/leads/website_facts.py`): a professional lead is scored
with what its company's homepage said. Nothing here leaves the machine: a
lead is never sent to a provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, true, update
from sqlalchemy.orm import Session

from enrich.leads import EmailClass, Homepage, LeadRow, classify_email, classify_lead, with_homepage
from scoring.leads import score_lead
from scoring.model import Model
from server.scoring_models import model_for
from server.storage import session_scope
from server.storage.models import Lead, LeadList, LeadWebsite

RESCORE_BATCH = 1_000
"""Leads read, scored and written per transaction when rescoring."""


def normalise_lead_email(text: str) -> str:
    """The key of a lead in its list: the address normalised (lower case, the
    domain in Unicode), or the text lower-cased when it is no address."""
    return classify_email(text)[0]


@dataclass(frozen=True)
class LeadScorer:
    """Classifies and scores leads of one list with one model."""

    model: Model
    region: str | None
    homepages: Mapping[str, Homepage] = field(default_factory=dict)
    """What the homepage of each company domain said (`homepages`)."""

    def evaluate(
        self, email: str, phone: str | None, own: dict[str, str | None], now: datetime
    ) -> dict[str, Any]:
        """The computed columns of a lead (`Lead` attribute → value)."""
        row = LeadRow(email=email, phone=phone, country=own.get("country"),
                      language=own.get("language"))  # fmt: skip
        facts = classify_lead(row, self.region)
        homepage = self.homepages.get(facts.company_domain or "")
        if homepage is not None and facts.email_class is EmailClass.PROFESSIONAL:
            facts = with_homepage(facts, homepage)
        result = score_lead(self.model, facts)
        return {
            "email_class": facts.email_class.value,
            "phone_class": facts.phone_class.value,
            "country": facts.country,
            "country_source": facts.country_source.value if facts.country_source else None,
            "language": facts.language,
            "company_domain": facts.company_domain,
            "score": result.score,
            "tier": result.tier.value,
            "explanation": [contribution.as_dict() for contribution in result.contributions],
            "scored_at": now,
        }


def scorer_for(session: Session, org_id: int, region: str | None) -> LeadScorer:
    """A scorer with the organisation's model in force, a list's phone region
    and the homepages fetched for the organisation."""
    return LeadScorer(model_for(session, org_id), region, homepages(session, org_id))


def homepages(session: Session, org_id: int) -> dict[str, Homepage]:
    """What each homepage fetched for the organisation said, by company domain."""
    rows = session.execute(
        select(
            LeadWebsite.domain,
            LeadWebsite.title,
            LeadWebsite.html_lang,
            LeadWebsite.detected_language,
        ).where(LeadWebsite.org_id == org_id, LeadWebsite.status == "ok")
    )
    return {
        domain: Homepage(title=title, language=html_lang or detected)
        for domain, title, html_lang, detected in rows
    }


def rescore_organisation_leads(
    session: Session, org_id: int, now: datetime, domains: list[str] | None = None
) -> int:
    """Score the organisation's leads again with its model in force (those of
    the company `domains` only, when given)."""
    model = model_for(session, org_id)
    regions = {
        list_id: region
        for list_id, region in session.execute(
            select(LeadList.id, LeadList.phone_region).where(LeadList.org_id == org_id)
        )
    }
    known = homepages(session, org_id)
    session.rollback()
    scorers = {list_id: LeadScorer(model, region, known) for list_id, region in regions.items()}
    only = Lead.company_domain.in_(domains) if domains is not None else true()
    done, last_id = 0, 0
    while True:
        with session_scope() as write:
            rows = write.execute(
                select(
                    Lead.id, Lead.list_id, Lead.email, Lead.phone, Lead.columns, LeadList.mapping
                )
                .join(LeadList, LeadList.id == Lead.list_id)
                .where(Lead.org_id == org_id, Lead.id > last_id, only)
                .order_by(Lead.id)
                .limit(RESCORE_BATCH)
            ).all()
            if not rows:
                return done
            changes = [
                {"id": lead_id, **_rescored(scorers[list_id], email, phone, columns, mapping,
                                            now)}
                for lead_id, list_id, email, phone, columns, mapping in rows
            ]  # fmt: skip
            write.execute(update(Lead), changes)
        done += len(rows)
        last_id = rows[-1][0]


def _rescored(
    scorer: LeadScorer,
    email: str,
    phone: str | None,
    columns: dict[str, Any],
    mapping: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    own = {
        name: (str(columns.get(mapping[name]) or "").strip() or None) if mapping.get(name) else None
        for name in ("country", "language")
    }
    return scorer.evaluate(email, phone, own, now)
