"""Operator operations on apps: register, list, enable/disable, rotate the secret, methods and
domains. What ``trachea-login apps ...`` does, without HTTP."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from pymongo.errors import DuplicateKeyError

from ..passwords import PasswordHasher
from ..records import AppRecord
from ..store import Store
from .errors import AppAlreadyExists, AppNotFound
from .validation import (
    check_app_id,
    check_app_name,
    check_app_secret,
    check_auth_methods,
    check_domains,
)


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
    allow_other_methods: bool = False,
) -> AppRecord:
    """Register a product app; only a hash of ``app_secret`` is stored.

    ``allowed_auth_methods`` are names of :data:`~trachea_login.methods.KNOWN_AUTH_METHODS`;
    ``allow_other_methods=True`` also accepts other Firebase sign-in provider names
    (``anonymous``, ``oidc.acme`` ...). Raises ``ValueError`` for invalid input (an unknown
    method included) and :class:`AppAlreadyExists` when ``app_id`` is taken. Creates the
    unique ``app_id`` index first, so a duplicate is refused even on a database no service
    has started against yet.
    """
    app_id = check_app_id(app_id)
    check_app_secret(app_secret)
    name = check_app_name(name)
    methods = check_auth_methods(allowed_auth_methods, allow_other=allow_other_methods)
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
    await _update_app(database, app_id, {"secret_hash": secret_hash}, "app_secret_rotated")
    return secret


async def set_auth_methods(
    database: Any, app_id: str, methods: Iterable[str], *, allow_other_methods: bool = False
) -> AppRecord:
    """Replace the app's allowed sign-in methods (at least one; unknown names need
    ``allow_other_methods=True``, as in :func:`register_app`)."""
    allowed = check_auth_methods(methods, allow_other=allow_other_methods)
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
    record = await store.apps.update(app_id, **changes)
    if record is None:
        raise AppNotFound(app_id)
    await store.audit.record(event, app_id=app_id, actor="cli", **details)
    return record
