"""The ``login_failures`` collection: failed-login counters shared by every worker and process.

One document per (kind, app, key) - the key is a hash of the identifier or the client IP, so
usernames are not collected here in clear. Each counter lives for one window from its first
failure (TTL index on ``expires_at``); past the threshold every further failure blocks the key
for a delay that doubles, capped at the window. Nothing locks forever.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument

from ._time import aware, utcnow


@dataclass(frozen=True)
class ThrottleRule:
    kind: str  # "id" or "ip"
    max_failures: int
    window: timedelta


def counter_key(kind: str, app_id: str, value: str) -> str:
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()
    return f"{kind}:{app_id}:{digest}"


def block_delay(failures: int, rule: ThrottleRule) -> timedelta:
    """The block after ``failures`` failures: none below the threshold, then 1 s, 2 s, 4 s ...
    doubling with each further failure, never longer than the window."""
    if failures < rule.max_failures:
        return timedelta(0)
    exponent = min(failures - rule.max_failures, 30)
    return min(timedelta(seconds=2**exponent), rule.window)


class LoginFailures:
    def __init__(self, database: Any) -> None:
        self.collection = database["login_failures"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            "expires_at", expireAfterSeconds=0, name="expires_at_ttl"
        )

    async def blocked_for(self, key: str, now: datetime | None = None) -> int:
        """Seconds until ``key`` may try again (0 when it is not blocked)."""
        now = now or utcnow()
        doc = await self.collection.find_one({"_id": key})
        if not doc or not doc.get("blocked_until"):
            return 0
        remaining = (aware(doc["blocked_until"]) - now).total_seconds()
        return max(0, int(remaining + 0.999))

    async def record_failure(self, key: str, rule: ThrottleRule) -> int:
        """Count one failure for ``key``; returns the failure count within the current window."""
        now = utcnow()
        doc = await self.collection.find_one_and_update(
            {"_id": key},
            {
                "$inc": {"failures": 1},
                "$setOnInsert": {"window_ends": now + rule.window, "expires_at": now + rule.window},
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        if aware(doc["window_ends"]) <= now:
            # The window ended but the TTL monitor (which runs once a minute) has not removed
            # the document yet: start a new window. Conditional on the stale window, so of two
            # concurrent restarts only one applies and the other's count is re-added below.
            restarted = await self.collection.find_one_and_update(
                {"_id": key, "window_ends": doc["window_ends"]},
                {
                    "$set": {
                        "failures": 1,
                        "window_ends": now + rule.window,
                        "expires_at": now + rule.window,
                    },
                    "$unset": {"blocked_until": ""},
                },
                return_document=ReturnDocument.AFTER,
            )
            if restarted is None:
                restarted = await self.collection.find_one_and_update(
                    {"_id": key}, {"$inc": {"failures": 1}}, return_document=ReturnDocument.AFTER
                )
            doc = restarted or doc
        failures = int(doc["failures"])
        delay = block_delay(failures, rule)
        if delay:
            until = now + delay
            # $max: a concurrent failure that computed a longer block keeps it; the document
            # lives at least as long as its block.
            await self.collection.update_one(
                {"_id": key}, {"$max": {"blocked_until": until, "expires_at": until}}
            )
        return failures

    async def clear(self, key: str) -> None:
        await self.collection.delete_one({"_id": key})
