"""Sessions: starting one at sign-in, listing and ending them, and the live-session check.

A session is one sign-in (``sid``), continued by its chain of rotated refresh tokens
(:mod:`.refresh`). Every way a session ends is one atomic single-document write, so a crash
between two writes never leaves alive a session that should be dead:

- one session (``DELETE /sessions/{id}``): its ``sessions`` document is marked ended;
- every session of the user in this app (logout, refresh-token reuse): the user's app entry
  gets a cutoff time (``sessions_valid_after``);
- every session of the account in every app (deactivation, password change, erasure, account
  takeover defences): the user document gets a cutoff time, or is erased.

A session is live when :func:`why_not_live` finds nothing: it is checked on every refresh and by
our own routes, so the cutoffs take effect at once there.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from bson import ObjectId

from ..clock import Clock
from ..config import TracheaSettings
from ..errors import ErrorCode, TracheaError
from ..methods import NATIVE_METHOD
from ..records import DEFAULT_PLAN, DEFAULT_ROLE, SessionRecord, UserRecord
from ..store import Store, object_id
from ..tokens import AccessTokens, CurrentUser, hash_refresh_token, new_refresh_token
from .audit import Auditor
from .context import ClientContext, IssuedTokens

_ONE_MILLISECOND = timedelta(milliseconds=1)


def why_not_live(
    session: SessionRecord | None, user: UserRecord | None, app_id: str, now: datetime
) -> str | None:
    """Why a session is not live (``None`` when it is): the rule every refresh and every one
    of our routes applies."""
    if session is None or session.app_id != app_id:
        return "unknown session"
    if user is None or user.erased_at is not None or user.id != session.user_id:
        return "no such account"
    if not user.is_active:
        return "account deactivated"
    if session.ended_at is not None:
        return "session ended"
    if session.ends_at() <= now:
        return "session expired"
    membership = user.membership(app_id)
    if membership is None:
        return "not a member of this app"
    app_cutoff = membership.sessions_valid_after
    if app_cutoff is not None and session.auth_time <= app_cutoff:
        return "signed out in this app"
    account_cutoff = user.sessions_valid_after
    if (
        account_cutoff is not None
        and session.auth_time <= account_cutoff
        and session.session_id != user.session_spared
    ):
        return "signed out of the account"
    return None


def sign_in_time(user: UserRecord, app_id: str, now: datetime) -> datetime:
    """A new session's ``auth_time``: now, and always after any cutoff the user record shows
    (a sign-in that itself ended the account's old sessions must not end its own)."""
    membership = user.membership(app_id)
    cutoffs = [user.sessions_valid_after, membership.sessions_valid_after if membership else None]
    return max([now, *(cutoff + _ONE_MILLISECOND for cutoff in cutoffs if cutoff is not None)])


def subject_of(user: UserRecord, provider: str) -> str:
    """The access token's ``sub``: the Firebase uid for Firebase sign-ins; for native ones the
    username, or the email of a native account that has none (accounts trachea-login 0.1.x
    created by email sign-up, carried over by ``db migrate``: 0.1.x's ``sub`` was their email
    too). Never empty: the user id when an account has neither."""
    chosen = (user.username or user.email) if provider == NATIVE_METHOD else user.firebase_uid
    return chosen or user.uid


def user_object_id(user: CurrentUser) -> ObjectId:
    """The user document id of a verified token; 401 when it is not one."""
    oid = object_id(user.uid)
    if oid is None:
        raise TracheaError(ErrorCode.INVALID_TOKEN)
    return oid


@dataclass(frozen=True)
class SessionView:
    """A live session as ``GET /sessions`` shows it."""

    session: SessionRecord
    current: bool


class SessionService:
    def __init__(
        self,
        settings: TracheaSettings,
        store: Store,
        tokens: AccessTokens,
        clock: Clock,
        auditor: Auditor,
    ) -> None:
        self.app_id = settings.app_id
        self._store = store
        self._tokens = tokens
        self._clock = clock
        self._auditor = auditor
        self.refresh_lifetime = timedelta(days=settings.refresh_token_expire_days)
        self.max_lifetime = timedelta(days=settings.session_max_days)

    @property
    def access_expires_in(self) -> int:
        """The access token's lifetime in seconds (the responses' ``expires_in``)."""
        return self._tokens.expires_in

    # -- starting a session ------------------------------------------------------------------

    async def start(self, user: UserRecord, provider: str, client: ClientContext) -> IssuedTokens:
        """A new session for a user who just signed in with ``provider`` (one write)."""
        auth_time = sign_in_time(user, self.app_id, self._clock.now())
        session_id = uuid.uuid4().hex
        refresh_token = new_refresh_token(session_id)
        expires_at = auth_time + self.max_lifetime
        await self._store.sessions.insert(
            session_id,
            user_id=user.id,
            app_id=self.app_id,
            provider=provider,
            auth_time=auth_time,
            expires_at=expires_at,
            refresh_hash=hash_refresh_token(refresh_token),
            refresh_expires_at=min(auth_time + self.refresh_lifetime, expires_at),
            ip=client.ip,
            user_agent=client.user_agent,
        )
        await self._auditor.record(
            "login", client, user_id=user.id, method=provider, session_id=session_id
        )
        return IssuedTokens(
            access_token=self.access_token(user, provider, session_id, auth_time),
            refresh_token=refresh_token,
            expires_in=self._tokens.expires_in,
        )

    def access_token(
        self, user: UserRecord, provider: str, session_id: str, auth_time: datetime
    ) -> str:
        membership = user.membership(self.app_id)
        return self._tokens.issue(
            sub=subject_of(user, provider),
            uid=user.uid,
            role=membership.role if membership else DEFAULT_ROLE,
            plan=membership.plan if membership else DEFAULT_PLAN,
            provider=provider,
            session_id=session_id,
            auth_time=auth_time,
        )

    # -- the live-session check of our own routes --------------------------------------------

    async def require_live(self, user: CurrentUser) -> UserRecord:
        """The token's user; 401 when the account no longer exists, is deactivated, or this
        token's session has ended (logout, refresh-token reuse, deletion, password change,
        account takeover). Two reads: the user and the session."""
        record = await self._store.users.get(user_object_id(user))
        if record is None or not record.is_active:
            raise TracheaError(ErrorCode.INVALID_TOKEN, "This account no longer exists.")
        session = await self._store.sessions.get(user.session_id)
        if why_not_live(session, record, self.app_id, self._clock.now()) is not None:
            raise TracheaError(ErrorCode.INVALID_TOKEN, "This session has ended; sign in again.")
        return record

    # -- listing and ending sessions ---------------------------------------------------------

    async def list_live(self, user: CurrentUser) -> list[SessionView]:
        """The caller's live sessions in this app, newest sign-in first."""
        record = await self.require_live(user)
        membership = record.membership(self.app_id)
        since = membership.sessions_valid_after if membership else None
        now = self._clock.now()
        sessions = await self._store.sessions.live_of(record.id, self.app_id, since=since)
        return [
            SessionView(session, current=session.session_id == user.session_id)
            for session in sessions
            if why_not_live(session, record, self.app_id, now) is None
        ]

    async def end_one(self, user: CurrentUser, session_id: str, client: ClientContext) -> None:
        """End one of the caller's live sessions in this app (the current one too: a logout of
        that device); 404 ``SESSION_NOT_FOUND`` alike for another's and for a dead one."""
        record = await self.require_live(user)
        target = await self._store.sessions.get(session_id)
        if target is None or why_not_live(target, record, self.app_id, self._clock.now()):
            raise TracheaError(ErrorCode.SESSION_NOT_FOUND)
        if not await self._store.sessions.end(session_id, record.id, self.app_id):
            raise TracheaError(ErrorCode.SESSION_NOT_FOUND)
        await self._auditor.record(
            "session_ended", client, user_id=record.id, session_id=session_id, reason="user"
        )

    async def logout(self, user: CurrentUser, client: ClientContext) -> None:
        """End every session of the user in this app: one write of the app entry's cutoff."""
        user_id = user_object_id(user)
        await self._store.users.end_app_sessions(user_id, self.app_id)
        await self._auditor.record("logout", client, user_id=user_id, session_id=user.session_id)
