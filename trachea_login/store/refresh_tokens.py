"""The ``refresh_tokens`` collection: only SHA-256 hashes of tokens, expired by a TTL index.

A token is 256 random bits, so a plain SHA-256 digest is not brute-forceable and lets the
lookup be an exact ``_id`` match. Rotation is one conditional ``find_one_and_update`` on
``{_id: hash, status: "active"}``: of any number of concurrent refreshes with one token,
exactly one matches.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bson import ObjectId

from ..clock import Clock
from ..records import RefreshTokenRecord, TokenStatus
from ._documents import aware


def _record(doc: Mapping[str, Any]) -> RefreshTokenRecord:
    return RefreshTokenRecord(
        token_hash=doc["_id"],
        user_id=doc["user_id"],
        app_id=doc["app_id"],
        session_id=doc["session_id"],
        provider=doc["provider"],
        status=TokenStatus(doc["status"]),
        created_at=aware(doc.get("created_at")),
        expires_at=aware(doc.get("expires_at")),
        parent_hash=doc.get("parent_hash"),
        replaced_by=doc.get("replaced_by"),
        rotated_at=aware(doc.get("rotated_at")),
        auth_time=aware(doc.get("auth_time")),
    )


class RefreshTokenStore:
    def __init__(self, database: Any, clock: Clock) -> None:
        self.collection = database["refresh_tokens"]
        self._clock = clock

    async def ensure_indexes(self) -> None:
        # Documents disappear once expires_at has passed (the TTL monitor runs every minute;
        # queries also check expires_at so an expired token never works in between).
        await self.collection.create_index(
            "expires_at", expireAfterSeconds=0, name="expires_at_ttl"
        )
        # Revoking a user's tokens for one app (logout, reuse, deactivation).
        await self.collection.create_index(
            [("user_id", 1), ("app_id", 1), ("status", 1)], name="user_app_status"
        )

    async def insert(
        self,
        token_hash: str,
        *,
        user_id: ObjectId,
        app_id: str,
        session_id: str,
        provider: str,
        expires_at: datetime,
        parent_hash: str | None = None,
        auth_time: datetime | None = None,
    ) -> None:
        """Store a new token; ``auth_time`` is the session's sign-in time (kept along the
        chain of rotations, absent for chains started before it was kept)."""
        doc: dict[str, Any] = {
            "_id": token_hash,
            "user_id": user_id,
            "app_id": app_id,
            "session_id": session_id,
            "provider": provider,
            "status": TokenStatus.ACTIVE.value,
            "created_at": self._clock.now(),
            "expires_at": expires_at,
        }
        if parent_hash:
            doc["parent_hash"] = parent_hash
        if auth_time is not None:
            doc["auth_time"] = auth_time
        await self.collection.insert_one(doc)

    async def rotate(
        self, token_hash: str, app_id: str, *, replaced_by: str
    ) -> RefreshTokenRecord | None:
        """Mark an active, unexpired token as rotated; return it, or ``None`` if it was not
        active (already rotated, revoked, expired or unknown). Atomic."""
        now = self._clock.now()
        doc = await self.collection.find_one_and_update(
            {
                "_id": token_hash,
                "app_id": app_id,
                "status": TokenStatus.ACTIVE.value,
                "expires_at": {"$gt": now},
            },
            {
                "$set": {
                    "status": TokenStatus.ROTATED.value,
                    "rotated_at": now,
                    "replaced_by": replaced_by,
                }
            },
        )
        return _record(doc) if doc else None

    async def session_active(self, user_id: ObjectId, app_id: str, session_id: str) -> bool:
        """Whether the session still has an active (unexpired) refresh token."""
        doc = await self.collection.find_one(  # user_app_status, then a handful of tokens
            {
                "user_id": user_id,
                "app_id": app_id,
                "status": TokenStatus.ACTIVE.value,
                "session_id": session_id,
                "expires_at": {"$gt": self._clock.now()},
            },
            projection={"_id": 1},
        )
        return doc is not None

    async def get(self, token_hash: str) -> RefreshTokenRecord | None:
        doc = await self.collection.find_one({"_id": token_hash})
        return _record(doc) if doc else None

    async def delete(self, token_hash: str) -> None:
        await self.collection.delete_one({"_id": token_hash})

    async def revoke_all(self, user_id: ObjectId, app_id: str | None = None) -> int:
        """Revoke every active token of a user, for one app or (``app_id=None``) for all."""
        query: dict[str, Any] = {"user_id": user_id, "status": TokenStatus.ACTIVE.value}
        if app_id is not None:
            query["app_id"] = app_id
        result = await self.collection.update_many(
            query,
            {"$set": {"status": TokenStatus.REVOKED.value, "revoked_at": self._clock.now()}},
        )
        return int(result.modified_count)
