"""Typed records: what the store returns and the services and routes work with.

Only ``store/`` knows MongoDB documents and their field names; it builds these frozen records,
and everything above it reads attributes. Datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from bson import ObjectId

#: Role and plan of a new member of an app (contract §4).
DEFAULT_ROLE = "member"
DEFAULT_PLAN = "free"


@dataclass(frozen=True)
class AppRecord:
    """A registered product app (the ``apps`` collection)."""

    app_id: str
    name: str
    secret_hash: str = field(repr=False)
    allowed_auth_methods: tuple[str, ...]
    allowed_domains: tuple[str, ...] = ()
    is_active: bool = True
    created_at: datetime | None = None
    updated_at: datetime | None = field(default=None, compare=False)

    def public_view(self) -> dict[str, Any]:
        """Everything but the secret hash (for the CLI and health output)."""
        return {
            "app_id": self.app_id,
            "name": self.name,
            "allowed_auth_methods": list(self.allowed_auth_methods),
            "allowed_domains": list(self.allowed_domains),
            "is_active": self.is_active,
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }


@dataclass(frozen=True)
class Membership:
    """A person's entry for one app in their ``apps[]``: their role and plan there."""

    app_id: str
    role: str = DEFAULT_ROLE
    plan: str = DEFAULT_PLAN
    joined_at: datetime | None = None


@dataclass(frozen=True)
class UserRecord:
    """One person (the ``users`` collection), shared by every app.

    ``email_verified`` is true only when the address was proven (Firebase said so);
    ``password_hash`` is set for accounts with a native password.
    """

    id: ObjectId
    username: str | None = None
    email: str | None = None
    email_verified: bool = False
    firebase_uid: str | None = None
    password_hash: str | None = field(default=None, repr=False)
    name: str | None = None
    avatar: str | None = None
    phone: str | None = None
    date_of_birth: str | None = None
    address: Mapping[str, str] | None = None
    provider: str | None = None
    is_active: bool = True
    apps: tuple[Membership, ...] = ()
    created_at: datetime | None = None
    updated_at: datetime | None = field(default=None, compare=False)

    @property
    def uid(self) -> str:
        """The user's id as a string (the access token's ``uid``), stable for life."""
        return str(self.id)

    def membership(self, app_id: str) -> Membership | None:
        """The user's entry for ``app_id``, if they joined it."""
        for entry in self.apps:
            if entry.app_id == app_id:
                return entry
        return None


class TokenStatus(str, Enum):
    ACTIVE = "active"
    ROTATED = "rotated"
    REVOKED = "revoked"


@dataclass(frozen=True)
class RefreshTokenRecord:
    """One refresh token of a session (only its hash is stored)."""

    token_hash: str = field(repr=False)
    user_id: ObjectId
    app_id: str
    session_id: str
    provider: str
    status: TokenStatus
    created_at: datetime | None = None
    expires_at: datetime | None = None
    parent_hash: str | None = field(default=None, repr=False)
    replaced_by: str | None = field(default=None, repr=False)
    rotated_at: datetime | None = None
    #: When the session's sign-in happened (copied along the chain); None before it was kept.
    auth_time: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.status is TokenStatus.ACTIVE

    @property
    def is_rotated(self) -> bool:
        return self.status is TokenStatus.ROTATED


__all__ = [
    "DEFAULT_PLAN",
    "DEFAULT_ROLE",
    "AppRecord",
    "Membership",
    "RefreshTokenRecord",
    "TokenStatus",
    "UserRecord",
]
