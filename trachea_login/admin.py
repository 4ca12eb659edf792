"""Operator operations on apps and users: what the ``trachea-login`` CLI does, without HTTP.

Every function takes the MongoDB database (any async client with PyMongo's API) and works
through the stores. Invalid input raises ``ValueError`` (messages never contain a secret);
a missing app or user raises a :class:`NotFoundError`. Each change is one atomic update.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from collections.abc import Iterable
from typing import Any

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from .levels import PLANS, ROLES
from .passwords import PasswordHasher
from .store import AppRecord, Store
from .store._time import aware
from .store.users import object_id

#: The sign-in methods the service knows (contract §4). Other lower-case Firebase provider
#: names (``phone``, ``anonymous`` ...) may be allowed by name.
KNOWN_AUTH_METHODS: tuple[str, ...] = ("google", "facebook", "apple", "password", "username")

APP_SECRET_MIN_LENGTH = 16
APP_SECRET_MAX_LENGTH = 1024
APP_NAME_MAX_LENGTH = 100

_APP_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_AUTH_METHOD = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


class NotFoundError(LookupError):
    """An app, a user, or a user's entry for an app does not exist."""


class AppNotFound(NotFoundError):
    def __init__(self, app_id: str) -> None:
        super().__init__(f"app {app_id!r} not found")
        self.app_id = app_id


class UserNotFound(NotFoundError):
    def __init__(self, query: str) -> None:
        super().__init__(f"user {query!r} not found")
        self.query = query


class NotAMember(NotFoundError):
    """The user exists but has no ``apps[]`` entry for that app (never signed in to it)."""

    def __init__(self, user_id: str, app_id: str) -> None:
        super().__init__(
            f"user {user_id} has no entry for app {app_id!r} "
            "(a user joins an app at their first sign-in to it)"
        )
        self.user_id = user_id
        self.app_id = app_id


class AppAlreadyExists(ValueError):
    def __init__(self, app_id: str) -> None:
        super().__init__(f"app {app_id!r} already exists")
        self.app_id = app_id


class AmbiguousUser(ValueError):
    """A query matches several users (say one's username is another's Firebase uid)."""

    def __init__(self, query: str, user_ids: list[str]) -> None:
        super().__init__(
            f"user query {query!r} matches {len(user_ids)} users "
            f"({', '.join(user_ids)}); use the user id"
        )
        self.query = query
        self.user_ids = user_ids


# -- apps ------------------------------------------------------------------------------------


def generate_app_secret() -> str:
    """A new app secret: 256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


async def register_app(
    database: Any,
    *,
    app_id: str,
    app_secret: str,
    name: str,
    allowed_auth_methods: Iterable[str],
    allowed_domains: Iterable[str] = (),
    is_active: bool = True,
    secret_hash_rounds: int = 12,
) -> AppRecord:
    """Register a product app; only a hash of ``app_secret`` is stored.

    Raises ``ValueError`` for invalid input and :class:`AppAlreadyExists` when ``app_id`` is
    taken. Creates the unique ``app_id`` index first, so a duplicate is refused even on a
    database no service has started against yet.
    """
    app_id = check_app_id(app_id)
    check_app_secret(app_secret)
    name = _check_name(name)
    methods = check_auth_methods(allowed_auth_methods)
    domains = check_domains(allowed_domains)
    if not isinstance(is_active, bool):
        raise ValueError("is_active must be true or false")

    store = Store(database)
    await store.apps.ensure_indexes()
    if await store.apps.get(app_id) is not None:  # spare a slow hash; the index decides below
        raise AppAlreadyExists(app_id)
    secret_hash = await PasswordHasher(secret_hash_rounds).hash(app_secret)
    try:
        record = await store.apps.insert(
            app_id=app_id,
            name=name,
            secret_hash=secret_hash,
            allowed_auth_methods=methods,
            allowed_domains=domains,
            is_active=is_active,
        )
    except DuplicateKeyError:
        raise AppAlreadyExists(app_id) from None
    await store.audit.record("app_registered", app_id=app_id, methods=methods, domains=domains)
    return record


async def verify_app_secret(record: AppRecord, secret: str) -> bool:
    """Whether ``secret`` is the app's secret (any hash cost verifies)."""
    if not isinstance(secret, str) or not secret:
        return False
    return await PasswordHasher().check(secret, record.secret_hash)


