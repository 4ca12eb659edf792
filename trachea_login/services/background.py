"""Work that requests hand off and one task does later, in order: a bounded queue per instance.

The audit writer (storing events, :mod:`.audit_writer`) and the event delivery (calling
``on_event``, :mod:`.event_delivery`) are both a :class:`BackgroundQueue`: a request only puts
an item on the queue and never waits; one task of the running event loop takes what has queued
up, in batches, and hands each batch to the queue's handler.

- **A full queue drops** new items, counted in :attr:`BackgroundQueue.dropped`, with one
  warning per episode, instead of holding requests or memory.
- **Closing** (the instance's shutdown) lets the task finish what is queued, within an
  optional bound; past it the task is cancelled and the queue says how many items it left.
- **A failing handler** is reported and the task carries on with the next batch (while
  closing, a failure gives up on what is left: the cause is likely to stay).
- The task belongs to the event loop that first used the queue: a second loop (a second
  lifespan, a test's new loop) gets a new queue and task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

logger = logging.getLogger("trachea_login")

Item = TypeVar("Item")


@dataclass(frozen=True)
class Wording:
    """How a queue's log messages name it (``"audit"``), its items (``"audit event(s)"``),
    what handling them is (``"stored"``), and what becomes of dropped ones (``full_note``,
    the end of the queue-full warning)."""

    name: str
    what: str
    done: str
    full_note: str = ""


class BackgroundQueue(Generic[Item]):
    """Hands items to ``handle`` in batches, in order, from one task; never blocks a submitter.
    ``wording`` names things in its log messages."""

    def __init__(
        self,
        handle: Callable[[list[Item]], Awaitable[None]],
        wording: Wording,
        *,
        max_queued: int,
        batch_size: int,
    ) -> None:
        self._handle = handle
        self._name = wording.name
        self._what = wording.what
        self._done_word = wording.done
        self._full_note = wording.full_note
        self._max_queued = max_queued
        self._batch_size = batch_size
        self._queue: asyncio.Queue[Item] | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._dropping = False
        #: Items submitted and not yet handled (or given up on).
        self._pending = 0
        #: Items dropped because the queue was full, since the instance was built.
        self.dropped = 0
        #: The most items ever waiting at once (benchmarks report it: what a crash can lose).
        self.max_depth = 0

    def submit(self, item: Item) -> None:
        """Queue one item; never waits, never raises."""
        queue = self._running_queue()
        try:
            queue.put_nowait(item)
        except asyncio.QueueFull:
            self.dropped += 1
            if not self._dropping:
                self._dropping = True
                logger.warning(
                    "%s queue full (%d waiting): new %s are dropped until it drains%s",
                    self._name,
                    queue.qsize(),
                    self._what,
                    self._full_note,
                )
            return
        self._pending += 1
        self.max_depth = max(self.max_depth, queue.qsize())

    async def flush(self) -> None:
        """Wait until every item queued so far is handled (or given up on)."""
        task = self._task
        if self._queue is not None and task is not None and not task.done():
            if _in_this_loop(task):
                await self._queue.join()

    async def close(self, timeout: float | None = None) -> None:
        """Handle everything queued (waiting at most ``timeout`` seconds), then stop the task.
        Past the bound the task is cancelled (an item being handled with it) and the rest is
        given up on, with one warning saying how many."""
        task = self._task
        try:
            if task is not None and not task.done() and _in_this_loop(task):
                self._closing = True
                try:
                    await asyncio.wait_for(self.flush(), timeout)
                except asyncio.TimeoutError:
                    logger.warning(
                        "shutting down: %d %s not %s within %s s, given up on",
                        self._pending,
                        self._what,
                        self._done_word,
                        timeout,
                    )
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        finally:
            self._task = self._queue = None
            self._closing = False
            self._pending = 0

    def report(self, exc: Exception, count: int) -> None:
        """A batch failed (override to say more about a known kind of failure)."""
        logger.exception("could not handle %d %s", count, self._what, exc_info=exc)

    def _running_queue(self) -> asyncio.Queue[Item]:
        """The queue, with its task running in this event loop (started on first use)."""
        task = self._task
        if self._queue is None or task is None or task.done() or not _in_this_loop(task):
            self._queue = asyncio.Queue(self._max_queued)
            self._pending = 0
            self._task = asyncio.get_running_loop().create_task(
                self._drain(self._queue), name=f"trachea-login {self._name} queue"
            )
        return self._queue

    async def _drain(self, queue: asyncio.Queue[Item]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < self._batch_size and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                await self._handle(batch)
                self._dropping = False
            except Exception as exc:  # noqa: BLE001 - the task must outlive any failure
                self.report(exc, len(batch))
                if self._closing:
                    self._discard(queue)
            finally:
                for _ in batch:
                    self._done(queue)

    def _done(self, queue: asyncio.Queue[Item]) -> None:
        self._pending -= 1
        queue.task_done()

    def _discard(self, queue: asyncio.Queue[Item]) -> None:
        """While closing, after a failure: give up on what is still queued."""
        left = queue.qsize()
        for _ in range(left):
            queue.get_nowait()
            self._done(queue)
        if left:
            logger.warning("shutting down: %d more %s not %s", left, self._what, self._done_word)


def _in_this_loop(task: asyncio.Task[None]) -> bool:
    try:
        return task.get_loop() is asyncio.get_running_loop()
    except RuntimeError:
        return False
