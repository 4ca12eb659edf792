"""What trachea-login 0.1.x left in a database, read into plain records, and how to recognise
a database that still has it.

0.1.x (on PyPI up to 0.1.9) wrote ``apps``, ``users`` and ``refresh_tokens`` with other
conventions (``tests/legacy/README.md`` lists them with their code locations): identifiers as
typed, explicit ``null`` fields, ``app_secret`` holding a plain bcrypt hash, refresh tokens keyed
by a ``token_hash`` field with a ``revoked`` flag and no session, and indexes named
``username_1``, ``token_hash_1`` ... on the keys of ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

#: The indexes 0.1.x's ``startup()`` creates, per collection. Ours have the same keys under
#: other names, which a real MongoDB refuses beside them.
LEGACY_INDEXES: dict[str, tuple[str, ...]] = {
    "users": ("username_1", "email_1", "firebase_uid_1", "apps.app_id_1"),
    "apps": ("app_id_1",),
    "refresh_tokens": ("token_hash_1", "expires_at_1"),
}

#: 0.1.x's field for an app's secret hash, and ours.
LEGACY_SECRET_FIELD = "app_secret"  # noqa: S105 - a field name
SECRET_HASH_FIELD = "app_secret_hash"  # noqa: S105 - a field name

#: The fields of a user document the migration plans with (everything but the profile).
PERSON_PROJECTION = {
    "username": 1,
    "email": 1,
    "firebase_uid": 1,
    "password_hash": 1,
    "provider": 1,
    "is_active": 1,
    "erased_at": 1,
    "apps.app_id": 1,
    "apps.plan": 1,
}

#: A 0.1.x refresh token document (ours are keyed by ``_id`` and lack this field).
LEGACY_TOKEN_QUERY = {"token_hash": {"$exists": True}}


@dataclass(frozen=True)
class Person:
    """A user document as far as the plan needs it. ``id`` is the document's ``_id``."""

    id: Any
    username: str | None
    email: str | None
    firebase_uid: str | None
    provider: str | None
    is_active: bool
    has_password: bool
    plans: tuple[tuple[str, str], ...]  # (app_id, plan) per apps[] entry

    @property
    def app_ids(self) -> frozenset[str]:
        return frozenset(app_id for app_id, _ in self.plans)

    @property
    def is_native(self) -> bool:
        """An account that signs in with a password of ours (0.1.x: provider ``username``)."""
        return self.has_password or self.provider == "username"


@dataclass(frozen=True)
class LegacyToken:
    """One 0.1.x ``refresh_tokens`` document. ``identifier`` is its ``username`` field: the
    username or email the holder signed in with, exactly as stored then; ``None`` for
    Firebase sign-ins, which carry ``firebase_uid``."""

    id: Any
    token_hash: str
    app_id: str
    firebase_uid: str | None
    identifier: str | None
    revoked: bool
    created_at: datetime
    expires_at: datetime


def utc(value: Any) -> datetime | None:
    """A stored datetime (naive UTC unless the client is ``tz_aware``) as aware UTC."""
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def person_of(doc: Mapping[str, Any]) -> Person:
    entries = [entry for entry in doc.get("apps") or () if isinstance(entry, Mapping)]
    return Person(
        id=doc["_id"],
        username=_text(doc.get("username")),
        email=_text(doc.get("email")),
        firebase_uid=_text(doc.get("firebase_uid")),
        provider=_text(doc.get("provider")),
        is_active=doc.get("is_active", True) is not False and "erased_at" not in doc,
        has_password=bool(_text(doc.get("password_hash"))),
        plans=tuple(
            (str(entry.get("app_id")), str(entry.get("plan") or "free")) for entry in entries
        ),
    )


def legacy_token_of(doc: Mapping[str, Any]) -> LegacyToken:
    created_at, expires_at = utc(doc.get("created_at")), utc(doc.get("expires_at"))
    epoch = datetime.fromtimestamp(0, timezone.utc)  # a token without dates is long expired
    return LegacyToken(
        id=doc["_id"],
        token_hash=str(doc.get("token_hash") or ""),
        app_id=str(doc.get("app_id") or ""),
        firebase_uid=_text(doc.get("firebase_uid")),
        identifier=_text(doc.get("username")),
        revoked=doc.get("revoked") is not False,
        created_at=created_at or expires_at or epoch,
        expires_at=expires_at or epoch,
    )


async def legacy_signs(database: Any) -> list[str]:
    """What marks ``database`` as not yet migrated from 0.1.x: its indexes, and apps whose
    secret is still in 0.1.x's field (0.1.x's indexes only exist where its ``startup()`` ran;
    its apps always have that field, having been inserted by hand as its README shows).
    Empty for a database of this version, or an empty one. Four reads."""
    signs: list[str] = []
    for collection, names in LEGACY_INDEXES.items():
        existing = await database[collection].index_information()
        signs += [f"index {collection}.{name}" for name in names if name in existing]
    app = await database["apps"].find_one(
        {LEGACY_SECRET_FIELD: {"$exists": True}, SECRET_HASH_FIELD: {"$exists": False}},
        {"app_id": 1},
    )
    if app is not None:
        signs.append(f"app '{app.get('app_id')}' with its secret in 0.1.x's field")
    return signs


def legacy_database_message(db_name: str, signs: list[str]) -> str:
    """The startup error for a database 0.1.x wrote that was not migrated yet."""
    return (
        f"Database '{db_name}' holds trachea-login 0.1.x data ({'; '.join(signs[:3])}). "
        "Upgrade it in place, after a backup: trachea-login db migrate --dry-run, then "
        "trachea-login db migrate (see docs/upgrading.md)"
    )


__all__ = [
    "LEGACY_INDEXES",
    "LegacyToken",
    "Person",
    "legacy_database_message",
    "legacy_signs",
    "legacy_token_of",
    "person_of",
    "utc",
]