async def get_app(database: Any, app_id: str) -> AppRecord:
    """The app ``app_id``; raises :class:`AppNotFound`."""
    record = await Store(database).apps.get(app_id)
    if record is None:
        raise AppNotFound(app_id)
    return record


async def list_apps(database: Any) -> list[AppRecord]:
    """Every registered app, sorted by ``app_id``."""
    return await Store(database).apps.list()


async def enable_app(database: Any, app_id: str) -> AppRecord:
    """Mark the app active; raises :class:`AppNotFound`."""
    return await _update_app(database, app_id, {"is_active": True}, "app_enabled")


async def disable_app(database: Any, app_id: str) -> AppRecord:
    """Mark the app inactive: its sign-ins and refreshes fail with ``APP_INACTIVE`` and its
    service refuses to start. Raises :class:`AppNotFound`."""
    return await _update_app(database, app_id, {"is_active": False}, "app_disabled")


async def rotate_app_secret(
    database: Any,
    app_id: str,
    new_secret: str | None = None,
    *,
    secret_hash_rounds: int = 12,
) -> str:
    """Replace the app's secret hash and return the new secret (generated unless given).

    The app's processes must get the new secret as ``TRACHEA_APP_SECRET``: the old one no
    longer passes the startup check. Raises ``ValueError`` for a weak ``new_secret`` and
    :class:`AppNotFound`.
    """
    secret = generate_app_secret() if new_secret is None else new_secret
    check_app_secret(secret)
    await get_app(database, app_id)  # fail before the slow hash
    secret_hash = await PasswordHasher(secret_hash_rounds).hash(secret)
    await _update_app(database, app_id, {"app_secret_hash": secret_hash}, "app_secret_rotated")
    return secret


async def set_auth_methods(database: Any, app_id: str, methods: Iterable[str]) -> AppRecord:
    """Replace the app's allowed sign-in methods (at least one)."""
    allowed = check_auth_methods(methods)
    return await _update_app(
        database, app_id, {"allowed_auth_methods": allowed}, "app_methods_changed", methods=allowed
    )


async def set_domains(database: Any, app_id: str, domains: Iterable[str]) -> AppRecord:
    """Replace the app's allowed domains (an empty list clears them)."""
    allowed = check_domains(domains)
    return await _update_app(
        database, app_id, {"allowed_domains": allowed}, "app_domains_changed", domains=allowed
    )


async def _update_app(
    database: Any, app_id: str, changes: dict[str, Any], event: str, **details: Any
) -> AppRecord:
    store = Store(database)
    record = await store.apps.update(app_id, changes)
    if record is None:
        raise AppNotFound(app_id)
    await store.audit.record(event, app_id=app_id, actor="cli", **details)
    return record


# -- users -----------------------------------------------------------------------------------


async def find_user(database: Any, query: str) -> dict[str, Any]:
    """The user whose id, username, email or Firebase uid is ``query``.

    Each key is looked up on its own (each has its unique index) rather than with one ``$or``,
    so a query that names two different users raises :class:`AmbiguousUser` instead of
    changing whichever comes first. Raises :class:`UserNotFound`.
    """
    if not isinstance(query, str) or not query.strip():
        raise ValueError("the user query must not be empty")
    query = query.strip()
    users = Store(database).users
    candidates: list[dict[str, Any] | None] = []
    if len(query) == 24 and object_id(query) is not None:
        candidates.append(await users.get(query))
    candidates.append(await users.find_by_username(query))
    candidates.append(await users.find_by_email(query))
    candidates.append(await users.find_by_firebase_uid(query))
    found = {doc["_id"]: doc for doc in candidates if doc is not None}
    if not found:
        raise UserNotFound(query)
    if len(found) > 1:
        raise AmbiguousUser(query, [str(user_id) for user_id in found])
    return next(iter(found.values()))


