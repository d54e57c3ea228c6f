"""Model files: errors name the rule, the field and the line."""

from __future__ import annotations

import pytest

from scoring.model import ModelError, parse_model

GOOD = """[tiers]
warm = 30
hot = 60

[[page]]
match = "/pricing*"
points = 10

[[page]]
match = "/demo*"
points = "ten"
per = "week"
"""


def test_errors_name_rule_field_and_line():
    with pytest.raises(ModelError) as raised:
        parse_model(GOOD)
    assert raised.value.problems == [
        (11, "page[2].points: must be a number"),
        (12, "page[2].per: must be one of visit, day, ever"),
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[tiers]\nwarm = 60\nhot = 30\n", (3, "tiers.hot: must be above tiers.warm")),
        (
            "[tiers]\nwarm = 1\nhot = 2\n[[event]]\npoints = 3\n",
            (4, "event[1].name: required text"),
        ),
        (
            '[tiers]\nwarm = 1\nhot = 2\n[[page]]\nmatch = "/"\npionts = 3\n',
            (6, "page[1].pionts: unknown key"),
        ),
        (
            '[tiers]\nwarm = 1\nhot = 2\n[[fit]]\nfield = "x"\nmatches = "("\npoints = 1\n',
            (
                6,
                "fit[1].matches: not a regular expression (missing ), unterminated subpattern at position 0)",
            ),
        ),
        (
            "[tiers]\nwarm = 1\nhot = 2\n[[source]]\npoints = 1\n",
            (4, "source[1]: give one of utm_source, utm_medium, utm_campaign, referrer_host"),
        ),
        ("[tiers\nwarm = 1\n", (1, None)),
    ],
)
def test_single_problems(text, problem):
    with pytest.raises(ModelError) as raised:
        parse_model(text)
    line, message = raised.value.problems[0]
    assert line == problem[0]
    if problem[1]:
        assert message == problem[1]


def test_persona_roles_are_gathered():
    text = (
        '[tiers]\nwarm = 1\nhot = 2\n[[persona]]\nname = "P"\npoints = 30\nroles = ["CTO", "CEO"]\n'
        '  [[persona.when]]\n  field = "industry"\n  equals = "Software"\n'
    )
    assert parse_model(text).roles == ("CTO", "CEO")


def test_the_shipped_default_model_is_valid():
    from scoring.model import default_model_text

    parsed = parse_model(default_model_text())
    assert parsed.hot > parsed.warm and parsed.personas and parsed.fits
    assert "CTO" in parsed.roles


PERSONAS = """[[persona]]
name = "Buyer"
points = 20
when = [{ field = "employees", min = 50 }]

[[persona]]
name = "Builder"
points = 10
  [[persona.when]]
  field = "country"
  in = "FR"
  [[persona.when]]
  field = "industry"
  colour = "blue"

[tiers]
warm = 30
hot = 60
"""


def test_persona_when_errors_carry_their_own_line():
    """An error in the second persona's conditions points at that condition's lines."""
    with pytest.raises(ModelError) as raised:
        parse_model(PERSONAS)
    lines = PERSONAS.splitlines()
    assert raised.value.problems == [
        (lines.index('  in = "FR"') + 1, "persona[2].when[1].in: must be a list"),
        (lines.index('  colour = "blue"') + 1, "persona[2].when[2].colour: unknown key"),
        (
            len(lines) - 6,  # the header of the last [[persona.when]]
            "persona[2].when[2]: give exactly one of equals, in, not_in, min, max, matches"
            " (or min and max)",
        ),
    ]
    assert lines[len(lines) - 7] == "  [[persona.when]]"
