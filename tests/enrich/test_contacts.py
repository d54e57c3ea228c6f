"""Decision makers: contacts kept when their title matches a persona's roles."""

from __future__ import annotations

import pytest

from enrich.contacts import decision_makers, title_matches
from enrich.providers import Contact


@pytest.mark.parametrize(
    ("title", "role", "matches"),
    [
        ("Head of Sales EMEA", "Head of Sales", True),
        ("CTO & Co-founder", "CTO", True),
        ("Directeur marketing et communication", "Directeur Marketing", True),
        ("Directrice Marketing", "Directeur Marketing", False),
        ("Sales Assistant", "Head of Sales", False),
        (None, "CTO", False),
        ("CTO", "   ", False),
    ],
)
def test_title_matches_role(title, role, matches):
    assert title_matches(title, role) is matches


def test_only_matching_contacts_are_kept_once():
    people = [
        Contact("Ann Lee", title="Chief Technology Officer"),
        Contact("Bob Roy", title="CTO", email="bob@acme.fr"),
        Contact("Bob Roy", title="CTO", email="BOB@acme.fr"),
        Contact("Cy Poe", title="Intern"),
    ]
    kept = decision_makers(people, ["CTO", "Chief Technology Officer"])
    assert [contact.name for contact in kept] == ["Ann Lee", "Bob Roy"]
