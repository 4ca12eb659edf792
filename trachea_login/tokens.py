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
#: The claims of a service client's token beyond the registered ones (RFC 9068 §2.2): its id
#: (also its ``sub``) and its scopes, space-separated. A token with ``client_id`` is a
#: service token; one without is a user's. Neither passes for the other.
SERVICE_CLAIMS = ("client_id", "scope")


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


@dataclass(frozen=True)
class CurrentClient:
    """The service client of one request, read from a verified service token (contract §10):
    a product's worker, cron job or other service, not a person.

    ``client_id`` is the client's id (also the token's ``sub``); ``scopes`` are the scopes the
    token was issued for, in the order the client holds them; ``claims`` is the full verified
    payload (read-only, as for :class:`CurrentUser`).
    """

    client_id: str
    app_id: str
    scopes: tuple[str, ...]
    claims: dict[str, Any] = field(default_factory=Claims, repr=False, compare=False)

    def has_scopes(self, *scopes: str) -> bool:
        """Whether the token holds every one of ``scopes``."""
        return set(scopes) <= set(self.scopes)


#: What a verified access token names: a person, or a service client.
Principal = CurrentUser | CurrentClient

NOT_A_USER = "This route needs a user's access token, not a service client's."
NOT_A_CLIENT = "This route needs a service client's access token, not a user's."


def user_from_claims(claims: dict[str, Any], app_id: str) -> CurrentUser:
    """The user of verified claims; 401 ``INVALID_TOKEN`` unless it is a user's token of
    ``app_id`` (every user claim a non-empty string, ``app_id`` this app, no ``client_id``)."""
    if "client_id" in claims:
        raise TracheaError(ErrorCode.INVALID_TOKEN, NOT_A_USER)
    if any(not isinstance(claims.get(name), str) or not claims[name] for name in USER_CLAIMS):
        raise TracheaError(ErrorCode.INVALID_TOKEN)
    if claims["app_id"] != app_id:
        raise TracheaError(ErrorCode.INVALID_TOKEN)
    return CurrentUser.from_claims(claims)


def client_from_claims(claims: dict[str, Any], app_id: str) -> CurrentClient:
    """The service client of verified claims (``aud`` already checked to be ``app_id``); 401
    ``INVALID_TOKEN`` unless ``client_id`` is a non-empty string equal to ``sub``, ``scope`` a
    string, and no claim of a user's token is present."""
    client_id, scope = claims.get("client_id"), claims.get("scope")
    if not isinstance(client_id, str) or not client_id or client_id != claims.get("sub"):
        raise TracheaError(ErrorCode.INVALID_TOKEN)
    if not isinstance(scope, str) or any(name in claims for name in USER_CLAIMS):
        raise TracheaError(ErrorCode.INVALID_TOKEN)
    return CurrentClient(
        client_id=client_id, app_id=app_id, scopes=tuple(scope.split()), claims=Claims(claims)
    )


def principal_from_claims(claims: dict[str, Any], app_id: str) -> Principal:
    """Who verified claims name: a service client when they hold ``client_id``, else a user."""
    if "client_id" in claims:
        return client_from_claims(claims, app_id)
    return user_from_claims(claims, app_id)


def as_user(principal: Principal) -> CurrentUser:
    """The user a verified token names; 401 ``INVALID_TOKEN`` for a service client's token."""
    if type(principal) is not CurrentUser:
        raise TracheaError(ErrorCode.INVALID_TOKEN, NOT_A_USER)
    return principal


def as_client(principal: Principal) -> CurrentClient:
    """The service client a verified token names; 401 ``INVALID_TOKEN`` for a user's token."""
    if type(principal) is not CurrentClient:
        raise TracheaError(ErrorCode.INVALID_TOKEN, NOT_A_CLIENT)
    return principal


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
        # One cache for both kinds of token: each answer is checked for its kind on the way out.
        self.cache: VerifiedTokenCache[Principal] = VerifiedTokenCache(settings.token_cache_size)

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

    def issue_service(
        self, *, client_id: str, scopes: tuple[str, ...], now: datetime | None = None
    ) -> str:
        """A signed access token of a service client (RFC 9068): ``sub`` and ``client_id`` the
        client, ``scope`` its granted scopes; no user claims, no session, no refresh token."""
        issued_at = now or self._clock.now()
        claims = {
            "iss": self.issuer,
            "aud": self.app_id,
            "sub": client_id,
            "client_id": client_id,
            "scope": " ".join(scopes),
            "jti": uuid.uuid4().hex,
            "iat": int(issued_at.timestamp()),
            "exp": int((issued_at + self.lifetime).timestamp()),
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
        principal = self.cache.get(token, now) or self._verify_uncached(token, now)
        if type(principal) is CurrentUser:
            return principal
        return as_user(principal)  # a service client's token: 401

    def verify_client(self, token: str) -> CurrentClient:
        """Verify a service client's ``token`` and return its client (errors as :meth:`verify`;
        a user's token is ``INVALID_TOKEN``)."""
        now = int(self._seconds())
        return as_client(self.cache.get(token, now) or self._verify_uncached(token, now))

    def _verify_uncached(self, token: str, now: int) -> Principal:
        claims = verify_token(token, self.keys.lookup, self._expected, now)
        principal = principal_from_claims(claims, self.app_id)
        self.cache.put(token, principal, claims["exp"])
        return principal


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
