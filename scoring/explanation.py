"""One reason for a score and how it is stored: plain JSON values, shared by
accounts' explanations (`scoring.engine.Contribution`) and leads'
(`scoring.leads.LeadContribution`), so the two are stored and shown alike."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class ScoreContribution:
    """One reason for a score: its label, its points, what it rewards (each
    scorer's own `StrEnum`) and the names and numbers in the label."""

    label: str
    points: float
    reason: StrEnum
    detail: Mapping[str, Any] = field(default_factory=dict)
    """The names and numbers in the label, for wording it in another language."""

    def as_dict(self) -> dict[str, Any]:
        """The entry of a stored explanation: label, points, reason, then the
        detail's names and numbers (plain JSON values)."""
        return {
            "label": self.label,
            "points": self.points,
            "reason": self.reason.value,
            **self.detail,
        }
