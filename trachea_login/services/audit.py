"""The audit trail of one app's sign-ins, failures, refreshes and account changes.

:meth:`Auditor.record` is the one place every event of the service passes through: it makes the
event's document (logged at once on ``trachea_login.audit``) and hands it to the instance's
:class:`~.audit_writer.AuditWriter`, which stores it off the response path.
"""

from __future__ import annotations

import logging
from typing import Any

from ..store import AuditLog
from .audit_writer import AuditWriter
from .context import ClientContext

logger = logging.getLogger("trachea_login")


class Auditor:
    """Records events for one app. Recording never waits for the database and never fails
    the request."""

    def __init__(self, log: AuditLog, app_id: str, writer: AuditWriter | None = None) -> None:
        self._log = log
        self.app_id = app_id
        self.writer = writer or AuditWriter(log)

    async def record(self, event: str, client: ClientContext, **fields: Any) -> None:
        try:
            document = self._log.event(
                event, app_id=self.app_id, ip=client.ip, user_agent=client.user_agent, **fields
            )
            self.writer.submit(document)
        except Exception:  # noqa: BLE001 - an audit event failing must not fail the sign-in
            logger.exception("could not record audit event %s", event)

    async def flush(self) -> None:
        """Wait until the events recorded so far are stored (tests, benchmarks)."""
        await self.writer.flush()

    async def close(self) -> None:
        """Store every event still queued, then stop writing (the instance's shutdown)."""
        await self.writer.close()
