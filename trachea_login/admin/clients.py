"""Operator operations on service clients (contract §10): create, list, revoke, rotate the
secret. What ``trachea-login clients ...`` does, without HTTP; the same code is the Python API
(``trachea_login.create_client`` ...).

A client id is ``svc_`` and 32 hex digits (128 random bits): it names the client, it is no
secret. A client secret is 256 random bits, URL-safe (43 characters), shown once; only its SHA-256
digest is stored (:mod:`trachea_login.client_secrets` says why no slow hash is needed).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pymongo.errors import DuplicateKeyError

from ..client_secrets import digest_client_secret, generate_client_secret
from ..records import ServiceClientRecord
from ..store import Store
from .apps import get_app
from .errors import ClientNotFound, ClientRevoked
from .validation import check_app_name, check_scopes

CLIENT_ID_PREFIX = "svc_"


def generate_client_id() -> str:
    """A new client id: ``svc_`` + 32 hex digits."""
    return CLIENT_ID_PREFIX + secrets.token_hex(16)


@dataclass(frozen=True)
class NewClient:
    """A client just created: its record and its secret (shown this once, stored hashed)."""

    client: ServiceClientRecord
    client_secret: str

    @property
    def client_id(self) -> str:
        return self.client.client_id


async def create_client(
    database: Any,
    *,
    app_id: str,
    name: str,
    scopes: Iterable[str],
) -> NewClient:
    """Create a service client of ``app_id`` holding ``scopes``; returns it with its secret.

    Raises ``ValueError`` for an invalid name or scopes and :class:`~.errors.AppNotFound`.
    """
    name = check_app_name(name)
    allowed = check_scopes(scopes)
    await get_app(database, app_id)
    store = Store(database)
    secret = generate_client_secret()
    secret_hash = digest_client_secret(secret)
    for _attempt in range(3):  # 128 random bits never collide; the index would say so
        try:
            record = await store.service_clients.insert(
                client_id=generate_client_id(),
                app_id=app_id,
                name=name,
                scopes=allowed,
                secret_hash=secret_hash,
            )
            break
        except DuplicateKeyError:
            continue
    else:  # pragma: no cover - needs three 128-bit collisions in a row
        raise RuntimeError("could not draw an unused client id")
    await store.audit.record(
        "client_created", app_id=app_id, client_id=record.client_id, scopes=allowed
    )
    return NewClient(client=record, client_secret=secret)


async def get_client(database: Any, client_id: str) -> ServiceClientRecord:
    """The client ``client_id``; raises :class:`~.errors.ClientNotFound`."""
    record = await Store(database).service_clients.get(client_id) if client_id else None
    if record is None:
        raise ClientNotFound(client_id)
    return record


async def list_clients(database: Any, app_id: str | None = None) -> list[ServiceClientRecord]:
    """The clients of ``app_id`` (raises :class:`~.errors.AppNotFound` for an unknown app), or
    of every app; revoked ones too (``revoked_at`` set), oldest first."""
    if app_id is not None:
        await get_app(database, app_id)
    return await Store(database).service_clients.list(app_id)


async def revoke_client(database: Any, client_id: str) -> ServiceClientRecord:
    """Revoke the client: its next token request fails (401 ``INVALID_CLIENT``), and routes
    with ``require_scopes(..., live=True)`` refuse its tokens at once; the others accept them
    until they expire. Idempotent. Raises :class:`~.errors.ClientNotFound`."""
    store = Store(database)
    record = await store.service_clients.revoke(client_id) if client_id else None
    if record is None:
        raise ClientNotFound(client_id)
    await store.audit.record("client_revoked", app_id=record.app_id, client_id=client_id)
    return record


async def rotate_client_secret(database: Any, client_id: str) -> str:
    """Give the client a new secret and return it: the old one stops at once (tokens already
    issued live until they expire). Raises :class:`~.errors.ClientNotFound` and
    :class:`~.errors.ClientRevoked`."""
    record = await get_client(database, client_id)
    if not record.is_active:
        raise ClientRevoked(client_id)
    secret = generate_client_secret()
    secret_hash = digest_client_secret(secret)
    store = Store(database)
    if await store.service_clients.replace_secret(client_id, secret_hash) is None:
        raise ClientRevoked(client_id)  # revoked meanwhile
    await store.audit.record("client_secret_rotated", app_id=record.app_id, client_id=client_id)
    return secret
