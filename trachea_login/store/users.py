"""The ``users`` collection: one document per person, shared by every app.

Unique sparse indexes on ``username`` (stored lower-cased, so uniqueness is case-insensitive),
``email`` (lower-cased) and ``firebase_uid``: a document without one of these simply lacks the
field, never holds ``null``, so the sparse indexes accept any number of such documents.
``apps[]`` holds ``{app_id, role, plan, joined_at}`` per app; entries are appended with one
conditional ``$push`` and changed with the positional ``apps.$`` operator, never by rewriting
the array.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ReturnDocument

from ._time import utcnow

DEFAULT_ROLE = "member"
DEFAULT_PLAN = "free"


def object_id(value: str | ObjectId) -> ObjectId | None:
    """Parse a user id; ``None`` when it is not a valid ObjectId."""
    if isinstance(value, ObjectId):
        return value
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


def new_app_entry(app_id: str, *, now: datetime | None = None) -> dict[str, Any]:
    return {
        "app_id": app_id,
        "role": DEFAULT_ROLE,
        "plan": DEFAULT_PLAN,
        "joined_at": now or utcnow(),
    }


def app_entry(user: dict[str, Any], app_id: str) -> dict[str, Any] | None:
    """The user's ``apps[]`` entry for ``app_id``, if any."""
    for entry in user.get("apps", ()):
        if entry.get("app_id") == app_id:
            return entry
    return None


class UserStore:
    def __init__(self, database: Any) -> None:
        self.collection = database["users"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            "username", unique=True, sparse=True, name="username_unique"
        )
        await self.collection.create_index("email", unique=True, sparse=True, name="email_unique")
        await self.collection.create_index(
            "firebase_uid", unique=True, sparse=True, name="firebase_uid_unique"
        )
        await self.collection.create_index("apps.app_id", name="apps_app_id")

    # -- reads -------------------------------------------------------------------------------

    async def get(self, user_id: str | ObjectId) -> dict[str, Any] | None:
        oid = object_id(user_id)
        return await self.collection.find_one({"_id": oid}) if oid else None

    async def find_by_username(self, username: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"username": username.lower()})  # username_unique

    async def find_by_email(self, email: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"email": email.lower()})  # email_unique

    async def find_by_firebase_uid(self, firebase_uid: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"firebase_uid": firebase_uid})

    # -- writes ------------------------------------------------------------------------------

    async def insert(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Insert a new user; raises ``DuplicateKeyError`` when a unique field is taken.

        ``fields`` must not contain ``None`` values (sparse unique indexes would count them).
        """
        now = utcnow()
        doc = {key: value for key, value in fields.items() if value is not None}
        doc.setdefault("is_active", True)
        doc.setdefault("apps", [])
        doc["created_at"] = now
        doc["updated_at"] = now
        result = await self.collection.insert_one(doc)
        doc["_id"] = result.inserted_id
        return doc

    async def join_app(self, user_id: ObjectId, app_id: str) -> dict[str, Any] | None:
        """Append the default ``apps[]`` entry for ``app_id`` unless one exists; return the user.

        One conditional update: two concurrent first logins cannot append two entries, and the
        entries of other apps are never touched.
        """
        await self.collection.update_one(
            {"_id": user_id, "apps.app_id": {"$ne": app_id}},
            {"$push": {"apps": new_app_entry(app_id)}, "$set": {"updated_at": utcnow()}},
        )
        return await self.get(user_id)

    async def update_fields(
        self,
        user_id: ObjectId,
        set_fields: dict[str, Any] | None = None,
        unset_fields: list[str] | None = None,
    ) -> dict[str, Any] | None:
        """``$set``/``$unset`` top-level fields; returns the updated user.

        May raise ``DuplicateKeyError`` when a unique field (email) is taken.
        """
        update: dict[str, Any] = {"$set": {**(set_fields or {}), "updated_at": utcnow()}}
        if unset_fields:
            update["$unset"] = {name: "" for name in unset_fields}
        return await self.collection.find_one_and_update(
            {"_id": user_id}, update, return_document=ReturnDocument.AFTER
        )

    async def replace_password_hash(self, user_id: ObjectId, old_hash: str, new_hash: str) -> None:
        """Upgrade a stale hash, only if it is still the one we verified against."""
        await self.collection.update_one(
            {"_id": user_id, "password_hash": old_hash},
            {"$set": {"password_hash": new_hash, "updated_at": utcnow()}},
        )

    async def set_app_fields(
        self,
        user_id: ObjectId,
        app_id: str,
        app_fields: dict[str, Any],
        extra_set: dict[str, Any] | None = None,
        only_if: dict[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """Set fields of the user's entry for ``app_id`` (positional ``apps.$``) in one atomic
        update; return the user, or ``None`` if the user has no entry for that app (or
        ``only_if``, an extra filter, does not match). May raise ``DuplicateKeyError`` via
        ``extra_set`` (an email taken by another account).

        ``update_one`` then a read, not ``find_one_and_update``: mongomock's
        ``find_one_and_update`` re-runs the update filtered by ``_id`` alone, so ``apps.$``
        would hit the *first* entry on the embedded database. ``update_one`` keeps the
        ``apps.app_id`` filter on MongoDB and mongomock alike.
        """
        update = {f"apps.$.{name}": value for name, value in app_fields.items()}
        update.update(extra_set or {})
        update["updated_at"] = utcnow()
        result = await self.collection.update_one(
            {**(only_if or {}), "_id": user_id, "apps.app_id": app_id}, {"$set": update}
        )
        if result.matched_count == 0:
            return None
        return await self.get(user_id)

    async def link_firebase(
        self,
        user_id: ObjectId,
        email: str,
        fields: dict[str, Any],
        unset_fields: list[str] | None = None,
    ) -> dict[str, Any] | None:
        """Attach a Firebase identity to an account in one conditional update: only while the
        account still has no ``firebase_uid`` and still holds ``email``. ``None`` otherwise."""
        update: dict[str, Any] = {"$set": {**fields, "updated_at": utcnow()}}
        if unset_fields:
            update["$unset"] = {name: "" for name in unset_fields}
        return await self.collection.find_one_and_update(
            {"_id": user_id, "firebase_uid": {"$exists": False}, "email": email},
            update,
            return_document=ReturnDocument.AFTER,
        )

    async def evict_unverified_email(self, user_id: ObjectId, email: str) -> bool:
        """Remove ``email`` from an account that holds it unverified (one conditional update);
        whether it did."""
        result = await self.collection.update_one(
            {"_id": user_id, "email": email, "email_verified": {"$ne": True}},
            {"$unset": {"email": "", "email_verified": ""}, "$set": {"updated_at": utcnow()}},
        )
        return bool(result.modified_count)

    async def set_active(self, user_id: ObjectId, active: bool) -> dict[str, Any] | None:
        return await self.update_fields(user_id, {"is_active": active})
