"""``GET /health``: the database answers and this app is registered and active."""

from __future__ import annotations

import asyncio
from typing import Any

from pymongo.errors import PyMongoError

from ..errors import ErrorCode, TracheaError
from ..store import Store
from .apps import AppRecordCache


class HealthCheck:
    def __init__(self, store: Store, apps: AppRecordCache, firebase_configured: bool) -> None:
        self._store = store
        self._apps = apps
        self.app_id = apps.app_id
        self.firebase_configured = firebase_configured

    async def check(self, timeout: float = 2.0) -> dict[str, Any]:
        """The details when healthy; otherwise a ``SERVICE_UNAVAILABLE`` error saying which
        part is not. Bounded by ``timeout`` seconds. Reads the app afresh (and so refreshes
        the app cache)."""
        try:
            await asyncio.wait_for(self._store.ping(), timeout)
            app = await asyncio.wait_for(self._apps.refresh(), timeout)
        except (asyncio.TimeoutError, PyMongoError):
            raise TracheaError(
                ErrorCode.SERVICE_UNAVAILABLE, "The database is unreachable."
            ) from None
        if app is None:
            raise TracheaError(
                ErrorCode.SERVICE_UNAVAILABLE, f"App '{self.app_id}' is not registered."
            )
        if not app.is_active:
            raise TracheaError(ErrorCode.SERVICE_UNAVAILABLE, f"App '{self.app_id}' is disabled.")
        return {
            "status": "ok",
            "app_id": self.app_id,
            "database": "ok",
            "app_active": True,
            "auth_methods": list(app.allowed_auth_methods),
            "firebase": "configured" if self.firebase_configured else "not configured",
        }
