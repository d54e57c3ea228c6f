"""Invented company names and domains for the demo dataset.

Names are coined from syllables ("Valmora", "Corvane") or describe a trade in
a city ("Atelier Numérique Lyon"), in the language of the company's country.
They are made up; any likeness to a real company is a coincidence, and the
domains are never contacted (the demo resolves addresses in-process only).
"""

from __future__ import annotations

import itertools
import random
import re
import unicodedata
from dataclasses import dataclass

_HEADS = (
    "Al", "Ar", "Bel", "Bra", "Cal", "Cor", "Dal", "Del", "El", "Fal", "Gal", "Hel", "Is",
    "Kal", "Ker", "Lan", "Lor", "Mal", "Nor", "Or", "Pal", "Quar", "Ral", "Sal", "Ser",
    "Tal", "Ter", "Val", "Ver", "Zan",
)  # fmt: skip
_TAILS = (
    "vane", "mora", "vix", "dane", "thys", "leo", "valis", "doria", "tence", "vade",
    "neris", "diva", "vora", "deon", "vance", "venne",
)  # fmt: skip
_AVOIDED = frozenset({"Arvalis", "Servane", "Verdane", "Dalleo", "Palleo", "Talleo"})
"""Coinages that read as an existing name or word."""

STEMS = tuple(
    head + tail for head, tail in itertools.product(_HEADS, _TAILS) if head + tail not in _AVOIDED
)
"""Brand-like coined words, one per company at most."""

LANGUAGES = {
    "FR": "fr", "BE": "fr", "CH": "fr", "LU": "fr", "MC": "fr", "CA": "fr",
    "DE": "de", "GB": "en", "US": "en", "ES": "es",
}  # fmt: skip
"""The language a company of each country is named in."""

TRADE_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "fr": {
        "Software": ("Logiciels", "Numérique", "Data", "Systèmes", "Digital"),
        "Information Technology": ("Informatique", "Infogérance", "Réseaux"),
        "Consulting": ("Conseil", "Partners", "Stratégie", "Associés"),
        "Telecommunications": ("Télécom", "Connect"),
        "Internet": ("Web", "Online"),
        "Retail": ("Distribution", "Commerce", "Boutiques"),
        "Manufacturing": ("Industrie", "Mécanique", "Plasturgie", "Usinage", "Composants"),
        "Financial Services": ("Finance", "Gestion", "Capital", "Assurances"),
        "Logistics": ("Logistique", "Transports", "Fret"),
        "Healthcare": ("Santé", "Médical"),
        "Construction": ("Bâtiment", "Construction", "Travaux"),
        "Energy": ("Énergie", "Solaire"),
        "Food & Beverage": ("Saveurs", "Agro"),
    },
    "de": {
        "Software": ("Software", "Digital"),
        "Information Technology": ("IT-Service", "Systemhaus"),
        "Consulting": ("Beratung", "Consulting"),
        "Telecommunications": ("Telekommunikation",),
        "Internet": ("Online",),
        "Retail": ("Handel", "Warenhaus"),
        "Manufacturing": ("Maschinenbau", "Werkzeugbau", "Antriebstechnik"),
        "Financial Services": ("Finanz", "Vermögen"),
        "Logistics": ("Logistik", "Spedition"),
        "Healthcare": ("Medizintechnik",),
        "Construction": ("Bau",),
        "Energy": ("Energie",),
        "Food & Beverage": ("Feinkost",),
    },
    "en": {
        "Software": ("Software", "Labs", "Analytics"),
        "Information Technology": ("IT Services", "Systems"),
        "Consulting": ("Consulting", "Advisory", "Partners"),
        "Telecommunications": ("Telecom",),
        "Internet": ("Online", "Digital"),
        "Retail": ("Retail", "Stores"),
        "Manufacturing": ("Manufacturing", "Engineering", "Components"),
        "Financial Services": ("Capital", "Finance"),
        "Logistics": ("Logistics", "Freight"),
        "Healthcare": ("Health", "Medical"),
        "Construction": ("Builders",),
        "Energy": ("Energy", "Power"),
        "Food & Beverage": ("Foods",),
    },
    "es": {
        "Software": ("Software", "Digital"),
        "Information Technology": ("Sistemas",),
        "Consulting": ("Consultores",),
        "Telecommunications": ("Telecom",),
        "Internet": ("Online",),
        "Retail": ("Comercial",),
        "Manufacturing": ("Industrial",),
        "Financial Services": ("Finanzas",),
        "Logistics": ("Logística",),
        "Healthcare": ("Salud",),
        "Construction": ("Construcciones",),
        "Energy": ("Energía",),
        "Food & Beverage": ("Alimentación",),
    },
}
"""Words naming a trade, per language and industry."""

