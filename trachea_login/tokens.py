"""Access tokens: signing, strict verification, and the verified principal (``CurrentUser``).

python-jose's defaults are permissive: without options it accepts a token with no ``exp`` or
``aud``. Every decode here pins the one configured algorithm and key, requires ``exp``, ``iat``,
``iss``, ``aud`` (= this app) and ``sub``, and checks the header ``typ`` is ``at+jwt`` so that no
other JWT (a Firebase ID token, say) passes as our access token (RFC 8725, RFC 9068). Header
fields such as ``kid``, ``jku`` or ``jwk`` are never used to choose a key.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk, jwt
from jose.backends.base import Key
from jose.exceptions import ExpiredSignatureError, JWTError

from .clock import Clock, SystemClock
from .config import TracheaSettings
from .errors import ErrorCode, TracheaConfigError, TracheaError

ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - a media type, not a secret
REQUIRED_CLAIMS = ("iss", "aud", "sub", "uid", "app_id", "role", "plan", "provider", "sid", "jti")

#: python-jose's checks, all on. ``exp`` is checked after decoding against our clock.
DECODE_OPTIONS = {
    "verify_signature": True,
    "verify_aud": True,
    "verify_iat": True,
    "verify_exp": False,
    "verify_nbf": True,
    "verify_iss": True,
    "verify_sub": True,
    "verify_jti": True,
    "require_aud": True,
    "require_iat": True,
    "require_iss": True,
    "require_sub": True,
    "require_jti": True,
    "leeway": 0,
}


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in user of one request, read from a verified access token.

    ``sub`` is the Firebase uid for Firebase users and the username for native users; ``uid`` is
    the user document's id, stable for life; ``claims`` is the full verified payload.
    """

    sub: str
    uid: str
    app_id: str
    role: str
    plan: str
    provider: str
    session_id: str
    claims: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    #: When the session's sign-in happened (Unix time; refreshes keep it).
    auth_time: int | None = None

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> CurrentUser:
        return cls(
            sub=str(claims["sub"]),
            uid=str(claims["uid"]),
            app_id=str(claims["app_id"]),
            role=str(claims["role"]),
            plan=str(claims["plan"]),
            provider=str(claims["provider"]),
            session_id=str(claims["sid"]),
            claims=dict(claims),
            auth_time=claims.get("auth_time") if isinstance(claims.get("auth_time"), int) else None,
        )


