"""Work that requests hand off and one task does later, in order: a bounded queue per instance.

The audit writer (storing events, :mod:`.audit_writer`) and the event delivery (calling
``on_event``, :mod:`.event_delivery`) are both a :class:`BackgroundQueue`: a request only puts
an item on the queue and never waits; one task of the running event loop takes what has queued
up, in batches, and hands each batch to the queue's handler.

- **A full queue drops** new items, counted in :attr:`BackgroundQueue.dropped`, with one
  warning per episode, instead of holding requests or memory.
- **Flushing waits for a watermark**: :meth:`BackgroundQueue.flush` waits for the items queued
  before the call, never for the ones queued meanwhile, so it returns under steady traffic
  too (items are handled in order: once the last of them is done, every earlier one is).
- **Closing** (the instance's shutdown) refuses new items (counted as dropped, one warning),
  lets the task finish what was queued, within an optional bound; past it the task is
  cancelled and the queue says how many items it left.
- **A failing handler** is reported and the task carries on with the next batch (while
  closing, a failure gives up on what is left: the cause is likely to stay). A stray
  ``CancelledError`` from a handler is a failure like any other; only the task's own
  cancellation (by :meth:`close`, or on Python 3.11+ by anyone) stops it. ``SystemExit`` and
  ``KeyboardInterrupt`` end the task: the queue then says how many items it left.
- The task belongs to the event loop that first used the queue: a second loop (a second
  lifespan, a test's new loop) gets a new queue and task.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
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


@dataclass
class _Run(Generic[Item]):
    """One event loop's queue, its task and its counts: a new loop starts a new run, so an
    old loop's task can never count into the new one's."""

    queue: asyncio.Queue[Item]
    task: asyncio.Task[None] | None = None
    #: Items accepted, and items handled or given up on (in order: the first ``handled``).
    submitted: int = 0
    handled: int = 0
    #: ``flush`` callers: the ``submitted`` count each waits for, oldest first.
    waiters: collections.deque[tuple[int, asyncio.Future[None]]] = field(
        default_factory=collections.deque
    )
    #: Set by ``close`` just before it cancels the task: that cancellation is ours.
    stopping: bool = False

    @property
    def pending(self) -> int:
        return self.submitted - self.handled

    def count_done(self, count: int = 1) -> None:
        """``count`` more items handled or given up on: wake the flushes they complete."""
        self.handled += count
        while self.waiters and self.waiters[0][0] <= self.handled:
            _mark, waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    def release_all(self) -> None:
        """The task is gone: no flush is left waiting for it."""
        while self.waiters:
            _mark, waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)


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
        self._run: _Run[Item] | None = None
        self._closing = False
        self._dropping = False
        #: Whether this close has warned about refusing new items.
        self._refusing = False
        #: Items dropped because the queue was full (or closing), since the instance was built.
        self.dropped = 0
        #: The most items ever waiting at once (benchmarks report it: what a crash can lose).
        self.max_depth = 0

    def submit(self, item: Item) -> None:
        """Queue one item; never waits, never raises."""
        if self._closing:
            self.dropped += 1
            if not self._refusing:
                self._refusing = True
                logger.warning(
                    "%s queue closing: new %s are dropped%s",
                    self._name,
                    self._what,
                    self._full_note,
                )
            return
        run = self._running()
        try:
            run.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.dropped += 1
            if not self._dropping:
                self._dropping = True
                logger.warning(
                    "%s queue full (%d waiting): new %s are dropped until it drains%s",
                    self._name,
                    run.queue.qsize(),
                    self._what,
                    self._full_note,
                )
            return
        run.submitted += 1
        self.max_depth = max(self.max_depth, run.queue.qsize())

    async def flush(self, timeout: float | None = None) -> bool:
        """Wait until every item queued before this call is handled (or given up on); items
        queued meanwhile are not waited for. At most ``timeout`` seconds (``None``: no bound);
        ``False`` when the bound passed first."""
        run = self._run
        if run is None or run.task is None or run.task.done() or not _in_this_loop(run.task):
            return True
        if run.handled >= run.submitted:
            return True
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (run.submitted, waiter)
        run.waiters.append(entry)
        try:
            done, _ = await asyncio.wait({waiter}, timeout=timeout)
        finally:
            if not waiter.done():  # the bound passed, or the caller was cancelled
                with contextlib.suppress(ValueError):
                    run.waiters.remove(entry)
        return bool(done)

    @property
    def pending(self) -> int:
        """Items queued (or being handled) and not yet done."""
        return self._run.pending if self._run is not None else 0

    async def close(self, timeout: float | None = None) -> None:
        """Refuse new items, handle what was queued (waiting at most ``timeout`` seconds), then
        stop the task. Past the bound the task is cancelled (an item being handled with it)
        and the rest is given up on, with one warning saying how many."""
        run = self._run
        self._closing = True
        try:
            task = run.task if run is not None else None
            if run is not None and task is not None and not task.done() and _in_this_loop(task):
                if not await self.flush(timeout):
                    logger.warning(
                        "shutting down: %d %s not %s within %s s, given up on",
                        run.pending,
                        self._what,
                        self._done_word,
                        timeout,
                    )
                run.stopping = True
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        finally:
            if run is not None:
                run.release_all()
            self._run = None
            self._closing = self._refusing = False

    def report(self, exc: BaseException, count: int) -> None:
        """A batch failed (override to say more about a known kind of failure)."""
        logger.exception("could not handle %d %s", count, self._what, exc_info=exc)

    def _cancelled(self, exc: BaseException) -> bool:
        """Whether ``exc`` is the task's own cancellation (to let through), not a failure."""
        return own_cancellation(self._run is not None and self._run.stopping, exc)

    def _running(self) -> _Run[Item]:
        """This event loop's run, its task started on first use."""
        run = self._run
        task = run.task if run is not None else None
        if run is None or task is None or task.done() or not _in_this_loop(task):
            run = _Run(asyncio.Queue(self._max_queued))
            run.task = asyncio.get_running_loop().create_task(
                self._drain(run), name=f"trachea-login {self._name} queue"
            )
            run.task.add_done_callback(lambda task: self._ended(run, task))
            self._run = run
        return run

    def _ended(self, run: _Run[Item], task: asyncio.Task[None]) -> None:
        """The task ended: a flush never waits for it, and items it left are said, not lost
        silently (a ``SystemExit`` through a handler, the loop closing without ``close``)."""
        left = run.pending
        run.count_done(left)
        run.release_all()
        if left and not run.stopping:
            logger.warning(
                "%s queue stopped: %d %s not %s", self._name, left, self._what, self._done_word
            )

    async def _drain(self, run: _Run[Item]) -> None:
        queue = run.queue
        while True:
            batch = [await queue.get()]
            while len(batch) < self._batch_size and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                await self._handle(batch)
                self._dropping = False
            except BaseException as exc:  # noqa: BLE001 - the task must outlive any failure
                if isinstance(exc, KeyboardInterrupt | SystemExit) or self._cancelled(exc):
                    raise
                self.report(exc, len(batch))
                if self._closing:
                    self._discard(run)
            finally:
                run.count_done(len(batch))

    def _discard(self, run: _Run[Item]) -> None:
        """While closing, after a failure: give up on what is still queued."""
        left = run.queue.qsize()
        for _ in range(left):
            run.queue.get_nowait()
        run.count_done(left)
        if left:
            logger.warning("shutting down: %d more %s not %s", left, self._what, self._done_word)


def own_cancellation(stopping: bool, exc: BaseException) -> bool:
    """Whether ``exc`` is the running task's own cancellation, rather than a ``CancelledError``
    that a handler or callback raised on its own (awaiting something else that was
    cancelled). ``stopping``: our ``close`` cancelled the task. Python 3.11+ also knows when
    anyone else did (``Task.cancelling``); on 3.10 only ``close``'s cancellation is known."""
    if not isinstance(exc, asyncio.CancelledError):
        return False
    if stopping:
        return True
    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)
    return bool(cancelling is not None and cancelling())


def _in_this_loop(task: asyncio.Task[None]) -> bool:
    try:
        return task.get_loop() is asyncio.get_running_loop()
    except RuntimeError:
        return False
