"""Lead scoring: each lead of a hand-worked list scores exactly what the shipped
model's `[leads]` section says, with its explanation; the section's errors
carry their line."""

from __future__ import annotations

from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrich.leads import Homepage, LeadRow, classify_lead
from scoring.leads import LeadReason, score_lead
from scoring.model import ModelError, default_model_text, parse_model
from scoring.tiers import Tier

# The shipped model's lead rules, as the expected scores below use them:
#   e-mail   professional +30, free -10, role -20, disposable -100, invalid -100
#   phone    mobile +10, fixed +5, voip / toll_free / other / missing 0, invalid -10
#   country  FR BE CH LU MC CA +10, any other -1000, unknown 0
#   language fr +10, en +5, any other -1000, unknown 0
#   keyword  "logiciel*", "saas", "software" in the homepage title +20
#   tiers    warm 40, hot 60
# The list's default region is FR (national numbers such as 06 12 34 56 78).
PRO, FREE, ROLE, DISPOSABLE, INVALID = (
    ("Professional e-mail", 30),
    ("Personal mailbox (webmail or ISP)", -10),
    ("Shared inbox (contact@, info@…)", -20),
    ("Disposable e-mail", -100),
    ("Invalid e-mail", -100),
)
MOBILE, FIXED, BAD_PHONE = (
    ("Mobile phone", 10),
    ("Fixed-line phone", 5),
    ("Invalid phone number", -10),
)
SOFTWARE = ("Software company", 20)


class Case(NamedTuple):
    email: str
    phone: str | None
    country: str | None
    language: str | None
    homepage: Homepage | None
    score: int
    tier: Tier
    why: list[tuple[str, float]]
    """Contributions largest first (ties by label); zero points are left out."""


def country(code, source, points=10):
    suffix = "" if points > -1000 else ", not accepted"
    return (f"Country {code} (from the {source}){suffix}", points)


def language(code, source, points):
    suffix = "" if points > -1000 else ", not accepted"
    return (f"Language {code} (from the {source}){suffix}", points)


FR_PHONE, FR_DOMAIN = country("FR", "phone"), country("FR", "e-mail domain")
COLD, WARM, HOT = Tier.COLD, Tier.WARM, Tier.HOT