TRADES_IN_CITY: dict[str, tuple[str, ...]] = {
    "Software": ("Atelier Numérique", "Fabrique Logicielle", "Studio Data"),
    "Information Technology": ("Services Informatiques", "Réseaux et Systèmes"),
    "Consulting": ("Cabinet Conseil", "Bureau d'Études"),
    "Retail": ("Comptoir", "Grand Bazar"),
    "Manufacturing": ("Mécanique de Précision", "Tôlerie Industrielle", "Forges et Fonderies"),
    "Financial Services": ("Gestion Patrimoniale",),
    "Logistics": ("Entrepôts", "Transports Express"),
    "Construction": ("Bâtisseurs", "Charpentes"),
    "Food & Beverage": ("Conserverie", "Brasserie Artisanale"),
}
"""French names of trades that read well followed by a city."""

LEGAL_FORMS = {
    "FR": ("SAS", "SA", "SARL", ""),
    "BE": ("SA", "SRL", "NV", ""),
    "CH": ("SA", "AG", "Sàrl", ""),
    "LU": ("SA", "Sàrl", ""),
    "MC": ("SAM", ""),
    "CA": ("Inc.", "ltée", ""),
    "DE": ("GmbH", "AG", "GmbH & Co. KG"),
    "GB": ("Ltd", "plc", ""),
    "US": ("Inc.", "LLC", "Corp."),
    "ES": ("S.L.", "S.A."),
}
"""Legal forms by country; an empty one leaves the name bare."""

TOP_LEVEL = {"GB": "co.uk", "US": "com"}
"""Where a company's domain does not end in its country code."""

CITY_WORD_SHARE = 0.2
"""Share of French-speaking companies named after a trade and a city."""


@dataclass(frozen=True)
class CompanyName:
    name: str
    domain: str


def slug(text: str) -> str:
    """`"Atelier Numérique Lyon"` → `"atelier-numerique-lyon"`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def tld(country: str) -> str:
    return TOP_LEVEL.get(country, country.lower())


class NameMaker:
    """Hand out company names and domains, never the same twice."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.stems = list(STEMS)
        rng.shuffle(self.stems)
        self.taken: set[str] = set()

    def make(self, industry: str, country: str, city: str) -> CompanyName:
        language = LANGUAGES.get(country, "en")
        if language == "fr" and industry in TRADES_IN_CITY and self.rng.random() < CITY_WORD_SHARE:
            trade = self.rng.choice(TRADES_IN_CITY[industry])
            name = f"{trade} {city}"
            if slug(name) not in self.taken:
                return self._claim(name, f"{slug(name)}.{tld(country)}")
        stem = self.stems.pop()
        trade = self.rng.choice(TRADE_WORDS[language][industry])
        form = self.rng.choice(LEGAL_FORMS.get(country, ("",)))
        name = f"{stem} {trade}" + (f" {form}" if form else "")
        return self._claim(name, f"{slug(f'{stem} {trade}')}.{tld(country)}")

    def _claim(self, name: str, domain: str) -> CompanyName:
        self.taken.add(domain.split(".", 1)[0])
        return CompanyName(name, domain)
