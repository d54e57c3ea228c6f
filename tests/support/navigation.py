"""Following the dashboard's navigation in a browser, as a user does: the
administration links sit in a menu that opens on a click."""

from __future__ import annotations

from typing import Any


def click_nav(page: Any, label: str) -> None:
    """Click the navigation link named `label`, opening the administration menu first if it holds it."""
    link = page.locator("nav a", has_text=label).first
    if not link.is_visible():
        page.click("nav details.menu summary")
    link.click()
