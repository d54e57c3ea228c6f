"""How one reason for a score is stored: plain JSON values, shared by accounts'
explanations (`scoring.engine.Contribution`) and leads' (`scoring.leads`), so
the two are stored and shown alike."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


def stored_contribution(
    label: str, points: float, reason: StrEnum, detail: Mapping[str, Any]
) -> dict[str, Any]:
    """The entry of a stored explanation: label, points, reason, then the detail's
    names and numbers (what a reader in another language words the label from)."""
    return {"label": label, "points": points, "reason": reason.value, **detail}
