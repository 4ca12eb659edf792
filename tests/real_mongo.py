"""A real server's test database usable from many event loops (tests that run each step in its
own ``asyncio.run``, as each ``trachea-login`` command does): one PyMongo client per loop,
made when a call first needs it and closed with :meth:`PerLoopDatabase.close_for_this_loop`.

PyMongo's ``AsyncMongoClient`` belongs to the event loop it first ran in, so a single client
cannot serve several ``asyncio.run`` calls; the embedded database (mongomock) can.
"""

from __future__ import annotations

import asyncio
from typing import Any


class PerLoopDatabase:
    def __init__(self, uri: str, name: str) -> None:
        self._uri = uri
        self.name = name
        self._clients: dict[asyncio.AbstractEventLoop, Any] = {}

    def database(self) -> Any:
        """The driver database of the running loop's client."""
        from pymongo import AsyncMongoClient

        loop = asyncio.get_running_loop()
        if loop not in self._clients:
            self._clients[loop] = AsyncMongoClient(self._uri)
        return self._clients[loop][self.name]

    async def close_for_this_loop(self) -> None:
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.close()

    def __getitem__(self, name: str) -> PerLoopCollection:
        return PerLoopCollection(self, name, {})

    def get_collection(self, name: str, **options: Any) -> PerLoopCollection:
        return PerLoopCollection(self, name, options)

    async def command(self, *args: Any, **kwargs: Any) -> Any:
        return await self.database().command(*args, **kwargs)


class PerLoopCollection:
    """A collection resolved at each call, in the loop the call runs in."""

    def __init__(self, owner: PerLoopDatabase, name: str, options: dict[str, Any]) -> None:
        self._owner = owner
        self._options = options
        self.name = name

    def _target(self) -> Any:
        return self._owner.database().get_collection(self.name, **self._options)

    def find(self, *args: Any, **kwargs: Any) -> Any:
        return self._target().find(*args, **kwargs)

    def __getattr__(self, attribute: str) -> Any:
        async def call(*args: Any, **kwargs: Any) -> Any:
            return await getattr(self._target(), attribute)(*args, **kwargs)

        return call


def step_database(name: str) -> Any:
    """The database of a test whose steps each run their own event loop: the real server of
    ``TRACHEA_TEST_MONGO_URI`` (a :class:`PerLoopDatabase`), else a fresh embedded one."""
    import os

    uri = os.environ.get("TRACHEA_TEST_MONGO_URI")
    if uri:
        return PerLoopDatabase(uri, name)
    from mongomock_motor import AsyncMongoMockClient

    return AsyncMongoMockClient()[name]


async def end_step(database: Any) -> None:
    """After one step (one event loop): close that loop's client, if the database has one."""
    if isinstance(database, PerLoopDatabase):
        await database.close_for_this_loop()


async def drop(database: Any) -> None:
    """Drop a real server's test database (the embedded one vanishes by itself)."""
    if isinstance(database, PerLoopDatabase):
        await database.database().client.drop_database(database.name)
        await database.close_for_this_loop()
