"""The signed-in user's own profile: read it, edit it (``GET``/``PATCH /users/me``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import ErrorCode, TracheaError
from ..records import UserRecord
from ..store import Store
from ..tokens import CurrentUser
from .audit import Auditor
from .context import ClientContext
from .sessions import SessionService

#: The self-editable fields (contract §4); anything else is refused by the request model.
PROFILE_FIELDS = frozenset({"name", "avatar", "phone", "date_of_birth", "address"})


class ProfileService:
    def __init__(self, store: Store, sessions: SessionService, auditor: Auditor) -> None:
        self._store = store
        self._sessions = sessions
        self._auditor = auditor

    async def read(self, user: CurrentUser) -> UserRecord:
        """The user's record; 401 unless the account and the token's session are live."""
        return await self._sessions.require_live(user)

    async def update(
        self,
        user: CurrentUser,
        set_fields: Mapping[str, Any],
        unset_fields: Iterable[str],
        client: ClientContext | None = None,
    ) -> UserRecord:
        """Set and clear profile fields; nothing outside :data:`PROFILE_FIELDS` can change.
        The ``profile_updated`` event names the fields, never their values (personal data)."""
        unset = tuple(unset_fields)
        if not (set(set_fields) | set(unset)) <= PROFILE_FIELDS:
            raise TracheaError(ErrorCode.VALIDATION_ERROR)
        record = await self._sessions.require_live(user)
        updated = await self._store.users.update_fields(record.id, set_fields, unset)
        if updated is None:
            raise TracheaError(ErrorCode.INVALID_TOKEN, "This account no longer exists.")
        await self._auditor.record(
            "profile_updated",
            client or ClientContext(),
            user_id=record.id,
            session_id=user.session_id,
            fields=sorted({*set_fields, *unset}),
        )
        return updated
