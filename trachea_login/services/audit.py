"""The audit trail of one app's sign-ins, failures, refreshes and account changes."""

from __future__ import annotations

import logging
from typing import Any

from ..store import AuditLog
from .context import ClientContext

logger = logging.getLogger("trachea_login")


class Auditor:
    """Records events for one app. A failing audit write never fails the request."""

    def __init__(self, log: AuditLog, app_id: str) -> None:
        self._log = log
        self.app_id = app_id

    async def record(self, event: str, client: ClientContext, **fields: Any) -> None:
        try:
            await self._log.record(
                event, app_id=self.app_id, ip=client.ip, user_agent=client.user_agent, **fields
            )
        except Exception:  # noqa: BLE001 - an audit write failing must not fail the sign-in
            logger.exception("could not write audit event %s", event)
