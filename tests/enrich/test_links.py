"""Links from outside sources: http(s) URLs with a host are kept, anything else dropped."""

from __future__ import annotations

import pytest

from enrich.links import web_url, with_web_links
from enrich.providers import Contact, Firmographics


@pytest.mark.parametrize(
    "url",
    [
        "https://www.linkedin.com/company/acme",
        "http://acme.example/about?x=1#team",
        "HTTPS://ACME.EXAMPLE",
        "https://[2001:db8::1]:8443/",
    ],
)
def test_web_urls_are_kept(url):
    assert web_url(url) == url
    assert web_url(f"  {url}\n") == url  # surrounding blanks only are trimmed


@pytest.mark.parametrize(
    "value",
    [
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "<img src=x onerror=alert(1)>",
        "//evil.example/path",
        "https:///no-host",
        "https://acme.example/\x00",
        "https://acme.example/a b",
        "http://[::1",
        "ftp://acme.example/",
        "",
        None,
        42,
    ],
)
def test_anything_else_is_not_a_link(value):
    assert web_url(value) is None


def test_an_answer_keeps_only_web_links():
    answer = Firmographics(
        name="Acme",
        linkedin_url="javascript:alert(1)",
        extra={"website": "data:text/html,x", "logo": "javascript:x", "tagline": "Hi"},
        contacts=(
            Contact(name="Ann", profile_url="javascript:alert(1)"),
            Contact(name="Bob", profile_url="https://www.linkedin.com/in/bob"),
        ),
    )
    kept = with_web_links(answer)
    assert kept.name == "Acme" and kept.linkedin_url is None
    assert dict(kept.extra) == {"logo": "javascript:x", "tagline": "Hi"}  # not a link field
    assert [c.profile_url for c in kept.contacts] == [None, "https://www.linkedin.com/in/bob"]
    good = Firmographics(linkedin_url="https://linkedin.com/company/acme")
    assert with_web_links(good) == good
