"""MongoDB storage: one module per collection. No HTTP and no policy here.

Every write that must be atomic is a single MongoDB operation, and each module says which index
makes its queries fast or its values unique. The code accepts any async client with PyMongo's
API (PyMongo's ``AsyncMongoClient``, Motor, or mongomock-motor for the embedded database).
"""

from __future__ import annotations

from typing import Any

from .apps import AppRecord, AppStore
from .audit import AuditLog
from .login_failures import LoginFailures
from .refresh_tokens import RefreshTokenStore
from .users import UserStore


class Store:
    """All collections of one database, for one ``TracheaLogin`` instance."""

    def __init__(self, database: Any, *, audit_retention_days: int = 90) -> None:
        self.database = database
        self.apps = AppStore(database)
        self.users = UserStore(database)
        self.refresh_tokens = RefreshTokenStore(database)
        self.login_failures = LoginFailures(database)
        self.audit = AuditLog(database, retention_days=audit_retention_days)

    async def ensure_indexes(self) -> None:
        """Create every index; safe to run at each startup (MongoDB ignores existing ones)."""
        for part in (self.apps, self.users, self.refresh_tokens, self.login_failures, self.audit):
            await part.ensure_indexes()


__all__ = [
    "AppRecord",
    "AppStore",
    "AuditLog",
    "LoginFailures",
    "RefreshTokenStore",
    "Store",
    "UserStore",
]