CASES = [
    # -100 disposable, no phone, FR from .fr: -100 + 10
    Case("x@yopmail.fr", None, None, None, None, -90, COLD, [DISPOSABLE, FR_DOMAIN]),
    # -20 role, +10 national mobile read as FR, +10 FR from the phone
    Case("contact@acme.fr", "06 12 34 56 78", None, None, None, 0, COLD, [ROLE, FR_PHONE, MOBILE]),
    # -10 French ISP mailbox, +5 Paris fixed line, +10 FR
    Case("jean@orange.fr", "01 42 68 53 00", None, None, None, 5, COLD, [FR_PHONE, FREE, FIXED]),
    # +30 professional, +10 mobile, +10 FR, +10 fr
    Case(
        "j.dupont@acme.fr", "+33 6 12 34 56 78", None, "fr", None, 60, HOT,
        [PRO, FR_PHONE, language("fr", "list", 10), MOBILE],
    ),
    # -100 invalid, nothing else known
    Case("bad@@x", None, None, None, None, -100, COLD, [INVALID]),
    # Belgian mobile, language named in French: 30 + 10 + 10 + 10
    Case(
        "marie.martin@acme.be", "+32 470 12 34 56", None, "Français", None, 60, HOT,
        [PRO, country("BE", "phone"), language("fr", "list", 10), MOBILE],
    ),
    # Moroccan mobile: MA is not accepted, 30 + 10 - 1000 + 10
    Case(
        "karim@atlas.ma", "+212 6 12 34 56 78", None, "fr", None, -950, COLD,
        [country("MA", "phone", -1000), PRO, language("fr", "list", 10), MOBILE],
    ),
    # invalid phone: 30 - 10, FR from .fr +10
    Case("p.durand@acme.fr", "12345", None, None, None, 30, COLD, [PRO, FR_DOMAIN, BAD_PHONE]),
    # .com says nothing; the national mobile gives FR: 30 + 10 + 10
    Case(
        "l.bernard@acme.com", "06 98 76 54 32", None, None, None, 50, WARM,
        [PRO, FR_PHONE, MOBILE],
    ),
    # excluded country and language: 30 + 5 - 1000 - 1000
    Case(
        "hans@firma.de", "+49 30 1234567", None, "de", None, -1965, COLD,
        [country("DE", "phone", -1000), language("de", "list", -1000), PRO, FIXED],
    ),
    # excluded language alone: Swiss mobile, German: 30 + 10 + 10 - 1000
    Case(
        "sophie@acme.ch", "+41 79 123 45 67", None, "de", None, -950, COLD,
        [language("de", "list", -1000), PRO, country("CH", "phone"), MOBILE],
    ),
    # the lead's own column wins over the .fr domain: 30 + CA 10 + en 5
    Case(
        "tom@acme.fr", None, "Canada", "English", None, 45, WARM,
        [PRO, country("CA", "list"), language("en", "list", 5)],
    ),
    # role address, LU from .lu: -20 + 10
    Case("info@acme.lu", None, None, None, None, -10, COLD, [ROLE, country("LU", "e-mail domain")]),
    # role address, .io names no country: -20
    Case("hello@startup.io", None, None, None, None, -20, COLD, [ROLE]),
    # Canadian fixed line: -10 + 5 + 10
    Case("bob@gmail.com", "+1 514 289 6000", None, None, None, 5, COLD, [country("CA", "phone"), FREE, FIXED]),
    # wanadoo.fr is a French ISP mailbox: -10 + 10 + 10
    Case("anne@wanadoo.fr", "+33 7 81 23 45 67", None, None, None, 10, COLD, [FR_PHONE, MOBILE, FREE]),
    # disposable, .com: -100
    Case("x@mailinator.com", None, None, None, None, -100, COLD, [DISPOSABLE]),
    # French role prefix: -20 + 5 + 10
    Case("compta@acme.fr", "01 23 45 67 89", None, None, None, -5, COLD, [ROLE, FR_PHONE, FIXED]),
    Case("rh@acme.fr", None, None, None, None, -10, COLD, [ROLE, FR_DOMAIN]),
    # Monaco mobile: 30 + 10 + 10
    Case(
        "alice@acme.mc", "+377 6 12 34 56 78", None, None, None, 50, WARM,
        [PRO, country("MC", "phone"), MOBILE],
    ),
    # toll-free number: 0 points; 30 + 10
    Case("d.petit@acme.fr", "0 800 123 456", None, None, None, 40, WARM, [PRO, FR_PHONE]),
    # VoIP number: 0 points; 30 + 10
    Case("v.girard@acme.fr", "09 70 12 34 56", None, None, None, 40, WARM, [PRO, FR_PHONE]),
    # a software publisher's French homepage: 30 + 10 + 10 + 10 + 20
    Case(
        "c.roux@editeur.fr", "06 12 34 56 78", None, None,
        Homepage("Éditeur de Logiciels SaaS", "fr-FR"), 80, HOT,
        [PRO, SOFTWARE, FR_PHONE, language("fr", "homepage", 10), MOBILE],
    ),
    # an Italian homepage excludes: 30 + 10 - 1000
    Case(
        "g.bianchi@acme.fr", None, None, None, Homepage("Benvenuti", "it-IT"), -960, COLD,
        [language("it", "homepage", -1000), PRO, FR_DOMAIN],
    ),
    # the lead's language beats the homepage's: 30 + 10 + 10 + en 5
    Case(
        "e.leroy@acme.fr", "06 12 34 56 78", None, "en", Homepage("Startseite", "de"), 55, WARM,
        [PRO, FR_PHONE, MOBILE, language("en", "list", 5)],
    ),
    # Belgian ISP mailbox, Brussels fixed line: -10 + 5 + 10
    Case("luc@skynet.be", "+32 2 555 12 12", None, None, None, 5, COLD, [country("BE", "phone"), FREE, FIXED]),
    # Swiss ISP mailbox, CH from .ch: -10 + 10 + 10
    Case(
        "heidi@bluewin.ch", None, None, "fr", None, 10, COLD,
        [country("CH", "e-mail domain"), language("fr", "list", 10), FREE],
    ),
    # spaces and capitals do not change the class: 30 + 10
    Case("  Jean.Moreau@ACME.FR ", None, None, None, None, 40, WARM, [PRO, FR_DOMAIN]),
    # a shared inbox at a webmail is a shared inbox: -20
    Case("contact@gmail.com", None, None, None, None, -20, COLD, [ROLE]),
    # .us is a country: 30 - 10 - 1000
    Case(
        "joe@acme.us", "555", None, None, None, -980, COLD,
        [country("US", "e-mail domain", -1000), PRO, BAD_PHONE],
    ),
    # an unreadable country column is no country: the Belgian phone gives it
    Case(
        "n.faure@acme.fr", "+32 470 12 34 56", "Somewhere", None, None, 50, WARM,
        [PRO, country("BE", "phone"), MOBILE],
    ),
]  # fmt: skip


