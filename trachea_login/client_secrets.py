"""Service-client secrets: how they are made, stored and checked (contract §10).

A client secret is 256 random bits drawn by us (:func:`generate_client_secret`), never chosen
by a person. Nothing can guess it and no dictionary holds it, so what makes a slow hash
(bcrypt) necessary for passwords buys nothing here: brute-forcing one SHA-256 preimage of a
256-bit value is out of reach however fast each try is. A fast digest keeps ``POST
/auth/token`` at the cost of a few database calls instead of one bcrypt check (about 300 ms of
CPU at cost 12), which would make every token request a denial-of-service lever. The stored
form is ``sha256$`` and the hex digest; the check compares in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

#: The stored form's prefix (a future scheme gets another one).
DIGEST_PREFIX = "sha256$"
#: What an unknown client's secret is compared with: the same work as a known client's.
_NO_CLIENT = DIGEST_PREFIX + "0" * 64


def generate_client_secret() -> str:
    """A new client secret: 256 random bits, URL-safe (43 characters, nothing to escape in
    HTTP Basic)."""
    return secrets.token_urlsafe(32)


def digest_client_secret(secret: str) -> str:
    """The stored form of ``secret``."""
    return DIGEST_PREFIX + hashlib.sha256(secret.encode("utf-8")).hexdigest()


def client_secret_matches(secret: str, stored: str | None) -> bool:
    """Whether ``secret`` is the one stored as ``stored`` (``None``: no such client; the same
    comparison is made, and it never matches)."""
    expected = stored if stored is not None else _NO_CLIENT
    matches = hmac.compare_digest(digest_client_secret(secret), expected)
    return matches and stored is not None
