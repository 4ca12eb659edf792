"""The ``apps`` collection: one document per product app, unique ``app_id``."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from typing import Any

from pymongo import ReturnDocument

from ..clock import Clock
from ..errors import TracheaConfigError
from ..records import AppRecord
from ._documents import aware

#: Record attribute -> document field, for the fields an operator may change.
_CHANGEABLE = {
    "name": "name",
    "secret_hash": "app_secret_hash",
    "allowed_auth_methods": "allowed_auth_methods",
    "allowed_domains": "allowed_domains",
    "is_active": "is_active",
}


def _record(doc: Mapping[str, Any]) -> AppRecord:
    if "app_secret_hash" not in doc:
        # trachea-login 0.1.x stored "app_secret"; its databases are upgraded by the command.
        raise TracheaConfigError(
            f"App '{doc.get('app_id')}' is stored in another layout (trachea-login 0.1.x?): "
            "upgrade the database with: trachea-login db migrate (see docs/upgrading.md)"
        )
    return AppRecord(
        app_id=doc["app_id"],
        name=doc.get("name", doc["app_id"]),
        secret_hash=doc["app_secret_hash"],
        allowed_auth_methods=tuple(doc.get("allowed_auth_methods", ())),
        allowed_domains=tuple(doc.get("allowed_domains", ())),
        is_active=bool(doc.get("is_active", False)),
        created_at=aware(doc.get("created_at")),
        updated_at=aware(doc.get("updated_at")),
    )


class AppStore:
    def __init__(self, database: Any, clock: Clock) -> None:
        self.collection = database["apps"]
        self._clock = clock

    async def ensure_indexes(self) -> None:
        await self.collection.create_index("app_id", unique=True, name="app_id_unique")

    async def get(self, app_id: str) -> AppRecord | None:
        doc = await self.collection.find_one({"app_id": app_id})  # app_id_unique
        return _record(doc) if doc else None

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
        now = self._clock.now()
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
        return _record(doc)

    async def update(self, app_id: str, **changes: Any) -> AppRecord | None:
        """Set attributes of one app (``name``, ``secret_hash``, ``allowed_auth_methods``,
        ``allowed_domains``, ``is_active``) atomically; ``None`` when no such app."""
        unknown = set(changes) - set(_CHANGEABLE)
        if unknown:
            raise ValueError(f"not changeable app attributes: {', '.join(sorted(unknown))}")
        fields = {
            _CHANGEABLE[name]: list(value) if isinstance(value, tuple) else value
            for name, value in changes.items()
        }
        doc = await self.collection.find_one_and_update(
            {"app_id": app_id},
            {"$set": {**fields, "updated_at": self._clock.now()}},
            return_document=ReturnDocument.AFTER,
        )
        return _record(doc) if doc else None

    async def list(self) -> builtins.list[AppRecord]:
        docs = await self.collection.find({}).sort("app_id", 1).to_list()
        return [_record(doc) for doc in docs]