@pytest.fixture(scope="module")
def model():
    return parse_model(default_model_text())


@pytest.mark.parametrize("case", CASES, ids=[case.email.strip() for case in CASES])
def test_lead_scores_as_the_model_says(model, case):
    """Each lead's score, tier and explanation are the hand-worked ones."""
    row = LeadRow(case.email, case.phone, case.country, case.language)
    facts = classify_lead(row, default_region="FR", homepage=case.homepage)
    result = score_lead(model, facts)
    assert result.score == case.score
    assert sum(points for _label, points in case.why) == case.score
    assert result.tier == case.tier
    assert [(c.label, c.points) for c in result.contributions] == case.why


def test_the_list_covers_every_class():
    """The hand-worked list holds every e-mail class and the main phone classes."""
    facts = [classify_lead(LeadRow(c.email, c.phone, c.country, c.language), "FR") for c in CASES]
    assert {f.email_class for f in facts} == {
        "disposable", "role", "free", "professional", "invalid"
    }  # fmt: skip
    assert {f.phone_class for f in facts} >= {
        "mobile", "fixed", "toll_free", "voip", "invalid", "missing"
    }  # fmt: skip
    assert {f.phone_region for f in facts} >= {"FR", "BE", "MA"}


def test_contributions_carry_their_reason_and_detail(model):
    """A reader in another language can word each contribution from its detail."""
    facts = classify_lead(LeadRow("karim@atlas.ma", "+212 6 12 34 56 78", None, "fr"), "FR")
    stored = [c.as_dict() for c in score_lead(model, facts).contributions]
    assert stored[0] == {
        "label": "Country MA (from the phone), not accepted",
        "points": -1000,
        "reason": LeadReason.COUNTRY.value,
        "country": "MA",
        "source": "phone",
        "listed": False,
    }
    assert {"email_class": "professional"}.items() <= stored[1].items()


LEAD_MODEL = """[tiers]
warm = 30
hot = 60

[leads.tiers]
warm = 10
hot = 20

[leads.email]
professional = 7

[leads.phone_country]
BE = 3
other = -2

[leads.country]
FR = 1
unknown = -4

[leads.language]
fr = 1
unknown = -1000
"""


def test_unknown_country_and_language_are_model_options():
    """`unknown` gives its own points to a lead without a country or language;
    a phone's country adds the phone_country table's points."""
    model = parse_model(LEAD_MODEL)
    unknown = score_lead(model, classify_lead(LeadRow("a.b@acme.com")))
    assert unknown.score == 7 - 4 - 1000
    assert [(c.label, c.points) for c in unknown.contributions] == [
        ("Language unknown", -1000),
        ("Professional e-mail", 7),
        ("Country unknown", -4),
    ]
    belgian = score_lead(
        model, classify_lead(LeadRow("a.b@acme.com", "+32 470 12 34 56", "FR", "fr"))
    )
    assert belgian.score == 7 + 3 + 1 + 1
    assert belgian.tier == Tier.WARM
    assert ("Phone in BE", 3) in [(c.label, c.points) for c in belgian.contributions]
    moroccan = score_lead(
        model, classify_lead(LeadRow("a.b@acme.com", "+212 6 12 34 56 78", "FR", "fr"))
    )
    assert ("Phone in MA (not listed)", -2) in [(c.label, c.points) for c in moroccan.contributions]
    assert moroccan.score == 7 - 2 + 1 + 1


def test_a_model_without_lead_rules_scores_leads_with_the_default_ones():
    """An organisation's older model file still scores its lead lists."""
    model = parse_model("[tiers]\nwarm = 30\nhot = 60\n")
    assert model.leads is None
    facts = classify_lead(LeadRow("j.dupont@acme.fr", "06 12 34 56 78", None, "fr"), "FR")
    assert score_lead(model, facts).score == 60


def test_the_default_model_has_lead_rules(model):
    """The shipped model excludes every country and language but the accepted ones."""
    rules = model.leads
    assert set(rules.country.points) == {"FR", "BE", "CH", "LU", "MC", "CA"}
    assert rules.country.other == rules.language.other == -1000
    assert set(rules.language.points) == {"fr", "en"}
    assert rules.country.unknown == rules.language.unknown == 0