class AccessTokens:
    """Signs and verifies one app's access tokens with one pinned algorithm and key pair."""

    def __init__(self, settings: TracheaSettings, clock: Clock | None = None) -> None:
        self.app_id = settings.app_id
        self._clock = clock or SystemClock()
        self.issuer = settings.jwt_issuer
        self.algorithm = settings.jwt_algorithm
        self.lifetime = timedelta(minutes=settings.access_token_expire_minutes)
        if self.algorithm == "HS256":
            assert settings.jwt_secret is not None  # checked by the settings
            signing = verifying = settings.jwt_secret.get_secret_value()
        else:
            signing, verifying = _load_key_pair(settings.private_key_pem(), self.algorithm)
        # Parsed once: python-jose would otherwise parse a PEM key on every call (about 50 ms
        # per RS256 signature, on the event loop).
        self._signing_key: Key = jwk.construct(signing, self.algorithm)
        self._verifying_key: Key = jwk.construct(verifying, self.algorithm)

    @property
    def expires_in(self) -> int:
        """The access token's lifetime in seconds (the login response's ``expires_in``)."""
        return int(self.lifetime.total_seconds())

    def issue(
        self,
        *,
        sub: str,
        uid: str,
        role: str,
        plan: str,
        provider: str,
        session_id: str,
        auth_time: datetime | None = None,
        now: datetime | None = None,
    ) -> str:
        issued_at = now or self._clock.now()
        claims = {
            "iss": self.issuer,
            "aud": self.app_id,
            "sub": sub,
            "uid": uid,
            "app_id": self.app_id,
            "role": role,
            "plan": plan,
            "provider": provider,
            "sid": session_id,
            "jti": uuid.uuid4().hex,
            "iat": int(issued_at.timestamp()),
            "exp": int((issued_at + self.lifetime).timestamp()),
            "auth_time": int((auth_time or issued_at).timestamp()),
        }
        token: str = jwt.encode(
            claims, self._signing_key, algorithm=self.algorithm, headers={"typ": ACCESS_TOKEN_TYPE}
        )
        return token

    def verify(self, token: str) -> CurrentUser:
        """Verify ``token`` and return its user.

        Raises ``TracheaError`` ``TOKEN_EXPIRED`` for an expired token and ``INVALID_TOKEN`` for
        anything else wrong (signature, algorithm, audience, issuer, type, claims, format).
        """
        try:
            header = jwt.get_unverified_header(token)
        except (JWTError, ValueError, TypeError, AttributeError):
            raise TracheaError(ErrorCode.INVALID_TOKEN) from None
        if header.get("alg") != self.algorithm or header.get("typ") != ACCESS_TOKEN_TYPE:
            raise TracheaError(ErrorCode.INVALID_TOKEN)
        try:
            claims = jwt.decode(
                token,
                self._verifying_key,
                algorithms=[self.algorithm],
                audience=self.app_id,
                issuer=self.issuer,
                options=DECODE_OPTIONS,
            )
        except ExpiredSignatureError:
            raise TracheaError(ErrorCode.TOKEN_EXPIRED) from None
        except Exception:  # noqa: BLE001 - any decoding failure is the client's bad token
            raise TracheaError(ErrorCode.INVALID_TOKEN) from None
        expires = claims.get("exp")
        if not isinstance(expires, int) or isinstance(expires, bool):
            raise TracheaError(ErrorCode.INVALID_TOKEN)
        if expires < int(self._clock.now().timestamp()):
            raise TracheaError(ErrorCode.TOKEN_EXPIRED)
        if any(
            not isinstance(claims.get(name), str) or not claims[name] for name in REQUIRED_CLAIMS
        ):
            raise TracheaError(ErrorCode.INVALID_TOKEN)
        if claims["app_id"] != self.app_id:
            raise TracheaError(ErrorCode.INVALID_TOKEN)
        return CurrentUser.from_claims(claims)


def _load_key_pair(private_pem: str, algorithm: str) -> tuple[str, str]:
    """Return (private PEM, public PEM) after checking the key fits ``algorithm``."""
    try:
        key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    except (ValueError, TypeError):
        raise TracheaConfigError(
            "TRACHEA_JWT_PRIVATE_KEY is not a readable, unencrypted PEM private key"
        ) from None
    if algorithm == "RS256":
        if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
            raise TracheaConfigError(
                "TRACHEA_JWT_PRIVATE_KEY must be an RSA key of >= 2048 bits for JWT_ALGORITHM=RS256"
            )
    elif algorithm == "ES256":
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise TracheaConfigError(
                "TRACHEA_JWT_PRIVATE_KEY must be an EC P-256 key for JWT_ALGORITHM=ES256"
            )
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


_SESSION_ID = re.compile(r"[0-9a-f]{32}")


def new_refresh_token(session_id: str) -> str:
    """An opaque refresh token of a session: ``<session id>.<256 random bits, URL-safe>``.
    The session id lets the refresh find its session by ``_id``; the secret is what counts."""
    return f"{session_id}.{secrets.token_urlsafe(32)}"


def session_of_refresh_token(token: str) -> str | None:
    """The session id a refresh token names, or ``None`` when it names none."""
    session_id, dot, secret = token.partition(".")
    if not dot or not secret or not _SESSION_ID.fullmatch(session_id):
        return None
    return session_id


def hash_refresh_token(token: str) -> str:
    """What is stored of a refresh token: its SHA-256 (256 random bits need no slow hash)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
