"""``POST /users/me/password``: a native account changes its password.

The current password is checked like a login (the same throttle, 401 ``INVALID_CREDENTIALS``),
the new one by the registration rules (422). The new hash and the end of every *other* session
of the person, in every app, are one write (the calling session is spared), conditional on the
hash still being the one checked.
"""

from __future__ import annotations

from ..config import TracheaSettings
from ..errors import ErrorCode, TracheaError
from ..methods import NATIVE_METHOD
from ..passwords import PasswordHasher, password_problem
from ..store import Store
from ..tokens import CurrentUser
from .audit import Auditor
from .context import ClientContext
from .sessions import SessionService
from .throttle import LoginThrottle


class PasswordChange:
    def __init__(
        self,
        settings: TracheaSettings,
        store: Store,
        hasher: PasswordHasher,
        throttle: LoginThrottle,
        sessions: SessionService,
        auditor: Auditor,
    ) -> None:
        self._password_min_length = settings.password_min_length
        self._store = store
        self._hasher = hasher
        self._throttle = throttle
        self._sessions = sessions
        self._auditor = auditor

    async def change(
        self,
        user: CurrentUser,
        *,
        current_password: str,
        new_password: str,
        client: ClientContext,
    ) -> None:
        record = await self._sessions.require_live(user)
        if record.password_hash is None:
            raise TracheaError(
                ErrorCode.AUTH_METHOD_NOT_ALLOWED,
                "This account signs in with Firebase and has no password to change.",
            )
        problem = password_problem(
            new_password, min_length=self._password_min_length, username=record.username
        )
        if problem:
            raise TracheaError(ErrorCode.VALIDATION_ERROR, f"Invalid request: {problem}")
        identifier = record.username or record.email or record.uid
        # The account's own budget, shared with its logins in every app.
        attempt = await self._throttle.reserve_password_attempt(record, identifier, client)
        ok = False
        try:
            ok, _upgrade = await self._hasher.verify(current_password, record.password_hash)
        finally:
            await self._throttle.release_password_attempt(attempt, failed=not ok)
        if not ok:
            await self._auditor.record(
                "login_failed",
                client,
                user_id=record.id,
                method=NATIVE_METHOD,
                reason="wrong_password",
                during="password_change",
            )
            raise TracheaError(ErrorCode.INVALID_CREDENTIALS)
        new_hash = await self._hasher.hash(new_password)
        changed = await self._store.users.change_password(
            record.id, record.password_hash, new_hash, spare=user.session_id
        )
        if changed is None:  # changed by a concurrent request since we checked it
            raise TracheaError(ErrorCode.INVALID_CREDENTIALS)
        await self._auditor.record(
            "password_changed", client, user_id=record.id, session_id=user.session_id
        )
