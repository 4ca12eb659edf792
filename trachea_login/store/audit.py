"""The ``audit_events`` collection: who signed in, failed, refreshed, logged out, changed plan.

Events hold the app, the user id, the client IP and user agent, the UTC time and a few
non-secret details (method, reason). Never a password, token or secret. A TTL index on ``at``
keeps them for the configured retention.
"""

from __future__ import annotations

import logging
from typing import Any

from pymongo.errors import OperationFailure

from ._time import utcnow

logger = logging.getLogger("trachea_login.audit")

#: MongoDB's error code when an index exists with other options (IndexOptionsConflict).
INDEX_OPTIONS_CONFLICT = 85


class AuditLog:
    def __init__(self, database: Any, *, retention_days: int = 90) -> None:
        self.database = database
        self.collection = database["audit_events"]
        self.retention_seconds = retention_days * 86400

    async def ensure_indexes(self) -> None:
        try:
            await self.collection.create_index(
                "at", expireAfterSeconds=self.retention_seconds, name="at_ttl"
            )
        except OperationFailure as exc:
            if exc.code != INDEX_OPTIONS_CONFLICT:
                raise
            # Retention changed since the index was made: update it in place.
            await self.database.command(
                "collMod",
                "audit_events",
                index={"name": "at_ttl", "expireAfterSeconds": self.retention_seconds},
            )
        await self.collection.create_index([("user_id", 1), ("at", -1)], name="user_at")
        await self.collection.create_index(
            [("app_id", 1), ("event", 1), ("at", -1)], name="app_event_at"
        )

    async def record(
        self,
        event: str,
        *,
        app_id: str,
        user_id: Any = None,
        ip: str | None = None,
        user_agent: str | None = None,
        **details: Any,
    ) -> None:
        doc: dict[str, Any] = {"event": event, "app_id": app_id, "at": utcnow()}
        if user_id is not None:
            doc["user_id"] = user_id
        if ip:
            doc["ip"] = ip
        if user_agent:
            doc["user_agent"] = user_agent[:512]
        doc.update({key: value for key, value in details.items() if value is not None})
        await self.collection.insert_one(doc)
