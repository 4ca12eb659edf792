"""The CLI and the running service on one database: what an operator does takes effect.

The CLI runs through Typer's CliRunner in a worker thread (it calls ``asyncio.run`` itself)
against the database the served app uses: the same in-memory one, or, with
``TRACHEA_TEST_MONGO_URI``, the same database on the real server through a client of its own
(a PyMongo client belongs to one event loop), as an operator's CLI would.
"""

from __future__ import annotations

import asyncio
import json
import os
from contextlib import asynccontextmanager

import pytest
from typer.testing import CliRunner

from trachea_login import TracheaConfigError
from trachea_login.cli import build_cli

from .conftest import PASSWORD, assert_error, assert_product_error, bearer


@pytest.fixture
def operator(database, monkeypatch):
    """``await operator("apps", "register", ...)`` → the CLI's result on the test database."""
    monkeypatch.setenv("TRACHEA_PASSWORD_HASH_ROUNDS", "4")

    uri = os.environ.get("TRACHEA_TEST_MONGO_URI")

    @asynccontextmanager
    async def same_database(mongo_uri, db_name):
        if not uri:
            yield database
            return
        from pymongo import AsyncMongoClient

        client = AsyncMongoClient(uri)
        try:
            yield client[database.name]
        finally:
            await client.close()

    cli = build_cli(database_factory=same_database)
    runner = CliRunner()

    async def run(*args: str, input: str | None = None):
        result = await asyncio.to_thread(runner.invoke, cli, list(args), input=input)
        assert result.exit_code == 0, (args, result.output)
        return result

    return run


async def test_an_app_registered_with_the_cli_serves_logins(operator, serve):
    result = await operator(
        "apps", "register", "cli-app", "--name", "CLI App", "--methods", "username", "--json"
    )
    secret = json.loads(result.stdout)["app_secret"]
    served = await serve("cli-app", register_first=False, app_secret=secret)
    await served.register_user("alice")
    assert (await served.login("alice")).status_code == 200


async def test_disabling_with_the_cli_makes_logins_403(operator, serve):
    served = await serve("app1")
    await served.register_user("alice")
    await operator("apps", "disable", "app1")
    served.let_app_cache_expire()
    assert_error(await served.login("alice"), 403, "APP_INACTIVE")
    await operator("apps", "enable", "app1")
    served.let_app_cache_expire()
    assert (await served.login("alice")).status_code == 200


async def test_after_rotate_secret_startup_with_the_old_secret_fails(operator, serve, make_trachea):
    await serve("app1")  # started with the original secret
    result = await operator("apps", "rotate-secret", "app1", "--json")
    new_secret = json.loads(result.stdout)["app_secret"]
    with pytest.raises(TracheaConfigError) as caught:
        await make_trachea("app1").startup()  # the old secret
    assert "TRACHEA_APP_SECRET" in str(caught.value)
    fresh = make_trachea("app1", app_secret=new_secret)
    await fresh.startup()
    await fresh.shutdown()


async def test_set_role_shows_in_the_next_token(operator, serve):
    served = await serve("app1")
    tokens = await served.register_user("alice", PASSWORD)
    before = await served.client.get("/admin", headers=bearer(tokens["access_token"]))
    assert_product_error(before, 403, "INSUFFICIENT_ROLE")
    await operator("users", "set-role", "alice", "admin", "--app", "app1")
    refreshed = await served.client.post(
        "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    admin = await served.client.get("/admin", headers=bearer(refreshed.json()["access_token"]))
    assert admin.status_code == 200 and admin.json() == {"role": "admin"}
