"""Tiers: where a score stands against the model's thresholds."""

from __future__ import annotations

from enum import StrEnum


class Tier(StrEnum):
    """`cold` < `warm` < `hot` (not qualified < MQL < SQL)."""

    COLD = "cold"
    WARM = "warm"
    HOT = "hot"
