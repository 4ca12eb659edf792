import logging

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import ConfigurationError

from trachea_login._mongo import close_client, open_database


async def test_embedded_uri_opens_a_working_in_memory_database(caplog):
    with caplog.at_level(logging.WARNING, logger="trachea_login"):
        client, database = open_database("mongomock://", "embedded_test")
    try:
        assert database.name == "embedded_test"
        await database["things"].insert_one({"_id": 1})
        assert await database["things"].find_one({"_id": 1}) == {"_id": 1}
    finally:
        await close_client(client)
    assert any("lost" in record.getMessage() for record in caplog.records)


async def test_mongodb_uri_gives_pymongo_async_client_without_connecting():
    client, database = open_database(
        "mongodb://127.0.0.1:1/", "real_test", serverSelectionTimeoutMS=100
    )
    try:
        assert isinstance(client, AsyncMongoClient)
        assert database.name == "real_test"
    finally:
        await close_client(client)


def test_invalid_uri_raises_configuration_error():
    with pytest.raises(ConfigurationError):
        open_database("postgres://localhost/db", "x")


class _SyncClosing:
    closed = False

    def close(self):
        self.closed = True


class _AsyncClosing:
    closed = False

    async def close(self):
        self.closed = True


@pytest.mark.parametrize("client_class", [_SyncClosing, _AsyncClosing], ids=["sync", "async"])
async def test_close_client_handles_sync_and_async_close(client_class):
    client = client_class()
    await close_client(client)
    assert client.closed
