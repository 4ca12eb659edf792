"""The events of an app (contract §11): what ``TracheaLogin(on_event=...)`` is called with, and
what the audit log stores.

Every event the service records is one :class:`TracheaEvent`, made by :func:`make_event`. The
audit log stores each of them (``store/audit.py`` turns it into a document); the callback
gets the ones named in :data:`EVENT_NAMES`, the contract's vocabulary. The others
(:data:`AUDIT_ONLY_NAMES`: throttling, failed token requests, operator changes to apps and
clients ...) are audit entries only, so the public vocabulary stays the contract's: adding a
name to it later is compatible, taking one away would not be. docs/events.md has the table.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

#: The events ``on_event`` receives (contract §11), in the order of a user's life.
EVENT_NAMES = frozenset(
    {
        "registered",
        "login",
        "login_failed",
        "refreshed",
        "refresh_reuse_detected",
        "logout",
        "session_ended",
        "password_changed",
        "plan_changed",
        "profile_updated",
        "deactivated",
        "erased",
        "token_issued",
    }
)

#: Audit entries that are not §11 events: stored in ``audit_events``, never given to
#: ``on_event``.
AUDIT_ONLY_NAMES = frozenset(
    {
        "login_throttled",
        "register_throttled",
        "token_failed",
        "email_evicted",
        "account_linked",
        "role_changed",
        "reactivated",
        "app_registered",
        "app_enabled",
        "app_disabled",
        "app_secret_rotated",
        "app_methods_changed",
        "app_domains_changed",
        "client_created",
        "client_revoked",
        "client_secret_rotated",
    }
)


class EventData(dict[str, Any]):
    """An event's ``data``: a dict that cannot be changed, so that every callback and the audit
    log see the same details. Still a dict for everything else: ``json.dumps(event.data)``,
    ``dict(event.data)``, ``dataclasses.asdict(event)``, copies and pickles work."""

    def _read_only(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("an event's data is read-only: copy it with dict(event.data)")

    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only

    def __reduce__(self) -> tuple[type[EventData], tuple[dict[str, Any]]]:
        return (type(self), (dict(self),))

    def __copy__(self) -> EventData:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> EventData:
        return self  # read-only, of plain values: a copy would be the same

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted((key, repr(value)) for key, value in self.items())))


@dataclass(frozen=True)
class TracheaEvent:
    """Something that happened to a user or a service client of one app.

    ``user_id`` is the user's ``uid`` (``CurrentUser.uid``), ``session_id`` the session's id,
    each ``None`` where the event has none (a failed sign-in of an unknown user, a service
    client's token). ``at`` is the instance clock's time (aware, UTC). ``data`` is a read-only
    dict (:class:`EventData`) of plain JSON values, never a password, token, secret or hash:
    ``method``, ``ip``, ``user_agent``, ``reason``, ``old``/``new`` plan, ``client_id``,
    ``scope``, ``actor`` ... (docs/events.md).
    """

    name: str
    app_id: str | None
    user_id: str | None
    session_id: str | None
    at: datetime
    data: Mapping[str, Any]


#: ``on_event``: a sync or async callable taking a :class:`TracheaEvent`.
EventCallback = Callable[[TracheaEvent], Awaitable[None] | None]


def make_event(
    name: str,
    *,
    at: datetime,
    app_id: str | None,
    user_id: Any = None,
    session_id: str | None = None,
    **details: Any,
) -> TracheaEvent:
    """The one way an event is made: ids as strings, details without ``None`` values, read-only.

    ``user_id`` may be the user document's id (an ``ObjectId``); the event carries its string.
    """
    data = {key: _plain(value) for key, value in details.items() if value is not None}
    return TracheaEvent(
        name=name,
        app_id=app_id,
        user_id=None if user_id is None else str(user_id),
        session_id=session_id,
        at=at,
        data=EventData(data),
    )


def _plain(value: Any) -> Any:
    """JSON-ready values: a product forwards ``dict(event.data)`` as JSON without surprises."""
    if isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(item) for item in value]
        return sorted(items) if isinstance(value, set | frozenset) else items
    return str(value)


__all__ = [
    "AUDIT_ONLY_NAMES",
    "EVENT_NAMES",
    "EventCallback",
    "EventData",
    "TracheaEvent",
    "make_event",
]
