"""``trachea.users``: the product backend's operations on its app's users (contract §12).

A payment webhook changes a user's plan, an admin screen makes someone an admin, a support
tool ends a stolen device's sessions: the same code as the CLI's ``users`` commands
(:mod:`trachea_login.admin.users`), for this app only. Users are named by their ``uid`` (the
``CurrentUser.uid``, the ``id`` of the user response); a person who never signed in to this app
is, to this app, no user: ``get`` and ``find`` answer ``None`` and the changes raise
:class:`~trachea_login.admin.NotAMember`.

Each change is recorded through the instance's audit trail (``actor: "backend"``), so it also
reaches ``on_event``. The results are the user as this app sees them: a
:class:`~trachea_login.UserResponse`.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from .admin import users as operations
from .admin.errors import NotAMember, UserNotFound
from .firebase import FirebaseVerifier
from .records import UserRecord
from .routes.responses import UserResponse
from .services.audit import Auditor
from .services.context import ClientContext
from .store import Store, object_id

ACTOR = "backend"


class AppUsers:
    """This app's users, for the product's own backend (``trachea.users``)."""

    def __init__(
        self,
        app_id: str,
        store: Store,
        auditor: Auditor,
        firebase_for_erasure: FirebaseVerifier | None = None,
    ) -> None:
        self.app_id = app_id
        self._store = store
        self._auditor = auditor
        #: The Firebase verifier whose user an erasure deletes too (``erase_firebase_user``).
        self.firebase_for_erasure = firebase_for_erasure

    # -- reading ------------------------------------------------------------------------------

    async def get(self, uid: str | ObjectId) -> UserResponse | None:
        """The user ``uid`` as this app sees them; ``None`` when there is no such user, or
        they are not a member of this app (never signed in to it), or were erased."""
        record = await self._member_or_none(uid)
        return self._view(record) if record else None

    async def find(
        self,
        *,
        username: str | None = None,
        email: str | None = None,
        firebase_uid: str | None = None,
    ) -> UserResponse | None:
        """The member of this app with that username, email or Firebase uid (exactly one of
        them); ``None`` when there is none."""
        given = [(name, value) for name, value in (
            ("username", username), ("email", email), ("firebase_uid", firebase_uid)
        ) if value is not None]  # fmt: skip
        if len(given) != 1:
            raise TypeError("find() takes exactly one of username=, email=, firebase_uid=")
        name, value = given[0]
        users = self._store.users
        lookup = {
            "username": users.find_by_username,
            "email": users.find_by_email,
            "firebase_uid": users.find_by_firebase_uid,
        }[name]
        record = await lookup(value) if isinstance(value, str) and value else None
        if record is None or record.membership(self.app_id) is None:
            return None
        return self._view(record)

    # -- changing -----------------------------------------------------------------------------

    async def set_role(self, uid: str | ObjectId, role: str) -> UserResponse:
        """Set the user's role in this app (``guest``, ``member``, ``admin``). Their access
        tokens keep the old role until they expire (``live=True`` routes see it at once)."""
        operations.check_role(role)
        record = await self._member(uid)
        updated = await operations.change_role(
            self._store, record, self.app_id, role, recorder=self._record, actor=ACTOR
        )
        return self._view(updated)

    async def set_plan(self, uid: str | ObjectId, plan: str) -> UserResponse:
        """Set the user's plan in this app (``free``, ``pro``, ``enterprise``), e.g. from a
        payment webhook. A paid plan needs an email on the account:
        :class:`~trachea_login.admin.EmailRequiredForPaidPlan` otherwise."""
        operations.check_plan(plan)
        record = await self._member(uid)
        updated = await operations.change_plan(
            self._store, record, self.app_id, plan, recorder=self._record, actor=ACTOR
        )
        return self._view(updated)

    async def deactivate(self, uid: str | ObjectId) -> int:
        """Deactivate the account (one person, every app: they can no longer sign in, and
        every session ends in the same write); how many live sessions ended."""
        record = await self._member(uid)
        _updated, ended = await operations.deactivate(
            self._store, record, recorder=self._record, app_id=self.app_id, actor=ACTOR
        )
        return ended

    async def reactivate(self, uid: str | ObjectId) -> UserResponse:
        """Let the person sign in again; no ended session comes back."""
        record = await self._member(uid)
        updated = await operations.reactivate(
            self._store, record, recorder=self._record, app_id=self.app_id, actor=ACTOR
        )
        return self._view(updated)

    async def end_sessions(self, uid: str | ObjectId) -> int:
        """End every session of the person in every app (one write); how many were live."""
        record = await self._member(uid)
        _updated, ended = await operations.end_sessions(
            self._store, record, recorder=self._record, app_id=self.app_id, actor=ACTOR
        )
        return ended

    async def erase(self, uid: str | ObjectId) -> None:
        """Erase the person's data (contract §9: every app, irreversibly; the username and
        email become free); with ``erase_firebase_user``, their Firebase user too."""
        record = await self._member(uid)
        await operations.erase(
            self._store,
            record,
            recorder=self._record,
            app_id=self.app_id,
            actor=ACTOR,
            firebase=self.firebase_for_erasure,
            # This process's queued audit events of the person are stored before the scrub.
            flush_audit=self._auditor.flush,
        )

    # -- helpers ------------------------------------------------------------------------------

    async def _record(self, event: str, *, app_id: str | None, **fields: Any) -> None:
        # The auditor records for this app; the requests of a backend have no client IP.
        await self._auditor.record(event, ClientContext(), **fields)

    async def _member_or_none(self, uid: str | ObjectId) -> UserRecord | None:
        try:
            return await self._member(uid)
        except (UserNotFound, NotAMember):
            return None

    async def _member(self, uid: str | ObjectId) -> UserRecord:
        """The user ``uid``, a member of this app; :class:`UserNotFound` /
        :class:`NotAMember` otherwise."""
        oid = object_id(uid) if isinstance(uid, str | ObjectId) else None
        record = await self._store.users.get(oid) if oid is not None else None
        if record is None or record.erased_at is not None:
            raise UserNotFound(str(uid))
        if record.membership(self.app_id) is None:
            raise NotAMember(record.uid, self.app_id)
        return record

    def _view(self, record: UserRecord) -> UserResponse:
        return UserResponse.from_record(
            record, app_id=self.app_id, provider=record.provider or "unknown"
        )


__all__ = ["AppUsers"]
