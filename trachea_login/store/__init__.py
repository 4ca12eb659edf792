"""MongoDB storage: one module per collection. No HTTP and no policy here.

The store is the only place that knows documents and their field names: it returns the typed
records of :mod:`trachea_login.records`. Every write that must be atomic is a single MongoDB
operation, and each module says which index makes its queries fast or its values unique. The
code accepts any async client with PyMongo's API (PyMongo's ``AsyncMongoClient``, or
mongomock-motor for the embedded database).
"""

from __future__ import annotations

from typing import Any

from ..clock import Clock, SystemClock
from .apps import AppStore
from .audit import AuditLog
from .login_failures import LoginFailures, ThrottleRule
from .refresh_tokens import RefreshTokenStore
from .service_clients import ServiceClientStore
from .sessions import SessionStore
from .users import UserStore, object_id


class Store:
    """All collections of one database, for one ``TracheaLogin`` instance (or one CLI call)."""

    def __init__(
        self, database: Any, *, clock: Clock | None = None, audit_retention_days: int = 90
    ) -> None:
        clock = self.clock = clock or SystemClock()
        self.database = database
        self.apps = AppStore(database, clock)
        self.users = UserStore(database, clock)
        self.sessions = SessionStore(database, clock)
        self.refresh_tokens = RefreshTokenStore(database, clock)
        self.login_failures = LoginFailures(database, clock)
        self.audit = AuditLog(database, clock, retention_days=audit_retention_days)
        self.service_clients = ServiceClientStore(database, clock)

    def _parts(self) -> tuple[Any, ...]:
        return (
            self.apps,
            self.users,
            self.sessions,
            self.refresh_tokens,
            self.login_failures,
            self.audit,
            self.service_clients,
        )

    def rebind(self, database: Any) -> None:
        """Point every collection at ``database`` (a new client after a restart), in place:
        the services keep the same store objects."""
        self.database = database
        for part in self._parts():
            part.collection = database[part.collection.name]

    async def ensure_indexes(self) -> None:
        """Create every index; safe to run at each startup (MongoDB ignores existing ones)."""
        for part in self._parts():
            await part.ensure_indexes()


__all__ = [
    "AppStore",
    "AuditLog",
    "LoginFailures",
    "RefreshTokenStore",
    "ServiceClientStore",
    "SessionStore",
    "Store",
    "ThrottleRule",
    "UserStore",
    "object_id",
]
