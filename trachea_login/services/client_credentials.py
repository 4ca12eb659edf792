"""Service clients getting and using access tokens (contract §10, RFC 6749 §4.4).

:class:`ClientCredentials` answers ``POST /token`` with ``grant_type=client_credentials``: the
client's secret is checked against its stored digest (throttled like a login, on the client
id's budget and the client IP's; an unknown, revoked or other app's client is compared with a
dummy digest, the same work as a known one, and all answer 401 ``INVALID_CLIENT``), then the scopes
asked for must be a subset of the client's (403 ``INSUFFICIENT_SCOPE``, told only to a client
that proved its secret). The token carries the scopes granted; there is no refresh token: the
client asks again when it expires.

:class:`ClientLiveCheck` is ``require_scopes(..., live=True)``: the client must not be revoked
(read from the database, a result kept at most :data:`CLIENT_CHECK_MAX_AGE`).
"""

from __future__ import annotations

import dataclasses
import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..client_secrets import client_secret_matches
from ..clock import Clock
from ..errors import ErrorCode, TracheaError
from ..records import ServiceClientRecord
from ..scopes import parse_scope
from ..store import Admission, Store
from ..tokens import AccessTokens, CurrentClient
from .apps import AppGuard
from .audit import Auditor
from .context import ClientContext
from .throttle import LoginThrottle

#: The only client ids there are (``admin/clients.py`` makes them); any other is unknown.
CLIENT_ID_PATTERN = re.compile(r"svc_[0-9a-f]{32}")
#: What a malformed client id is looked up and recorded as: no client has it.
_NOT_A_CLIENT_ID = "svc_" + "0" * 32
#: Longest secret looked at; anything longer is simply a wrong one.
MAX_CLIENT_SECRET_LENGTH = 1024
#: The ``method`` of a throttled token request in the audit log.
CLIENT_CREDENTIALS_METHOD = "client_credentials"
#: How long ``require_scopes(..., live=True)`` may trust a client found not revoked.
CLIENT_CHECK_MAX_AGE = timedelta(seconds=2)
MAX_REMEMBERED = 10_000

_BAD_SCOPE = (
    "Invalid request: scope: space-separated scope names (printable ASCII without quotes, "
    "backslashes or commas)"
)


@dataclass(frozen=True)
class ServiceToken:
    """A service client's access token, as ``POST /token`` answers it."""

    access_token: str
    expires_in: int
    scope: str


def why_refused(record: ServiceClientRecord | None, app_id: str) -> str | None:
    """Why a client may not get a token of ``app_id`` whatever its secret (``None``: it may)."""
    if record is None:
        return "unknown_client"
    if record.app_id != app_id:
        return "other_app"  # answered like an unknown client: it is not one of this app's
    if not record.is_active:
        return "revoked"
    return None


def granted_scopes(held: tuple[str, ...], requested: tuple[str, ...]) -> tuple[str, ...] | None:
    """The scopes a token gets: all the client holds when none are asked for, else those asked
    for in the client's order; ``None`` when one asked for is not held."""
    if not requested:
        return held
    if not set(requested) <= set(held):
        return None
    return tuple(scope for scope in held if scope in requested)


