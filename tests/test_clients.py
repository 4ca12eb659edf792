"""An existing client is reused (Motor, PyMongo's AsyncMongoClient), and never closed by us."""

from __future__ import annotations

import pytest

from trachea_login import TracheaLogin

from .conftest import JWT_SECRET


def motor_client():
    from motor.motor_asyncio import AsyncIOMotorClient

    return AsyncIOMotorClient("mongodb://127.0.0.1:1", serverSelectionTimeoutMS=50)


def pymongo_client():
    from pymongo import AsyncMongoClient

    return AsyncMongoClient("mongodb://127.0.0.1:1", serverSelectionTimeoutMS=50)


@pytest.mark.parametrize("make_client", [motor_client, pymongo_client], ids=["motor", "pymongo"])
async def test_an_existing_client_is_used_and_left_open(make_client, monkeypatch):
    client = make_client()
    closed = []
    monkeypatch.setattr(type(client), "close", lambda self: closed.append(True))
    trachea = TracheaLogin(
        app_id="a",
        app_secret="s" * 20,
        jwt_secret=JWT_SECRET,
        mongo_client=client,
        db_name="shared",
    )
    assert trachea.mongo_client is client
    assert trachea.store.database.name == "shared"
    assert trachea.store.users.collection.database.client is client
    await trachea.shutdown()
    assert closed == []


async def test_a_client_made_from_the_uri_is_closed_at_shutdown(monkeypatch):
    trachea = TracheaLogin(
        app_id="a",
        app_secret="s" * 20,
        jwt_secret=JWT_SECRET,
        mongo_uri="mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=50",
    )
    from pymongo import AsyncMongoClient

    assert isinstance(trachea.mongo_client, AsyncMongoClient)
    closed = []
    original = trachea.mongo_client.close

    async def spy():
        closed.append(True)
        await original()

    monkeypatch.setattr(trachea.mongo_client, "close", spy)
    await trachea.shutdown()
    assert closed == [True]


async def test_a_client_made_from_the_uri_is_reopened_for_a_second_start():
    from trachea_login import TracheaConfigError

    trachea = TracheaLogin(
        app_id="a",
        app_secret="s" * 20,
        jwt_secret=JWT_SECRET,
        mongo_uri="mongodb://127.0.0.1:1/",
        mongo_timeout_ms=100,  # the bound on each operation, server selection included
    )
    first = trachea.mongo_client
    await trachea.shutdown()
    # A closed AsyncMongoClient would raise InvalidOperation; a fresh one tries to connect.
    with pytest.raises(TracheaConfigError, match="Cannot reach MongoDB"):
        await trachea.startup()
    assert trachea.mongo_client is not first
    assert trachea.service.store is trachea.store
    await trachea.shutdown()
