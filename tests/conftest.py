"""Shared fixtures: an isolated database per test, and apps built and served over ASGI.

Tests run on the embedded database (mongomock-motor) by default, and against a real MongoDB
when ``TRACHEA_TEST_MONGO_URI`` is set (each test then uses its own database, dropped after).
"""

from __future__ import annotations

import asyncio
import inspect
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from trachea_login import TracheaLogin, register_app
from trachea_login.clock import AdjustableClock
from trachea_login.services import APP_RECORD_MAX_AGE

# The session-wide Auth emulator fixture, and our own plugin for product test suites (some of
# our tests use its fixtures: trachea, trachea_client, issue_token ...).
pytest_plugins = ["tests.conftest_firebase", "trachea_login.testing"]

JWT_SECRET = "test-jwt-secret-that-is-long-enough-0123456789"
ALL_METHODS = ("username", "password", "google", "apple", "facebook")
NATIVE_ONLY = ("username",)
FAST_ROUNDS = 4  # bcrypt cost for tests; production default is 12
PASSWORD = "correct horse battery staple"


def secret_for(app_id: str) -> str:
    return f"{app_id}-secret-0123456789abcdef"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """No TRACHEA_* variable or .env file of the developer's machine leaks into a test."""
    for name in list(os.environ):
        if name.startswith("TRACHEA_") and name != "TRACHEA_TEST_MONGO_URI":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


class YieldingMongo:
    """Wraps a mongomock-motor client, database or collection so that every awaited call yields
    to the event loop before and after it, as a round trip to a real MongoDB does. Without
    this, mongomock runs each operation without yielding, and races between a read and the
    write after it (the bugs real MongoDB exposes) never interleave in tests.

    Every awaited call is also appended to ``operations`` as ``(collection, method)`` (the
    database's own commands as ``("$cmd", name)``): :mod:`tests.test_round_trips` counts the
    database operations of each route with it."""

    def __init__(self, target: Any, operations: list[tuple[str, str]] | None = None) -> None:
        self._target = target
        self.operations: list[tuple[str, str]] = [] if operations is None else operations

    def __getitem__(self, name: str) -> YieldingMongo:
        return YieldingMongo(self._target[name], self.operations)

    def get_collection(self, name: str, **options: Any) -> YieldingMongo:
        return YieldingMongo(self._target.get_collection(name, **options), self.operations)

    def find(self, *args: Any, **kwargs: Any) -> Any:
        # A cursor read is a round trip too (the first batch, when iterated).
        self.operations.append((str(getattr(self._target, "name", "?")), "find"))
        return self._target.find(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute
        where = "$cmd" if name == "command" else str(getattr(self._target, "name", "?"))

        async def call(*args: Any, **kwargs: Any) -> Any:
            self.operations.append((where, str(args[0]) if name == "command" else name))
            await asyncio.sleep(0)
            result = await attribute(*args, **kwargs)
            await asyncio.sleep(0)
            return result

        return call


@pytest.fixture
async def mongo_client() -> AsyncIterator[YieldingMongo]:
    """The test's client: a real server's when ``TRACHEA_TEST_MONGO_URI`` is set, else the
    embedded database; wrapped either way, so operations are counted on both."""
    uri = os.environ.get("TRACHEA_TEST_MONGO_URI")
    if uri:
        from pymongo import AsyncMongoClient

        client: Any = AsyncMongoClient(uri)
    else:
        from mongomock_motor import AsyncMongoMockClient

        client = AsyncMongoMockClient()
    yield YieldingMongo(client)
    if uri:
        await client.close()


@pytest.fixture
async def db_name(mongo_client: Any) -> AsyncIterator[str]:
    name = f"trachea_test_{uuid.uuid4().hex[:12]}"
    yield name
    await mongo_client.drop_database(name)


@pytest.fixture
def database(mongo_client: Any, db_name: str) -> Any:
    return mongo_client[db_name]


AppFactory = Callable[..., Awaitable[TracheaLogin]]


@pytest.fixture
async def register(database: Any) -> Callable[..., Awaitable[Any]]:
    async def _register(
        app_id: str = "app1",
        methods: tuple[str, ...] = NATIVE_ONLY,
        *,
        is_active: bool = True,
        domains: tuple[str, ...] = (),
    ) -> Any:
        return await register_app(
            database,
            app_id=app_id,
            app_secret=secret_for(app_id),
            name=f"Test {app_id}",
            allowed_auth_methods=methods,
            allowed_domains=domains,
            is_active=is_active,
            secret_hash_rounds=FAST_ROUNDS,
        )

    return _register


@pytest.fixture
def clock() -> AdjustableClock:
    """The test's clock, shared by every instance it builds: ``clock.advance(seconds=6)``."""
    return AdjustableClock()


@pytest.fixture
def make_trachea(
    mongo_client: Any, db_name: str, clock: AdjustableClock
) -> Callable[..., TracheaLogin]:
    """Build a TracheaLogin for ``app_id`` on the test database (not started)."""

    def _make(app_id: str = "app1", **settings: Any) -> TracheaLogin:
        settings.setdefault("app_secret", secret_for(app_id))
        settings.setdefault("jwt_secret", JWT_SECRET)
        settings.setdefault("password_hash_rounds", FAST_ROUNDS)
        settings.setdefault("clock", clock)
        return TracheaLogin(app_id=app_id, db_name=db_name, mongo_client=mongo_client, **settings)

    return _make


class Served:
    """A started product app with our router at /auth and an httpx client talking to it."""

    def __init__(self, trachea: TracheaLogin, app: FastAPI, client: httpx.AsyncClient) -> None:
        self.trachea = trachea
        self.app = app
        self.client = client
        self.clock: AdjustableClock = trachea.clock  # type: ignore[assignment]

    async def register_user(
        self, username: str = "alice", password: str = PASSWORD, **extra: Any
    ) -> dict[str, Any]:
        response = await self.client.post(
            "/auth/register", json={"username": username, "password": password, **extra}
        )
        assert response.status_code == 200, response.text
        return response.json()

    def let_app_cache_expire(self) -> None:
        """Move the clock past the app cache's freshness: an operator's change to the app is
        now seen (it takes effect within that time in every worker)."""
        self.clock.advance(seconds=APP_RECORD_MAX_AGE.total_seconds())

    async def login(self, username: str = "alice", password: str = PASSWORD) -> httpx.Response:
        return await self.client.post(
            "/auth/login", json={"username": username, "password": password}
        )


@pytest.fixture
async def serve(
    register: Callable[..., Awaitable[Any]], make_trachea: Callable[..., TracheaLogin]
) -> AsyncIterator[Callable[..., Awaitable[Served]]]:
    """``await serve(app_id, methods=..., **settings)`` → a started app and its client."""
    async with AsyncExitStack() as stack:

        async def _serve(
            app_id: str = "app1",
            *,
            methods: tuple[str, ...] = NATIVE_ONLY,
            register_first: bool = True,
            build: Callable[[TracheaLogin], FastAPI] | None = None,
            client_address: tuple[str, int] = ("203.0.113.7", 50000),
            **settings: Any,
        ) -> Served:
            if register_first:
                await register(app_id, methods)
            trachea = make_trachea(app_id, **settings)
            app = (build or default_app)(trachea)
            await stack.enter_async_context(LifespanManager(app))
            transport = httpx.ASGITransport(app=app, client=client_address)
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://testserver")
            )
            return Served(trachea, app, client)

        yield _serve


