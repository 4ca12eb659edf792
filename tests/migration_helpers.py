"""Helpers for the tests of the 0.1.x migration: a fixed clock, a snapshot of a whole database,
and a database that fails at its n-th write (an interrupted run)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pymongo.errors import AutoReconnect

#: "Now" for migrations whose outcome is compared document by document.
NOW = datetime(2027, 3, 14, 15, 9, 26, tzinfo=timezone.utc)
COLLECTIONS = ("apps", "users", "refresh_tokens", "sessions")


class FixedClock:
    def __init__(self, now: datetime = NOW) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment


async def snapshot(database: Any) -> dict[str, Any]:
    """Every document of the migration's collections (by ``_id``) and every index name."""
    state: dict[str, Any] = {}
    for name in COLLECTIONS:
        documents = [doc async for doc in database[name].find({})]
        state[name] = sorted(documents, key=lambda doc: str(doc["_id"]))
        state[f"{name} indexes"] = sorted(await database[name].index_information())
    return state


WRITES = frozenset(
    {
        "create_index",
        "delete_many",
        "delete_one",
        "drop_index",
        "find_one_and_update",
        "insert_many",
        "insert_one",
        "replace_one",
        "update_many",
        "update_one",
    }
)


class InjectedFailure(AutoReconnect):
    """The connection "dropped" at the chosen write (a driver error, as a real outage gives)."""


class FailingDatabase:
    """``database``, except that its ``fail_at``-th write (counting from 1, across every
    collection) raises :class:`InjectedFailure` instead of happening. ``writes`` counts the
    writes attempted so far (with ``fail_at=None``, nothing fails: a counter)."""

    def __init__(self, database: Any, fail_at: int | None) -> None:
        self._database = database
        self.fail_at = fail_at
        self.writes = 0

    def __getitem__(self, name: str) -> _FailingCollection:
        return _FailingCollection(self, self._database[name])

    def get_collection(self, name: str, **options: Any) -> _FailingCollection:
        return _FailingCollection(self, self._database.get_collection(name, **options))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._database, name)


class _FailingCollection:
    def __init__(self, owner: FailingDatabase, collection: Any) -> None:
        self._owner = owner
        self._collection = collection
        self.name = collection.name

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._collection, name)
        if name not in WRITES:
            return attribute
        owner = self._owner

        async def write(*args: Any, **kwargs: Any) -> Any:
            owner.writes += 1
            if owner.writes == owner.fail_at:
                raise InjectedFailure(f"injected failure at write {owner.writes}")
            return await attribute(*args, **kwargs)

        return write
