"""The ``audit_events`` collection: who signed in, failed, refreshed, logged out, changed plan.

Events hold the app, the user id, the client IP and user agent, the UTC time and a few
non-secret details (method, reason). Never a password, token or secret. Each event carries its
own ``expires_at`` (time + the writing instance's retention) under a TTL index, so apps sharing
one database keep their own retention. Every event is also logged at INFO on the
``trachea_login.audit`` logger when it happens, for log shipping (and so the log holds the events
a crash kept from being stored). The service stores its events off the request path
(:mod:`trachea_login.services.audit_writer`); operator commands store theirs at once.

Shard key (docs/operations.md): hashed ``_id``; events are only ever inserted by the service,
and read by operators through the ``user_at`` and ``app_event_at`` indexes.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from bson import ObjectId

from ..clock import Clock
from ..events import TracheaEvent, make_event

logger = logging.getLogger("trachea_login.audit")


class AuditLog:
    def __init__(self, database: Any, clock: Clock, *, retention_days: int = 90) -> None:
        self.collection = database["audit_events"]
        self._clock = clock
        self.retention = timedelta(days=retention_days)

    async def ensure_indexes(self) -> None:
        await self.collection.create_index(
            "expires_at", expireAfterSeconds=0, name="expires_at_ttl"
        )
        await self.collection.create_index([("user_id", 1), ("at", -1)], name="user_at")
        await self.collection.create_index(
            [("app_id", 1), ("event", 1), ("at", -1)], name="app_event_at"
        )

    def event(
        self,
        name: str,
        *,
        app_id: str | None,
        user_id: Any = None,
        session_id: str | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
        **details: Any,
    ) -> TracheaEvent:
        """One event, now (the store's clock): what :meth:`document` stores and ``on_event``
        receives. ``app_id`` ``None``: an account-wide event (an operator's deactivation)."""
        return make_event(
            name,
            at=self._clock.now(),
            app_id=app_id,
            user_id=user_id,
            session_id=session_id,
            ip=ip or None,
            user_agent=user_agent[:512] if user_agent else None,
            **details,
        )

    def document(self, event: TracheaEvent) -> dict[str, Any]:
        """The stored form of ``event`` (also logged at INFO on ``trachea_login.audit``);
        store it with :meth:`insert_many` (the service's writer does, off the request)."""
        doc: dict[str, Any] = {"event": event.name, "at": event.at}
        if event.app_id is not None:
            doc["app_id"] = event.app_id
        if event.user_id is not None:  # the user_at index holds the document's ObjectId
            doc["user_id"] = _user_key(event.user_id)
        if event.session_id is not None:
            doc["session_id"] = event.session_id
        doc.update(event.data)
        doc["expires_at"] = event.at + self.retention
        details = {k: v for k, v in event.data.items() if k not in ("ip", "user_agent")}
        logger.info(
            "%s app=%s user=%s ip=%s %s",
            event.name,
            _shown(event.app_id),
            _shown(event.user_id),
            _shown(event.data.get("ip")),
            " ".join(
                f"{key}={_shown(value)}"
                for key, value in {"session_id": event.session_id, **details}.items()
                if value is not None
            ),
        )
        return doc

    async def insert_many(self, documents: list[dict[str, Any]]) -> None:
        """Store events made by :meth:`event`, in order, in one round trip."""
        await self.collection.insert_many(documents, ordered=True)

    async def record(self, event: str, *, app_id: str | None, **fields: Any) -> None:
        """Make and store one event at once (operator commands, which have no request to
        keep fast, and no ``on_event``: no instance runs them)."""
        await self.collection.insert_one(self.document(self.event(event, app_id=app_id, **fields)))

    async def scrub_client_details(self, user_id: Any) -> int:
        """Remove IP and user agent from every event of the person (erasure); how many."""
        result = await self.collection.update_many(  # user_at
            {"user_id": user_id}, {"$unset": {"ip": "", "user_agent": ""}}
        )
        return int(result.modified_count)


def _user_key(user_id: str) -> ObjectId | str:
    """A user's id as the users collection has it (an ObjectId), from the event's string."""
    return ObjectId(user_id) if len(user_id) == 24 and ObjectId.is_valid(user_id) else user_id


def _shown(value: Any) -> str:
    """A value as the log line shows it: as is when printable, else quoted with its escapes
    (``'x\\nlogin ...'``), so that nothing a client sends can start a line of its own."""
    text = str(value)
    return text if text.isprintable() else repr(text)
