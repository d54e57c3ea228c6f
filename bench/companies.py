"""Made-up companies for the accounts a bench run puts in its database."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

EMPLOYEES = (5, 40, 120, 900, 8000, None)
"""Company sizes an account is given, unknown included."""


def draw_company(
    rng: random.Random, industries: Sequence[str | None], countries: Sequence[str | None]
) -> dict[str, Any]:
    """A made-up company's industry, size and country (drawn from `rng` in that
    order), as the columns of its account."""
    return {
        "industry": rng.choice(industries),
        "employees": rng.choice(EMPLOYEES),
        "country": rng.choice(countries),
    }
