"""Lead facts: e-mail classes, phone classes, the lead's country and language
with where they came from, and the company domain that finds the account."""

from __future__ import annotations

import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from enrich.leads import (
    CountrySource,
    EmailClass,
    Homepage,
    LanguageSource,
    LeadRow,
    PhoneClass,
    classify_email,
    classify_lead,
    classify_phone,
    with_homepage,
)

FRENCH_ISPS = (
    "orange.fr wanadoo.fr free.fr sfr.fr neuf.fr laposte.net bbox.fr numericable.fr "
    "club-internet.fr aliceadsl.fr voila.fr"
).split()
OTHER_ISPS = "skynet.be telenet.be bluewin.ch videotron.ca sympatico.ca".split()


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("x@yopmail.fr", EmailClass.DISPOSABLE),
        ("x@yopmail.com", EmailClass.DISPOSABLE),  # on both lists: disposable wins
        ("x@mailinator.com", EmailClass.DISPOSABLE),
        ("contact@acme.fr", EmailClass.ROLE),
        ("Contact+salon@acme.fr", EmailClass.ROLE),
        ("info.paris@acme.fr", EmailClass.ROLE),
        ("sales2@acme.com", EmailClass.ROLE),
        ("no-reply@acme.com", EmailClass.ROLE),
        ("ne-pas-repondre@acme.fr", EmailClass.ROLE),
        ("comptabilité@acme.fr", EmailClass.ROLE),
        ("devis@acme.fr", EmailClass.ROLE),
        ("direction.generale@acme.fr", EmailClass.ROLE),
        ("contact@gmail.com", EmailClass.ROLE),
        ("jean@orange.fr", EmailClass.FREE),
        ("jean.dupont@gmail.com", EmailClass.FREE),
        ("jean@hotmail.fr", EmailClass.FREE),
        ("j.dupont@acme.fr", EmailClass.PROFESSIONAL),
        ("jean.info@acme.fr", EmailClass.PROFESSIONAL),  # a person named before the word
        ("hélène@acme.fr", EmailClass.PROFESSIONAL),
        ("bad@@x", EmailClass.INVALID),
        ("jean@acme", EmailClass.INVALID),
        ("jean.acme.fr", EmailClass.INVALID),
        ("", EmailClass.INVALID),
    ],
)
def test_email_classes(email, expected):
    """Each address falls in the class a marketer would put it in."""
    assert classify_email(email)[1] == expected


@pytest.mark.parametrize("domain", FRENCH_ISPS + OTHER_ISPS)
def test_isp_mailboxes_are_free(domain):
    """French, Belgian, Swiss and Canadian ISP mailboxes are personal, not companies."""
    _email, kind, _domain, company = classify_email(f"marie.curie@{domain}")
    assert (kind, company) == (EmailClass.FREE, None)


def test_address_is_normalised_and_keeps_its_company_domain():
    """Case and spaces do not make two leads; the account key is the registrable domain."""
    assert classify_email("  J.Dupont@Mail.ACME.co.uk ") == (
        "j.dupont@mail.acme.co.uk",
        EmailClass.PROFESSIONAL,
        "mail.acme.co.uk",
        "acme.co.uk",
    )
    assert classify_email("contact@acme.fr")[3] == "acme.fr"
    assert classify_email("x@yopmail.fr")[3] is None
    assert classify_email("Bad@@X ") == ("bad@@x", EmailClass.INVALID, None, None)


@pytest.mark.parametrize(
    ("phone", "region", "expected"),
    [
        ("06 12 34 56 78", "FR", ("+33612345678", PhoneClass.MOBILE, "FR")),
        ("0612345678", "FR", ("+33612345678", PhoneClass.MOBILE, "FR")),
        ("+32 470 12 34 56", "FR", ("+32470123456", PhoneClass.MOBILE, "BE")),
        ("0470 12 34 56", "BE", ("+32470123456", PhoneClass.MOBILE, "BE")),
        ("+212 6 12 34 56 78", None, ("+212612345678", PhoneClass.MOBILE, "MA")),
        ("01 42 68 53 00", "FR", ("+33142685300", PhoneClass.FIXED, "FR")),
        ("+1 514 289 6000", None, ("+15142896000", PhoneClass.FIXED, "CA")),
        ("0 800 123 456", "FR", ("+33800123456", PhoneClass.TOLL_FREE, "FR")),
        ("09 70 12 34 56", "FR", ("+33970123456", PhoneClass.VOIP, "FR")),
        ("08 99 12 34 56", "FR", ("+33899123456", PhoneClass.OTHER, "FR")),
        ("06 12 34 56 78", "BE", (None, PhoneClass.INVALID, None)),  # not Belgian
        ("06 12 34 56 78", None, (None, PhoneClass.INVALID, None)),  # no region to read it
        ("12345", "FR", (None, PhoneClass.INVALID, None)),
        ("call me", "FR", (None, PhoneClass.INVALID, None)),
        ("  ", "FR", (None, PhoneClass.MISSING, None)),
        (None, "FR", (None, PhoneClass.MISSING, None)),
    ],
)
def test_phone_classes(phone, region, expected):
    """A national number is read with the list's default region."""
    assert classify_phone(phone, region) == expected


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (LeadRow("a@acme.com", "+32 470 12 34 56", "France"), ("FR", CountrySource.COLUMN)),
        (LeadRow("a@acme.com", None, "belgique"), ("BE", CountrySource.COLUMN)),
        (LeadRow("a@acme.com", None, "Suisse"), ("CH", CountrySource.COLUMN)),
        (LeadRow("a@acme.com", None, "lu"), ("LU", CountrySource.COLUMN)),
        (LeadRow("a@acme.com", None, "UK"), ("GB", CountrySource.COLUMN)),
        (LeadRow("a@acme.fr", "+32 470 12 34 56", "Atlantis"), ("BE", CountrySource.PHONE)),
        (LeadRow("a@acme.fr", "+212 6 12 34 56 78"), ("MA", CountrySource.PHONE)),
        (LeadRow("a@acme.fr", "12345"), ("FR", CountrySource.EMAIL_DOMAIN)),
        (LeadRow("a@acme.be"), ("BE", CountrySource.EMAIL_DOMAIN)),
        (LeadRow("a@atlas.co.ma"), ("MA", CountrySource.EMAIL_DOMAIN)),
        (LeadRow("a@acme.co.uk"), ("GB", CountrySource.EMAIL_DOMAIN)),
        (LeadRow("a@acme.com"), (None, None)),
        (LeadRow("a@acme.io"), (None, None)),
        (LeadRow("a@acme.eu"), (None, None)),
        (LeadRow("bad@@x"), (None, None)),
    ],
)
def test_country_and_where_it_came_from(row, expected):
    """The lead's column, else the phone's region, else a country-code domain."""
    facts = classify_lead(row, default_region="FR")
    assert (facts.country, facts.country_source) == expected


