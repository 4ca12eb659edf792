"""The ``service_clients`` collection: one document per service client (contract §10).

The document's ``_id`` is the client id, so a token request reads its client with an exact
``_id`` match: the collection shards on a hashed ``_id`` (docs/operations.md). Only a hash of
the client's secret is stored (``secret_hash``, the same hasher as app secrets). A revoked
client keeps its document, with ``revoked_at``, so the audit trail and ``clients list`` still
name it; revoking again keeps the first time.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from typing import Any

from pymongo import ReturnDocument

from ..clock import Clock
from ..records import ServiceClientRecord
from ._documents import aware


def _record(doc: Mapping[str, Any]) -> ServiceClientRecord:
    return ServiceClientRecord(
        client_id=str(doc["_id"]),
        app_id=str(doc["app_id"]),
        name=str(doc.get("name", doc["_id"])),
        scopes=tuple(str(scope) for scope in doc.get("scopes", ())),
        secret_hash=str(doc["secret_hash"]),
        created_at=aware(doc.get("created_at")),
        secret_rotated_at=aware(doc.get("secret_rotated_at")),
        revoked_at=aware(doc.get("revoked_at")),
    )


class ServiceClientStore:
    def __init__(self, database: Any, clock: Clock) -> None:
        self.collection = database["service_clients"]
        self._clock = clock

    async def ensure_indexes(self) -> None:
        # Operators list an app's clients (``clients list APP``); token requests use ``_id``.
        await self.collection.create_index(
            [("app_id", 1), ("created_at", 1)], name="app_id_created_at"
        )

    async def get(self, client_id: str) -> ServiceClientRecord | None:
        doc = await self.collection.find_one({"_id": client_id})  # _id
        return _record(doc) if doc else None

    async def insert(
        self, *, client_id: str, app_id: str, name: str, scopes: Iterable[str], secret_hash: str
    ) -> ServiceClientRecord:
        """Insert a new client; raises ``DuplicateKeyError`` when ``client_id`` exists."""
        doc = {
            "_id": client_id,
            "app_id": app_id,
            "name": name,
            "scopes": list(scopes),
            "secret_hash": secret_hash,
            "created_at": self._clock.now(),
        }
        await self.collection.insert_one(doc)
        return _record(doc)

    async def replace_secret(self, client_id: str, secret_hash: str) -> ServiceClientRecord | None:
        """A new secret hash for a client that is not revoked (the old secret stops at once);
        ``None`` when there is no such client, or it is revoked."""
        doc = await self.collection.find_one_and_update(
            {"_id": client_id, "revoked_at": {"$exists": False}},
            {"$set": {"secret_hash": secret_hash, "secret_rotated_at": self._clock.now()}},
            return_document=ReturnDocument.AFTER,
        )
        return _record(doc) if doc else None

    async def revoke(self, client_id: str) -> ServiceClientRecord | None:
        """Revoke the client (one write; a second revocation keeps the first time). ``None``
        when there is no such client."""
        await self.collection.update_one(
            {"_id": client_id, "revoked_at": {"$exists": False}},
            {"$set": {"revoked_at": self._clock.now()}},
        )
        return await self.get(client_id)

    async def list(self, app_id: str | None = None) -> builtins.list[ServiceClientRecord]:
        """The clients of one app (``app_id_created_at``), or of every app, oldest first."""
        query = {"app_id": app_id} if app_id is not None else {}
        cursor = self.collection.find(query).sort([("app_id", 1), ("created_at", 1)])
        return [_record(doc) async for doc in cursor]


__all__ = ["ServiceClientStore"]
