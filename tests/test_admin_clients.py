"""The Python API of service clients (contract §10): ``create_client``, ``list_clients``,
``revoke_client``, ``rotate_client_secret`` — the code behind ``trachea-login clients``."""

from __future__ import annotations

import hashlib
import re

import pytest

from trachea_login import create_client, list_clients, revoke_client, rotate_client_secret
from trachea_login.admin import (
    AppNotFound,
    ClientNotFound,
    ClientRevoked,
    generate_client_id,
    generate_client_secret,
    get_client,
)
from trachea_login.client_secrets import client_secret_matches
from trachea_login.store import Store


@pytest.fixture
async def app1(register):
    return await register("app1")


async def new(database, scopes=("reports:read",), app_id="app1", name="Reports worker"):
    return await create_client(database, app_id=app_id, name=name, scopes=scopes)


async def test_create_client_stores_only_a_hash_of_the_secret(database, app1):
    created = await new(database, scopes=["reports:read", "users:read"])
    doc = await database["service_clients"].find_one({"_id": created.client_id})
    assert created.client_secret not in repr(doc)
    digest = hashlib.sha256(created.client_secret.encode()).hexdigest()
    assert doc["secret_hash"] == "sha256$" + digest
    assert created.client_secret not in repr(doc)
    assert doc["app_id"] == "app1" and doc["name"] == "Reports worker"
    assert doc["scopes"] == ["reports:read", "users:read"]
    assert "revoked_at" not in doc  # absent, never null
    assert created.client.scopes == ("reports:read", "users:read")
    assert created.client_secret not in repr(created.client)


def test_client_ids_and_secrets_have_their_formats():
    ids = {generate_client_id() for _ in range(50)}
    secrets = {generate_client_secret() for _ in range(50)}
    assert len(ids) == len(secrets) == 50
    assert all(re.fullmatch(r"svc_[0-9a-f]{32}", client_id) for client_id in ids)
    # 256 random bits, URL-safe: nothing to escape in HTTP Basic or a form body.
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", secret) for secret in secrets)


async def test_create_client_needs_a_registered_app(database):
    with pytest.raises(AppNotFound):
        await new(database, app_id="nope")


@pytest.mark.parametrize(
    "scopes",
    [[], ["a b"], ["a,b"], ['a"b'], ["a\\b"], ["é"], [""], ["x" * 101], "reports:read", [3]],
    ids=[
        "none", "space", "comma", "quote", "backslash", "non-ascii", "empty", "long", "string",
        "number",
    ],
)  # fmt: skip
async def test_create_client_refuses_invalid_scopes(database, app1, scopes):
    with pytest.raises(ValueError):
        await new(database, scopes=scopes)
    assert await database["service_clients"].count_documents({}) == 0


async def test_create_client_refuses_too_many_scopes(database, app1):
    with pytest.raises(ValueError):
        await new(database, scopes=[f"s{number}" for number in range(65)])


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "tab\there"])
async def test_create_client_refuses_invalid_names(database, app1, name):
    with pytest.raises(ValueError):
        await new(database, name=name)


async def test_scopes_are_deduplicated_in_order(database, app1):
    created = await new(database, scopes=["b:read", "a:read", "b:read"])
    assert created.client.scopes == ("b:read", "a:read")


async def test_list_clients_of_one_app_or_all_revoked_ones_included(database, register):
    await register("app1")
    await register("app2")
    first, second = await new(database), await new(database)
    other = await new(database, app_id="app2")
    await revoke_client(database, second.client_id)
    listed = await list_clients(database, "app1")
    assert [c.client_id for c in listed] == [first.client_id, second.client_id]
    assert [c.is_active for c in listed] == [True, False]
    assert {c.client_id for c in await list_clients(database)} == {
        first.client_id,
        second.client_id,
        other.client_id,
    }
    with pytest.raises(AppNotFound):
        await list_clients(database, "nope")
    view = listed[1].public_view()
    assert set(view) == {
        "client_id", "app_id", "name", "scopes", "created_at", "secret_rotated_at", "revoked_at",
    }  # fmt: skip
    assert view["revoked_at"] is not None


async def test_revoking_is_idempotent_and_keeps_the_first_time(database, app1, clock):
    created = await new(database)
    clients = Store(database, clock=clock).service_clients
    first = await clients.revoke(created.client_id)
    clock.advance(minutes=5)
    again = await clients.revoke(created.client_id)
    assert first.revoked_at == again.revoked_at is not None
    assert (await revoke_client(database, created.client_id)).revoked_at == first.revoked_at


async def test_unknown_clients_raise_client_not_found(database, app1):
    for operation in (revoke_client, rotate_client_secret, get_client):
        with pytest.raises(ClientNotFound):
            await operation(database, "svc_" + "0" * 32)


async def test_rotate_client_secret_replaces_the_hash(database, app1):
    created = await new(database)
    secret = await rotate_client_secret(database, created.client_id)
    stored = await get_client(database, created.client_id)
    assert secret != created.client_secret
    assert client_secret_matches(secret, stored.secret_hash)
    assert not client_secret_matches(created.client_secret, stored.secret_hash)
    assert stored.secret_rotated_at is not None


async def test_a_revoked_client_gets_no_new_secret(database, app1):
    created = await new(database)
    await revoke_client(database, created.client_id)
    with pytest.raises(ClientRevoked):
        await rotate_client_secret(database, created.client_id)


async def test_client_operations_are_audited_without_secrets(database, app1):
    created = await new(database)
    secret = await rotate_client_secret(database, created.client_id)
    await revoke_client(database, created.client_id)
    events = [e async for e in database["audit_events"].find({"client_id": created.client_id})]
    assert [e["event"] for e in events] == [
        "client_created",
        "client_secret_rotated",
        "client_revoked",
    ]
    assert all(e["app_id"] == "app1" for e in events)
    assert created.client_secret not in repr(events) and secret not in repr(events)
