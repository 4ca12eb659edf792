"""The ``users`` collection: one document per person, shared by every app.

Unique sparse indexes on ``username`` and ``email`` (both stored NFKC-normalised and case-folded,
:mod:`trachea_login.identifiers`, so uniqueness ignores case and Unicode spelling) and
``firebase_uid``: a document without one of these simply lacks the
field, never holds ``null`` (real MongoDB indexes an explicit ``null``, so two of them would
collide). Every write here therefore turns a ``None`` value into ``$unset``.
``apps[]`` holds ``{app_id, role, plan, joined_at}`` per app; entries are appended with one
conditional ``$push`` and changed with the positional ``apps.$`` operator, never by rewriting
the array.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ReturnDocument

from ..clock import Clock
from ..identifiers import normalise_identifier
from ..records import DEFAULT_PLAN, DEFAULT_ROLE, Membership, UserRecord
from ._documents import aware

#: Top-level fields a write may set (record attribute name = document field name).
USER_FIELDS = frozenset(
    {
        "username",
        "email",
        "email_verified",
        "firebase_uid",
        "password_hash",
        "name",
        "avatar",
        "phone",
        "date_of_birth",
        "address",
        "provider",
        "is_active",
    }
)
MEMBERSHIP_FIELDS = frozenset({"role", "plan"})


def object_id(value: str | ObjectId) -> ObjectId | None:
    """Parse a user id; ``None`` when it is not a valid ObjectId."""
    if isinstance(value, ObjectId):
        return value
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


def _membership(entry: Mapping[str, Any]) -> Membership:
    return Membership(
        app_id=str(entry.get("app_id")),
        role=entry.get("role", DEFAULT_ROLE),
        plan=entry.get("plan", DEFAULT_PLAN),
        joined_at=aware(entry.get("joined_at")),
        sessions_valid_after=aware(entry.get("sessions_valid_after")),
    )


def _record(doc: Mapping[str, Any]) -> UserRecord:
    address = doc.get("address")
    return UserRecord(
        id=doc["_id"],
        username=doc.get("username"),
        email=doc.get("email"),
        email_verified=doc.get("email_verified") is True,
        firebase_uid=doc.get("firebase_uid"),
        password_hash=doc.get("password_hash"),
        name=doc.get("name"),
        avatar=doc.get("avatar"),
        phone=doc.get("phone"),
        date_of_birth=doc.get("date_of_birth"),
        address=dict(address) if isinstance(address, Mapping) else None,
        provider=doc.get("provider"),
        is_active=bool(doc.get("is_active", True)) and "erased_at" not in doc,
        apps=tuple(_membership(entry) for entry in doc.get("apps", ()) if isinstance(entry, dict)),
        sessions_valid_after=aware(doc.get("sessions_valid_after")),
        session_spared=doc.get("session_spared"),
        erased_at=aware(doc.get("erased_at")),
        created_at=aware(doc.get("created_at")),
        updated_at=aware(doc.get("updated_at")),
    )


def _new_entry(app_id: str, now: datetime) -> dict[str, Any]:
    return {"app_id": app_id, "role": DEFAULT_ROLE, "plan": DEFAULT_PLAN, "joined_at": now}


def _checked(fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - USER_FIELDS
    if unknown:
        raise ValueError(f"not user fields: {', '.join(sorted(unknown))}")


def _present(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` without its ``None`` values, nested mappings (``address``) included: a
    document never holds ``null`` (real MongoDB indexes an explicit ``null`` under a sparse
    unique index, so two of them collide)."""
    return {
        name: _present(value) if isinstance(value, Mapping) else value
        for name, value in fields.items()
        if value is not None
    }


def _update(
    now: datetime,
    set_fields: Mapping[str, Any],
    unset_fields: Iterable[str] = (),
    *,
    end_sessions: bool = False,
) -> dict[str, Any]:
    """``$set``/``$unset`` for top-level fields; a ``None`` value is an ``$unset``.

    ``end_sessions``: in the same write, every session of the account signed in until now ends
    (no session is spared)."""
    _checked(set_fields)
    _checked(dict.fromkeys(unset_fields))
    to_set = _present(set_fields)
    to_unset = {name for name, value in set_fields.items() if value is None} | set(unset_fields)
    if end_sessions:
        to_set["sessions_valid_after"] = now
        to_unset.add("session_spared")
    update: dict[str, Any] = {"$set": {**to_set, "updated_at": now}}
    if to_unset:
        update["$unset"] = dict.fromkeys(sorted(to_unset), "")
    return update


