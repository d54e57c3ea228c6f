"""Headless Chromium (Debian's `chromium`) driven by Playwright, loopback only."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.support.services import service_missing

CHROMIUM = os.environ.get("VIGIE_TEST_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
DESKTOP_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
"""A browser's user agent: headless Chromium's own says HeadlessChrome, which Vigie drops."""

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Browser-wide, so beacons sent while a page unloads carry it too.
    f"--user-agent={DESKTOP_CHROME}",
]


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        service_missing("Playwright", error)
    if not os.path.exists(CHROMIUM):
        service_missing("Chromium", FileNotFoundError(CHROMIUM))
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def context(browser):
    """A fresh browser profile that can only reach loopback."""
    context = browser.new_context(user_agent=DESKTOP_CHROME)
    context.route("**/*", _loopback_only)
    yield context
    context.close()


def _loopback_only(route):
    url = route.request.url
    if url.startswith(("http://127.0.0.1", "http://localhost", "about:", "data:")):
        route.continue_()
    else:
        route.abort()