def user_public_view(user: dict[str, Any]) -> dict[str, Any]:
    """What operators see of a user: never a password hash or anything else."""
    return {
        "id": str(user["_id"]),
        "username": user.get("username"),
        "email": user.get("email"),
        "firebase_uid": user.get("firebase_uid"),
        "name": user.get("name"),
        "is_active": bool(user.get("is_active", True)),  # absent means active, as in the service
        "apps": [
            {
                "app_id": entry.get("app_id"),
                "role": entry.get("role"),
                "plan": entry.get("plan"),
                "joined_at": aware(entry["joined_at"]).isoformat()
                if entry.get("joined_at")
                else None,
            }
            for entry in user.get("apps", ())
        ],
    }


async def set_user_role(database: Any, query: str, app_id: str, role: str) -> dict[str, Any]:
    """Set the user's role in one app, leaving their other apps untouched.

    Access tokens issued before keep the old role until they expire. Raises ``ValueError``
    for an unknown role, :class:`UserNotFound` and :class:`NotAMember`.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    user = await find_user(database, query)
    return await _set_app_fields(database, user, app_id, {"role": role})


async def set_user_plan(database: Any, query: str, app_id: str, plan: str) -> dict[str, Any]:
    """Set the user's plan in one app, leaving their other apps untouched.

    A paid plan needs an email on the account (contract §4, as for ``PATCH /users/me/plan``).
    Raises ``ValueError`` for an unknown plan or a paid plan without email,
    :class:`UserNotFound` and :class:`NotAMember`.
    """
    if plan not in PLANS:
        raise ValueError(f"plan must be one of {', '.join(PLANS)}")
    user = await find_user(database, query)
    if plan != PLANS[0] and not user.get("email"):
        raise ValueError(f"user {user['_id']} has no email; a paid plan needs one")
    return await _set_app_fields(database, user, app_id, {"plan": plan})


async def _set_app_fields(
    database: Any, user: dict[str, Any], app_id: str, fields: dict[str, Any]
) -> dict[str, Any]:
    store = Store(database)
    previous = {
        k: v
        for e in user.get("apps", ())
        if e.get("app_id") == app_id
        for k, v in e.items()
        if k in fields
    }
    updated = await store.users.set_app_fields(_as_object_id(user["_id"]), app_id, fields)
    if updated is None:
        raise NotAMember(str(user["_id"]), app_id)
    for name, value in fields.items():
        await store.audit.record(
            f"{name}_changed",
            app_id=app_id,
            user_id=updated["_id"],
            old=previous.get(name),
            new=value,
            actor="cli",
        )
    return updated


async def deactivate_user(database: Any, query: str) -> tuple[dict[str, Any], int]:
    """Deactivate the user and revoke their refresh tokens for every app.

    Returns the updated user and the number of tokens revoked. The flag is set first, so no
    refresh can slip in between. Raises :class:`UserNotFound`.
    """
    user = await find_user(database, query)
    store = Store(database)
    updated = await store.users.set_active(user["_id"], False)
    if updated is None:  # removed meanwhile
        raise UserNotFound(query)
    revoked = await store.refresh_tokens.revoke_all(_as_object_id(user["_id"]))
    await store.audit.record(
        "user_deactivated", app_id=None, user_id=updated["_id"], actor="cli", revoked=revoked
    )
    return updated, revoked


async def reactivate_user(database: Any, query: str) -> dict[str, Any]:
    """Let a deactivated user sign in again (revoked refresh tokens stay revoked)."""
    user = await find_user(database, query)
    store = Store(database)
    updated = await store.users.set_active(user["_id"], True)
    if updated is None:
        raise UserNotFound(query)
    await store.audit.record("user_reactivated", app_id=None, user_id=updated["_id"], actor="cli")
    return updated


def _as_object_id(value: Any) -> ObjectId:
    return value if isinstance(value, ObjectId) else ObjectId(value)


# -- validation ------------------------------------------------------------------------------


def _shown(value: object) -> str:
    """An input value for an error message, cut short (never used for secrets)."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_app_id(app_id: object) -> str:
    """``app_id`` when it is 1–64 letters, digits, ``.``, ``_`` or ``-``; else ``ValueError``."""
    if not isinstance(app_id, str) or not _APP_ID.fullmatch(app_id):
        raise ValueError(
            f"app_id {_shown(app_id)} is invalid: use 1-64 letters, digits, '.', '_' or '-'"
        )
    return app_id


