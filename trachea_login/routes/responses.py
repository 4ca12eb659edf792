"""Response bodies of the HTTP API (contract §4), built from the store's records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from ..records import DEFAULT_PLAN, DEFAULT_ROLE, UserRecord


class AddressOut(BaseModel):
    street: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    zip: str | None = None


class UserResponse(BaseModel):
    id: str
    firebase_uid: str | None
    username: str | None
    email: str | None
    name: str | None
    avatar: str | None
    phone: str | None
    date_of_birth: date | None
    address: AddressOut | None
    provider: str
    app_id: str
    role: str
    plan: str
    joined_at: datetime | None

    @classmethod
    def from_record(cls, user: UserRecord, *, app_id: str, provider: str) -> UserResponse:
        """The user as seen by ``app_id``, signed in with ``provider``."""
        membership = user.membership(app_id)
        return cls(
            id=user.uid,
            firebase_uid=user.firebase_uid,
            username=user.username,
            email=user.email,
            name=user.name,
            avatar=user.avatar,
            phone=user.phone,
            date_of_birth=user.date_of_birth,  # type: ignore[arg-type]  # ISO text, parsed
            address=AddressOut.model_validate(user.address) if user.address is not None else None,
            provider=provider,
            app_id=app_id,
            role=membership.role if membership else DEFAULT_ROLE,
            plan=membership.plan if membership else DEFAULT_PLAN,
            joined_at=membership.joined_at if membership else None,
        )


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth token type
    expires_in: int


class LoginResponse(TokenResponse):
    user: UserResponse


class MessageResponse(BaseModel):
    message: str


class AppConfigResponse(BaseModel):
    """``GET /auth/config``: what a client needs to draw its sign-in screen."""

    app_id: str
    name: str
    allowed_auth_methods: list[str]
    password_min_length: int
