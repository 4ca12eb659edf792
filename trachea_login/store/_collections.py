"""Our collections as the store uses them (private to the store).

Whatever the client's own defaults (a secondary read preference, ``w: 1``), every collection of
ours reads from the primary and writes with majority write concern: reuse detection must never
read a stale "active" token from a lagging secondary, and a rotation acknowledged by one node
alone can be rolled back by a failover. Every operation runs under PyMongo's client-side
operation timeout (``pymongo.timeout``, ``TRACHEA_MONGO_TIMEOUT_MS``), which bounds server
selection, connection checkout, the round trip and the write concern wait together, and works
as well for a client the product app passes in. Index creation first compares the index with
the ones that exist (:func:`index_conflict`), so a conflicting operator's index is a clear
:class:`IndexConflict` on every server, not an ``OperationFailure`` 85/86 on some.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import pymongo
from pymongo import ReadPreference, WriteConcern
from pymongo.errors import OperationFailure

#: MongoDB's codes for a createIndexes that conflicts with an existing index.
INDEX_OPTIONS_CONFLICT = 85
INDEX_KEY_SPECS_CONFLICT = 86

#: Collection methods that are one database operation each: run under the timeout.
OPERATIONS = frozenset(
    {
        "count_documents",
        "delete_many",
        "delete_one",
        "drop_index",
        "find_one",
        "find_one_and_delete",
        "find_one_and_update",
        "index_information",
        "insert_many",
        "insert_one",
        "replace_one",
        "update_many",
        "update_one",
    }
)


class IndexConflict(Exception):
    """An index we need conflicts with an existing one (same name or same keys, other
    options). ``existing`` is the existing index's name."""

    def __init__(self, collection: str, wanted: str, existing: str, reason: str) -> None:
        self.collection = collection
        self.wanted = wanted
        self.existing = existing
        self.reason = reason
        super().__init__(f"{collection}.{wanted} conflicts with {existing}: {reason}")


class OurDatabase:
    """A database whose ``[name]`` is one of our collections (:class:`BoundedCollection`).

    ``timeout`` is an upper bound: a client configured with a shorter ``timeoutMS`` of its own
    keeps it."""

    def __init__(self, database: Any, timeout: float) -> None:
        self.database = database
        own = _client_timeout(database)
        self.timeout = min(timeout, own) if own else timeout

    def __getitem__(self, name: str) -> BoundedCollection:
        collection = self.database.get_collection(
            name, read_preference=ReadPreference.PRIMARY, write_concern=WriteConcern("majority")
        )
        return BoundedCollection(collection, self.timeout)

    async def command(self, command: str) -> Any:
        with pymongo.timeout(self.timeout):
            return await self.database.command(command)


class BoundedCollection:
    """A driver collection whose every operation is bounded by ``timeout`` seconds; anything
    else (``name``, ``database``, ``write_concern`` ...) is the driver collection's own."""

    def __init__(self, collection: Any, timeout: float) -> None:
        self.collection = collection
        self.timeout = timeout
        self.name: str = collection.name

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.collection, name)
        if name not in OPERATIONS:
            return attribute
        timeout = self.timeout

        async def bounded(*args: Any, **kwargs: Any) -> Any:
            with pymongo.timeout(timeout):
                return await attribute(*args, **kwargs)

        return bounded

    def find(self, *args: Any, **kwargs: Any) -> BoundedCursor:
        return BoundedCursor(self.collection.find(*args, **kwargs), self.timeout)

    async def create_index(self, keys: str | Sequence[tuple[str, Any]], **options: Any) -> str:
        """Create the index unless it exists as asked; :class:`IndexConflict` when an index
        of that name or those keys exists with other options."""
        name = str(options["name"])
        key_list = [(keys, 1)] if isinstance(keys, str) else list(keys)
        with pymongo.timeout(self.timeout):
            existing = await self.collection.index_information()
        conflict = index_conflict(existing, name, key_list, options)
        if conflict is not None:
            raise IndexConflict(self.name, name, *conflict)
        try:
            with pymongo.timeout(self.timeout):
                return str(await self.collection.create_index(key_list, **options))
        except OperationFailure as exc:
            if exc.code not in (INDEX_OPTIONS_CONFLICT, INDEX_KEY_SPECS_CONFLICT):
                raise
            # Another process made a conflicting index between our look and our write, or the
            # server compares options we do not.
            with pymongo.timeout(self.timeout):
                existing = await self.collection.index_information()
            found = index_conflict(existing, name, key_list, options)
            raise IndexConflict(
                self.name, name, *(found or (name, f"MongoDB refused it (code {exc.code})"))
            ) from None


