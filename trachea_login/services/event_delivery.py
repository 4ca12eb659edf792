"""Calling ``on_event`` off the response path: a bounded queue, drained by one task per instance
(a :class:`~.background.BackgroundQueue`), events delivered one at a time in the order they
happened.

- **Never in the response's way**: a request only queues the event. An async callback is
  awaited by the delivery task; a sync one runs in a worker thread (``asyncio.to_thread``), so
  a slow one holds neither the event loop nor any response, only the events after it.
- **A callback that raises** is logged (the event's name and the exception, never the event's
  data), counted in ``failed``, and the next event is delivered as usual: whatever it raises,
  ``CancelledError``, ``SystemExit`` and ``KeyboardInterrupt`` included. Only the delivery
  task's own cancellation (shutdown past its bound; on Python 3.11+ any cancellation of the
  task) goes through.
- **A full queue** (:data:`MAX_QUEUED` events behind a slow callback) drops new events, counted
  in ``dropped``, with one warning per episode. The audit log still has them.
- **Shutdown** delivers what is queued, waiting at most ``TRACHEA_EVENT_SHUTDOWN_SECONDS``;
  then an async callback still running is cancelled and the rest is given up on (one warning
  with the count). A sync callback cannot be stopped: its thread finishes on its own, and the
  process's exit waits for it.
- **A crash loses** the events still queued; the audit log has them (logged at once, stored
  shortly after).
"""

from __future__ import annotations

import asyncio
import inspect
import logging

from ..events import EventCallback, TracheaEvent
from .background import BackgroundQueue, Wording

logger = logging.getLogger("trachea_login")

#: Events waiting for the callback, at most; more are dropped (and logged).
MAX_QUEUED = 10_000
#: Events taken off the queue at once: one, so that a shutdown's count of what it left is exact.
BATCH_SIZE = 1

WORDING = Wording("event", "event(s)", "delivered to on_event", " (still in the audit log)")


class EventDelivery(BackgroundQueue[TracheaEvent]):
    """Delivers one instance's events to its ``on_event`` callback, in order, in the
    background."""

    def __init__(
        self, callback: EventCallback, *, max_queued: int = MAX_QUEUED, shutdown_seconds: float
    ) -> None:
        super().__init__(self._deliver, WORDING, max_queued=max_queued, batch_size=BATCH_SIZE)
        self._callback = callback
        self._is_async = _is_async_callable(callback)
        self.shutdown_seconds = shutdown_seconds
        #: Events whose callback raised, since the instance was built.
        self.failed = 0

    async def _deliver(self, events: list[TracheaEvent]) -> None:
        for event in events:
            try:
                if self._is_async:
                    await self._callback(event)  # type: ignore[misc]
                else:
                    result = await asyncio.to_thread(self._callback, event)
                    if inspect.isawaitable(result):  # a sync callable that returned a coroutine
                        await result
            # BaseException: a CancelledError the callback got from something it awaited, a
            # sys.exit() in its thread, would otherwise end delivery and lose what is queued.
            except BaseException as exc:  # noqa: BLE001 - a product's callback must not stop delivery
                if self._cancelled(exc):  # our own shutdown's cancellation: let it through
                    raise
                self.failed += 1
                # The event's name, not its data (which the callback may have choked on).
                logger.error(
                    "on_event callback raised on event %s: %s",
                    event.name,
                    type(exc).__name__,
                    exc_info=exc,
                )

    async def close(self, timeout: float | None = None) -> None:
        """Deliver what is queued within the shutdown bound, then stop."""
        await super().close(self.shutdown_seconds if timeout is None else timeout)


def _is_async_callable(callback: EventCallback) -> bool:
    """An ``async def`` function, or an object whose ``__call__`` is one."""
    if inspect.iscoroutinefunction(callback):
        return True
    call = getattr(callback, "__call__", None)  # noqa: B004 - callable objects
    return inspect.iscoroutinefunction(call)


__all__ = ["EventDelivery"]