@pytest.mark.parametrize(
    ("column", "expected"),
    [("fr", "fr"), ("FR", "fr"), ("fr-BE", "fr"), ("fr_CA", "fr"), ("Français", "fr"),
     ("french", "fr"), ("English", "en"), ("Deutsch", None), ("allemand", "de"), ("", None),
     ("??", None)],
)  # fmt: skip
def test_language_column_names(column, expected):
    """A language column may hold a code, a tag or a name in English or French."""
    facts = classify_lead(LeadRow("a@acme.fr", language=column))
    assert facts.language == expected
    assert facts.language_source == (LanguageSource.COLUMN if expected else None)


def test_homepage_gives_the_language_unless_the_lead_has_one():
    """The homepage's language fills a gap; it never overrides the lead's own column."""
    homepage = Homepage("Acme — logiciel de paie", "fr-FR")
    without = classify_lead(LeadRow("a@acme.com"))
    later = with_homepage(without, homepage)
    assert (later.language, later.language_source) == ("fr", LanguageSource.HOMEPAGE)
    assert later.homepage_title == "Acme — logiciel de paie"
    assert classify_lead(LeadRow("a@acme.com"), homepage=homepage) == later
    own = classify_lead(LeadRow("a@acme.com", language="en"), homepage=homepage)
    assert (own.language, own.language_source) == ("en", LanguageSource.COLUMN)
    unknown = with_homepage(without, Homepage("Acme", None))
    assert (unknown.language, unknown.language_source) == (None, None)


@settings(max_examples=300, deadline=None)
@given(email=st.text(max_size=80), phone=st.text(max_size=30), other=st.text(max_size=20))
def test_any_row_gives_facts(email, phone, other):
    """Whatever a list holds, a lead gets facts, never an error."""
    facts = classify_lead(LeadRow(email, phone, other, other), default_region="FR")
    assert facts.email_class in set(EmailClass)
    assert facts.phone_class in set(PhoneClass)


@settings(max_examples=300, deadline=None)
@given(
    address=st.one_of(
        st.emails(),
        st.builds(lambda local, domain: f"{local}@{domain}", st.text(max_size=70), st.emails()),
        st.builds(lambda local: f"{local}@acme.fr", st.text(max_size=70)),
        st.builds(lambda domain: f"j.dupont@{domain}", st.text(max_size=70)),
    )
)
@example("a" * 200 + "@" + "ü" * 40 + ".de")  # short in characters, too long in octets
@example("a@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + "." + "e" * 57 + ".fr")  # 254
@example('"a"@' + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + "." + "e" * 57 + ".fr")
def test_an_address_is_invalid_exactly_when_email_validator_says_so(address):
    """Checking a plain address without email-validator changes no verdict."""
    try:
        validate_email(address.strip(), check_deliverability=False)
        valid = True
    except EmailNotValidError:
        valid = False
    assert (classify_email(address)[1] != EmailClass.INVALID) == valid


@settings(max_examples=300, deadline=None)
@given(
    code=st.sampled_from(["1", "33", "32", "41", "212", "352", "377", "44", "49", "800", "979"]),
    digits=st.text("0123456789", min_size=3, max_size=13),
)
def test_a_phone_is_invalid_exactly_when_phonenumbers_says_so(code, digits):
    """Reading a number's region and type alone changes no verdict of validity."""
    text = f"+{code}{digits}"
    try:
        valid = phonenumbers.is_valid_number(phonenumbers.parse(text))
    except phonenumbers.NumberParseException:
        valid = False
    assert (classify_phone(text)[1] != PhoneClass.INVALID) == valid
