"""The events of one app's sign-ins, failures, refreshes and account changes (contract §11).

:meth:`Auditor.record` is the one place every event of the service passes through: it makes
one :class:`~trachea_login.TracheaEvent`, and from it both the audit document (logged at once
on ``trachea_login.audit``, stored off the response path by the instance's
:class:`~.audit_writer.AuditWriter`) and, for the contract's events
(:data:`~trachea_login.events.EVENT_NAMES`), the delivery to ``on_event``
(:class:`~.event_delivery.EventDelivery`, also off the response path).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ..events import EVENT_NAMES
from ..store import AuditLog
from .audit_writer import AuditWriter
from .context import ClientContext
from .event_delivery import EventDelivery

logger = logging.getLogger("trachea_login")


class Auditor:
    """Records events for one app. Recording never waits for the database or the callback,
    and never fails the request."""

    def __init__(
        self,
        log: AuditLog,
        app_id: str,
        writer: AuditWriter | None = None,
        delivery: EventDelivery | None = None,
    ) -> None:
        self._log = log
        self.app_id = app_id
        self.writer = writer or AuditWriter(log)
        #: ``on_event``'s delivery; ``None`` without a callback.
        self.delivery = delivery

    async def record(self, event: str, client: ClientContext, **fields: Any) -> None:
        """One event of this app: ``fields`` are ``user_id``, ``session_id`` and the details
        (never a secret); the client's IP and user agent come from ``client``."""
        try:
            made = self._log.event(
                event, app_id=self.app_id, ip=client.ip, user_agent=client.user_agent, **fields
            )
            self.writer.submit(self._log.document(made))
            if self.delivery is not None and made.name in EVENT_NAMES:
                self.delivery.submit(made)
        except Exception:  # noqa: BLE001 - an audit event failing must not fail the sign-in
            logger.exception("could not record audit event %s", event)

    async def flush(self, timeout: float | None = None) -> bool:
        """Wait until the events recorded so far are stored (an erasure before its scrub,
        tests, benchmarks), at most ``timeout`` seconds; whether they were."""
        return await self.writer.flush(timeout)

    async def flush_events(self) -> None:
        """Wait until the events recorded so far are delivered to ``on_event`` and stored."""
        if self.delivery is not None:
            await self.delivery.flush()
        await self.writer.flush()

    async def close(self) -> None:
        """Store and deliver every event still queued (delivery within its bound), then stop
        (the instance's shutdown). Both at once: a slow callback never holds the storing."""
        closing = [self.writer.close()]
        if self.delivery is not None:
            closing.append(self.delivery.close())
        for result in await asyncio.gather(*closing, return_exceptions=True):
            if isinstance(result, BaseException):
                raise result
