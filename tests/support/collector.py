"""Helpers to talk to the collector like a browser would, from a chosen address."""

from __future__ import annotations

import json

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
ACME_IP = "81.2.69.77"
ORANGE_IP = "90.12.34.56"
AWS_IP = "52.1.2.3"
SITE_KEY = "acmesitekey1"


def send(app, body, ip=ACME_IP, user_agent=CHROME, headers=None, raw=None):
    data = raw if raw is not None else json.dumps(body)
    return app.test_client().post(
        "/e",
        data=data,
        content_type="text/plain",
        headers={"User-Agent": user_agent, **(headers or {})},
        environ_base={"REMOTE_ADDR": ip},
    )


def pageview(**fields):
    return {"site": SITE_KEY, "type": "pageview", "url": "https://shop.example/pricing", **fields}
