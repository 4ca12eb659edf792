import importlib.metadata
import logging
import subprocess
import sys

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


# -- the driver stack: no Motor at runtime, the embedded database as an extra ----------------


def test_the_embedded_database_without_its_extra_is_a_config_error_naming_it(monkeypatch):
    from trachea_login import TracheaConfigError, TracheaLogin

    from .conftest import JWT_SECRET

    monkeypatch.setitem(sys.modules, "mongomock_motor", None)  # as if it were not installed
    with pytest.raises(TracheaConfigError, match=r"pip install 'trachea-login\[embedded\]>=0.2'"):
        open_database("mongomock://", "x")
    with pytest.raises(TracheaConfigError) as caught:
        TracheaLogin(
            app_id="a", app_secret="s" * 20, jwt_secret=JWT_SECRET, mongo_uri="mongomock://"
        )
    assert "TRACHEA_MONGO_URI=mongomock://" in str(caught.value)
    assert "trachea-login[embedded]" in str(caught.value)


def test_neither_motor_nor_mongomock_motor_is_a_runtime_dependency():
    requirements = importlib.metadata.requires("trachea-login") or []
    unconditional = [r for r in requirements if "extra ==" not in r]
    assert not [r for r in unconditional if r.lower().startswith(("motor", "mongomock"))]
    embedded = [r for r in requirements if 'extra == "embedded"' in r]
    assert any(r.startswith("mongomock-motor") for r in embedded)


def test_a_service_on_a_mongodb_uri_never_imports_motor():
    # In a fresh interpreter: build an instance on a URI and touch every collection.
    code = (
        "import sys\n"
        "from trachea_login import TracheaLogin\n"
        "t = TracheaLogin(app_id='a', app_secret='s' * 20, jwt_secret='j' * 40,\n"
        "                 mongo_uri='mongodb://127.0.0.1:1/')\n"
        "roots = {name.split('.')[0] for name in sys.modules}\n"
        "print(sorted(roots & {'motor', 'mongomock_motor'}))\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
