"""On the embedded database (``mongomock://``) an instance registers its own app at startup,
with its secret and ``EMBEDDED_AUTH_METHODS``, and its errors never point at the CLI (§7)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import Depends, FastAPI

from trachea_login import TracheaConfigError, TracheaLogin, admin, register_app
from trachea_login.records import AppRecord
from trachea_login.startup import registration_problem

from .conftest import FAST_ROUNDS, JWT_SECRET, PASSWORD, bearer

SECRET = "embedded-app-secret-0123456789"
FIREBASE_METHODS_IN_ORDER = ("google", "facebook", "apple", "password", "phone")


def points_at_the_cli(message: str) -> bool:
    return re.search(r"trachea-login (apps|users)\b|--methods", message) is not None


def embedded(**settings: Any) -> TracheaLogin:
    """An instance on its own embedded database, configured as a newcomer would."""
    settings.setdefault("app_id", "tryout")
    settings.setdefault("app_secret", SECRET)
    settings.setdefault("jwt_secret", JWT_SECRET)
    settings.setdefault("password_hash_rounds", FAST_ROUNDS)
    return TracheaLogin(mongo_uri="mongomock://", **settings)


def product_app(trachea: TracheaLogin) -> FastAPI:
    app = FastAPI(lifespan=trachea.lifespan)
    app.include_router(trachea.router, prefix="/auth")

    @app.get("/hello")
    async def hello(user: Any = Depends(trachea.current_user)) -> dict[str, str]:
        return {"hello": user.sub}

    return app


@pytest.fixture
async def client_of() -> AsyncIterator[Callable[[FastAPI], Any]]:
    """``async with client_of(app) as client``: the app started, and a client for it."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def _client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                yield client

    yield _client


async def stored(trachea: TracheaLogin) -> AppRecord | None:
    return await trachea.store.apps.get(trachea.app_id)


async def test_an_instance_on_mongomock_registers_its_own_app_and_serves_it(client_of):
    trachea = embedded()
    assert await stored(trachea) is None

    async with client_of(product_app(trachea)) as client:
        registered = await client.post(
            "/auth/register", json={"username": "alice", "password": PASSWORD}
        )
        assert registered.status_code == 200, registered.text
        hello = await client.get("/hello", headers=bearer(registered.json()["access_token"]))
        assert hello.json() == {"hello": "alice"}

    record = await stored(trachea)
    assert record is not None
    assert (record.app_id, record.name, record.is_active) == ("tryout", "tryout", True)
    assert record.allowed_auth_methods == ("username",)
    assert await admin.verify_app_secret(record, SECRET) is True
    assert SECRET not in repr(await trachea.store.apps.collection.find_one({}))


async def test_with_firebase_configured_the_default_adds_every_firebase_method():
    trachea = embedded(firebase_project_id="demo-trachea")
    await trachea.startup()
    try:
        record = await stored(trachea)
        assert record is not None
        assert record.allowed_auth_methods == ("username", *FIREBASE_METHODS_IN_ORDER)
    finally:
        await trachea.shutdown()


async def test_embedded_auth_methods_from_the_environment_are_registered_as_given(monkeypatch):
    monkeypatch.setenv("TRACHEA_EMBEDDED_AUTH_METHODS", "phone, username")
    trachea = embedded(firebase_project_id="demo-trachea")
    await trachea.startup()
    try:
        record = await stored(trachea)
        assert record is not None and record.allowed_auth_methods == ("phone", "username")
    finally:
        await trachea.shutdown()


async def test_a_second_startup_keeps_the_app_and_its_users(client_of):
    trachea = embedded()
    app = product_app(trachea)
    async with client_of(app) as client:
        await client.post("/auth/register", json={"username": "bob", "password": PASSWORD})
    async with client_of(app) as client:
        again = await client.post("/auth/login", json={"username": "bob", "password": PASSWORD})
        assert again.status_code == 200, again.text
    assert await trachea.store.apps.collection.count_documents({}) == 1


