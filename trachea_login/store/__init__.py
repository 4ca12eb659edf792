"""MongoDB storage: one module per collection. No HTTP and no policy here.

The store is the only place that knows documents and their field names: it returns the typed
records of :mod:`trachea_login.records`. Every write that must be atomic is a single MongoDB
operation, and each module says which index makes its queries fast or its values unique. The
code accepts any async client with PyMongo's API (PyMongo's ``AsyncMongoClient``, or
mongomock-motor for the embedded database). Every collection reads from the primary, writes
with majority write concern and bounds each operation by ``MONGO_TIMEOUT_MS``
(:mod:`._collections`).
"""

from __future__ import annotations

from typing import Any

from ..clock import Clock, SystemClock
from ._collections import IndexConflict, OurDatabase
from .apps import AppStore
from .audit import AuditLog
from .login_failures import Admission, LoginFailures, ThrottleRule
from .refresh_tokens import RefreshTokenStore
from .service_clients import ServiceClientStore
from .sessions import SessionStore
from .users import UserStore, object_id

#: ``MONGO_TIMEOUT_MS``'s default: the bound on any one database operation.
DEFAULT_TIMEOUT_MS = 10_000


class Store:
    """All collections of one database, for one ``TracheaLogin`` instance (or one CLI call)."""

    def __init__(
        self,
        database: Any,
        *,
        clock: Clock | None = None,
        audit_retention_days: int = 90,
        timeout_ms: int = DEFAULT_TIMEOUT_MS,
    ) -> None:
        clock = self.clock = clock or SystemClock()
        #: The driver's database, as given (the product app's own collections live here too).
        self.database = database
        self.timeout = timeout_ms / 1000
        ours = OurDatabase(database, self.timeout)
        self.apps = AppStore(ours, clock)
        self.users = UserStore(ours, clock)
        self.sessions = SessionStore(ours, clock)
        self.refresh_tokens = RefreshTokenStore(ours, clock)
        self.login_failures = LoginFailures(ours, clock)
        self.audit = AuditLog(ours, clock, retention_days=audit_retention_days)
        self.service_clients = ServiceClientStore(ours, clock)

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
        ours = OurDatabase(database, self.timeout)
        for part in self._parts():
            part.collection = ours[part.collection.name]

    async def ensure_indexes(self) -> None:
        """Create every index; safe to run at each startup. Raises :class:`IndexConflict`
        when an existing index has the name or the keys of one of ours with other options."""
        for part in self._parts():
            await part.ensure_indexes()

    async def ping(self) -> None:
        """One round trip to the server (bounded like every operation)."""
        await OurDatabase(self.database, self.timeout).command("ping")


__all__ = [
    "Admission",
    "AppStore",
    "DEFAULT_TIMEOUT_MS",
    "AuditLog",
    "IndexConflict",
    "LoginFailures",
    "RefreshTokenStore",
    "ServiceClientStore",
    "SessionStore",
    "Store",
    "ThrottleRule",
    "UserStore",
    "object_id",
]
