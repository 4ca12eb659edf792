"""The ``sessions`` collection: one document per sign-in, holding its current refresh token.

``_id`` is the session id (``sid``), which the refresh token carries (``<sid>.<secret>``), so
every hot query is an exact ``_id`` match (shardable on a hashed ``_id``). Only SHA-256 hashes of
refresh tokens are stored: the current one and its immediate predecessor. Rotation is one
conditional ``find_one_and_update`` on ``{_id, refresh_hash, not ended, not expired}``: of any
number of concurrent refreshes with one token, exactly one matches. Expiry is checked by every
query (the TTL index on ``refresh_expires_at`` only removes what is long dead: the monitor runs
once a minute and can lag). Whether a session was ended by a per-user or per-app cutoff is not
stored here: the user document holds those (see :mod:`.users`).

A session carried over from trachea-login 0.1.x (``trachea-login db migrate``) also holds
``legacy_hash``: the SHA-256 of the 0.1.x refresh token, which has no session id to find it by
(sparse unique index ``legacy_hash_unique``). Its first rotation removes the field in the same
write, so the 0.1.x token works once and the session continues with tokens of our own.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import DESCENDING, ReturnDocument

from ..clock import Clock
from ..records import SessionRecord
from ._documents import aware


def _record(doc: Mapping[str, Any]) -> SessionRecord:
    def when(name: str) -> datetime:
        value = aware(doc.get(name))
        assert value is not None, name
        return value

    return SessionRecord(
        session_id=doc["_id"],
        user_id=doc["user_id"],
        app_id=doc["app_id"],
        provider=doc["provider"],
        auth_time=when("auth_time"),
        expires_at=when("expires_at"),
        refresh_hash=doc["refresh_hash"],
        refresh_expires_at=when("refresh_expires_at"),
        last_used_at=when("last_used_at"),
        previous_hash=doc.get("previous_hash"),
        previous_expires_at=aware(doc.get("previous_expires_at")),
        rotated_at=aware(doc.get("rotated_at")),
        ended_at=aware(doc.get("ended_at")),
        user_agent=doc.get("user_agent"),
        ip=doc.get("ip"),
    )


def _client_fields(ip: str | None, user_agent: str | None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if ip:
        fields["ip"] = ip
    if user_agent:
        fields["user_agent"] = user_agent[:512]
    return fields


class SessionStore:
    def __init__(self, database: Any, clock: Clock) -> None:
        self.collection = database["sessions"]
        self._clock = clock

    async def ensure_indexes(self) -> None:
        # Idle sessions disappear once their refresh token has expired (and so, at the latest,
        # at the absolute end, which refresh_expires_at never passes).
        await self.collection.create_index(
            "refresh_expires_at", expireAfterSeconds=0, name="refresh_expires_at_ttl"
        )
        # A user's sessions in one app, newest first (GET /sessions; rare on a sharded cluster).
        await self.collection.create_index(
            [("user_id", 1), ("app_id", 1), ("auth_time", DESCENDING)], name="user_app_auth_time"
        )
        # Only sessions carried over from 0.1.x hold it, until their first refresh: tiny.
        await self.collection.create_index(
            "legacy_hash", unique=True, sparse=True, name="legacy_hash_unique"
        )

    async def insert(
        self,
        session_id: str,
        *,
        user_id: ObjectId,
        app_id: str,
        provider: str,
        auth_time: datetime,
        expires_at: datetime,
        refresh_hash: str,
        refresh_expires_at: datetime,
        ip: str | None = None,
        user_agent: str | None = None,
        legacy_hash: str | None = None,
    ) -> SessionRecord:
        """Insert a new session; raises ``DuplicateKeyError`` when ``session_id`` exists.
        ``legacy_hash``: the 0.1.x refresh token it continues (the migration's sessions)."""
        doc: dict[str, Any] = {
            "_id": session_id,
            "user_id": user_id,
            "app_id": app_id,
            "provider": provider,
            "auth_time": auth_time,
            "expires_at": expires_at,
            "refresh_hash": refresh_hash,
            "refresh_expires_at": refresh_expires_at,
            "last_used_at": auth_time,
            **_client_fields(ip, user_agent),
        }
        if legacy_hash is not None:
            doc["legacy_hash"] = legacy_hash
        await self.collection.insert_one(doc)
        return _record(doc)

    async def find_legacy(self, legacy_hash: str) -> str | None:
        """The id of the session that continues the 0.1.x refresh token with this hash, while
        that token has not been used yet (``legacy_hash_unique``)."""
        doc = await self.collection.find_one({"legacy_hash": legacy_hash}, {"_id": 1})
        return str(doc["_id"]) if doc else None

    def _live(self, now: datetime) -> dict[str, Any]:
        """The filter of a session that is neither ended nor expired at ``now``."""
        return {
            "ended_at": {"$exists": False},
            "expires_at": {"$gt": now},
            "refresh_expires_at": {"$gt": now},
        }

    async def rotate(
        self,
        session_id: str,
        presented_hash: str,
        *,
        app_id: str,
        new_hash: str,
        new_expires_at: datetime,
        providers: Sequence[str],
        ip: str | None = None,
        user_agent: str | None = None,
    ) -> tuple[SessionRecord, datetime] | None:
        """Replace the session's current refresh token ``presented_hash`` by ``new_hash``, only
        while the session is live and its sign-in method is among ``providers``. Atomic.

        Returns the session after the rotation and the expiry the presented token had, or
        ``None`` if nothing matched (the token is not current, the session ended or expired,
        or the method is no longer allowed). A 0.1.x token's ``legacy_hash`` goes in the same
        write: it has been used."""
        now = self._clock.now()
        changes = {
            "refresh_hash": new_hash,
            "refresh_expires_at": new_expires_at,
            "previous_hash": presented_hash,
            "rotated_at": now,
            "last_used_at": now,
            **_client_fields(ip, user_agent),
        }
        before = await self.collection.find_one_and_update(
            {
                "_id": session_id,
                "app_id": app_id,
                "refresh_hash": presented_hash,
                "provider": {"$in": list(providers)},
                **self._live(now),
            },
            {"$set": changes, "$unset": {"legacy_hash": ""}},
            return_document=ReturnDocument.BEFORE,
        )
        if before is None:
            return None
        presented_expiry = aware(before["refresh_expires_at"])
        assert presented_expiry is not None
        return _record({**before, **changes}), presented_expiry

    async def reissue(
        self,
        session_id: str,
        previous_hash: str,
        *,
        app_id: str,
        rotated_after: datetime,
        new_hash: str,
        ip: str | None = None,
        user_agent: str | None = None,
    ) -> SessionRecord | None:
        """The grace window: the session's immediate predecessor ``previous_hash``, presented
        again since ``rotated_after``, gets a new current token (the one it was rotated into is
        replaced, so it stops working). Atomic; ``None`` if nothing matched."""
        now = self._clock.now()
        changes = {"refresh_hash": new_hash, "last_used_at": now, **_client_fields(ip, user_agent)}
        doc = await self.collection.find_one_and_update(
            {
                "_id": session_id,
                "app_id": app_id,
                "previous_hash": previous_hash,
                "rotated_at": {"$gt": rotated_after},
                **self._live(now),
            },
            {"$set": changes},
            return_document=ReturnDocument.AFTER,
        )
        return _record(doc) if doc else None

    async def get(self, session_id: str) -> SessionRecord | None:
        doc = await self.collection.find_one({"_id": session_id})
        return _record(doc) if doc else None

    async def live_of(
        self, user_id: ObjectId, app_id: str, *, since: datetime | None = None
    ) -> builtins.list[SessionRecord]:
        """The user's sessions in ``app_id`` that are neither ended nor expired (and signed in
        after ``since``, when given), newest sign-in first."""
        query: dict[str, Any] = {
            "user_id": user_id,
            "app_id": app_id,
            **self._live(self._clock.now()),
        }
        if since is not None:
            query["auth_time"] = {"$gt": since}
        cursor = self.collection.find(query).sort("auth_time", DESCENDING)  # user_app_auth_time
        return [_record(doc) async for doc in cursor]

    async def end(self, session_id: str, user_id: ObjectId, app_id: str) -> bool:
        """End one live session of this user in this app (one write); whether it did."""
        now = self._clock.now()
        result = await self.collection.update_one(
            {"_id": session_id, "user_id": user_id, "app_id": app_id, **self._live(now)},
            {"$set": {"ended_at": now}},
        )
        return bool(result.modified_count)

    async def delete_all_of(self, user_id: ObjectId) -> int:
        """Remove every session document of the person (erasure's cleanup: the user document's
        erasure has already ended them)."""
        result = await self.collection.delete_many({"user_id": user_id})
        return int(result.deleted_count)
