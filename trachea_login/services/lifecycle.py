"""An account's life cycle: deactivation, reactivation, ending every session, erasure.

Each is account-wide (one person has one user document, shared by every app) and takes
effect with one atomic write of that document, so a crash right after it never leaves a
session alive that should be dead; what follows it is cleanup that may fail without
consequence. The module-level functions are the one implementation: the signed-in user's own
routes (:class:`AccountLifecycle`), the product backend's ``trachea.users`` and the
``trachea-login users ...`` commands all call them.

- Deactivation ends every session and stops sign-in; reactivation lets the person sign in
  again but never revives a session (it ends the ones a racing sign-in may have made).
- Erasure (GDPR Art. 17, App Store in-app deletion) leaves ``{_id, erased_at}`` and nothing
  personal, frees the username and email, deletes the person's session documents, removes IP
  and user agent from their audit events (first storing the ones this instance still has
  queued) and, when configured, deletes their Firebase user.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bson import ObjectId

from ..clock import Clock
from ..errors import ErrorCode, TracheaError
from ..firebase import FirebaseVerifier
from ..records import UserRecord
from ..store import Store
from ..tokens import CurrentUser
from .audit import Auditor
from .context import ClientContext
from .sessions import SessionService

logger = logging.getLogger("trachea_login")

#: Waits at most the given seconds for this process's audit events queued so far to be stored;
#: whether they were (:meth:`.audit.Auditor.flush`).
AuditFlush = Callable[[float], Awaitable[bool]]


async def deactivate_account(store: Store, user_id: ObjectId) -> UserRecord | None:
    """Deactivate the account; its sessions end in the same write. ``None``: no such user."""
    return await store.users.set_active(user_id, False)


async def reactivate_account(store: Store, user_id: ObjectId) -> UserRecord | None:
    """Let the person sign in again; no session ended before or during the deactivation comes
    back. ``None``: no such user."""
    return await store.users.set_active(user_id, True)


async def end_account_sessions(store: Store, user_id: ObjectId) -> UserRecord | None:
    """End every session of the account in every app. ``None``: no such user."""
    return await store.users.end_account_sessions(user_id)


async def erase_account(
    store: Store,
    user_id: ObjectId,
    *,
    firebase: FirebaseVerifier | None = None,
    flush_audit: AuditFlush | None = None,
) -> bool:
    """Erase the person's data; ``firebase`` (when given) also deletes their Firebase user.
    ``flush_audit``: the instance's audit queue (``None``: the CLI, which has none), stored
    before the scrub so that no queued event of the person lands after it with their IP.
    Idempotent: run it again to finish an erasure interrupted after its first write, or to
    scrub events stored after it. Whether the user existed."""
    before = await store.users.get(user_id)
    if not await store.users.erase(user_id):
        return False
    await store.sessions.delete_all_of(user_id)
    if flush_audit is not None:
        # After the erase write: no sign-in or refresh of the person can queue an event past
        # it, so waiting for what is queued now covers what they did in this process.
        await _store_queued_audit(flush_audit, user_id, store.timeout)
    await store.audit.scrub_client_details(user_id)
    if firebase is not None and before is not None and before.firebase_uid:
        await firebase.delete_user(before.firebase_uid)
    return True


async def _store_queued_audit(flush: AuditFlush, user_id: ObjectId, bound: float) -> None:
    """Wait for the queued audit events, at most ``bound`` (``MONGO_TIMEOUT_MS``: a request
    never waits forever behind a slow audit collection); past it the erasure goes on, and says
    how to scrub what is stored later."""
    if not await flush(bound):
        logger.warning(
            "erasure of user %s: queued audit events not all stored within %s s; those stored "
            "later may keep IP and user agent (`trachea-login users erase %s` scrubs them)",
            user_id,
            bound,
            user_id,
        )


def require_recent_sign_in(user: CurrentUser, max_age: timedelta, now: datetime) -> None:
    """401 ``REAUTHENTICATION_REQUIRED`` (RFC 9470) unless the token's session signed in within
    ``max_age``: the client signs in again, then retries."""
    seconds = int(max_age.total_seconds())
    if user.auth_time is None or now.timestamp() - user.auth_time > seconds:
        raise TracheaError(
            ErrorCode.REAUTHENTICATION_REQUIRED,
            headers={
                "WWW-Authenticate": (
                    f'Bearer error="insufficient_user_authentication", max_age={seconds}'
                )
            },
        )


class AccountLifecycle:
    """The signed-in user's own account actions (``DELETE /users/me``, ``POST
    /users/me/erase``)."""

    def __init__(
        self,
        store: Store,
        sessions: SessionService,
        auditor: Auditor,
        *,
        reauth_max_age: timedelta,
        firebase_for_erasure: FirebaseVerifier | None,
        clock: Clock,
    ) -> None:
        self._clock = clock
        self._store = store
        self._sessions = sessions
        self._auditor = auditor
        self._reauth_max_age = reauth_max_age
        self.firebase_for_erasure = firebase_for_erasure

    async def deactivate(self, user: CurrentUser, client: ClientContext) -> None:
        """Deactivate the signed-in user's account and end all its sessions (one write)."""
        record = await self._sessions.require_live(user)
        await deactivate_account(self._store, record.id)
        await self._auditor.record(
            "deactivated", client, user_id=record.id, session_id=user.session_id, actor="user"
        )

    async def erase(self, user: CurrentUser, client: ClientContext) -> None:
        """Erase the signed-in user's data; needs a recent sign-in."""
        record = await self._sessions.require_live(user)
        require_recent_sign_in(user, self._reauth_max_age, self._clock.now())
        # Audit events are stored after their response: the erasure stores this process's
        # queued ones before its scrub, so it scrubs them too.
        await erase_account(
            self._store,
            record.id,
            firebase=self.firebase_for_erasure,
            flush_audit=self._auditor.flush,
        )
        # No IP or user agent: the event outlives the erasure.
        await self._auditor.record("erased", ClientContext(), user_id=record.id, actor="user")
