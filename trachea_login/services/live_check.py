"""``TracheaLogin.live_user`` and ``require(..., live=True)``: for sensitive product routes.

Beyond the access token's signature and expiry, the token's session must be live and the role
and plan are read from the database, so logout, deactivation, session deletion and role or plan
changes take effect there at once. A result is remembered per session for at most
:data:`LIVE_CHECK_MAX_AGE` (2 s) so that a burst of requests costs two reads, not two per
request; a session found dead is not remembered (it is read again, and stays dead).
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from datetime import datetime, timedelta

from ..clock import Clock
from ..tokens import CurrentUser
from .sessions import SessionService

LIVE_CHECK_MAX_AGE = timedelta(seconds=2)
MAX_REMEMBERED = 10_000


class LiveCheck:
    def __init__(
        self,
        sessions: SessionService,
        clock: Clock,
        max_age: timedelta = LIVE_CHECK_MAX_AGE,
        max_entries: int = MAX_REMEMBERED,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self.max_age = max_age
        self._max_entries = max_entries
        self._remembered: OrderedDict[str, tuple[datetime, str, str]] = OrderedDict()

    async def __call__(self, user: CurrentUser) -> CurrentUser:
        """``user`` with the role and plan the database holds now; 401 ``INVALID_TOKEN`` when
        the session is not live."""
        now = self._clock.now()
        key = f"{user.uid}:{user.session_id}"
        remembered = self._remembered.get(key)
        if remembered is not None and now - remembered[0] < self.max_age:
            _checked_at, role, plan = remembered
        else:
            self._remembered.pop(key, None)
            record = await self._sessions.require_live(user)
            membership = record.membership(self._sessions.app_id)
            role = membership.role if membership else user.role
            plan = membership.plan if membership else user.plan
            self._remembered[key] = (now, role, plan)
            while len(self._remembered) > self._max_entries:
                self._remembered.popitem(last=False)
        return dataclasses.replace(user, role=role, plan=plan)
