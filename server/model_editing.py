"""Changing an organisation's model from the dashboard: how many accounts would
change tier with a candidate model, and how far the rescoring after a save is.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scoring.model import Model
from server.batches import batched
from server.rescoring import RESCORE_BATCH, score_accounts
from server.storage.models import Account

PREVIEW_LIMIT = 5_000
"""Accounts scored for a preview; above, an even sample stands for the rest."""


@dataclass(frozen=True)
class TierPreview:
    """What a candidate model would do to the organisation's tiers."""

    moves: dict[tuple[str, str], int]  # (tier now, tier then) → accounts, changes only
    scored: int
    total: int

    @property
    def changed(self) -> int:
        """Accounts that would change tier (estimated from the sample when sampled)."""
        counted = sum(self.moves.values())
        return round(counted * self.total / self.scored) if self.scored else 0

    @property
    def sampled(self) -> bool:
        return self.scored < self.total


def preview_tier_changes(
    session: Session, org_id: int, model: Model, now: datetime, limit: int = PREVIEW_LIMIT
) -> TierPreview:
    """Score the organisation's accounts (or an even sample of `limit` of them)
    with `model`, writing nothing, and count the tier changes."""
    ids = session.scalars(
        select(Account.id).where(Account.org_id == org_id).order_by(Account.id)
    ).all()
    step = max(1, -(-len(ids) // limit))
    sample = ids[::step]
    moves: Counter[tuple[str, str]] = Counter()
    for batch in batched(sample, RESCORE_BATCH):
        for account, result in score_accounts(session, batch, now, model):
            if account.tier != result.tier.value:
                moves[(account.tier, result.tier.value)] += 1
    return TierPreview(dict(moves), len(sample), len(ids))


def rescore_progress(session: Session, org_id: int, since: datetime) -> tuple[int, int]:
    """(accounts scored since `since`, all accounts) of the organisation."""
    done, total = session.execute(
        select(
            func.count().filter(Account.scored_at >= since),
            func.count(),
        ).where(Account.org_id == org_id)
    ).one()
    return int(done or 0), int(total or 0)
