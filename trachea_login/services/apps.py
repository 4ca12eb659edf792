"""This app's registration: read through one short cache, and the checks every route makes.

The app document (active flag, sign-in methods, allowed domains) is read through one cache with
a freshness of :data:`APP_RECORD_MAX_AGE` (5 s), shared by every route and by the CORS
middleware. An operator's change (``trachea-login apps disable``, ``set-methods``,
``set-domains``) therefore takes effect within 5 seconds in every worker, while a busy worker
reads the document about once per 5 s instead of on every request.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..clock import Clock
from ..errors import ErrorCode, TracheaError
from ..origins import origin_allowed
from ..records import AppRecord
from ..store import AppStore
from .context import ClientContext

APP_RECORD_MAX_AGE = timedelta(seconds=5)


class AppRecordCache:
    """This app's record, re-read when older than ``max_age``; concurrent misses share one read."""

    def __init__(
        self, apps: AppStore, app_id: str, clock: Clock, max_age: timedelta = APP_RECORD_MAX_AGE
    ) -> None:
        self._apps = apps
        self.app_id = app_id
        self._clock = clock
        self.max_age = max_age
        self._record: AppRecord | None = None
        self._read_at: datetime | None = None
        self._pending: asyncio.Future[AppRecord | None] | None = None

    async def get(self) -> AppRecord | None:
        """The record, at most ``max_age`` old (``None``: the app is not registered)."""
        read_at = self._read_at
        if read_at is not None and self._clock.now() - read_at < self.max_age:
            return self._record
        return await self.refresh()

    def peek(self) -> AppRecord | None:
        """The record as last read, without I/O (``None`` before the first read)."""
        return self._record

    async def refresh(self) -> AppRecord | None:
        """Read the record now (sharing a read already in flight) and remember it."""
        pending = self._pending
        if pending is None or pending.get_loop() is not asyncio.get_running_loop():
            pending = asyncio.ensure_future(self._read())
            self._pending = pending
        return await asyncio.shield(pending)

    async def _read(self) -> AppRecord | None:
        try:
            record = await self._apps.get(self.app_id)
            self._record, self._read_at = record, self._clock.now()
            return record
        finally:
            self._pending = None


class AppGuard:
    """The app checks of contract §4: which app a request names, and whether this one is usable."""

    def __init__(self, cache: AppRecordCache, apps: AppStore) -> None:
        self.cache = cache
        self._apps = apps
        self.app_id = cache.app_id

    async def check_requested(self, requested_app_id: str | None) -> None:
        """A client may name the app (body ``app_id`` or ``X-App-Id``); it must be this one:
        404 ``APP_NOT_FOUND`` for an unregistered app, 403 ``APP_MISMATCH`` for another one."""
        if requested_app_id is None or requested_app_id == self.app_id:
            return
        if await self._apps.get(requested_app_id) is None:
            raise TracheaError(ErrorCode.APP_NOT_FOUND)
        raise TracheaError(ErrorCode.APP_MISMATCH)

    async def for_signed_in_user(self, requested_app_id: str | None) -> AppRecord:
        """For routes of signed-in users: the app named (if any) is this one, and is active."""
        await self.check_requested(requested_app_id)
        return await self.active()

    async def active(self, client: ClientContext | None = None) -> AppRecord:
        """This app's record; 403 when it is disabled or the browser origin is not allowed."""
        app = await self.cache.get()
        if app is None:
            # Registered at startup, removed since: the operator must fix it.
            raise TracheaError(ErrorCode.APP_NOT_FOUND)
        if not app.is_active:
            raise TracheaError(ErrorCode.APP_INACTIVE)
        if client is not None and client.origin and not origin_allowed(client.origin, app):
            raise TracheaError(ErrorCode.ORIGIN_NOT_ALLOWED)
        return app

    @staticmethod
    def require_method(app: AppRecord, method: str) -> None:
        """403 ``AUTH_METHOD_NOT_ALLOWED`` unless the app allows sign-in with ``method``."""
        if method not in app.allowed_auth_methods:
            raise TracheaError(
                ErrorCode.AUTH_METHOD_NOT_ALLOWED,
                f"Sign-in with '{method}' is not enabled for this app.",
            )


@dataclass(frozen=True)
class SignInScreen:
    """What a client needs to draw its sign-in screen (``GET /auth/config``): nothing secret."""

    app_id: str
    name: str
    allowed_auth_methods: tuple[str, ...]
    password_min_length: int


class SignInScreenReader:
    """``GET /auth/config`` from the app record cache: at most 5 s old, like every route."""

    def __init__(self, guard: AppGuard, password_min_length: int) -> None:
        self._guard = guard
        self._password_min_length = password_min_length

    async def read(self, requested_app_id: str | None) -> SignInScreen:
        """This app's sign-in options; 404/403 for another app named, 403 when disabled (its
        buttons would all fail)."""
        await self._guard.check_requested(requested_app_id)
        app = await self._guard.active()
        return SignInScreen(
            app_id=app.app_id,
            name=app.name,
            allowed_auth_methods=app.allowed_auth_methods,
            password_min_length=self._password_min_length,
        )
