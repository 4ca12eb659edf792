"""Access tokens: signing, verification, and the verified principal (``CurrentUser``).

Tokens are signed with PyJWT by the current key and carry its ``kid`` (:mod:`.keys`); every
check on the way back in is :func:`.verification.verify_token`, the same for this instance and
for :class:`~trachea_login.RemoteVerifier`. A verified token is remembered by its exact string
(:mod:`.token_cache`), so a route that sees it again does no signature work.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NoReturn

import jwt

from .clock import Clock, SystemClock, seconds_of
from .config import TracheaSettings
from .errors import ErrorCode, TracheaError
from .keys import KeySet, load_local_keys
from .token_cache import VerifiedTokenCache
from .verification import ACCESS_TOKEN_TYPE, Expected, verify_token

#: The claims of a user's token beyond the registered ones (all non-empty strings).
USER_CLAIMS = ("uid", "app_id", "role", "plan", "provider", "sid")
#: Every claim an access token of a user has.
REQUIRED_CLAIMS = ("iss", "aud", "sub", *USER_CLAIMS, "jti")


class Claims(dict[str, Any]):
    """A token's verified claims: a ``dict`` (JSON-serialisable, ``dict(claims)`` copies it)
    that refuses changes, since one verified user is shared by every request presenting the
    same token (the verified-token cache)."""

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("verified claims are read-only; copy them with dict(user.claims)")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def copy(self) -> dict[str, Any]:
        return dict(self)

    def __copy__(self) -> Claims:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Claims:
        return self

    def __reduce__(self) -> tuple[type[Claims], tuple[dict[str, Any]]]:
        return Claims, (dict(self),)


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in user of one request, read from a verified access token.

    ``sub`` is the Firebase uid for Firebase users and the username for native users; ``uid`` is
    the user document's id, stable for life; ``auth_time`` is when the session's sign-in
    happened (Unix seconds; ``None`` when the token does not say, so that any "recent sign-in"
    check fails closed); ``claims`` is the full verified payload (read-only: a verified user
    may be shared by every request that presents the same token).
    """

    sub: str
    uid: str
    app_id: str
    role: str
    plan: str
    provider: str
    session_id: str
    claims: dict[str, Any] = field(default_factory=Claims, repr=False, compare=False)
    #: When the session's sign-in happened (Unix time; refreshes keep it); None when the token
    #: does not say (one issued before auth_time existed): treat it as long ago.
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
            claims=Claims(claims),
            auth_time=claims.get("auth_time") if type(claims.get("auth_time")) is int else None,
        )


def user_from_claims(claims: dict[str, Any], app_id: str) -> CurrentUser:
    """The user of verified claims; 401 ``INVALID_TOKEN`` unless it is a user's token of
    ``app_id`` (every user claim a non-empty string, ``app_id`` this app)."""
    if any(not isinstance(claims.get(name), str) or not claims[name] for name in USER_CLAIMS):
        raise TracheaError(ErrorCode.INVALID_TOKEN)
    if claims["app_id"] != app_id:
        raise TracheaError(ErrorCode.INVALID_TOKEN)
    return CurrentUser.from_claims(claims)


class AccessTokens:
    """Signs one app's access tokens with its current key and verifies them with any of its
    configured keys (the current one and ``JWT_PREVIOUS_KEYS``)."""

    def __init__(self, settings: TracheaSettings, clock: Clock | None = None) -> None:
        self.app_id = settings.app_id
        self._clock = clock or SystemClock()
        self._seconds = seconds_of(self._clock)
        self.issuer = settings.jwt_issuer
        self.algorithm = settings.jwt_algorithm
        self.lifetime = timedelta(minutes=settings.access_token_expire_minutes)
        local = load_local_keys(settings)  # parsed once: TracheaConfigError on a bad key
        self.keys: KeySet = local.verification
        self._signing_key = local.signing_key
        self._headers = {"typ": ACCESS_TOKEN_TYPE, "kid": self.keys.current.kid}
        self._expected = Expected(audience=self.app_id, issuer=self.issuer)
        self.cache: VerifiedTokenCache[CurrentUser] = VerifiedTokenCache(settings.token_cache_size)

    @property
    def kid(self) -> str:
        """The ``kid`` of the current (signing) key."""
        return self.keys.current.kid

    @property
    def expires_in(self) -> int:
        """The access token's lifetime in seconds (the login response's ``expires_in``)."""
        return int(self.lifetime.total_seconds())

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public JWK Set (``GET /.well-known/jwks.json``): current key first."""
        return self.keys.public_jwks()

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
        """A signed access token. ``auth_time`` is when the session's sign-in happened
        (default: now, a fresh sign-in)."""
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
        return jwt.encode(
            claims, self._signing_key, algorithm=self.algorithm, headers=self._headers
        )

    def verified_claims(self, token: str) -> dict[str, Any]:
        """The claims of a token signed by one of our keys for this app, every registered
        claim checked (``TOKEN_EXPIRED`` / ``INVALID_TOKEN``); no cache."""
        now = int(self._seconds())
        return verify_token(token, self.keys.lookup, self._expected, now)

    def verify(self, token: str) -> CurrentUser:
        """Verify ``token`` and return its user.

        Raises ``TracheaError`` ``TOKEN_EXPIRED`` for an expired token and ``INVALID_TOKEN`` for
        anything else wrong (signature, key, algorithm, audience, issuer, type, claims, format).
        """
        now = int(self._seconds())
        user = self.cache.get(token, now)
        if user is not None:
            return user
        claims = verify_token(token, self.keys.lookup, self._expected, now)
        user = user_from_claims(claims, self.app_id)
        self.cache.put(token, user, claims["exp"])
        return user


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
