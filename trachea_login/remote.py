"""``RemoteVerifier``: another service verifies our access tokens from the app's JWK Set,
without the database and without sharing a secret (contract §8).

The same check as the instance's own (:func:`.verification.verify_with_key`, then
:func:`.tokens.principal_from_claims`: users' and service clients' tokens alike, each accepted
only by its own kind of dependency), with keys fetched from ``jwks_url`` and kept:

- fetched at the first verification (or ``await verifier.refresh()`` at startup), then again
  when older than ``max_age`` seconds (the JWKS route's ``Cache-Control`` says 300);
- a token whose ``kid`` is unknown refetches, at most once a minute (a new key after a rotation
  is found at once; a flood of made-up ``kid``s costs one fetch a minute);
- during a JWKS outage the keys already fetched keep verifying; only with no keys at all is the
  answer 503 ``AUTH_PROVIDER_UNAVAILABLE`` with ``Retry-After``;
- verified tokens are remembered (``token_cache_size``), and forgotten when the key set changes.

The fetch is asynchronous (httpx), never blocking the event loop; one fetch runs at a time and
concurrent requests share it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import math
from typing import Any
from urllib.parse import urlsplit

import httpx

from .clock import Clock, SystemClock, seconds_of
from .deps import BoundDependencies, ClientDependency, UserDependency
from .errors import ErrorCode, TracheaConfigError, TracheaError
from .keys import KeySet, VerificationKey, key_from_jwk
from .token_cache import VerifiedTokenCache
from .tokens import (
    CurrentClient,
    CurrentUser,
    Principal,
    as_client,
    as_user,
    principal_from_claims,
)
from .verification import Expected, read_header, verify_with_key

logger = logging.getLogger("trachea_login")

#: Keys held are refetched at most this often (seconds), whether for an unknown ``kid`` or
#: because they are old: a flood of made-up ``kid``s costs one fetch a minute.
REFETCH_SECONDS = 60
#: With no keys at all, a failed fetch is retried at most this often (seconds).
NO_KEYS_RETRY_SECONDS = 5
#: A JWK Set larger than this is refused (ours holds a handful of keys: about 1 KiB each).
MAX_JWKS_BYTES = 256 * 1024
UNAVAILABLE_MESSAGE = "The keys that verify access tokens cannot be fetched; retry later."


def check_jwks_url(url: str) -> str:
    """``https://`` anywhere, ``http://`` only to a loopback address; else a config error."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return url
    if parts.scheme == "http" and _is_loopback(host):
        return url
    raise TracheaConfigError(
        "RemoteVerifier jwks_url must be an https:// URL (http:// only to a loopback address "
        "such as 127.0.0.1 or localhost)"
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_jwks(document: Any) -> KeySet:
    """The usable keys of a JWK Set, in its order (the first is the current key);
    ``ValueError`` when it holds none."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWK Set")
    keys: list[VerificationKey] = []
    for number, jwk in enumerate(document["keys"], start=1):
        try:
            keys.append(key_from_jwk(jwk if isinstance(jwk, dict) else {}))
        except ValueError as exc:
            logger.warning("JWK Set key %d skipped: %s", number, exc)
    if not keys:
        raise ValueError(
            "the JWK Set has no usable key (an HS256 app publishes none: RemoteVerifier needs "
            "RS256 or ES256)"
        )
    return KeySet(tuple(keys))


class RemoteVerifier:
    """Verifies one app's access tokens from its published JWK Set, in another service.

    ``RemoteVerifier("https://auth.example.com/auth/.well-known/jwks.json", "app1",
    issuer="trachea-login")`` offers the dependencies an instance offers: ``current_user``,
    ``optional_user``, ``require(role=..., plan=...)`` and ``require_scopes(...)``, on HTTP and
    WebSocket routes.
    """

    def __init__(
        self,
        jwks_url: str,
        app_id: str,
        issuer: str = "trachea-login",
        *,
        token_cache_size: int = 10_000,
        max_age_seconds: float = 300,
        http_timeout: float = 5.0,
        clock: Clock | None = None,
    ) -> None:
        if not app_id or not issuer:
            raise TracheaConfigError("RemoteVerifier needs an app_id and an issuer")
        self.jwks_url = check_jwks_url(jwks_url)
        self.app_id = app_id
        self.issuer = issuer
        self.clock: Clock = clock or SystemClock()
        self._now = seconds_of(self.clock)
        self.cache: VerifiedTokenCache[Principal] = VerifiedTokenCache(token_cache_size)
        self._expected = Expected(audience=app_id, issuer=issuer)
        self._max_age = max_age_seconds
        self._timeout = http_timeout
        self._keys: KeySet | None = None
        self._fresh_until = -math.inf  # when the keys held are due for a refetch
        self._attempted_at = -math.inf  # the last fetch, successful or not
        self._fetching: asyncio.Task[None] | None = None
        self.dependencies = BoundDependencies(self.verify, verify_client=self.verify_client)

    # -- the dependencies ---------------------------------------------------------------------

    @property
    def current_user(self) -> UserDependency:
        """Dependency: the signed-in user of this app; 401 otherwise."""
        return self.dependencies.current_user

    @property
    def optional_user(self) -> UserDependency:
        """Dependency: the signed-in user of this app, or ``None``."""
        return self.dependencies.optional_user

    def require(self, role: str | None = None, plan: str | None = None) -> UserDependency:
        """Dependency: a user of this app with at least ``role`` and/or ``plan``; 403 otherwise."""
        return self.dependencies.require(role=role, plan=plan)

    def require_scopes(self, *scopes: str) -> ClientDependency:
        """Dependency: a service client of this app whose token holds every one of ``scopes``
        (403 ``INSUFFICIENT_SCOPE`` otherwise; 401 for a user's token). There is no
        ``live=True`` here: it needs the database (a ``TracheaLogin`` instance)."""
        return self.dependencies.require_scopes(*scopes)

    # -- verification -------------------------------------------------------------------------

    async def verify(self, token: str) -> CurrentUser:
        """The user of a valid access token of this app; ``TracheaError`` otherwise
        (401 ``INVALID_TOKEN`` / ``TOKEN_EXPIRED``, 503 ``AUTH_PROVIDER_UNAVAILABLE``; a
        service client's token is ``INVALID_TOKEN``)."""
        return as_user(await self._principal(token))

    async def verify_client(self, token: str) -> CurrentClient:
        """The service client of a valid service token of this app (errors as :meth:`verify`;
        a user's token is ``INVALID_TOKEN``)."""
        return as_client(await self._principal(token))

    async def _principal(self, token: str) -> Principal:
        now = self._now()
        if now >= self._fresh_until:
            self._refresh_stale(now)
        principal = self.cache.get(token, int(now))
        if principal is not None:
            return principal
        header = read_header(token)
        keys = await self._keys_for(header.kid, now)
        claims = verify_with_key(token, header, keys.lookup(header.kid), self._expected, int(now))
        principal = principal_from_claims(claims, self.app_id)
        self.cache.put(token, principal, claims["exp"])
        return principal

    async def refresh(self) -> bool:
        """Fetch the JWK Set now (e.g. at startup); whether keys are held afterwards."""
        await self._fetch()
        return self._keys is not None

    @property
    def kids(self) -> tuple[str, ...]:
        """The ``kid``s of the keys held, current first (empty before the first fetch)."""
        return tuple(key.kid for key in self._keys.keys) if self._keys else ()

    def _refresh_stale(self, now: float) -> None:
        """Keys past their age are refetched in the background: requests go on with the keys
        held meanwhile, and during an outage (one attempt a minute)."""
        if self._keys is None or self._fetch_running():
            return  # no keys: _keys_for fetches and waits; running: already on its way
        if now - self._attempted_at >= REFETCH_SECONDS:
            self._start_fetch()

    async def _keys_for(self, kid: str | None, now: float) -> KeySet:
        keys = self._keys
        if keys is None:
            if now - self._attempted_at < NO_KEYS_RETRY_SECONDS and not self._fetch_running():
                raise self._unavailable(now)
            await self._fetch()
            keys = self._keys
            if keys is None:
                raise self._unavailable(self._now())
        elif keys.lookup(kid) is None and now - self._attempted_at >= REFETCH_SECONDS:
            await self._fetch()  # perhaps a key newer than ours (a rotation)
            keys = self._keys or keys
        return keys

    def _unavailable(self, now: float) -> TracheaError:
        wait = max(1, math.ceil(self._attempted_at + NO_KEYS_RETRY_SECONDS - now))
        return TracheaError(
            ErrorCode.AUTH_PROVIDER_UNAVAILABLE, UNAVAILABLE_MESSAGE, retry_after=wait
        )

    # -- fetching the JWK Set -----------------------------------------------------------------

    def _fetch_running(self) -> bool:
        task = self._fetching
        return task is not None and not task.done()

    def _start_fetch(self) -> asyncio.Task[None]:
        """The fetch running on this event loop, or a new one: one at a time."""
        task = self._fetching
        loop = asyncio.get_running_loop()
        if task is None or task.done() or task.get_loop() is not loop:
            task = self._fetching = loop.create_task(self._fetch_and_store())
        return task

    async def _fetch(self) -> None:
        """Fetch and store the JWK Set; concurrent callers share one fetch."""
        # Shielded: a request that gives up does not cancel the fetch the others wait for.
        await asyncio.shield(self._start_fetch())

    async def _fetch_and_store(self) -> None:
        started = self._attempted_at = self._now()
        try:
            keys = parse_jwks(await self._download())
        except Exception as exc:  # noqa: BLE001 - any failure leaves the keys held in place
            held = f"keeping the {len(self._keys.keys)} keys held" if self._keys else "no keys"
            reason = str(exc) if isinstance(exc, ValueError) else "request failed"
            logger.warning(
                "JWK Set fetch from %s failed (%s: %s); %s",
                self.jwks_url,
                type(exc).__name__,
                reason,
                held,
            )
            return
        if self._keys is None or _published(keys) != _published(self._keys):
            # Tokens verified by a key that has gone must not live on in the cache.
            self.cache.clear()
        self._keys = keys
        self._fresh_until = started + self._max_age

    async def _download(self) -> Any:
        async with (
            httpx.AsyncClient(timeout=self._timeout, follow_redirects=False) as client,
            client.stream("GET", self.jwks_url, headers={"Accept": "application/json"}) as answer,
        ):
            if answer.status_code != 200:
                raise ValueError(f"status {answer.status_code}")
            body = bytearray()
            async for chunk in answer.aiter_bytes():
                body += chunk
                if len(body) > MAX_JWKS_BYTES:
                    raise ValueError("the JWK Set is too large")
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            raise ValueError("the JWK Set is not JSON") from None


def _published(keys: KeySet) -> list[Any]:
    return [dict(key.jwk or {}) for key in keys.keys]


__all__ = ["RemoteVerifier", "check_jwks_url", "parse_jwks"]
