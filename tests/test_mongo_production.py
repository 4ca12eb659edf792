"""Production MongoDB (contract §6): primary reads and majority writes whatever the client's
defaults, every operation bounded by ``MONGO_TIMEOUT_MS`` (503 past it, a startup error), and
index conflicts as startup errors naming the index and the fix."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient, ReadPreference, WriteConcern
from pymongo.errors import OperationFailure

from trachea_login import TracheaConfigError, TracheaLogin
from trachea_login.store._collections import BoundedCollection, IndexConflict, index_conflict

from .conftest import JWT_SECRET, PASSWORD, assert_error, bearer

#: Driver timeouts far longer than any test: without MONGO_TIMEOUT_MS a call would wait this.
PATIENT_CLIENT = {
    "serverSelectionTimeoutMS": 600_000,
    "connectTimeoutMS": 600_000,
    "socketTimeoutMS": 600_000,
}
#: A watchdog, not a measurement: it turns a missing bound into a failure instead of a hang.
WATCHDOG_SECONDS = 60


# -- read preference and write concern -------------------------------------------------------


def _parts(trachea: TracheaLogin) -> list[Any]:
    store = trachea.store
    return [store.apps, store.users, store.refresh_tokens, store.login_failures, store.audit]


def test_our_collections_read_the_primary_and_write_majority_whatever_the_client_says():
    client: Any = AsyncMongoClient(
        "mongodb://127.0.0.1:1/?w=1&readPreference=secondaryPreferred", connect=False
    )
    trachea = TracheaLogin(
        app_id="a", app_secret="s" * 20, jwt_secret=JWT_SECRET, mongo_client=client
    )
    for part in _parts(trachea):
        assert part.collection.read_preference == ReadPreference.PRIMARY, part
        assert part.collection.write_concern == WriteConcern("majority"), part
    # The product's own client and database keep their settings.
    assert client.write_concern == WriteConcern(w=1)
    assert trachea.store.database.read_preference == ReadPreference.SECONDARY_PREFERRED

    trachea.store.rebind(client["other"])  # a restart keeps them too
    assert all(p.collection.write_concern == WriteConcern("majority") for p in _parts(trachea))


async def test_the_test_database_collections_are_pinned_too(make_trachea):
    for part in _parts(make_trachea("app1")):
        assert part.collection.read_preference == ReadPreference.PRIMARY
        assert part.collection.write_concern == WriteConcern("majority")


# -- MONGO_TIMEOUT_MS --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def silent_server() -> AsyncIterator[int]:
    """A TCP server on 127.0.0.1 that accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    yield int(server.sockets[0].getsockname()[1])
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


@pytest.fixture(params=["nothing-listens", "never-answers"])
async def unreachable_uri(request: pytest.FixtureRequest, silent_server: int) -> str:
    port = _free_port() if request.param == "nothing-listens" else silent_server
    return f"mongodb://127.0.0.1:{port}/"


async def test_startup_against_an_unreachable_server_fails_within_the_timeout(unreachable_uri):
    client: Any = AsyncMongoClient(unreachable_uri, **PATIENT_CLIENT)
    trachea = TracheaLogin(
        app_id="a",
        app_secret="s" * 20,
        jwt_secret=JWT_SECRET,
        mongo_client=client,
        mongo_timeout_ms=200,
    )
    try:
        with pytest.raises(TracheaConfigError) as caught:
            await asyncio.wait_for(trachea.startup(), WATCHDOG_SECONDS)
        message = str(caught.value)
        assert "Cannot reach MongoDB" in message
        assert "TRACHEA_MONGO_TIMEOUT_MS (200 ms)" in message
    finally:
        await trachea.shutdown()
        await client.close()


async def test_requests_past_the_timeout_answer_503_with_retry_after(
    serve, unreachable_uri, db_name, caplog
):
    served = await serve("app1", mongo_timeout_ms=200)
    tokens = await served.register_user("alice")
    await served.trachea.service.auditor.flush()
    # The server goes away (its client would wait ten minutes; MONGO_TIMEOUT_MS does not).
    client: Any = AsyncMongoClient(unreachable_uri, **PATIENT_CLIENT)
    served.trachea.store.rebind(client[db_name])
    http = served.client
    calls = [
        lambda: http.post("/auth/login", json={"username": "alice", "password": PASSWORD}),
        lambda: http.post("/auth/register", json={"username": "bob", "password": PASSWORD}),
        lambda: http.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}),
        lambda: http.get("/auth/users/me", headers=bearer(tokens["access_token"])),
    ]
    try:
        with caplog.at_level("WARNING", logger="trachea_login"):
            for call in calls:
                response = await asyncio.wait_for(call(), WATCHDOG_SECONDS)
                assert_error(response, 503, "SERVICE_UNAVAILABLE")
                assert "retry-after" in response.headers
    finally:
        await client.close()
    unavailable = [r for r in caplog.records if r.getMessage().startswith("MongoDB unavailable")]
    assert len(unavailable) == len(calls)
    assert all(r.exc_info is None for r in unavailable)  # one line each, no traceback


# -- index conflicts ------------------------------------------------------------------------

UNIQUE_SPARSE = {"unique": True, "sparse": True}


