"""Company website facts, pure part: a homepage's title and language, robots.txt,
the charset, and the user agent Vigie names itself with."""

from __future__ import annotations

from enrich.providers.website import (
    decode_html,
    detect_language,
    parse_homepage,
    robots_allow,
    user_agent,
)


def test_the_title_and_the_declared_language_are_read():
    """The first `<title>` with its spaces folded and entities decoded; `<html lang>` as written."""
    facts = parse_homepage(
        '<html lang="fr-BE"><head><title>\n  Dupont &amp; Fils\n  – Logiciels </title></head>'
        "<body><svg><title>icon</title></svg><p>Bonjour</p></body></html>"
    )
    assert facts.title == "Dupont & Fils – Logiciels"
    assert facts.html_lang == "fr-BE" and facts.language == "fr-BE"


def test_the_language_is_detected_on_the_visible_text_only():
    """Scripts and styles are not read; a page in German is found German."""
    facts = parse_homepage(
        "<html><head><title>Start</title><style>.hello { color: red }</style></head><body>"
        "<script>const message = 'hello world, this is English text';</script>"
        "<p>Wir entwickeln Software für die Lohnabrechnung kleiner und mittlerer Unternehmen "
        "in ganz Deutschland und Österreich.</p></body></html>"
    )
    assert facts.html_lang is None
    assert facts.detected_language == "de" and facts.language == "de"
    assert "const message" not in facts.text_sample and ".hello" not in facts.text_sample


def test_too_little_text_says_no_language():
    """A page of a few words gets no detected language rather than a guess."""
    assert detect_language("Accueil") is None
    assert parse_homepage("<html><title>Home</title></html>").language is None


def test_a_malformed_lang_attribute_is_ignored():
    """`lang` that is no language tag is not believed."""
    assert parse_homepage('<html lang="{{ locale }}"><title>x</title></html>').html_lang is None


def test_a_page_without_html_structure_never_raises():
    """Broken markup gives what it can."""
    facts = parse_homepage("<title>Only a title<p>and <b>unclosed")
    assert facts.title.startswith("Only a title") and facts.language is None


def test_robots_txt_rules_for_vigie_and_for_everyone():
    """A disallow for Vigie or for all stops the fetch; one for another bot does not."""
    home = "https://acme.fr/"
    assert not robots_allow("User-agent: Vigie\nDisallow: /\n", home)
    assert not robots_allow("User-agent: *\nDisallow: /\n", home)
    assert robots_allow("User-agent: GPTBot\nDisallow: /\n", home)
    assert robots_allow("User-agent: *\nDisallow: /admin/\n", home)
    assert robots_allow("", home)


def test_the_charset_comes_from_the_header_then_the_meta():
    """A Windows-1252 page says so in its header or its `<meta>`; accents survive."""
    body = '<meta charset="windows-1252"><title>Société générale</title>'.encode("cp1252")
    assert parse_homepage(decode_html(body, None)).title == "Société générale"
    assert "Société" in decode_html("<title>Société</title>".encode("latin-1"), "iso-8859-1")
    assert "Soci" in decode_html(body, "no-such-charset")


def test_the_user_agent_names_vigie_and_where_to_read_about_it():
    """Site owners see who fetches and can address robots.txt rules to `Vigie`."""
    agent = user_agent("0.1", "https://vigie.acme.com")
    assert "Vigie/0.1" in agent and "+https://vigie.acme.com" in agent
