"""The ``login_failures`` collection: attempt counters shared by every worker and process.

One document per (kind, app, key) - the key is a hash of the identifier or the client IP, so
usernames are not collected here in clear. A counter lives for one window from its first
attempt (TTL index on ``expires_at``); past the threshold every further failure blocks the key
for a delay that doubles, capped at the window. Nothing locks forever.

An attempt is *reserved* atomically before the (slow) password check and *released* after it,
so a burst of parallel requests cannot all pass the check before the first failure is counted:
below the threshold, failures plus attempts in flight may not exceed it; at or past it, one
attempt at a time may probe, and only when no block is running.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument

from ..clock import Clock
from ._documents import aware


@dataclass(frozen=True)
class ThrottleRule:
    max_failures: int
    window: timedelta


def block_delay(failures: int, rule: ThrottleRule) -> timedelta:
    """The block after ``failures`` failures: none below the threshold, then 1 s, 2 s, 4 s ...
    doubling with each further failure, never longer than the window."""
    if failures < rule.max_failures:
        return timedelta(0)
    exponent = min(failures - rule.max_failures, 30)
    return min(timedelta(seconds=2**exponent), rule.window)


def _seconds_until(moment: datetime | None, now: datetime) -> int:
    if moment is None:
        return 0
    return max(0, int((moment - now).total_seconds() + 0.999))


class LoginFailures:
    def __init__(self, database: Any, clock: Clock) -> None:
        self.collection = database["login_failures"]
        self._clock = clock

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            "expires_at", expireAfterSeconds=0, name="expires_at_ttl"
        )

    async def reserve(self, key: str, rule: ThrottleRule) -> int:
        """Reserve one attempt for ``key``: 0 when it may proceed (then call :meth:`release`),
        else the seconds to wait (nothing stays reserved)."""
        now = self._clock.now()
        window_end = now + rule.window
        doc = await self.collection.find_one_and_update(
            {"_id": key},
            {
                "$inc": {"pending": 1},
                "$setOnInsert": {
                    "failures": 0,
                    "window_ends": window_end,
                    "expires_at": window_end,
                },
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        if (aware(doc["window_ends"]) or now) <= now:
            # The window ended but the TTL monitor (once a minute) has not removed the document
            # yet: start a new one. Conditional on the stale window, so only one request
            # restarts it; the others read what it wrote.
            restarted = await self.collection.find_one_and_update(
                {"_id": key, "window_ends": doc["window_ends"]},
                {
                    "$set": {
                        "failures": 0,
                        "pending": 1,
                        "window_ends": window_end,
                        "expires_at": window_end,
                    },
                    "$unset": {"blocked_until": ""},
                },
                return_document=ReturnDocument.AFTER,
            )
            doc = restarted or await self.collection.find_one({"_id": key}) or doc
        wait = _seconds_until(aware(doc.get("blocked_until")), now)
        allowance = max(1, rule.max_failures - int(doc.get("failures", 0)))
        if wait or int(doc.get("pending", 0)) > allowance:
            await self._unreserve(key)
            return max(wait, 1)
        return 0

    async def release(self, key: str, rule: ThrottleRule, *, failed: bool) -> None:
        """End a reserved attempt; a failure is counted and may start a block."""
        await self._unreserve(key)
        if not failed:
            return
        doc = await self.collection.find_one_and_update(
            {"_id": key}, {"$inc": {"failures": 1}}, return_document=ReturnDocument.AFTER
        )
        delay = block_delay(int(doc["failures"]), rule) if doc else timedelta(0)
        if delay:
            until = self._clock.now() + delay
            # $max: a concurrent failure that computed a longer block keeps it; the document
            # lives at least as long as its block.
            await self.collection.update_one(
                {"_id": key}, {"$max": {"blocked_until": until, "expires_at": until}}
            )

    async def _unreserve(self, key: str) -> None:
        # Conditional, so a reservation lost to a concurrent window restart never drives the
        # count below zero.
        await self.collection.update_one(
            {"_id": key, "pending": {"$gt": 0}}, {"$inc": {"pending": -1}}
        )

    async def clear(self, key: str) -> None:
        """Forget ``key`` (a successful login clears its identifier's failures)."""
        await self.collection.delete_one({"_id": key})
