"""An account's life cycle: deactivation (``DELETE /users/me``).

Deactivation is account-wide: one person has one user document with one ``is_active``, so it
stops sign-in in every app and ends every session of the account in every app.
"""

from __future__ import annotations

from ..store import Store
from ..tokens import CurrentUser
from .audit import Auditor
from .context import ClientContext
from .sessions import SessionService


class AccountLifecycle:
    def __init__(self, store: Store, sessions: SessionService, auditor: Auditor) -> None:
        self._store = store
        self._sessions = sessions
        self._auditor = auditor

    async def deactivate(self, user: CurrentUser, client: ClientContext) -> None:
        """Deactivate the signed-in user's account and end all its sessions."""
        record = await self._sessions.require_live(user)
        await self._store.users.set_active(record.id, False)
        await self._sessions.end_all(record.id)
        await self._auditor.record("deactivate", client, user_id=record.id)
