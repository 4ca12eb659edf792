"""The ``refresh_tokens`` collection: every refresh token that was rotated, as its hash.

A session's current token lives in its ``sessions`` document; when a refresh rotates it, the
old token's SHA-256 is recorded here (``_id``), so presenting it again is recognised as reuse
until the token's own expiry (``expires_at``; queries check it themselves, the TTL index only
cleans up). A token is 256 random bits, so a plain SHA-256 digest is not brute-forceable and
every lookup is an exact ``_id`` match (shardable on a hashed ``_id``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from ..clock import Clock
from ..records import RetiredTokenRecord
from ._documents import aware


def _record(doc: Mapping[str, Any]) -> RetiredTokenRecord:
    rotated_at, expires_at = aware(doc.get("rotated_at")), aware(doc.get("expires_at"))
    assert rotated_at is not None and expires_at is not None
    return RetiredTokenRecord(
        token_hash=doc["_id"],
        session_id=doc["session_id"],
        user_id=doc["user_id"],
        app_id=doc["app_id"],
        rotated_at=rotated_at,
        expires_at=expires_at,
    )


class RefreshTokenStore:
    def __init__(self, database: Any, clock: Clock) -> None:
        self.collection = database["refresh_tokens"]
        self._clock = clock

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            "expires_at", expireAfterSeconds=0, name="expires_at_ttl"
        )

    async def retire(
        self,
        token_hash: str,
        *,
        session_id: str,
        user_id: ObjectId,
        app_id: str,
        expires_at: datetime,
    ) -> None:
        """Record a rotated token (idempotent)."""
        try:
            await self.collection.insert_one(
                {
                    "_id": token_hash,
                    "session_id": session_id,
                    "user_id": user_id,
                    "app_id": app_id,
                    "rotated_at": self._clock.now(),
                    "expires_at": expires_at,
                }
            )
        except DuplicateKeyError:
            pass

    async def get(self, token_hash: str) -> RetiredTokenRecord | None:
        """The rotated token with this hash (expired or not: the caller judges its expiry, since
        the TTL monitor may not have removed it yet)."""
        doc = await self.collection.find_one({"_id": token_hash})
        return _record(doc) if doc else None