class UserStore:
    def __init__(self, database: Any, clock: Clock) -> None:
        self.collection = database["users"]
        self._clock = clock

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

    async def get(self, user_id: str | ObjectId) -> UserRecord | None:
        oid = object_id(user_id)
        doc = await self.collection.find_one({"_id": oid}) if oid else None
        return _record(doc) if doc else None

    async def find_by_username(self, username: str) -> UserRecord | None:
        doc = await self.collection.find_one(  # username_unique
            {"username": normalise_identifier(username)}
        )
        return _record(doc) if doc else None

    async def find_by_email(self, email: str) -> UserRecord | None:
        doc = await self.collection.find_one({"email": normalise_identifier(email)})  # email_unique
        return _record(doc) if doc else None

    async def find_by_firebase_uid(self, firebase_uid: str) -> UserRecord | None:
        doc = await self.collection.find_one({"firebase_uid": firebase_uid})  # firebase_uid_unique
        return _record(doc) if doc else None

    # -- writes ------------------------------------------------------------------------------

    async def insert(self, fields: Mapping[str, Any], *, app_id: str | None = None) -> UserRecord:
        """Insert a new user (already a member of ``app_id`` when given); raises
        ``DuplicateKeyError`` when a unique field is taken. ``None`` values are left out."""
        _checked(fields)
        now = self._clock.now()
        doc: dict[str, Any] = _present(fields)
        doc.setdefault("is_active", True)
        doc["apps"] = [_new_entry(app_id, now)] if app_id else []
        doc["created_at"] = now
        doc["updated_at"] = now
        result = await self.collection.insert_one(doc)
        doc["_id"] = result.inserted_id
        return _record(doc)

    async def join_app(self, user_id: ObjectId, app_id: str) -> UserRecord | None:
        """Append the default ``apps[]`` entry for ``app_id`` unless one exists; return the user.

        One conditional update: two concurrent first logins cannot append two entries, and the
        entries of other apps are never touched.
        """
        now = self._clock.now()
        await self.collection.update_one(
            {"_id": user_id, "apps.app_id": {"$ne": app_id}, "erased_at": {"$exists": False}},
            {"$push": {"apps": _new_entry(app_id, now)}, "$set": {"updated_at": now}},
        )
        return await self.get(user_id)

    async def update_fields(
        self,
        user_id: ObjectId,
        set_fields: Mapping[str, Any],
        unset_fields: Iterable[str] = (),
        *,
        end_sessions: bool = False,
    ) -> UserRecord | None:
        """Set and unset top-level fields (a ``None`` value unsets); return the updated user.
        With ``end_sessions``, the same write ends every session of the account.

        May raise ``DuplicateKeyError`` when a unique field (email) is taken.
        """
        doc = await self.collection.find_one_and_update(
            {"_id": user_id, "erased_at": {"$exists": False}},
            _update(self._clock.now(), set_fields, unset_fields, end_sessions=end_sessions),
            return_document=ReturnDocument.AFTER,
        )
        return _record(doc) if doc else None

    async def replace_password_hash(self, user_id: ObjectId, old_hash: str, new_hash: str) -> None:
        """Upgrade a stale hash, only if it is still the one we verified against."""
        await self.collection.update_one(
            {"_id": user_id, "password_hash": old_hash},
            {"$set": {"password_hash": new_hash, "updated_at": self._clock.now()}},
        )

    async def set_membership_fields(
        self,
        user_id: ObjectId,
        app_id: str,
        membership: Mapping[str, Any],
        account: Mapping[str, Any] | None = None,
        *,
        only_without_email: bool = False,
    ) -> UserRecord | None:
        """Set the user's ``role``/``plan`` in ``app_id`` (positional ``apps.$``), and top-level
        ``account`` fields, in one atomic update. ``None`` when the user has no entry for that
        app, or (``only_without_email``) already has an email. May raise ``DuplicateKeyError``
        via ``account`` (an email taken by another account).

        ``update_one`` then a read, not ``find_one_and_update``: mongomock's
        ``find_one_and_update`` re-runs the update filtered by ``_id`` alone, so ``apps.$``
        would hit the *first* entry on the embedded database. ``update_one`` keeps the
        ``apps.app_id`` filter on MongoDB and mongomock alike.
        """
        unknown = set(membership) - MEMBERSHIP_FIELDS
        if unknown:
            raise ValueError(f"not membership fields: {', '.join(sorted(unknown))}")
        update = _update(self._clock.now(), account or {})
        update["$set"].update({f"apps.$.{name}": value for name, value in membership.items()})
        query: dict[str, Any] = {"_id": user_id, "apps.app_id": app_id}
        if only_without_email:
            query["email"] = {"$exists": False}
        result = await self.collection.update_one(query, update)
        if result.matched_count == 0:
            return None
        return await self.get(user_id)

    async def link_firebase(
        self,
        user_id: ObjectId,
        email: str,
        set_fields: Mapping[str, Any],
        unset_fields: Iterable[str] = (),
        *,
        end_sessions: bool = False,
    ) -> UserRecord | None:
        """Attach a Firebase identity to an account in one conditional update: only while the
        account still has no ``firebase_uid`` and still holds ``email``. ``None`` otherwise.
        With ``end_sessions``, the same write ends every session the account had."""
        doc = await self.collection.find_one_and_update(
            {"_id": user_id, "firebase_uid": {"$exists": False}, "email": email},
            _update(self._clock.now(), set_fields, unset_fields, end_sessions=end_sessions),
            return_document=ReturnDocument.AFTER,
        )
        return _record(doc) if doc else None

    async def evict_unverified_email(self, user_id: ObjectId, email: str) -> bool:
        """Remove ``email`` from an account that holds it unverified (one conditional update);
        whether it did."""
        result = await self.collection.update_one(
            {"_id": user_id, "email": email, "email_verified": {"$ne": True}},
            _update(self._clock.now(), {}, ("email", "email_verified")),
        )
        return bool(result.modified_count)

    async def set_active(self, user_id: ObjectId, active: bool) -> UserRecord | None:
        """Deactivate or reactivate the account. Either way the same write ends every session
        signed in until now: a deactivated account's sessions never come back, and none made
        while it was deactivated (by a racing sign-in) survives the reactivation."""
        return await self.update_fields(user_id, {"is_active": active}, end_sessions=True)

    async def end_app_sessions(self, user_id: ObjectId, app_id: str) -> bool:
        """End every session of the user in one app signed in until now (logout, refresh-token
        reuse): one write of the app entry's cutoff. Whether the user is a member."""
        now = self._clock.now()
        result = await self.collection.update_one(
            {"_id": user_id, "apps.app_id": app_id},
            {"$set": {"apps.$.sessions_valid_after": now, "updated_at": now}},
        )
        return bool(result.matched_count)

    async def end_account_sessions(
        self, user_id: ObjectId, *, spare: str | None = None
    ) -> UserRecord | None:
        """End every session of the account, in every app, signed in until now, except the
        session ``spare``: one write."""
        now = self._clock.now()
        update: dict[str, Any] = {"$set": {"sessions_valid_after": now, "updated_at": now}}
        if spare:
            update["$set"]["session_spared"] = spare
        else:
            update["$unset"] = {"session_spared": ""}
        doc = await self.collection.find_one_and_update(
            {"_id": user_id, "erased_at": {"$exists": False}},
            update,
            return_document=ReturnDocument.AFTER,
        )
        return _record(doc) if doc else None

    async def change_password(
        self, user_id: ObjectId, old_hash: str, new_hash: str, *, spare: str
    ) -> UserRecord | None:
        """Replace the password hash, only if it is still ``old_hash``, and in the same write end
        every other session of the account (all but ``spare``). ``None`` if it changed."""
        now = self._clock.now()
        doc = await self.collection.find_one_and_update(
            {"_id": user_id, "password_hash": old_hash},
            {
                "$set": {
                    "password_hash": new_hash,
                    "sessions_valid_after": now,
                    "session_spared": spare,
                    "updated_at": now,
                }
            },
            return_document=ReturnDocument.AFTER,
        )
        return _record(doc) if doc else None

    async def erase(self, user_id: ObjectId) -> bool:
        """Replace the person's document by ``{_id, erased_at}``: nothing personal is left, every
        session ends (there is no account to be live in), and the username and email are free.
        One write; idempotent (an erased document keeps its first ``erased_at``). Whether the
        user exists."""
        result = await self.collection.replace_one(
            {"_id": user_id, "erased_at": {"$exists": False}}, {"erased_at": self._clock.now()}
        )
        if result.matched_count:
            return True
        return bool(await self.collection.count_documents({"_id": user_id}, limit=1))
