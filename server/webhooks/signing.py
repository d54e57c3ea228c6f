"""The signature of a webhook delivery, a scheme in the style of Stripe's.

    Vigie-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">

keyed with the subscription's secret. The receiver recomputes it over the raw
body it received and refuses a timestamp too old (README: "Verifying a delivery").
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "Vigie-Signature"
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh subscription secret (shown once to the admin who made it)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header's value for `body` sent at `timestamp`."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
