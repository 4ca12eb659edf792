"""Storing audit events off the response path: a bounded queue, drained by one task per instance.

A request that records an event only puts its document on the queue; the task stores what has
queued up in one ``insert_many`` per batch. So no request waits for an audit insert, and a slow
or failing audit collection never slows or fails a sign-in.

- **Graceful shutdown loses nothing**: :meth:`AuditWriter.close` (run by the instance's
  shutdown) stores everything queued before it returns. If the database is unreachable then,
  it gives up after the first failing batch and says how many events were not stored.
- **A crash loses the events still queued** and the batch in flight: at most
  :data:`MAX_QUEUED` + :data:`BATCH_SIZE`, in practice those made during the last insert's round
  trip (docs/operations.md has the measured numbers). Each event was already logged on
  ``trachea_login.audit`` when it happened, so the log still has them.
- **A full queue** (the database has been failing or too slow for :data:`MAX_QUEUED` events)
  drops new events, with one warning per episode, instead of holding requests or memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from .._mongo import database_unavailable
from ..store import AuditLog

logger = logging.getLogger("trachea_login")

#: Events waiting to be stored, at most; more are dropped (and logged).
MAX_QUEUED = 10_000
#: Events per ``insert_many``.
BATCH_SIZE = 200


class AuditWriter:
    """Stores one instance's audit documents in the background, in batches, in order."""

    def __init__(
        self, log: AuditLog, *, max_queued: int = MAX_QUEUED, batch_size: int = BATCH_SIZE
    ) -> None:
        self._log = log
        self._max_queued = max_queued
        self._batch_size = batch_size
        self._queue: asyncio.Queue[dict[str, Any]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._dropping = False
        #: Events dropped because the queue was full, since the instance was built.
        self.dropped = 0
        #: The most events ever waiting at once (benchmarks report it: what a crash can lose).
        self.max_depth = 0

    def submit(self, document: dict[str, Any]) -> None:
        """Queue one event for storing; never waits, never raises."""
        queue = self._running_queue()
        try:
            queue.put_nowait(document)
        except asyncio.QueueFull:
            self.dropped += 1
            if not self._dropping:
                self._dropping = True
                logger.warning(
                    "audit queue full (%d events waiting): new audit events are not stored "
                    "until it drains (they are still logged on trachea_login.audit)",
                    queue.qsize(),
                )
            return
        self.max_depth = max(self.max_depth, queue.qsize())

    async def flush(self) -> None:
        """Wait until every event queued so far is stored (or given up on)."""
        task = self._task
        if self._queue is not None and task is not None and not task.done():
            if _in_this_loop(task):
                await self._queue.join()

    async def close(self) -> None:
        """Store everything queued, then stop the task (the instance's shutdown)."""
        task = self._task
        try:
            if task is not None and not task.done() and _in_this_loop(task):
                self._closing = True
                await self.flush()
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        finally:
            self._task = self._queue = None
            self._closing = False

    def _running_queue(self) -> asyncio.Queue[dict[str, Any]]:
        """The queue, with its task running in this event loop (started on first use)."""
        task = self._task
        if self._queue is None or task is None or task.done() or not _in_this_loop(task):
            self._queue = asyncio.Queue(self._max_queued)
            self._task = asyncio.get_running_loop().create_task(
                self._drain(self._queue), name="trachea-login audit writer"
            )
        return self._queue

    async def _drain(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < self._batch_size and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                await self._log.insert_many(batch)
                self._dropping = False
            except Exception as exc:  # noqa: BLE001 - the writer must outlive any failure
                self._report(exc, len(batch))
                if self._closing:
                    self._discard(queue)
            finally:
                for _ in batch:
                    queue.task_done()

    def _report(self, exc: Exception, count: int) -> None:
        if database_unavailable(exc):
            logger.warning(
                "could not store %d audit event(s): MongoDB unavailable (%s); they are in "
                "the trachea_login.audit log",
                count,
                type(exc).__name__,
            )
        else:
            logger.exception("could not store %d audit event(s)", count)

    @staticmethod
    def _discard(queue: asyncio.Queue[dict[str, Any]]) -> None:
        """At shutdown with the database failing: give up on what is still queued."""
        left = queue.qsize()
        for _ in range(left):
            queue.get_nowait()
            queue.task_done()
        if left:
            logger.warning("shutting down: %d more audit event(s) not stored", left)


def _in_this_loop(task: asyncio.Task[None]) -> bool:
    try:
        return task.get_loop() is asyncio.get_running_loop()
    except RuntimeError:
        return False
