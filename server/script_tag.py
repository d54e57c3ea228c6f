"""The ready-to-paste `<script>` tag of a site (SPEC.md "Tracking snippet").

The script it points at is served by `server/tracker_script.py`.
"""

from __future__ import annotations

from html import escape

SNIPPET_PATH = "/v.js"
"""Where the collector serves the tracking script."""


def script_tag(collector_url: str, site_key: str, allow_local: bool = False) -> str:
    """The tag a site pastes into its pages, pointing at `collector_url`;
    `allow_local` adds `data-allow-local`, for testing on one's own machine."""
    src = collector_url.rstrip("/") + SNIPPET_PATH
    local = " data-allow-local" if allow_local else ""
    return f'<script defer{local} data-site="{escape(site_key)}" src="{escape(src)}"></script>'
