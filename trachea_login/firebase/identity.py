"""What a verified Firebase ID token says about the caller, and the checks on its shape."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from ..identifiers import normalise_identifier
from ..methods import PHONE_METHOD
from ..phone_numbers import is_e164
from ..strict_json import loads
from .errors import invalid_token

MAX_TOKEN_BYTES = 8 * 1024
"""Longer tokens are refused without calling Firebase (real ID tokens are about 1 KiB)."""

CLOCK_SKEW_SECONDS = 10
"""Tolerance for ``iat``/``exp`` between our clock and Firebase's."""

_PROVIDER_NAMES: dict[str, str] = {
    "google.com": "google",
    "apple.com": "apple",
    "facebook.com": "facebook",
    "password": "password",
    "phone": PHONE_METHOD,
}


@dataclass(frozen=True)
class FirebaseIdentity:
    """What a verified Firebase ID token says about the caller.

    ``provider`` is the sign-in method name the rest of trachea-login uses
    (see :func:`map_provider`); ``sign_in_provider`` the raw ``firebase.sign_in_provider``
    claim. ``email`` is normalised (NFKC, case-folded), and ``email_verified`` is true only
    when Firebase says so for that email. ``phone_number`` is E.164 or ``None`` (a number in
    any other form is dropped). ``claims`` is the full verified payload.
    """

    uid: str
    provider: str
    sign_in_provider: str
    email: str | None
    email_verified: bool
    name: str | None
    picture: str | None
    phone_number: str | None
    claims: dict[str, Any]

    @property
    def verified_phone(self) -> str | None:
        """The number this sign-in proved by SMS (a ``phone`` sign-in), else ``None``."""
        return self.phone_number if self.provider == PHONE_METHOD else None


def map_provider(sign_in_provider: str) -> str:
    """The method name for a Firebase ``sign_in_provider`` claim.

    ``google.com``, ``apple.com``, ``facebook.com``, ``password`` and ``phone`` become
    ``google``, ``apple``, ``facebook``, ``password`` and ``phone``. Anything else
    (``anonymous``, ``custom``, ``oidc.*``, ``saml.*``, ``github.com`` ...) is returned
    unchanged, so an app may allow it by that exact name; the caller enforces
    ``allowed_auth_methods``.
    """
    return _PROVIDER_NAMES.get(sign_in_provider, sign_in_provider)


def check_shape(id_token: object) -> None:
    """Refuse, without calling Firebase, what cannot be a Firebase ID token.

    A compact JWT is three base64url segments, the first two JSON objects. Checking that here
    also keeps odd inputs (a JSON array as payload ...) from surfacing as unexpected errors
    deep inside firebase_admin.
    """
    if not isinstance(id_token, str) or not id_token.strip():
        raise invalid_token()
    if len(id_token) > MAX_TOKEN_BYTES or not id_token.isascii():
        raise invalid_token()
    parts = id_token.split(".")
    if len(parts) != 3:
        raise invalid_token()
    for segment in parts[:2]:
        try:
            # strict_json: 8 KiB of "[[[[" would be a RecursionError in json.loads.
            decoded = loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
        except (ValueError, binascii.Error):  # JSONRefused is a ValueError
            raise invalid_token() from None
        if not isinstance(decoded, dict):
            raise invalid_token()


def identity_from_claims(claims: Any, *, now: float) -> FirebaseIdentity:
    """Build the identity from verified claims, re-checking what the emulator mode skips.

    In emulator mode firebase_admin checks neither the signature nor ``exp``/``iat``; the
    time checks are repeated here for every mode.
    """
    if not isinstance(claims, dict):
        raise invalid_token()
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, (int, float)) or not isinstance(iat, (int, float)):
        raise invalid_token()
    if not _is_number(exp) or not _is_number(iat):  # bools are ints
        raise invalid_token()
    if exp + CLOCK_SKEW_SECONDS < now or iat - CLOCK_SKEW_SECONDS > now:
        raise invalid_token()
    uid = claims.get("uid") or claims.get("sub")
    firebase_claim = claims.get("firebase")
    sign_in_provider = (
        firebase_claim.get("sign_in_provider") if isinstance(firebase_claim, dict) else None
    )
    if not isinstance(uid, str) or not uid or not isinstance(sign_in_provider, str):
        raise invalid_token()
    if not sign_in_provider:
        raise invalid_token()
    email = _text(claims.get("email"))
    email = normalise_identifier(email) if email else None
    provider = map_provider(sign_in_provider)
    return FirebaseIdentity(
        uid=uid,
        provider=provider,
        sign_in_provider=sign_in_provider,
        email=email,
        email_verified=email is not None and claims.get("email_verified") is True,
        name=_text(claims.get("name")),
        picture=_text(claims.get("picture")),
        phone_number=_phone_number(claims.get("phone_number"), provider),
        claims=claims,
    )


def _phone_number(value: object, provider: str) -> str | None:
    """The token's phone number in E.164 form, or ``None``.

    A phone sign-in is about its number: without one in E.164 form the token is not one
    Firebase issues (real Firebase normalises numbers; the emulator stores what it is sent),
    so it is refused. Other sign-ins merely carry a linked number: one in another form is
    dropped rather than stored where every number is E.164.
    """
    if is_e164(value):
        return str(value)
    if provider == PHONE_METHOD:
        raise invalid_token()
    return None


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _text(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None
