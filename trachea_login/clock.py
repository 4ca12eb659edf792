"""The one clock: every "now" of trachea-login comes from a :class:`Clock`.

``TracheaLogin(clock=...)`` injects one; the default is :class:`SystemClock`. Tests use
:class:`AdjustableClock` and move time forward instead of editing stored dates, so every
time-based rule (expiry, throttling windows, cache freshness) is tested the way it runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Protocol


def _to_milliseconds(moment: datetime) -> datetime:
    # MongoDB stores datetimes to the millisecond: truncating here makes round trips compare equal.
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time: timezone-aware UTC, truncated to milliseconds."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return _to_milliseconds(datetime.now(timezone.utc))

    def seconds(self) -> float:
        """``now()`` as Unix seconds, without building a datetime (the per-request path)."""
        return time.time()


class AdjustableClock:
    """The machine's clock plus an offset that only moves when told to: time keeps flowing,
    and :meth:`advance` jumps ahead (for tests, and for ``trachea_login.testing``)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return _to_milliseconds(datetime.now(timezone.utc) + self.offset)

    def seconds(self) -> float:
        """``now()`` as Unix seconds."""
        return time.time() + self.offset.total_seconds()

    def advance(
        self, *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0
    ) -> None:
        """Move the clock forward (a negative amount moves it back)."""
        self.offset += timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def seconds_of(clock: Clock) -> Callable[[], float]:
    """A function giving ``clock``'s now as Unix seconds: its ``seconds`` method when it has one
    (ours do: about 0.1 µs instead of 3.5 µs for a datetime), else from ``now()``."""
    fast = getattr(clock, "seconds", None)
    if callable(fast):
        return fast  # type: ignore[no-any-return]
    return lambda: clock.now().timestamp()


__all__ = ["AdjustableClock", "Clock", "SystemClock", "seconds_of"]
