"""What crosses between the routes and the services: who is calling, and what a sign-in gives."""

from __future__ import annotations

from dataclasses import dataclass

from ..records import UserRecord


@dataclass(frozen=True)
class ClientContext:
    """Who is calling, as far as the transport can tell (for throttling, origin and audit)."""

    ip: str | None = None
    user_agent: str | None = None
    origin: str | None = None


@dataclass(frozen=True)
class IssuedTokens:
    """An access token and the session's new refresh token."""

    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class SignIn:
    """A successful sign-in: the tokens, and the user as the login response shows them."""

    tokens: IssuedTokens
    user: UserRecord
    provider: str