class BoundedCursor:
    """A cursor read whole under the timeout (our multi-document reads are small: the CLI's
    list of apps, a user's sessions in one app)."""

    def __init__(self, cursor: Any, timeout: float) -> None:
        self._cursor = cursor
        self._timeout = timeout

    def sort(self, *args: Any, **kwargs: Any) -> BoundedCursor:
        self._cursor = self._cursor.sort(*args, **kwargs)
        return self

    async def to_list(self) -> list[Any]:
        with pymongo.timeout(self._timeout):
            return list(await self._cursor.to_list(None))

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._each()

    async def _each(self) -> AsyncIterator[Any]:
        # Read whole under the timeout, then handed out: the timeout never spans the caller's
        # own work between two documents.
        for document in await self.to_list():
            yield document


def _client_timeout(database: Any) -> float | None:
    """The ``timeoutMS`` the database's client was configured with, in seconds, if any."""
    try:
        timeout = database.client.options.timeout
    except AttributeError:  # not a PyMongo client (the embedded database)
        return None
    return float(timeout) if isinstance(timeout, (int, float)) and timeout > 0 else None


def _keys_of(info: Mapping[str, Any]) -> list[tuple[str, float | str]]:
    key = info.get("key", ())
    items = key.items() if isinstance(key, Mapping) else key
    return [(str(field), _direction(value)) for field, value in items]


def _direction(value: Any) -> float | str:
    # The server may report 1 as an int or a double (an index made from the shell).
    return float(value) if isinstance(value, (int, float)) else str(value)


def _options_of(info: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "unique": bool(info.get("unique", False)),
        "sparse": bool(info.get("sparse", False)),
        "expireAfterSeconds": info.get("expireAfterSeconds"),
        "partialFilterExpression": info.get("partialFilterExpression"),
    }


def index_conflict(
    existing: Mapping[str, Mapping[str, Any]],
    name: str,
    keys: Sequence[tuple[str, Any]],
    options: Mapping[str, Any],
) -> tuple[str, str] | None:
    """Decide whether the index ``name`` on ``keys`` with ``options`` can be created next to
    the ``existing`` ones (``index_information()``): ``None`` when it can (or exists exactly
    so), else ``(existing index name, reason)``. MongoDB refuses an index whose name exists
    with other keys or options (86, 85) and one whose keys an index of another name already
    has (85), unless the two differ by a partial filter or collation."""
    wanted_keys = _keys_of({"key": keys})
    wanted_options = _options_of(options)
    for other_name, info in existing.items():
        same_keys = _keys_of(info) == wanted_keys
        if other_name == name:
            if not same_keys:
                return other_name, "an index of that name exists on other keys"
            if _options_of(info) != wanted_options:
                return other_name, "an index of that name exists with other options"
            return None
        distinct = info.get("partialFilterExpression") or info.get("collation")
        if same_keys and not distinct and not wanted_options["partialFilterExpression"]:
            return other_name, "an index on the same keys exists under another name"
    return None


__all__ = [
    "BoundedCollection",
    "BoundedCursor",
    "IndexConflict",
    "OurDatabase",
    "index_conflict",
]
