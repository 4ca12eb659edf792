"""The ``login_failures`` collection: attempt counters shared by every worker, process and app.

One document per counter (an account, an identifier that names no account, a client IP in one
app); ids hold hashes, never an identifier or IP in clear. A counter's window starts with its
first attempt and lasts ``rule.window``; past ``rule.max_failures`` failures in it, every further
failure blocks the counter for a delay that doubles (1 s, 2 s, 4 s ...), capped at the window.
Nothing locks forever: a window that ended starts afresh.

An attempt *reserves* a slot before the (slow) password check and *releases* it after, so a
burst of parallel requests cannot all pass the check before the first failure is counted:
below the threshold, failures plus attempts in flight may not exceed it; at or past it, one
attempt at a time may probe, and only when no block is running. A reservation is a *lease*
(``leases.<token>: until``, :data:`RESERVATION_LEASE`): a process that dies between reserve and
release holds its slot for the lease, not for the rest of the window. A window restart resets
the failures and keeps the leases of attempts still in flight.

Round trips: one ``find_one_and_update`` per counter to reserve, and one ``update_many`` over
all the counters of an attempt to release it (a failure counts on each; a success frees the
slots, and resets a counter's failures with one more update when it had any).

Shard key (docs/operations.md): hashed ``_id``; every operation names its documents by ``_id``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument

from ..clock import Clock
from ._documents import aware

#: How long a reservation holds its slot if it is never released (the process died): longer
#: than any password check, MONGO_TIMEOUT_MS included, and short next to the window.
RESERVATION_LEASE = timedelta(seconds=30)


@dataclass(frozen=True)
class ThrottleRule:
    max_failures: int
    window: timedelta


@dataclass(frozen=True)
class Admission:
    """The answer to a reservation: ``wait`` 0 when admitted (the lease ``token`` is held),
    else the seconds to wait (nothing stays held). ``failures`` is the counter's failures in
    its current window, as the reservation saw them; ``stale`` the expired leases it found
    (removed by the release)."""

    wait: int
    token: str
    failures: int = 0
    stale: tuple[str, ...] = ()


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


def judge(doc: Mapping[str, Any], token: str, rule: ThrottleRule, now: datetime) -> Admission:
    """Decide a reservation from the counter as it is with our lease added: admitted, or the
    wait. A counter whose window ended has no failures (its restart is written separately)."""
    window_ended = (aware(doc.get("window_ends")) or now) <= now
    failures = 0 if window_ended else int(doc.get("failures", 0))
    leases = doc.get("leases") or {}
    live = [name for name, until in leases.items() if (aware(until) or now) > now]
    stale = tuple(name for name in leases if name not in live)
    wait = 0
    last_failure = aware(doc.get("last_failure_at"))
    if not window_ended and last_failure is not None:
        wait = _seconds_until(last_failure + block_delay(failures, rule), now)
    allowance = max(1, rule.max_failures - failures)
    if wait or len(live) > allowance:
        return Admission(wait=max(wait, 1), token=token, failures=failures, stale=stale)
    return Admission(wait=0, token=token, failures=failures, stale=stale)


class LoginFailures:
    def __init__(self, database: Any, clock: Clock) -> None:
        self.collection = database["login_failures"]
        self._clock = clock

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            "expires_at", expireAfterSeconds=0, name="expires_at_ttl"
        )

    @staticmethod
    def new_token() -> str:
        """A lease id, unique per attempt (one attempt uses the same one on each counter)."""
        return secrets.token_hex(8)

    async def reserve(self, key: str, rule: ThrottleRule, token: str) -> Admission:
        """Take a lease on ``key`` for one attempt, or learn how long to wait (then nothing
        stays held). Release an admitted attempt with :meth:`release`."""
        now = self._clock.now()
        doc = await self.collection.find_one_and_update(
            {"_id": key},
            {
                "$set": {f"leases.{token}": now + RESERVATION_LEASE},
                "$setOnInsert": {"failures": 0, "window_ends": now + rule.window},
                # The document outlives every lease and block on it (TTL index).
                "$max": {"expires_at": now + rule.window},
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        if (aware(doc.get("window_ends")) or now) <= now:
            await self._restart_window(key, doc.get("window_ends"), now + rule.window)
        admission = judge(doc, token, rule, now)
        if admission.wait:
            await self.release([key], admission, failed=False)
        return admission

    async def _restart_window(self, key: str, ended: Any, window_end: datetime) -> None:
        # The window ended but the TTL monitor (once a minute) has not removed the document
        # yet. Conditional on the ended window, so only one request restarts it; the leases of
        # attempts in flight stay.
        await self.collection.update_one(
            {"_id": key, "window_ends": ended},
            {
                "$set": {"failures": 0, "window_ends": window_end},
                "$unset": {"last_failure_at": ""},
            },
        )

    async def release(self, keys: Iterable[str], admission: Admission, *, failed: bool) -> None:
        """End an attempt on every counter it holds, in one update: free its lease (and the
        expired ones it saw); a failure is counted on each and may start a block."""
        unset = dict.fromkeys((f"leases.{t}" for t in (admission.token, *admission.stale)), "")
        update: dict[str, Any] = {"$unset": unset}
        if failed:
            update["$inc"] = {"failures": 1}
            # $max: of concurrent failures the latest one times the block.
            update["$max"] = {"last_failure_at": self._clock.now()}
        await self.collection.update_many({"_id": {"$in": list(keys)}}, update)

    async def reset(self, key: str, admission: Admission) -> None:
        """End an attempt that proved the account (a successful sign-in): its failures are
        forgotten; attempts still in flight keep their leases."""
        await self.collection.update_one(
            {"_id": key},
            {
                "$set": {"failures": 0},
                "$unset": {
                    "last_failure_at": "",
                    **{f"leases.{t}": "" for t in (admission.token, *admission.stale)},
                },
            },
        )
