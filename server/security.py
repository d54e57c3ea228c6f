"""Secrets at rest: password hashes, API tokens and site keys."""

from __future__ import annotations

import hashlib
import secrets

from werkzeug.security import check_password_hash, generate_password_hash

API_TOKEN_PREFIX = "vigie_"
"""Marks a Vigie API token, so secret scanners and people recognise it."""

SITE_KEY_LENGTH = 12
"""Characters of a public site key."""

_SITE_KEY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


def hash_password(password: str) -> str:
    """A salted, slow hash of `password` (werkzeug's scrypt)."""
    return generate_password_hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


def new_api_token() -> tuple[str, str]:
    """Return (token shown once to the user, its hash to store)."""
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, hash_api_token(token)


def hash_api_token(token: str) -> str:
    """SHA-256 of a token: tokens are long and random, so no salt is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_site_key() -> str:
    """A public, unguessable site key, easy to read aloud (no 0/o, 1/l)."""
    return "".join(secrets.choice(_SITE_KEY_ALPHABET) for _ in range(SITE_KEY_LENGTH))
