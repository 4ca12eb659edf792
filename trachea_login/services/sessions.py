"""Sessions: a sign-in's tokens, their rotation on refresh, logout, and the live-session check.

A session is one sign-in (``sid``), continued by its chain of rotated refresh tokens. A refresh
token is single use: rotation is one conditional write, so of concurrent refreshes with one
token exactly one wins; presenting a rotated token again is reuse and revokes every refresh
token of that user for this app.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta, timezone
from enum import Enum

from bson import ObjectId

from ..clock import Clock
from ..config import TracheaSettings
from ..errors import ErrorCode, TracheaError
from ..methods import NATIVE_METHOD
from ..records import DEFAULT_PLAN, DEFAULT_ROLE, RefreshTokenRecord, UserRecord
from ..store import Store, object_id
from ..tokens import AccessTokens, CurrentUser, hash_refresh_token, new_refresh_token
from .apps import AppGuard
from .audit import Auditor
from .context import ClientContext, IssuedTokens

logger = logging.getLogger("trachea_login")

#: The ``auth_time`` of a session whose sign-in time was not kept (a refresh token stored before
#: this version): the earliest time there is, so any "recent sign-in" check fails closed.
UNKNOWN_SIGN_IN = datetime(1970, 1, 1, tzinfo=timezone.utc)


class RefreshVerdict(Enum):
    ROTATE = "rotate"
    REUSE = "reuse"
    INVALID = "invalid"


def judge_presented_token(token: RefreshTokenRecord | None, app_id: str) -> RefreshVerdict:
    """What presenting this stored refresh token must do: rotate it (active), detect reuse
    (already rotated), or refuse it (unknown, another app's, revoked)."""
    if token is None or token.app_id != app_id:
        return RefreshVerdict.INVALID
    if token.is_rotated:
        return RefreshVerdict.REUSE
    if not token.is_active:
        return RefreshVerdict.INVALID
    return RefreshVerdict.ROTATE


def user_object_id(user: CurrentUser) -> ObjectId:
    """The user document id of a verified token; 401 when it is not one."""
    oid = object_id(user.uid)
    if oid is None:
        raise TracheaError(ErrorCode.INVALID_TOKEN)
    return oid


class SessionService:
    def __init__(
        self,
        settings: TracheaSettings,
        store: Store,
        tokens: AccessTokens,
        clock: Clock,
        guard: AppGuard,
        auditor: Auditor,
    ) -> None:
        self.app_id = settings.app_id
        self._store = store
        self._tokens = tokens
        self._clock = clock
        self._guard = guard
        self._auditor = auditor
        self._refresh_lifetime = timedelta(days=settings.refresh_token_expire_days)

    # -- starting a session ------------------------------------------------------------------

    async def start(self, user: UserRecord, provider: str, client: ClientContext) -> IssuedTokens:
        """A new session for a user who just signed in with ``provider``."""
        session_id = uuid.uuid4().hex
        signed_in_at = self._clock.now()
        refresh_token = await self._new_refresh_token(
            user.id, session_id, provider, auth_time=signed_in_at
        )
        await self._auditor.record("login", client, user_id=user.id, method=provider)
        return IssuedTokens(
            access_token=self._access_token(user, provider, session_id, signed_in_at),
            refresh_token=refresh_token,
            expires_in=self._tokens.expires_in,
        )

    async def _new_refresh_token(
        self,
        user_id: ObjectId,
        session_id: str,
        provider: str,
        parent_hash: str | None = None,
        *,
        auth_time: datetime | None,
    ) -> str:
        """A new refresh token of the session, stored as its hash; returns the token."""
        token = new_refresh_token()
        await self._store.refresh_tokens.insert(
            hash_refresh_token(token),
            user_id=user_id,
            app_id=self.app_id,
            session_id=session_id,
            provider=provider,
            expires_at=self._clock.now() + self._refresh_lifetime,
            parent_hash=parent_hash,
            auth_time=auth_time,
        )
        return token

    def _access_token(
        self, user: UserRecord, provider: str, session_id: str, auth_time: datetime | None
    ) -> str:
        membership = user.membership(self.app_id)
        sub = user.username if provider == NATIVE_METHOD else user.firebase_uid
        return self._tokens.issue(
            sub=sub or "",
            uid=user.uid,
            role=membership.role if membership else DEFAULT_ROLE,
            plan=membership.plan if membership else DEFAULT_PLAN,
            provider=provider,
            session_id=session_id,
            auth_time=auth_time or UNKNOWN_SIGN_IN,
        )

    # -- refresh -----------------------------------------------------------------------------

    async def refresh(self, refresh_token: str, client: ClientContext) -> IssuedTokens:
        """Rotate a refresh token: exactly one of any concurrent uses succeeds; presenting a
        rotated token again revokes every refresh token of that user for this app."""
        app = await self._guard.active(client)
        tokens = self._store.refresh_tokens
        old_hash = hash_refresh_token(refresh_token)
        old = await tokens.get(old_hash)
        verdict = judge_presented_token(old, self.app_id)
        if verdict is RefreshVerdict.REUSE:
            assert old is not None
            await self._reuse_detected(old, client)
        if verdict is not RefreshVerdict.ROTATE:
            raise TracheaError(ErrorCode.REFRESH_TOKEN_INVALID)
        assert old is not None
        # A method the operator has since disabled does not live on through refreshes.
        self._guard.require_method(app, old.provider)

        # The successor is written before the old token is rotated, so whoever later sees the
        # old token "rotated" and revokes the family also revokes this successor.
        new_token = await self._new_refresh_token(
            old.user_id, old.session_id, old.provider, old_hash, auth_time=old.auth_time
        )
        new_hash = hash_refresh_token(new_token)
        if await tokens.rotate(old_hash, self.app_id, replaced_by=new_hash) is None:
            await tokens.delete(new_hash)
            current = await tokens.get(old_hash)
            if current is not None and current.is_rotated:
                await self._reuse_detected(current, client)
            raise TracheaError(ErrorCode.REFRESH_TOKEN_INVALID)

        user = await self._store.users.get(old.user_id)
        if user is None or not user.is_active or user.membership(self.app_id) is None:
            await tokens.revoke_all(old.user_id, self.app_id)
            raise TracheaError(ErrorCode.REFRESH_TOKEN_INVALID)
        await self._auditor.record("refresh", client, user_id=old.user_id)
        return IssuedTokens(
            access_token=self._access_token(user, old.provider, old.session_id, old.auth_time),
            refresh_token=new_token,
            expires_in=self._tokens.expires_in,
        )

    async def _reuse_detected(self, token: RefreshTokenRecord, client: ClientContext) -> None:
        revoked = await self._store.refresh_tokens.revoke_all(token.user_id, self.app_id)
        logger.warning(
            "refresh token reuse detected for user %s in app %s (%d revoked)",
            token.user_id,
            self.app_id,
            revoked,
        )
        await self._auditor.record(
            "refresh_reuse_detected", client, user_id=token.user_id, revoked=revoked
        )
        raise TracheaError(ErrorCode.REFRESH_TOKEN_REUSE)

    # -- ending sessions ---------------------------------------------------------------------

    async def logout(self, user: CurrentUser, client: ClientContext) -> int:
        """Revoke every refresh token of the user in this app; how many were active."""
        user_id = user_object_id(user)
        revoked = await self._store.refresh_tokens.revoke_all(user_id, self.app_id)
        await self._auditor.record("logout", client, user_id=user_id, revoked=revoked)
        return revoked

    async def end_all(self, user_id: ObjectId) -> int:
        """Revoke every refresh token of the account, in every app."""
        return await self._store.refresh_tokens.revoke_all(user_id)

    # -- the live-session check of our own routes --------------------------------------------

    async def require_live(self, user: CurrentUser) -> UserRecord:
        """The token's user; 401 when the account no longer exists, is deactivated, or this
        token's session has ended (logout, refresh-token reuse, account takeover)."""
        record = await self._store.users.get(user_object_id(user))
        if record is None or not record.is_active:
            raise TracheaError(ErrorCode.INVALID_TOKEN, "This account no longer exists.")
        # After logout, reuse detection, deactivation or an account takeover the session's
        # refresh tokens are revoked, and our routes refuse its access tokens at once (product
        # routes rely on their short expiry).
        if not await self._store.refresh_tokens.session_active(
            record.id, self.app_id, user.session_id
        ):
            raise TracheaError(ErrorCode.INVALID_TOKEN, "This session has ended; sign in again.")
        return record
