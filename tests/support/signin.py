"""Sign in to a running Vigie over HTTP, as a browser would: the login form's
CSRF token, then the form posted with the session cookie."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request

CSRF_TOKEN = re.compile(r'name="(?:[a-z]+-)?csrf_token" type="hidden" value="([^"]+)"')


def signs_in(base_url: str, email: str, password: str) -> bool:
    """Whether `email` and `password` open a session on the server at `base_url`."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with opener.open(base_url + "/login", timeout=10) as response:
        token = CSRF_TOKEN.search(response.read().decode())
    assert token, "the login page has no CSRF token"
    form = {"email": email, "password": password, "csrf_token": token.group(1)}
    data = urllib.parse.urlencode(form).encode()
    with opener.open(base_url + "/login", data=data, timeout=10) as response:
        # Signed in, the form redirects away from /login; refused, it is shown again.
        return urllib.parse.urlsplit(response.url).path != "/login"
