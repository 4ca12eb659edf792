"""Opening and closing a MongoDB client from a URI (the embedded database included), and what
the rest of the package needs to know about driver failures."""

from __future__ import annotations

import inspect
import logging
from typing import TYPE_CHECKING, Any

from pymongo.errors import ConnectionFailure, PyMongoError

from .config import EMBEDDED_URI_SCHEME
from .errors import TracheaConfigError

if TYPE_CHECKING:
    from .store import IndexConflict

logger = logging.getLogger("trachea_login")

#: How to install the embedded database (an optional extra: it needs Motor, which MongoDB has
#: deprecated, so production installs do without it).
EMBEDDED_EXTRA = "pip install 'trachea-login[embedded]>=0.2'"


def open_database(mongo_uri: str, db_name: str, **client_options: Any) -> tuple[Any, Any]:
    """Create a client for ``mongo_uri`` and return ``(client, database)``.

    ``mongomock://`` selects the embedded in-memory database (mongomock-motor, the extra
    ``trachea-login[embedded]``; without it a :class:`TracheaConfigError` says how to install
    it), whose data is lost when the process exits; anything else goes to PyMongo's native
    ``AsyncMongoClient``, with ``client_options`` passed on. The client connects lazily, so an
    unreachable server shows up at the first operation, not here. An invalid URI raises
    PyMongo's ``ConfigurationError`` (``InvalidURI``).
    """
    if mongo_uri.startswith(EMBEDDED_URI_SCHEME):
        try:
            from mongomock_motor import AsyncMongoMockClient
        except ImportError:
            raise TracheaConfigError(
                f"TRACHEA_MONGO_URI={EMBEDDED_URI_SCHEME} selects the embedded in-memory "
                f"database, which is an optional extra: {EMBEDDED_EXTRA}"
            ) from None
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
    """Close a client whether its ``close()`` is synchronous (mongomock-motor, Motor) or a
    coroutine (PyMongo's ``AsyncMongoClient``)."""
    result = client.close()
    if inspect.isawaitable(result):
        await result


def database_unavailable(exc: BaseException) -> bool:
    """Whether a driver error means the database cannot be used right now (unreachable, no
    primary, or ``MONGO_TIMEOUT_MS`` passed), rather than a bug or a refused operation."""
    return isinstance(exc, ConnectionFailure) or (
        isinstance(exc, PyMongoError) and bool(getattr(exc, "timeout", False))
    )


def index_conflict_message(conflict: IndexConflict) -> str:
    """The startup message for an index of ours that conflicts with an existing one: which
    index, and the two ways out."""
    collection, existing = conflict.collection, conflict.existing
    return (
        f"MongoDB index conflict in collection '{collection}': trachea-login needs the index "
        f"'{conflict.wanted}', but {conflict.reason} ('{existing}'). Drop it "
        f'(mongosh: db.{collection}.dropIndex("{existing}")) and start again; trachea-login '
        "creates its own. For a database written by trachea-login 0.1.x, run the migration "
        "instead: trachea-login db migrate --dry-run, then trachea-login db migrate"
    )