def check_app_secret(secret: object) -> None:
    """Raise ``ValueError`` (without the secret) unless ``secret`` is a usable app secret."""
    if not isinstance(secret, str):
        raise ValueError("app_secret must be a string")
    if len(secret) < APP_SECRET_MIN_LENGTH:
        raise ValueError(f"app_secret must be at least {APP_SECRET_MIN_LENGTH} characters")
    if len(secret) > APP_SECRET_MAX_LENGTH:
        raise ValueError(f"app_secret must be at most {APP_SECRET_MAX_LENGTH} characters")
    if secret != secret.strip() or not secret.isprintable():
        # Environment files strip surrounding blanks, so such a secret could never match.
        raise ValueError(
            "app_secret must not start or end with whitespace or contain control characters"
        )


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError("name must not be empty")
    name = name.strip()
    if len(name) > APP_NAME_MAX_LENGTH or not name.isprintable():
        raise ValueError(f"name must be at most {APP_NAME_MAX_LENGTH} printable characters")
    return name


def check_auth_methods(methods: Iterable[str]) -> list[str]:
    """The methods, de-duplicated in order; ``ValueError`` unless each is a lower-case method
    name and there is at least one."""
    if isinstance(methods, str):
        raise ValueError("allowed_auth_methods must be a list of method names, not a string")
    result: list[str] = []
    for method in methods:
        if not isinstance(method, str) or not _AUTH_METHOD.fullmatch(method):
            raise ValueError(
                f"auth method {_shown(method)} is invalid: use a lower-case name such as "
                f"{', '.join(KNOWN_AUTH_METHODS)}"
            )
        if method not in result:
            result.append(method)
    if not result:
        raise ValueError(
            f"allowed_auth_methods must name at least one of {', '.join(KNOWN_AUTH_METHODS)}"
        )
    return result


def check_domains(domains: Iterable[str]) -> list[str]:
    """The domains lower-cased and de-duplicated in order; ``ValueError`` unless each is a
    host name (``app.example.com``), a wildcard (``*.example.com``), ``localhost`` or an IPv4
    address."""
    if isinstance(domains, str):
        raise ValueError("allowed_domains must be a list of host names, not a string")
    result: list[str] = []
    for raw in domains:
        domain = _check_domain(raw)
        if domain not in result:
            result.append(domain)
    return result


def _check_domain(raw: object) -> str:
    domain = raw.strip().lower() if isinstance(raw, str) else ""
    if domain == "localhost" or _is_ipv4(domain) or _is_host_name(domain.removeprefix("*.")):
        return domain
    raise ValueError(
        f"domain {_shown(raw)} is invalid: use a host name such as app.example.com, "
        "*.example.com or localhost (no scheme, port or path)"
    )


def _is_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _is_host_name(host: str) -> bool:
    labels = host.split(".")
    return (
        len(host) <= 253
        and len(labels) >= 2
        and all(_HOST_LABEL.fullmatch(label) for label in labels)
        and not labels[-1].isdigit()
    )
