"""CRM secrets (tokens, client secrets) encrypted at rest.

Fernet (AES-128-CBC with an HMAC-SHA256) under a key derived from
`VIGIE_SECRET_KEY` by HKDF, so a database dump alone does not give the tokens
away. Changing the secret key makes stored secrets unreadable: the
Integrations page then asks for them again. Only the last four characters of
a secret (`hint`) are ever shown.
"""

from __future__ import annotations

import base64
import json

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_INFO = b"vigie crm secrets v1"
"""HKDF context: the derived key serves CRM secrets and nothing else."""

HINT_LENGTH = 4


class SecretUnreadable(Exception):
    """The stored secrets were encrypted under another secret key."""


def fernet(secret_key: str) -> Fernet:
    """The cipher for `secret_key` (the app's `SECRET_KEY`)."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(secret_key: str, secrets: dict[str, str]) -> bytes:
    """The secrets, encrypted."""
    return fernet(secret_key).encrypt(json.dumps(secrets, sort_keys=True).encode())


def unseal(secret_key: str, sealed: bytes | None) -> dict[str, str]:
    """The secrets `seal` encrypted; empty for none.

    :raise SecretUnreadable: when they were sealed under another key.
    """
    if not sealed:
        return {}
    try:
        return json.loads(fernet(secret_key).decrypt(sealed))
    except InvalidToken:
        raise SecretUnreadable("the secret key changed: enter the CRM secrets again") from None


def hint(secret: str) -> str:
    """What may be shown of a secret: its last four characters, and nothing of
    one too short to spare them (eight characters or fewer)."""
    return secret[-HINT_LENGTH:] if len(secret) > 2 * HINT_LENGTH else ""