class ClientCredentials:
    def __init__(
        self,
        app_id: str,
        store: Store,
        tokens: AccessTokens,
        guard: AppGuard,
        throttle: LoginThrottle,
        auditor: Auditor,
    ) -> None:
        self.app_id = app_id
        self._store = store
        self._tokens = tokens
        self._guard = guard
        self._throttle = throttle
        self._auditor = auditor

    async def issue(
        self,
        *,
        client_id: str | None,
        client_secret: str | None,
        scope: str | None,
        client: ClientContext,
    ) -> ServiceToken:
        """An access token for a service client that proves its secret."""
        await self._guard.active(client)
        requested = parse_scope(scope) if scope is not None else ()
        if requested is None:
            raise TracheaError(ErrorCode.VALIDATION_ERROR, _BAD_SCOPE)
        if not client_id or not client_secret:
            await self._refuse(client, client_id=None, reason="no_credentials")
        assert client_id is not None and client_secret is not None
        if not _plausible(client_id, client_secret):
            # Not an id we could have made (or an absurd secret): an unknown client, charged
            # like one, and never written to the audit log or its log line as sent.
            client_id = _NOT_A_CLIENT_ID
        record = await self._authenticate(client_id, client_secret, client)
        granted = granted_scopes(record.scopes, requested)
        if granted is None:
            await self._auditor.record(
                "token_failed", client, client_id=client_id, reason="insufficient_scope"
            )
            raise TracheaError(ErrorCode.INSUFFICIENT_SCOPE)
        token = self._tokens.issue_service(client_id=client_id, scopes=granted)
        await self._auditor.record(
            "token_issued", client, client_id=client_id, scope=" ".join(granted)
        )
        return ServiceToken(token, self._tokens.expires_in, " ".join(granted))

    async def _authenticate(
        self, client_id: str, client_secret: str, client: ClientContext
    ) -> ServiceClientRecord:
        """The client whose secret this is; 401 ``INVALID_CLIENT`` (429 when throttled)."""
        attempt = await self._reserve(client)
        ok = False
        try:
            record = await self._store.service_clients.get(client_id)
            refusal = why_refused(record, self.app_id)
            known = record.secret_hash if record is not None and refusal is None else None
            ok = client_secret_matches(client_secret, known)
        finally:
            await self._release(attempt, failed=not ok)
        if not ok or record is None:
            await self._refuse(client, client_id=client_id, reason=refusal or "wrong_secret")
        assert record is not None
        return record

    # The one place that knows the throttle's API: failures count on the client IP's budget
    # (the one password logins draw on), never on one per client: client ids are public (the
    # `sub` of every service token), so a per-client budget would let anyone lock a service
    # out, and a 256-bit secret gains nothing from a lockout (docs/decisions.md).
    async def _reserve(self, client: ClientContext) -> tuple[str, Admission]:
        return await self._throttle.reserve_ip_attempt(client, CLIENT_CREDENTIALS_METHOD)

    async def _release(self, attempt: tuple[str, Admission], *, failed: bool) -> None:
        await self._throttle.release_ip_attempt(attempt, failed=failed)

    async def _refuse(self, client: ClientContext, *, client_id: str | None, reason: str) -> None:
        await self._auditor.record("token_failed", client, client_id=client_id, reason=reason)
        raise TracheaError(ErrorCode.INVALID_CLIENT)


def _plausible(client_id: str, client_secret: str) -> bool:
    return (
        CLIENT_ID_PATTERN.fullmatch(client_id) is not None
        and len(client_secret) <= MAX_CLIENT_SECRET_LENGTH
    )


class ClientLiveCheck:
    """``require_scopes(..., live=True)``: the token's client must not be revoked; its scopes
    are those it still holds. A client found active is trusted for ``max_age``; a revoked one
    is never remembered (it is read again, and stays revoked)."""

    def __init__(
        self,
        store: Store,
        app_id: str,
        clock: Clock,
        max_age: timedelta = CLIENT_CHECK_MAX_AGE,
        max_entries: int = MAX_REMEMBERED,
    ) -> None:
        self._clients = store.service_clients
        self.app_id = app_id
        self._clock = clock
        self.max_age = max_age
        self._max_entries = max_entries
        self._remembered: OrderedDict[str, tuple[datetime, tuple[str, ...]]] = OrderedDict()

    async def __call__(self, principal: CurrentClient) -> CurrentClient:
        now = self._clock.now()
        remembered = self._remembered.get(principal.client_id)
        if remembered is not None and now - remembered[0] < self.max_age:
            held = remembered[1]
        else:
            self._remembered.pop(principal.client_id, None)
            record = await self._clients.get(principal.client_id)
            if why_refused(record, self.app_id) is not None or record is None:
                raise TracheaError(ErrorCode.INVALID_TOKEN, "This service client is revoked.")
            held = record.scopes
            self._remembered[principal.client_id] = (now, held)
            while len(self._remembered) > self._max_entries:
                self._remembered.popitem(last=False)
        if all(scope in held for scope in principal.scopes):
            return principal  # the usual case: nothing to take away, nothing to copy
        scopes = tuple(scope for scope in principal.scopes if scope in held)
        return dataclasses.replace(principal, scopes=scopes)


__all__ = [
    "ClientCredentials",
    "ClientLiveCheck",
    "ServiceToken",
    "granted_scopes",
    "why_refused",
]
