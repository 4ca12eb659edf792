"""Typed records: what the store returns and the services and routes work with.

Only ``store/`` knows MongoDB documents and their field names; it builds these frozen records,
and everything above it reads attributes. Datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
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
    """A person's entry for one app in their ``apps[]``: their role and plan there.

    ``sessions_valid_after``: sessions of this app signed in at or before this time have ended
    (logout, refresh-token reuse).
    """

    app_id: str
    role: str = DEFAULT_ROLE
    plan: str = DEFAULT_PLAN
    joined_at: datetime | None = None
    sessions_valid_after: datetime | None = None


@dataclass(frozen=True)
class UserRecord:
    """One person (the ``users`` collection), shared by every app.

    ``email_verified`` is true only when the address was proven (Firebase said so);
    ``password_hash`` is set for accounts with a native password. ``sessions_valid_after``:
    sessions of every app signed in at or before this time have ended (deactivation, password
    change, account takeover), except ``session_spared`` (the session that changed the
    password). ``erased_at``: the person's data was erased; nothing else is left.
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
    sessions_valid_after: datetime | None = None
    session_spared: str | None = None
    erased_at: datetime | None = None
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


@dataclass(frozen=True)
class SessionRecord:
    """One sign-in (``sid``) and where its chain of refresh tokens stands.

    Only hashes of refresh tokens are stored: the current one, and its immediate predecessor
    (for the grace window). ``expires_at`` is the absolute end (sign-in + ``SESSION_MAX_DAYS``);
    ``refresh_expires_at`` the current refresh token's (the idle timeout, never past
    ``expires_at``).
    """

    session_id: str
    user_id: ObjectId
    app_id: str
    provider: str
    auth_time: datetime
    expires_at: datetime
    refresh_hash: str = field(repr=False)
    refresh_expires_at: datetime
    last_used_at: datetime
    previous_hash: str | None = field(default=None, repr=False)
    previous_expires_at: datetime | None = None
    rotated_at: datetime | None = None
    ended_at: datetime | None = None
    user_agent: str | None = None
    ip: str | None = None

    def ends_at(self) -> datetime:
        """When the session ends if it is not refreshed."""
        return min(self.refresh_expires_at, self.expires_at)


@dataclass(frozen=True)
class RetiredTokenRecord:
    """A refresh token that was rotated: presenting it again is reuse (until its own expiry)."""

    token_hash: str = field(repr=False)
    session_id: str
    user_id: ObjectId
    app_id: str
    rotated_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class ServiceClientRecord:
    """A service client of one app (the ``service_clients`` collection, contract §10): a
    product's worker, cron job or other service that gets access tokens with its own
    credentials (``POST /token``), holding only the scopes it was given.

    ``revoked_at``: the client may get no more tokens (those it has live until they expire,
    or stop at once on ``require_scopes(..., live=True)`` routes).
    """

    client_id: str
    app_id: str
    name: str
    scopes: tuple[str, ...]
    secret_hash: str = field(repr=False)
    created_at: datetime | None = None
    secret_rotated_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def public_view(self) -> dict[str, Any]:
        """Everything but the secret hash (for the CLI)."""
        return {
            "client_id": self.client_id,
            "app_id": self.app_id,
            "name": self.name,
            "scopes": list(self.scopes),
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "secret_rotated_at": (
                self.secret_rotated_at.isoformat() if self.secret_rotated_at else None
            ),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


__all__ = [
    "DEFAULT_PLAN",
    "DEFAULT_ROLE",
    "AppRecord",
    "Membership",
    "RetiredTokenRecord",
    "ServiceClientRecord",
    "SessionRecord",
    "UserRecord",
]