@pytest.mark.parametrize(
    ("existing", "options", "expected"),
    [
        ({}, UNIQUE_SPARSE, None),
        ({"username_unique": {"key": [("username", 1)], **UNIQUE_SPARSE}}, UNIQUE_SPARSE, None),
        # The shell may report directions as doubles.
        ({"username_unique": {"key": [("username", 1.0)], **UNIQUE_SPARSE}}, UNIQUE_SPARSE, None),
        (
            {"username_1": {"key": [("username", 1)], **UNIQUE_SPARSE}},
            UNIQUE_SPARSE,
            ("username_1", "an index on the same keys exists under another name"),
        ),
        (
            {"username_unique": {"key": [("username", 1)], "unique": True}},
            UNIQUE_SPARSE,
            ("username_unique", "an index of that name exists with other options"),
        ),
        (
            {"username_unique": {"key": [("email", 1)], **UNIQUE_SPARSE}},
            UNIQUE_SPARSE,
            ("username_unique", "an index of that name exists on other keys"),
        ),
        # Indexes that differ by a partial filter or a collation may share keys.
        (
            {"username_p": {"key": [("username", 1)], "partialFilterExpression": {"a": 1}}},
            UNIQUE_SPARSE,
            None,
        ),
        ({"other_field": {"key": [("email", 1)]}}, UNIQUE_SPARSE, None),
    ],
    ids=[
        "none",
        "ours-exactly",
        "ours-double-direction",
        "same-keys-other-name",
        "same-name-other-options",
        "same-name-other-keys",
        "partial-filter-may-share-keys",
        "unrelated",
    ],
)
def test_index_conflict_decision(existing, options, expected):
    assert index_conflict(existing, "username_unique", [("username", 1)], options) == expected


@pytest.mark.parametrize(
    ("collection", "keys", "options", "existing_name", "reason"),
    [
        # An operator's own index: same keys and options, another name.
        (
            "users",
            "username",
            {**UNIQUE_SPARSE, "name": "by_username"},
            "by_username",
            "under another name",
        ),
        ("users", "email", {"name": "email_unique"}, "email_unique", "other options"),
        (
            "login_failures",
            "window_ends",
            {"name": "expires_at_ttl", "expireAfterSeconds": 0},
            "expires_at_ttl",
            "other keys",
        ),
    ],
    ids=["same-keys-other-name", "same-name-not-unique", "same-name-other-keys"],
)
async def test_a_conflicting_index_fails_startup_naming_it_and_the_fix(
    register, make_trachea, database, collection, keys, options, existing_name, reason
):
    await register("app1")
    await database[collection].create_index(keys, **options)
    with pytest.raises(TracheaConfigError) as caught:
        await make_trachea("app1").startup()
    message = str(caught.value)
    assert f"collection '{collection}'" in message and f"'{existing_name}'" in message
    assert reason in message
    assert f'db.{collection}.dropIndex("{existing_name}")' in message
    assert "trachea-login db migrate" in message


async def test_a_database_of_trachea_login_0_1_fails_startup_pointing_at_the_migration(
    make_trachea, database
):
    from .legacy.fixtures import load_legacy_database

    await load_legacy_database(database)  # with 0.1.x's own indexes (apps.app_id_1 ...)
    with pytest.raises(TracheaConfigError) as caught:
        await make_trachea("app1").startup()
    assert "index users.username_1" in str(caught.value)
    assert "trachea-login db migrate" in str(caught.value)


class _RefusingCollection:
    """A driver collection that, like a server another process just gave a conflicting index,
    shows none when asked and refuses ours with MongoDB's code 85."""

    name = "users"

    async def index_information(self) -> dict[str, Any]:
        return {}

    async def create_index(self, keys: Any, **options: Any) -> str:
        raise OperationFailure("Index already exists with a different name", code=85)


async def test_a_conflict_the_server_reports_is_an_index_conflict_too():
    collection = BoundedCollection(_RefusingCollection(), timeout=1)
    with pytest.raises(IndexConflict) as caught:
        await collection.create_index("username", name="username_unique", unique=True)
    assert "code 85" in caught.value.reason


def test_a_client_with_a_shorter_timeout_of_its_own_keeps_it():
    """MONGO_TIMEOUT_MS is an upper bound: a client made with a shorter timeoutMS
    keeps its own for our operations too."""
    short: Any = AsyncMongoClient("mongodb://127.0.0.1:1/?timeoutMS=150", connect=False)
    patient: Any = AsyncMongoClient("mongodb://127.0.0.1:1/?timeoutMS=60000", connect=False)
    for client, expected in ((short, 0.15), (patient, 2.0)):
        trachea = TracheaLogin(
            app_id="a",
            app_secret="s" * 20,
            jwt_secret=JWT_SECRET,
            mongo_client=client,
            mongo_timeout_ms=2000,
        )
        assert {p.collection.timeout for p in _parts(trachea)} == {expected}


async def test_the_cli_client_sets_no_client_wide_timeout(unreachable_uri):
    """A client-wide timeoutMS would also cut `db migrate`'s long reads and writes; the
    store's own operations are bounded all the same."""
    from trachea_login.cli.common import connect_database
    from trachea_login.store import DEFAULT_TIMEOUT_MS, Store

    async with connect_database(unreachable_uri, "trachea") as database:
        assert database.client.options.timeout is None
        assert Store(database).users.collection.timeout == DEFAULT_TIMEOUT_MS / 1000