HEAD = "[tiers]\nwarm = 30\nhot = 60\n"


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ("[leads.email]\nprofesional = 30\n", (6, "leads.email.profesional: unknown key")),
        ("[leads.phone]\nmobile = 10\ninvalid = \"-10\"\n", (7, "leads.phone.invalid: must be a number")),
        (
            "[leads.country]\nFR = 10\nFrance = 10\nother = -1000\n",
            (7, "leads.country.France: must be a country code, other or unknown"),
        ),
        ("[leads.language]\nfr = 10\nother = \"no\"\n", (7, "leads.language.other: must be a number")),
        ("[leads.tiers]\nwarm = 60\nhot = 40\n", (7, "leads.tiers.hot: must be above leads.tiers.warm")),
        ("[leads]\ncountries = 1\n", (6, "leads.countries: unknown key")),
        (
            "[[leads.keyword]]\nwords = \"saas\"\npoints = 20\n",
            (6, "leads.keyword[1].words: must be a list of words"),
        ),
        (
            "[[leads.keyword]]\nwords = [\"saas\"]\npoints = 20\n\n[[leads.keyword]]\nwords = [\"b2b\"]\n",
            (9, "leads.keyword[2].points: required"),
        ),
        ("[leads]\nemail = 3\n", (6, "leads.email: must be a table")),
        ("[leads]\nkeyword = [1]\n", (6, "leads.keyword[1]: must be a table")),
        ("[leads]\nkeyword = 3\n", (6, "leads.keyword: must be [[leads.keyword]] tables")),
    ],
)  # fmt: skip
def test_lead_section_errors_carry_their_line(section, problem):
    """A mistake in the lead rules is reported with the line it is on."""
    with pytest.raises(ModelError) as raised:
        parse_model(HEAD + "\n" + section)
    assert raised.value.problems == [problem]


@pytest.mark.parametrize(
    ("title", "matches"),
    [
        ("Éditeur de LOGICIELS de paie", True),
        ("Acme | SaaS B2B", True),
        ("software-house.fr", True),
        ("Logicielle", True),
        ("Saasy Boutique", False),
        ("Boulangerie Dupont", False),
        ("", False),
        (None, False),
    ],
)
def test_homepage_keywords(model, title, matches):
    """Keywords match whole words, case and accents aside; `logiciel*` a word's start."""
    facts = classify_lead(LeadRow("j.dupont@acme.com"), homepage=Homepage(title, None))
    labels = [c.label for c in score_lead(model, facts).contributions]
    assert ("Software company" in labels) == matches


def test_keyword_phrases_and_accents_in_the_model():
    """A phrase keyword written with accents matches a title written without."""
    model = parse_model(
        HEAD + '[[leads.keyword]]\nwords = ["ressources humaines", "éditeur"]\npoints = 7\n'
    )
    hr = classify_lead(
        LeadRow("a@acme.com"), homepage=Homepage("Paie et Ressources\n Humaines", None)
    )
    assert score_lead(model, hr).score == 7
    other = classify_lead(LeadRow("a@acme.com"), homepage=Homepage("Ressources et humaines", None))
    assert score_lead(model, other).score == 0
    publisher = classify_lead(LeadRow("a@acme.com"), homepage=Homepage("EDITEUR", None))
    assert [(c.label, c.points) for c in score_lead(model, publisher).contributions] == [
        ("Homepage title: ressources humaines, éditeur", 7)
    ]


LEAD_LINES = [
    "[leads]", "[leads.tiers]", "[leads.email]", "[leads.phone]", "[leads.country]",
    "[leads.language]", "[leads.phone_country]", "[[leads.keyword]]", "[leads.email.x]",
    "warm = 10", "hot = 5", "professional = 3", "mobile = true", "FR = 10", "fr = -1000",
    "other = 'x'", "unknown = []", "words = ['saas', 3]", "words = []", "words = 'saas'",
    "points = {a = 1}", "label = 4", "keyword = [1, 'a']", "country = 3", "email = []",
    "France = 1", "tiers = {warm = 'a'}", "leads = 1",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(st.sampled_from(LEAD_LINES), max_size=12))
def test_any_lead_section_is_read_or_refused_with_reasons(lines):
    """Whatever the lead section holds, the model is read or refused, never crashes."""
    text = HEAD + "\n".join(lines) + "\n"
    try:
        parse_model(text)
    except ModelError as error:
        assert error.problems
        assert all(isinstance(message, str) and message for _line, message in error.problems)
