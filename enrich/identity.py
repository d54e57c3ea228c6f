"""Company identity: the stable key that makes one account per company.

The key is the registrable domain when one is known (`www.acme.co.uk` →
`acme.co.uk`, with the public suffix list bundled in tldextract, never fetched),
else the organisation name normalised so that "ACME S.A.S." and "Acme SAS"
meet: `name:acme`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import tldextract

NAME_KEY_PREFIX = "name:"
"""Marks a key built from a name, so it can never equal a domain."""

LEGAL_SUFFIXES = frozenset(
    """
    sa sas sasu sarl eurl sci snc scop gie ag gmbh kg ohg ug ev mbh
    inc incorporated corp corporation co company llc llp lp ltd limited plc
    bv nv vof spa srl sl slu sau oy oyj ab asa as aps kk pty pte bhd
    group holding holdings
    """.split()
)
"""Words dropped from the end of a name: legal forms, in any country."""

_NON_WORD = re.compile(r"[^a-z0-9]+")
_suffix_list = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def fold(text: str) -> str:
    """Lower case, accents removed, anything but letters and digits as one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return _NON_WORD.sub(" ", ascii_text).strip()


def normalise_name(name: str) -> str:
    """The name without case, accents, punctuation, or trailing legal forms.

    `"ACME S.A.S."` → `"acme"`, `"Société Générale SA"` → `"societe generale"`.
    Single letters are joined first, so `S.A.S.` is read as `sas`.
    """
    words = _join_initials(fold(name).split())
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words)


def _join_initials(words: list[str]) -> list[str]:
    joined: list[str] = []
    run = ""
    for word in words:
        if len(word) == 1 and word.isalpha():
            run += word
            continue
        if run:
            joined.append(run)
            run = ""
        joined.append(word)
    if run:
        joined.append(run)
    return joined


@lru_cache(maxsize=65_536)
def registrable_domain(host: str) -> str | None:
    """`www.acme.co.uk` → `acme.co.uk`; None for a public suffix or an invalid host."""
    result = _suffix_list(host.strip().lower().rstrip("."))
    return result.top_domain_under_public_suffix or None


def account_key(domain: str | None, name: str | None) -> str | None:
    """The account key of a company: its registrable domain, else `name:<normalised>`.

    Returns None when neither gives anything usable.
    """
    if domain:
        registrable = registrable_domain(domain)
        if registrable:
            return registrable
    if name:
        normalised = normalise_name(name)
        if normalised:
            return NAME_KEY_PREFIX + normalised
    return None
