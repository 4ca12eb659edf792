"""Response bodies of the HTTP API (contract §4), built from the store's records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from ..records import DEFAULT_PLAN, DEFAULT_ROLE, UserRecord
from ..services.sessions import SessionView


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


class ServiceTokenResponse(BaseModel):
    """A service client's token (``POST /token``, RFC 6749 §5.1): no refresh token; the
    client asks for a new one when this one expires."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth token type
    expires_in: int
    scope: str


class MessageResponse(BaseModel):
    message: str


class SessionResponse(BaseModel):
    """One live session of the caller in this app."""

    session_id: str
    provider: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    user_agent: str | None
    ip: str | None
    current: bool

    @classmethod
    def from_view(cls, view: SessionView) -> SessionResponse:
        session = view.session
        return cls(
            session_id=session.session_id,
            provider=session.provider,
            created_at=session.auth_time,
            last_used_at=session.last_used_at,
            expires_at=session.ends_at(),
            user_agent=session.user_agent,
            ip=session.ip,
            current=view.current,
        )


class SessionsResponse(BaseModel):
    sessions: list[SessionResponse]


class AppConfigResponse(BaseModel):
    """``GET /auth/config``: what a client needs to draw its sign-in screen."""

    app_id: str
    name: str
    allowed_auth_methods: list[str]
    password_min_length: int
