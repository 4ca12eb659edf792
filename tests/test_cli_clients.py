"""``trachea-login clients create|list|revoke|rotate-secret`` (contract §10), through Typer's
``CliRunner`` on an in-memory database that the test then inspects."""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager

import pytest
from mongomock_motor import AsyncMongoMockClient
from typer.testing import CliRunner

from trachea_login import admin
from trachea_login.cli import build_cli
from trachea_login.client_secrets import client_secret_matches

PUBLIC_CLIENT_KEYS = {
    "client_id", "app_id", "name", "scopes", "created_at", "secret_rotated_at", "revoked_at",
}  # fmt: skip


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def database():
    return AsyncMongoMockClient()["cli_clients_test"]


@pytest.fixture
def invoke(database, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)

    @asynccontextmanager
    async def factory(mongo_uri, db_name):
        yield database

    cli = build_cli(database_factory=factory)
    runner = CliRunner(env={"TRACHEA_PASSWORD_HASH_ROUNDS": "4"})
    return lambda *args: runner.invoke(cli, list(args))


@pytest.fixture
def app1(database):
    run(
        admin.register_app(
            database,
            app_id="app1",
            app_secret="original-app-secret-0123456789",
            name="App One",
            allowed_auth_methods=["username"],
            secret_hash_rounds=4,
        )
    )


def secret_after(stdout: str, marker: str = "shown only this once") -> str:
    lines = stdout.splitlines()
    for index, line in enumerate(lines):
        if marker in line:
            return lines[index + 1].strip()
    raise AssertionError(f"no secret in output:\n{stdout}")


def stored(database, client_id):
    return run(database["service_clients"].find_one({"_id": client_id}))


def matches(secret, doc) -> bool:
    return client_secret_matches(secret, doc["secret_hash"])


def test_create_prints_the_id_and_the_secret_once_and_stores_its_hash(invoke, database, app1):
    result = invoke(
        "clients", "create", "app1", "Reports worker", "--scopes", "reports:read,users:read"
    )
    assert result.exit_code == 0, result.output
    secret = secret_after(result.stdout)
    assert result.stdout.count(secret) == 1
    client_id = next(
        line.split()[1] for line in result.stdout.splitlines() if line.startswith("client_id:")
    )
    doc = stored(database, client_id)
    assert doc["scopes"] == ["reports:read", "users:read"] and doc["name"] == "Reports worker"
    assert doc["secret_hash"].startswith("sha256$")
    assert secret not in repr(doc) and doc["secret_hash"] not in result.output
    assert matches(secret, doc)


def test_create_json_gives_the_client_and_its_secret(invoke, database, app1):
    result = invoke("--json", "clients", "create", "app1", "worker", "--scopes", "reports:read")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"client", "client_secret"}
    assert set(data["client"]) == PUBLIC_CLIENT_KEYS
    assert "hash" not in result.stdout
    assert matches(data["client_secret"], stored(database, data["client"]["client_id"]))


def test_create_for_an_unknown_app_exits_1(invoke, database):
    result = invoke("clients", "create", "nope", "worker", "--scopes", "reports:read")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "nope" in result.stderr
    assert run(database["service_clients"].count_documents({})) == 0


@pytest.mark.parametrize("scopes", ["", "a b", 'a"b', ","])
def test_create_with_invalid_scopes_exits_2(invoke, database, app1, scopes):
    result = invoke("clients", "create", "app1", "worker", "--scopes", scopes)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ")
    assert run(database["service_clients"].count_documents({})) == 0


def test_create_without_scopes_is_a_usage_error(invoke, app1):
    assert invoke("clients", "create", "app1", "worker").exit_code == 2


def _create(invoke) -> dict:
    result = invoke("--json", "clients", "create", "app1", "worker", "--scopes", "reports:read")
    return json.loads(result.stdout)


def test_list_shows_every_client_of_the_app_and_which_are_revoked(invoke, app1):
    first, second = _create(invoke), _create(invoke)
    invoke("clients", "revoke", second["client"]["client_id"])
    text = invoke("clients", "list", "app1")
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert lines[0].startswith(first["client"]["client_id"]) and " active " in lines[0]
    assert lines[1].startswith(second["client"]["client_id"]) and " revoked " in lines[1]
    assert first["client_secret"] not in text.stdout
    listed = json.loads(invoke("clients", "list", "--json").stdout)
    assert [c["client_id"] for c in listed] == [
        first["client"]["client_id"],
        second["client"]["client_id"],
    ]
    assert all(set(c) == PUBLIC_CLIENT_KEYS for c in listed)


def test_list_with_no_clients_says_so(invoke, app1):
    assert invoke("clients", "list").stdout.strip() == "No service clients."


def test_revoke_marks_the_client_and_exits_1_for_an_unknown_one(invoke, database, app1):
    created = _create(invoke)
    client_id = created["client"]["client_id"]
    result = invoke("clients", "revoke", client_id)
    assert result.exit_code == 0, result.output
    assert "revoked" in result.stdout
    assert stored(database, client_id)["revoked_at"] is not None
    assert invoke("clients", "revoke", "svc_" + "0" * 32).exit_code == 1


def test_rotate_secret_prints_a_new_secret_once_and_the_old_stops(invoke, database, app1):
    created = _create(invoke)
    client_id = created["client"]["client_id"]
    result = invoke("clients", "rotate-secret", client_id)
    assert result.exit_code == 0, result.output
    secret = secret_after(result.stdout)
    doc = stored(database, client_id)
    assert matches(secret, doc) and not matches(created["client_secret"], doc)
    as_json = json.loads(invoke("clients", "rotate-secret", client_id, "--json").stdout)
    assert set(as_json) == {"client_id", "client_secret"}
    assert matches(as_json["client_secret"], stored(database, client_id))


def test_rotate_secret_of_a_revoked_client_exits_2(invoke, app1):
    created = _create(invoke)
    client_id = created["client"]["client_id"]
    invoke("clients", "revoke", client_id)
    result = invoke("clients", "rotate-secret", client_id)
    assert result.exit_code == 2
    assert "revoked" in result.stderr
