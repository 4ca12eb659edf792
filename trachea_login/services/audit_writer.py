"""Storing audit events off the response path: a bounded queue, drained by one task per instance
(a :class:`~.background.BackgroundQueue`).

A request that records an event only puts its document on the queue; the task stores what has
queued up in one ``insert_many`` per batch. So no request waits for an audit insert, and a slow
or failing audit collection never slows or fails a sign-in.

- **Graceful shutdown loses nothing queued**: :meth:`AuditWriter.close` (run by the instance's
  shutdown) stores everything queued before it began, before it returns (what is recorded
  after that is dropped with a warning, so a busy process still shuts down). If the database
  is unreachable then, it gives up after the first failing batch and says how many events
  were not stored.
- **A crash loses the events still queued** and the batch in flight: at most
  :data:`MAX_QUEUED` + :data:`BATCH_SIZE`, in practice those made during the last insert's round
  trip (docs/operations.md has the measured numbers). Each event was already logged on
  ``trachea_login.audit`` when it happened, so the log still has them.
- **A full queue** (the database has been failing or too slow for :data:`MAX_QUEUED` events)
  drops new events, with one warning per episode, instead of holding requests or memory.
"""

from __future__ import annotations

import logging
from typing import Any

from .._mongo import database_unavailable
from ..store import AuditLog
from .background import BackgroundQueue, Wording

logger = logging.getLogger("trachea_login")

#: Events waiting to be stored, at most; more are dropped (and logged).
MAX_QUEUED = 10_000
#: Events per ``insert_many``.
BATCH_SIZE = 200

WORDING = Wording("audit", "audit event(s)", "stored", " (still logged on trachea_login.audit)")


class AuditWriter(BackgroundQueue[dict[str, Any]]):
    """Stores one instance's audit documents in the background, in batches, in order."""

    def __init__(
        self, log: AuditLog, *, max_queued: int = MAX_QUEUED, batch_size: int = BATCH_SIZE
    ) -> None:
        super().__init__(self._store, WORDING, max_queued=max_queued, batch_size=batch_size)
        self._log = log

    async def _store(self, documents: list[dict[str, Any]]) -> None:
        # Looked up on each batch: tests stand a gate in front of the log's insert_many.
        await self._log.insert_many(documents)

    def report(self, exc: BaseException, count: int) -> None:
        if database_unavailable(exc):
            logger.warning(
                "could not store %d audit event(s): MongoDB unavailable (%s); they are in "
                "the trachea_login.audit log",
                count,
                type(exc).__name__,
            )
        else:
            logger.exception("could not store %d audit event(s)", count, exc_info=exc)