def default_app(trachea: TracheaLogin) -> FastAPI:
    """Lifespan + include_router only (what contract §2 promises is enough), plus product
    routes protected by the instance's own dependencies."""
    from fastapi import Depends

    app = FastAPI(lifespan=trachea.lifespan)
    app.include_router(trachea.router, prefix="/auth")

    @app.get("/whoami")
    async def whoami(user: Any = Depends(trachea.current_user)) -> dict[str, Any]:
        return {
            "sub": user.sub,
            "uid": user.uid,
            "app_id": user.app_id,
            "role": user.role,
            "plan": user.plan,
            "provider": user.provider,
            "session_id": user.session_id,
        }

    @app.get("/maybe")
    async def maybe(user: Any = Depends(trachea.optional_user)) -> dict[str, Any]:
        return {"sub": user.sub if user else None}

    @app.get("/pro")
    async def pro(user: Any = Depends(trachea.require(plan="pro"))) -> dict[str, Any]:
        return {"plan": user.plan}

    @app.get("/admin")
    async def admin(user: Any = Depends(trachea.require(role="admin"))) -> dict[str, Any]:
        return {"role": user.role}

    return app


FIREBASE = {"firebase_project_id": "demo-trachea"}


def new_email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"


@pytest.fixture
async def fb(firebase_emulator: Any, serve: Callable[..., Awaitable[Served]]) -> Served:
    """A started app allowing all five methods, with Firebase on the emulator."""
    served = await serve("app1", methods=ALL_METHODS, **FIREBASE)
    served.emulator = firebase_emulator  # type: ignore[attr-defined]
    return served


async def firebase_login(served: Served, token: str) -> httpx.Response:
    return await served.client.post("/auth/login", json={"firebase_token": token})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The §5 shape exactly, with the status and code expected, and §5's headers."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message", "status_code"}, body
    assert body["error"] == code, body
    assert body["status_code"] == status
    assert isinstance(body["message"], str) and body["message"]
    if status == 401:
        challenge = 'Basic realm="trachea-login"' if code == "INVALID_CLIENT" else "Bearer"
        assert response.headers.get("www-authenticate") == challenge
    if status in (429, 503):
        assert int(response.headers["retry-after"]) >= 1
    return body


def assert_product_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """An error from our dependencies in a product route of an app without our exception
    handler: FastAPI's ``{"detail": <§5 body>}``, with our status and headers."""
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert set(detail) == {"error", "message", "status_code"}
    assert (detail["error"], detail["status_code"]) == (code, status)
    if status == 401:
        assert response.headers.get("www-authenticate") == "Bearer"
    return detail


async def raw_user(served: Any, **query: Any) -> dict[str, Any] | None:
    """The user's MongoDB document as stored (for assertions on storage: absent fields, hashes)."""
    trachea = getattr(served, "trachea", served)
    return await trachea.store.users.collection.find_one(query)
