"""The ``apps`` collection: one document per product app, unique ``app_id``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument

from ._time import aware, utcnow


@dataclass(frozen=True)
class AppRecord:
    app_id: str
    name: str
    secret_hash: str
    allowed_auth_methods: tuple[str, ...]
    allowed_domains: tuple[str, ...] = ()
    is_active: bool = True
    created_at: datetime | None = None
    updated_at: datetime | None = field(default=None, compare=False)

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> AppRecord:
        return cls(
            app_id=doc["app_id"],
            name=doc.get("name", doc["app_id"]),
            secret_hash=doc["app_secret_hash"],
            allowed_auth_methods=tuple(doc.get("allowed_auth_methods", ())),
            allowed_domains=tuple(doc.get("allowed_domains", ())),
            is_active=bool(doc.get("is_active", False)),
            created_at=aware(doc["created_at"]) if doc.get("created_at") else None,
            updated_at=aware(doc["updated_at"]) if doc.get("updated_at") else None,
        )

    def public_view(self) -> dict[str, Any]:
        """Everything but the secret hash (for the CLI and health output)."""
        return {
            "app_id": self.app_id,
            "name": self.name,
            "allowed_auth_methods": list(self.allowed_auth_methods),
            "allowed_domains": list(self.allowed_domains),
            "is_active": self.is_active,
            "created_at": self.created_at.isoformat() if self.created_at else None,
        }


class AppStore:
    def __init__(self, database: Any) -> None:
        self.collection = database["apps"]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index("app_id", unique=True, name="app_id_unique")

    async def get(self, app_id: str) -> AppRecord | None:
        doc = await self.collection.find_one({"app_id": app_id})  # app_id_unique
        return AppRecord.from_document(doc) if doc else None

    async def insert(
        self,
        *,
        app_id: str,
        name: str,
        secret_hash: str,
        allowed_auth_methods: Iterable[str],
        allowed_domains: Iterable[str],
        is_active: bool,
    ) -> AppRecord:
        """Insert a new app; raises ``DuplicateKeyError`` when ``app_id`` exists."""
        now = utcnow()
        doc = {
            "app_id": app_id,
            "name": name,
            "app_secret_hash": secret_hash,
            "allowed_auth_methods": list(allowed_auth_methods),
            "allowed_domains": list(allowed_domains),
            "is_active": is_active,
            "created_at": now,
            "updated_at": now,
        }
        await self.collection.insert_one(doc)
        return AppRecord.from_document(doc)

    async def update(self, app_id: str, changes: dict[str, Any]) -> AppRecord | None:
        """Set fields of one app atomically; ``None`` when no such app."""
        doc = await self.collection.find_one_and_update(
            {"app_id": app_id},
            {"$set": {**changes, "updated_at": utcnow()}},
            return_document=ReturnDocument.AFTER,
        )
        return AppRecord.from_document(doc) if doc else None

    async def list(self) -> list[AppRecord]:
        cursor = self.collection.find({}).sort("app_id", 1)
        return [AppRecord.from_document(doc) async for doc in cursor]