async def test_a_registration_made_first_by_code_of_the_process_is_kept():
    """Code written for 0.1.x-style try-outs registers the app itself before startup: with the
    same secret that still works, and its methods are kept."""
    trachea = embedded()
    await register_app(
        trachea.store.database,
        app_id="tryout",
        app_secret=SECRET,
        name="Try-out",
        allowed_auth_methods=["username"],
        secret_hash_rounds=FAST_ROUNDS,
    )
    await trachea.startup()
    record = await stored(trachea)
    assert record is not None and record.name == "Try-out"
    await trachea.shutdown()


def test_unknown_embedded_methods_fail_at_construction_naming_the_variable():
    with pytest.raises(TracheaConfigError) as caught:
        embedded(embedded_auth_methods=["username", "usernme"])
    message = str(caught.value)
    assert "TRACHEA_EMBEDDED_AUTH_METHODS" in message and "'usernme'" in message
    assert not points_at_the_cli(message)


def test_firebase_methods_without_firebase_fail_at_construction_without_the_cli():
    with pytest.raises(TracheaConfigError) as caught:
        embedded(embedded_auth_methods=["username", "google", "phone"])
    message = str(caught.value)
    assert "TRACHEA_EMBEDDED_AUTH_METHODS" in message and "google, phone" in message
    assert "TRACHEA_FIREBASE_PROJECT_ID" in message
    assert not points_at_the_cli(message)


@pytest.mark.parametrize(
    ("settings", "variable"),
    [
        ({"app_secret": "too-short"}, "TRACHEA_APP_SECRET"),
        ({"app_id": "my app"}, "TRACHEA_APP_ID"),
    ],
    ids=["short-secret", "app-id-with-space"],
)
def test_what_could_not_be_registered_fails_at_construction(settings, variable):
    with pytest.raises(TracheaConfigError) as caught:
        embedded(**settings)
    message = str(caught.value)
    assert message.startswith(variable) and "mongomock://" in message
    assert "too-short" not in message
    assert not points_at_the_cli(message)


@pytest.mark.parametrize(
    ("prepare", "expected"),
    [
        ("other-secret", "with a secret other than TRACHEA_APP_SECRET"),
        ("disabled", "disabled in the embedded database"),
        ("firebase-methods", "allows Firebase sign-in (google)"),
    ],
)
async def test_startup_errors_on_the_embedded_database_never_point_at_the_cli(prepare, expected):
    trachea = embedded()
    database = trachea.store.database
    await register_app(
        database,
        app_id="tryout",
        app_secret="another-secret-0123456789" if prepare == "other-secret" else SECRET,
        name="Registered by other code",
        allowed_auth_methods=["username", "google"]
        if prepare == "firebase-methods"
        else ["username"],
        secret_hash_rounds=FAST_ROUNDS,
    )
    if prepare == "disabled":
        await admin.disable_app(database, "tryout")

    with pytest.raises(TracheaConfigError) as caught:
        await trachea.startup()

    message = str(caught.value)
    assert expected in message
    assert not points_at_the_cli(message)
    assert SECRET not in message


# -- the decision, as a table -----------------------------------------------------------------

ACTIVE = AppRecord(
    app_id="a1", name="A", secret_hash="h", allowed_auth_methods=("username", "google")
)
CASES = {
    "missing": (None, True, False),
    "disabled": (dataclasses.replace(ACTIVE, is_active=False), True, True),
    "secret": (ACTIVE, False, True),
    "firebase": (ACTIVE, True, False),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("embedded_database", [False, True], ids=["server", "embedded"])
def test_each_problem_names_the_fix_of_its_mode(case, embedded_database):
    app, secret_matches, firebase_configured = CASES[case]

    problem = registration_problem(
        app,
        app_id="a1",
        db_name="trachea",
        secret_matches=secret_matches,
        firebase_configured=firebase_configured,
        embedded=embedded_database,
    )

    assert problem is not None and "'a1'" in problem
    if embedded_database:
        assert not points_at_the_cli(problem) and "mongomock://" in problem
    else:
        assert points_at_the_cli(problem)


@pytest.mark.parametrize("embedded_database", [False, True])
def test_an_active_app_with_its_secret_and_its_methods_configured_has_no_problem(
    embedded_database,
):
    assert (
        registration_problem(
            ACTIVE,
            app_id="a1",
            db_name="trachea",
            secret_matches=True,
            firebase_configured=True,
            embedded=embedded_database,
        )
        is None
    )
