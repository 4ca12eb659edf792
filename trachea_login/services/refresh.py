"""Refresh: rotating a session's refresh token, reuse detection, and the grace window.

A refresh token is single use. A refresh reads the session the token names and its user, and
:func:`judge_refresh` decides from those facts (and, when needed, the retired token with the
presented hash) what to do:

- the session's current token, the session live: rotate it, one conditional write (of
  concurrent refreshes with one token exactly one matches), and record the old token as
  retired — 4 database operations in all;
- a retired token presented again is reuse: every session of the user in this app ends (one
  write), 401 ``REFRESH_TOKEN_REUSE``; a retired token past its own expiry is only invalid,
  whenever the TTL monitor runs;
- with ``REFRESH_REUSE_GRACE_SECONDS`` > 0, the session's immediate predecessor presented within
  that many seconds of its rotation gets a new successor (the successor it got before stops
  working) instead: a mobile client that lost the refresh response is not signed out;
- the current token of a session that is not live (ended, expired, signed out, deactivated)
  is 401 ``REFRESH_TOKEN_INVALID`` and writes nothing: a dead session never rotates, so only a
  token that was really rotated can ever raise the reuse alarm;
- a session whose sign-in method the app no longer allows is 403 ``AUTH_METHOD_NOT_ALLOWED``;
- a trachea-login 0.1.x refresh token (86 URL-safe characters, no session id) finds the session
  ``trachea-login db migrate`` made for it by its hash, and from there is judged like any other:
  it rotates once into a token of ours (the same write forgets the 0.1.x hash), and presenting
  it again is reuse.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from enum import Enum

from ..clock import Clock
from ..config import TracheaSettings
from ..errors import ErrorCode, TracheaError
from ..records import AppRecord, RetiredTokenRecord, SessionRecord, UserRecord
from ..store import Store
from ..tokens import hash_refresh_token, new_refresh_token, session_of_refresh_token
from .apps import AppGuard
from .audit import Auditor
from .context import ClientContext, IssuedTokens
from .sessions import SessionService, why_not_live

logger = logging.getLogger("trachea_login")

#: A trachea-login 0.1.x refresh token: ``secrets.token_urlsafe(64)``.
LEGACY_REFRESH_TOKEN = re.compile(r"[A-Za-z0-9_-]{86}")


class Verdict(Enum):
    ROTATE = "rotate"
    REISSUE = "reissue"  # the grace window
    REUSE = "reuse"
    INVALID = "invalid"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    #: The token is neither current nor the recent predecessor: look up the retired token.
    ASK_RETIRED = "ask_retired"


def judge_refresh(
    session: SessionRecord | None,
    user: UserRecord | None,
    presented_hash: str,
    *,
    retired: RetiredTokenRecord | None = None,
    retired_known: bool = False,
    app: AppRecord,
    grace: timedelta,
    now: datetime,
) -> Verdict:
    """What presenting a refresh token must do, from what the store holds: the session the
    token names, its user, and (once looked up: ``retired_known``) the retired token with the
    presented hash."""
    if session is None or session.app_id != app.app_id:
        return Verdict.INVALID
    live = why_not_live(session, user, app.app_id, now) is None
    if session.refresh_hash == presented_hash:
        if not live:
            return Verdict.INVALID  # a dead session never rotates: nothing is written
        if session.provider not in app.allowed_auth_methods:
            return Verdict.METHOD_NOT_ALLOWED
        return Verdict.ROTATE
    if live and session.previous_hash == presented_hash:
        if grace and session.rotated_at is not None and now - session.rotated_at < grace:
            return Verdict.REISSUE
        if retired_known and retired is None:
            # Its retirement is not written yet (a concurrent refresh just rotated it): the
            # session itself says it was rotated.
            return Verdict.REUSE
    if not retired_known:
        return Verdict.ASK_RETIRED
    if retired is None or retired.session_id != session.session_id:
        return Verdict.INVALID
    if retired.expires_at <= now:
        return Verdict.INVALID  # expired: only invalid, whenever the TTL monitor runs
    return Verdict.REUSE


class RefreshService:
    def __init__(
        self,
        settings: TracheaSettings,
        store: Store,
        clock: Clock,
        guard: AppGuard,
        sessions: SessionService,
        auditor: Auditor,
    ) -> None:
        self.app_id = settings.app_id
        self._store = store
        self._clock = clock
        self._guard = guard
        self._sessions = sessions
        self._auditor = auditor
        self._grace = timedelta(seconds=settings.refresh_reuse_grace_seconds)

    async def refresh(self, refresh_token: str, client: ClientContext) -> IssuedTokens:
        """New tokens for a session, in exchange for its current refresh token."""
        app = await self._guard.active(client)
        presented = hash_refresh_token(refresh_token)
        session_id = session_of_refresh_token(refresh_token) or await self._legacy_session_id(
            refresh_token, presented
        )
        if session_id is None:
            raise TracheaError(ErrorCode.REFRESH_TOKEN_INVALID)
        new_token = new_refresh_token(session_id)
        for _attempt in range(2):  # a lost rotation race is judged once more, then settled
            session = await self._store.sessions.get(session_id)
            user = await self._store.users.get(session.user_id) if session else None
            verdict = await self._judge(session, user, presented, app)
            if verdict in (Verdict.ROTATE, Verdict.REISSUE):
                assert session is not None and user is not None
                done = await self._continue(verdict, session, presented, new_token, app, client)
                if done is not None:
                    await self._auditor.record(
                        "refreshed", client, user_id=user.id, session_id=session_id
                    )
                    return self._tokens_for(done, user, new_token)
                continue
            await self._refuse(verdict, session, app, client)
        raise TracheaError(ErrorCode.REFRESH_TOKEN_INVALID)

    async def _legacy_session_id(self, refresh_token: str, presented: str) -> str | None:
        """The session a 0.1.x refresh token continues: the migrated session that still holds
        its hash, or, once it was used, the session its retirement names (so that presenting
        it again is judged as reuse)."""
        if not LEGACY_REFRESH_TOKEN.fullmatch(refresh_token):
            return None
        session_id = await self._store.sessions.find_legacy(presented)
        if session_id is None:
            retired = await self._store.refresh_tokens.get(presented)
            session_id = retired.session_id if retired is not None else None
        return session_id

    async def _judge(
        self, session: SessionRecord | None, user: UserRecord | None, presented: str, app: AppRecord
    ) -> Verdict:
        now = self._clock.now()
        verdict = judge_refresh(session, user, presented, app=app, grace=self._grace, now=now)
        if verdict is Verdict.ASK_RETIRED:
            retired = await self._store.refresh_tokens.get(presented)
            verdict = judge_refresh(
                session,
                user,
                presented,
                retired=retired,
                retired_known=True,
                app=app,
                grace=self._grace,
                now=now,
            )
        return verdict

    async def _continue(
        self,
        verdict: Verdict,
        session: SessionRecord,
        presented: str,
        new_token: str,
        app: AppRecord,
        client: ClientContext,
    ) -> SessionRecord | None:
        """Rotate (or, in the grace window, re-issue); the session after it, or ``None`` when a
        concurrent refresh changed the session first."""
        now = self._clock.now()
        sessions = self._store.sessions
        new_hash = hash_refresh_token(new_token)
        if verdict is Verdict.REISSUE:
            return await sessions.reissue(
                session.session_id,
                presented,
                app_id=self.app_id,
                rotated_after=now - self._grace,
                new_hash=new_hash,
                ip=client.ip,
                user_agent=client.user_agent,
            )
        rotated = await sessions.rotate(
            session.session_id,
            presented,
            app_id=self.app_id,
            new_hash=new_hash,
            new_expires_at=min(now + self._sessions.refresh_lifetime, session.expires_at),
            providers=app.allowed_auth_methods,
            ip=client.ip,
            user_agent=client.user_agent,
        )
        if rotated is None:
            return None
        after, presented_expiry = rotated
        await self._store.refresh_tokens.retire(
            presented,
            session_id=session.session_id,
            user_id=session.user_id,
            app_id=self.app_id,
            expires_at=presented_expiry,
        )
        return after

    def _tokens_for(self, session: SessionRecord, user: UserRecord, new_token: str) -> IssuedTokens:
        return IssuedTokens(
            access_token=self._sessions.access_token(
                user, session.provider, session.session_id, session.auth_time
            ),
            refresh_token=new_token,
            expires_in=self._sessions.access_expires_in,
        )

    async def _refuse(
        self,
        verdict: Verdict,
        session: SessionRecord | None,
        app: AppRecord,
        client: ClientContext,
    ) -> None:
        if verdict is Verdict.REUSE:
            assert session is not None
            await self._reuse_detected(session, client)
        if verdict is Verdict.METHOD_NOT_ALLOWED:
            assert session is not None
            self._guard.require_method(app, session.provider)
        raise TracheaError(ErrorCode.REFRESH_TOKEN_INVALID)

    async def _reuse_detected(self, session: SessionRecord, client: ClientContext) -> None:
        """Every session of the user in this app ends (one write), then 401."""
        await self._store.users.end_app_sessions(session.user_id, self.app_id)
        logger.warning(
            "refresh token reuse detected for user %s in app %s: its sessions in this app ended",
            session.user_id,
            self.app_id,
        )
        await self._auditor.record(
            "refresh_reuse_detected",
            client,
            user_id=session.user_id,
            session_id=session.session_id,
        )
        raise TracheaError(ErrorCode.REFRESH_TOKEN_REUSE)
