"""The ``refresh_tokens`` collection: only SHA-256 hashes of tokens, expired by a TTL index.

A token is 256 random bits, so a plain SHA-256 digest is not brute-forceable and lets the
lookup be an exact ``_id`` match. Rotation is one conditional ``find_one_and_update`` on
``{_id: hash, status: "active"}``: of any number of concurrent refreshes with one token,
exactly one matches.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from bson import ObjectId

from ._time import utcnow

ACTIVE = "active"
ROTATED = "rotated"
REVOKED = "revoked"


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class RefreshTokenStore:
    def __init__(self, database: Any) -> None:
        self.collection = database["refresh_tokens"]

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
    ) -> None:
        doc: dict[str, Any] = {
            "_id": token_hash,
            "user_id": user_id,
            "app_id": app_id,
            "session_id": session_id,
            "provider": provider,
            "status": ACTIVE,
            "created_at": utcnow(),
            "expires_at": expires_at,
        }
        if parent_hash:
            doc["parent_hash"] = parent_hash
        await self.collection.insert_one(doc)

    async def rotate(
        self, token_hash: str, app_id: str, *, replaced_by: str
    ) -> dict[str, Any] | None:
        """Mark an active, unexpired token as rotated; return it, or ``None`` if it was not
        active (already rotated, revoked, expired or unknown). Atomic."""
        now = utcnow()
        return await self.collection.find_one_and_update(
            {"_id": token_hash, "app_id": app_id, "status": ACTIVE, "expires_at": {"$gt": now}},
            {"$set": {"status": ROTATED, "rotated_at": now, "replaced_by": replaced_by}},
        )

    async def session_active(self, user_id: ObjectId, app_id: str, session_id: str) -> bool:
        """Whether the session still has an active (unexpired) refresh token."""
        doc = await self.collection.find_one(  # user_app_status, then a handful of tokens
            {
                "user_id": user_id,
                "app_id": app_id,
                "status": ACTIVE,
                "session_id": session_id,
                "expires_at": {"$gt": utcnow()},
            },
            projection={"_id": 1},
        )
        return doc is not None

    async def get(self, token_hash: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"_id": token_hash})

    async def delete(self, token_hash: str) -> None:
        await self.collection.delete_one({"_id": token_hash})

    async def revoke_all(self, user_id: ObjectId, app_id: str | None = None) -> int:
        """Revoke every active token of a user, for one app or (``app_id=None``) for all."""
        query: dict[str, Any] = {"user_id": user_id, "status": ACTIVE}
        if app_id is not None:
            query["app_id"] = app_id
        result = await self.collection.update_many(
            query, {"$set": {"status": REVOKED, "revoked_at": utcnow()}}
        )
        return int(result.modified_count)
