"""Opening and closing a MongoDB client from a URI (the embedded database included)."""

from __future__ import annotations

import inspect
import logging
from typing import Any

from .config import EMBEDDED_URI_SCHEME

logger = logging.getLogger("trachea_login")


def open_database(mongo_uri: str, db_name: str, **client_options: Any) -> tuple[Any, Any]:
    """Create a client for ``mongo_uri`` and return ``(client, database)``.

    ``mongomock://`` selects the embedded in-memory database (mongomock-motor), whose data is
    lost when the process exits; anything else goes to PyMongo's native ``AsyncMongoClient``
    (Motor is deprecated), with ``client_options`` passed on. The client connects lazily, so an
    unreachable server shows up at the first operation, not here. An invalid URI raises
    PyMongo's ``ConfigurationError`` (``InvalidURI``).
    """
    if mongo_uri.startswith(EMBEDDED_URI_SCHEME):
        from mongomock_motor import AsyncMongoMockClient

        logger.warning(
            "TRACHEA_MONGO_URI=%s selects the embedded in-memory database: "
            "its data is lost when the process exits",
            EMBEDDED_URI_SCHEME,
        )
        client: Any = AsyncMongoMockClient()
    else:
        from pymongo import AsyncMongoClient

        client = AsyncMongoClient(mongo_uri, **client_options)
    return client, client[db_name]


async def close_client(client: Any) -> None:
    """Close a client whether its ``close()`` is synchronous (Motor, mongomock-motor) or a
    coroutine (PyMongo's ``AsyncMongoClient``)."""
    result = client.close()
    if inspect.isawaitable(result):
        await result
