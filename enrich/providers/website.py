"""Company website facts, pure part: a homepage's HTML in, its title and language out.

A professional lead's e-mail domain is its company's; the company's homepage
says what the company does (its `<title>`, read by the model's keyword rules)
and in which language it speaks to its customers (`<html lang>`, else the
language detected on the page's visible text). The fetching is the server's
(`server/leads/websites.py`, through the guarded client); this module does no
IO: it reads bytes it is given, decides what `robots.txt` allows and names the
user agent the fetcher must send.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from typing import Protocol
from urllib.robotparser import RobotFileParser

ROBOTS_NAME = "Vigie"
"""The name `robots.txt` rules address (`User-agent: Vigie`)."""

MAX_TITLE = 300
"""Characters of a title kept (the model's keyword rules read it)."""

TEXT_SAMPLE = 4_000
"""Characters of visible text kept to detect a language on."""

MIN_DETECTION_TEXT = 40
"""Fewer visible characters than this say nothing reliable of a language."""

MIN_CONFIDENCE = 0.8
"""Probability below which a detected language is not believed."""

HIDDEN_ELEMENTS = frozenset({"script", "style", "noscript", "template", "svg", "head"})
"""Elements whose text a visitor never reads."""

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class HomepageFacts:
    """What a homepage says of its company."""

    title: str | None
    html_lang: str | None
    """The `lang` of the `<html>` element as written (`fr-FR`), when well-formed."""
    detected_language: str | None
    """The ISO 639-1 code detected on the visible text (`fr`), when confident."""
    text_sample: str
    """The start of the visible text, spaces folded."""

    @property
    def language(self) -> str | None:
        """The page's own declaration first, else what was detected."""
        return self.html_lang or self.detected_language


def user_agent(version: str, info_url: str | None) -> str:
    """The `User-Agent` the fetcher sends: Vigie by name, with the page that
    tells a site's owner who is fetching and why, when the operator has one."""
    about = f"+{info_url}; " if info_url else ""
    return f"Mozilla/5.0 (compatible; {ROBOTS_NAME}/{version}; {about}company website facts)"


def robots_allow(robots_text: str, url: str) -> bool:
    """Whether `robots.txt` (its text) lets Vigie fetch `url`."""
    parser = RobotFileParser()
    parser.parse(robots_text.splitlines())
    return parser.can_fetch(ROBOTS_NAME, url)


def decode_html(body: bytes, header_charset: str | None) -> str:
    """The page's text: the charset the HTTP header names, else the one a
    `<meta>` of the page's start names, else UTF-8; bytes that do not decode
    are replaced, never raised on."""
    for charset in (header_charset, _meta_charset(body)):
        if charset:
            try:
                return body.decode(charset, errors="replace")
            except LookupError:
                continue  # a charset Python does not know: try the next guess
    return body.decode("utf-8", errors="replace")


def _meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:4096])
    return match.group(1).decode("ascii") if match else None


def parse_homepage(html: str) -> HomepageFacts:
    """The title, declared language, detected language and text sample of a page.

    Never raises on the page's content: a page with no title or no text gives
    None for what it lacks.
    """
    reader = _HomepageReader()
    reader.feed(html)
    reader.close()
    title = _SPACES.sub(" ", "".join(reader.title_parts)).strip()[:MAX_TITLE] or None
    text = _SPACES.sub(" ", " ".join(reader.text_parts)).strip()[:TEXT_SAMPLE]
    lang = (reader.lang or "").strip()
    return HomepageFacts(
        title=title,
        html_lang=lang if _LANGUAGE_TAG.match(lang) else None,
        detected_language=detect_language(f"{title or ''} {text}"),
        text_sample=text,
    )


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of `text`'s language, or None when the text is too
    short or the detector not confident enough."""
    text = text.strip()
    if len(text) < MIN_DETECTION_TEXT:
        return None
    language, confidence = _identifier().classify(text)
    return language if confidence >= MIN_CONFIDENCE and len(language) == 2 else None


class _LanguageClassifier(Protocol):
    """What is used of py3langid's `LanguageIdentifier` (the library ships no type hints)."""

    def classify(self, text: str) -> tuple[str, float]: ...


@lru_cache(maxsize=1)
def _identifier() -> _LanguageClassifier:
    """py3langid's model, loaded once, with probabilities normalised."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier: _LanguageClassifier = LanguageIdentifier.from_model_file(
        MODEL_FILE, norm_probs=True
    )
    return identifier


class _HomepageReader(HTMLParser):
    """Collects the first `<title>`, the `<html lang>` and the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.title_parts: list[str] = []
        self.text_parts: list[str] = []
        self._in_title = False
        self._title_done = False
        self._hidden = 0
        self._text_length = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html" and self.lang is None:
            self.lang = dict(attrs).get("lang")
        elif tag == "title" and not self._title_done:
            self._in_title = True
        elif tag in HIDDEN_ELEMENTS:
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._in_title:
            self._in_title, self._title_done = False, True
        elif tag in HIDDEN_ELEMENTS and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
        elif not self._hidden and self._text_length < TEXT_SAMPLE:
            self.text_parts.append(data)
            self._text_length += len(data)
