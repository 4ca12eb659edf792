"""``trachea-login db migrate``: the 0.1.x migration from the command line, on the 0.1.9
fixture in an injected database: in memory (the CLI refuses ``mongomock://`` itself), or on the
real server of ``TRACHEA_TEST_MONGO_URI``."""

from __future__ import annotations

import asyncio
import json
import uuid
from contextlib import asynccontextmanager

import pytest
from typer.testing import CliRunner

from tests.legacy.fixtures import load_legacy_database
from trachea_login.cli import EXIT_CONFLICTS, EXIT_INVALID, build_cli

from .real_mongo import drop, end_step, step_database

#: The running test's database (each step runs its own event loop, as each command does).
_current: list = []


def run(coro):
    async def step():
        try:
            return await coro
        finally:
            await end_step(_current[0])

    return asyncio.run(step())


@pytest.fixture
def database():
    database = step_database(f"trachea_cli_db_test_{uuid.uuid4().hex[:12]}")
    _current[:] = [database]
    yield database
    run(drop(database))
    _current.clear()


@pytest.fixture
def invoke(database, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ("TRACHEA_MONGO_URI", "TRACHEA_DB_NAME"):
        monkeypatch.delenv(name, raising=False)

    @asynccontextmanager
    async def factory(mongo_uri, db_name):
        try:
            yield database
        finally:
            await end_step(database)

    cli = build_cli(database_factory=factory)

    def _invoke(*args):
        return CliRunner().invoke(cli, list(args))

    return _invoke


@pytest.fixture
def legacy(database):
    return run(load_legacy_database(database))


def app_document(database, app_id="app1"):
    return run(database["apps"].find_one({"app_id": app_id}))


def test_a_dry_run_reports_and_writes_nothing(invoke, database, legacy):
    result = invoke("db", "migrate", "--dry-run")
    assert result.exit_code == EXIT_CONFLICTS, result.output
    assert result.stdout.startswith("Dry run: nothing was written.")
    assert "live 0.1.x refresh tokens carried over as sessions" in result.stdout
    assert "username_collision" in result.stdout and str(legacy.user("Alice").id) in result.stdout
    assert "app_secret" in app_document(database)  # still 0.1.x's layout


def test_migrate_then_again_changes_nothing_and_still_reports_the_conflicts(
    invoke, database, legacy
):
    first = invoke("--json", "db", "migrate")
    assert first.exit_code == EXIT_CONFLICTS, first.output
    report = json.loads(first.stdout)
    assert report["dry_run"] is False and report["changed"] > 0
    assert report["changes"]["apps_converted"] == 4
    assert {conflict["kind"] for conflict in report["conflicts"]} == {
        "username_collision",
        "email_collision",
        "invalid_email",
    }
    assert report["sub_changes"] == [
        {"user_id": str(legacy.user("mary-ann").id), "old": "Mary Ann", "new": "mary ann"}
    ]
    assert "app_secret_hash" in app_document(database)
    second = invoke("db", "migrate", "--json")
    assert second.exit_code == EXIT_CONFLICTS
    assert json.loads(second.stdout)["changed"] == 0
    for secret in (app.secret for app in legacy.apps.values()):
        assert secret not in first.stdout


def test_a_migration_without_conflicts_exits_0(invoke, database):
    run(database["apps"].insert_one({"app_id": "solo", "app_secret": "$2b$12$" + "h" * 53}))
    run(database["users"].insert_one({"username": "Solo", "password_hash": None, "apps": []}))
    result = invoke("db", "migrate")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Migrated from trachea-login 0.1.x.")
    assert "Conflicts" not in result.stdout
    assert run(database["users"].find_one({}))["username"] == "solo"


@pytest.mark.parametrize(
    "command",
    [
        ("apps", "list"),
        ("apps", "register", "new-app", "--name", "New", "--methods", "username"),
        ("users", "find", "lena"),
    ],
)
def test_other_commands_on_an_un_migrated_database_name_the_migration(
    invoke, database, legacy, command
):
    result = invoke(*command)
    assert result.exit_code == EXIT_INVALID, result.output
    assert "trachea-login db migrate" in result.stderr
    assert result.stdout == ""
    assert run(database["apps"].count_documents({})) == 4  # nothing registered beside 0.1.x's


def test_session_max_days_must_be_positive(invoke, legacy):
    result = invoke("db", "migrate", "--session-max-days", "0")
    assert result.exit_code == 2
