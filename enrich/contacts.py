"""Decision makers: which of a company's contacts match the roles a persona targets.

A title matches a role when every word of the role appears in the title, once
both are folded (case, accents, punctuation): "Head of Sales" matches "Head of
Sales EMEA", "CTO" matches "CTO & Co-founder", "Directeur Marketing" matches
"Directeur marketing et communication".
"""

from __future__ import annotations

from collections.abc import Iterable

from enrich.identity import fold
from enrich.providers import Contact


def title_matches(title: str | None, role: str) -> bool:
    if not title:
        return False
    title_words = set(fold(title).split())
    role_words = fold(role).split()
    return bool(role_words) and all(word in title_words for word in role_words)


def decision_makers(contacts: Iterable[Contact], roles: Iterable[str]) -> list[Contact]:
    """The contacts whose title matches one of `roles`, without duplicates."""
    wanted = [role for role in roles if role.strip()]
    kept: dict[tuple[str, str], Contact] = {}
    for contact in contacts:
        if any(title_matches(contact.title, role) for role in wanted):
            kept.setdefault((fold(contact.name), (contact.email or "").lower()), contact)
    return list(kept.values())
