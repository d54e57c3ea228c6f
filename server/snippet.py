"""The ready-to-paste `<script>` tag of a site (SPEC.md "Tracking snippet")."""

from __future__ import annotations

from html import escape

SNIPPET_PATH = "/v.js"
"""Where the collector serves the tracking script."""


def script_tag(collector_url: str, site_key: str) -> str:
    """The tag a site pastes into its pages, pointing at `collector_url`."""
    src = collector_url.rstrip("/") + SNIPPET_PATH
    return f'<script defer data-site="{escape(site_key)}" src="{escape(src)}"></script>'
