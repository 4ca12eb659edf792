"""Verifying an access token: the one check shared by ``TracheaLogin`` and ``RemoteVerifier``.

What a token must be (contract §4, §8; RFC 8725, RFC 9068, RFC 7519):

- a compact JWS whose header is a JSON object with ``typ`` ``at+jwt``, a string ``alg``, no
  ``crit`` (RFC 7515 §4.1.11: we understand no extension), and at most a string ``kid``. Other
  header fields (``jku``, ``jwk``, ``x5u`` ...) are never read;
- signed with the one configured key its ``kid`` names (no ``kid``: the current key), by that
  key's algorithm: the header's ``alg`` must equal it, never choose it;
- with ``iss`` and ``aud`` (a single string) naming us, string ``sub`` and ``jti``, NumericDate
  ``iat`` and ``exp`` (integers: not floats, strings or booleans), and ``nbf``/``auth_time``
  integers when present; ``iat``, ``nbf`` and ``auth_time`` no later than now plus
  :data:`CLOCK_SKEW_SECONDS`;
- and not expired (``exp`` before now is ``TOKEN_EXPIRED``; anything else is
  ``INVALID_TOKEN``). Expiry is judged last: an invalid token is never told to refresh.

"Now" is given by the caller (from its clock). PyJWT does the signature; the claims are checked
here, so every check is ours and the same for every caller.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jwt import api_jws

from .errors import ErrorCode, TracheaError
from .keys import VerificationKey

ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - a media type, not a secret
#: How far another server's clock may run ahead of ours (docs/decisions.md).
CLOCK_SKEW_SECONDS = 5
#: Our tokens are about 500 characters; anything far longer is refused before parsing.
MAX_TOKEN_LENGTH = 8192
#: String claims every access token has (user and, later, service tokens alike).
STRING_CLAIMS = ("iss", "aud", "sub", "jti")
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")

KeyLookup = Callable[[str | None], VerificationKey | None]


@dataclass(frozen=True)
class Expected:
    """Whom a token must be for: ``aud`` (= the app id) and ``iss``."""

    audience: str
    issuer: str


@dataclass(frozen=True)
class TokenHeader:
    """The two header fields that matter: the algorithm claimed and the key named."""

    alg: str
    kid: str | None


def invalid() -> TracheaError:
    return TracheaError(ErrorCode.INVALID_TOKEN)


def read_header(token: str) -> TokenHeader:
    """The token's header, checked: ``typ`` ``at+jwt``, no ``crit``, string ``alg``/``kid``.

    The signature is not checked here: nothing read is trusted beyond choosing which configured
    key to try.
    """
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
        raise invalid()
    segment = token[: token.index(".")]
    if not _SEGMENT.fullmatch(segment) or len(segment) % 4 == 1:
        raise invalid()
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        raise invalid() from None
    if not isinstance(header, dict) or header.get("typ") != ACCESS_TOKEN_TYPE or "crit" in header:
        raise invalid()
    alg, kid = header.get("alg"), header.get("kid")
    if not isinstance(alg, str) or ("kid" in header and not (isinstance(kid, str) and kid)):
        raise invalid()
    return TokenHeader(alg=alg, kid=kid)


def _numeric_date(claims: dict[str, Any], name: str, *, required: bool) -> int | None:
    if name not in claims and not required:
        return None
    value = claims.get(name)
    if type(value) is not int:  # bool is an int subclass; floats and strings are not dates here
        raise invalid()
    return value


def check_claims(claims: Any, expected: Expected, now: int) -> dict[str, Any]:
    """The registered claims of an access token (see the module docstring); returns them."""
    if not isinstance(claims, dict):
        raise invalid()
    if any(not isinstance(claims.get(name), str) or not claims[name] for name in STRING_CLAIMS):
        raise invalid()
    if claims["iss"] != expected.issuer or claims["aud"] != expected.audience:
        raise invalid()
    expires = _numeric_date(claims, "exp", required=True)
    latest = now + CLOCK_SKEW_SECONDS
    for name, required in (("iat", True), ("nbf", False), ("auth_time", False)):
        moment = _numeric_date(claims, name, required=required)
        if moment is not None and moment > latest:
            raise invalid()
    assert expires is not None
    if expires < now:
        raise TracheaError(ErrorCode.TOKEN_EXPIRED)
    return claims


def verify_with_key(
    token: str, header: TokenHeader, key: VerificationKey | None, expected: Expected, now: int
) -> dict[str, Any]:
    """The verified claims of ``token`` checked with ``key`` (``None``: its ``kid`` names no
    configured key, 401)."""
    if key is None or header.alg != key.algorithm:
        raise invalid()
    try:
        decoded = api_jws.decode_complete(token, key.key, algorithms=[key.algorithm])
        claims = json.loads(decoded["payload"])
    except Exception:  # noqa: BLE001 - any failure to verify or decode is the client's bad token
        raise invalid() from None
    return check_claims(claims, expected, now)


def verify_token(token: str, lookup: KeyLookup, expected: Expected, now: int) -> dict[str, Any]:
    """Verify ``token`` against the keys of ``lookup`` and return its claims.

    Raises ``TracheaError``: ``TOKEN_EXPIRED`` for a token that is valid but expired,
    ``INVALID_TOKEN`` for anything else.
    """
    header = read_header(token)
    return verify_with_key(token, header, lookup(header.kid), expected, now)


__all__ = [
    "ACCESS_TOKEN_TYPE",
    "CLOCK_SKEW_SECONDS",
    "Expected",
    "KeyLookup",
    "TokenHeader",
    "check_claims",
    "read_header",
    "verify_token",
    "verify_with_key",
]
