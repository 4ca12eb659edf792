"""What a product's own test suite needs (contract §12): an instance on the embedded database,
tokens of users with a given role and plan, service tokens with given scopes, and a pytest
plugin offering them as fixtures. See docs/testing.md.

Enable the plugin in your ``conftest.py`` (it needs ``pytest-asyncio``)::

    pytest_plugins = ["trachea_login.testing"]

Fixtures: ``trachea`` (a started :class:`~trachea_login.TracheaLogin` on a fresh in-memory
database, its app registered), ``trachea_clock`` (its clock: ``trachea_clock.advance(...)``),
``trachea_options`` (override it to pass settings, ``plan_policy``, ``on_event`` ...),
``trachea_app`` (the FastAPI app under test; override it to build yours around ``trachea``),
``trachea_client`` (an ``httpx.AsyncClient`` talking to that app, its lifespan run),
``issue_token`` and ``issue_service_token`` (the functions below, bound to ``trachea``).

Tokens are made by the instance's own code: a user's token belongs to a real session (our
routes and ``live_user`` accept it), and a service token to a real service client.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from .admin import create_client, register_app
from .admin.errors import EmailRequiredForPaidPlan
from .clock import AdjustableClock
from .errors import TracheaError, trachea_exception_handler
from .identifiers import normalise_identifier
from .levels import PAID_PLANS, PLANS, ROLES
from .methods import NATIVE_METHOD
from .records import UserRecord
from .routes.requests import USERNAME_PATTERN
from .routes.responses import UserResponse
from .services.context import ClientContext
from .services.native_accounts import join_app
from .trachea import TracheaLogin

DEFAULT_APP_ID = "test-app"
#: bcrypt cost for tests: every password and secret check costs about 1 ms instead of 250.
TEST_HASH_ROUNDS = 4
TEST_PASSWORD = "correct horse battery staple"  # noqa: S105 - a test account's password


def embedded_trachea(
    app_id: str = DEFAULT_APP_ID, *, clock: AdjustableClock | None = None, **options: Any
) -> TracheaLogin:
    """A ``TracheaLogin`` on a new, empty in-memory database (mongomock-motor), with random
    secrets, a bcrypt cost of 4 and an :class:`~trachea_login.clock.AdjustableClock`. Every
    keyword of ``TracheaLogin`` works (``plan_policy=``, ``on_event=``, settings); its app is
    registered by :func:`prepare` (or the ``trachea`` fixture)."""
    from mongomock_motor import AsyncMongoMockClient

    options.setdefault("app_secret", secrets.token_urlsafe(24))
    options.setdefault("jwt_secret", secrets.token_urlsafe(48))
    options.setdefault("password_hash_rounds", TEST_HASH_ROUNDS)
    options.setdefault("mongo_client", AsyncMongoMockClient())
    return TracheaLogin(app_id=app_id, clock=clock or AdjustableClock(), **options)


async def prepare(trachea: TracheaLogin, *, methods: Iterable[str] = (NATIVE_METHOD,)) -> None:
    """Register the instance's app in its database with its own secret, unless registered
    (then :meth:`TracheaLogin.startup` passes). ``methods``: the app's sign-in methods."""
    if await trachea.store.apps.get(trachea.app_id) is not None:
        return
    await register_app(
        trachea.database,
        app_id=trachea.app_id,
        app_secret=trachea.settings.app_secret.get_secret_value(),
        name=f"Test app {trachea.app_id}",
        allowed_auth_methods=tuple(methods),
        secret_hash_rounds=TEST_HASH_ROUNDS,
    )


@dataclass(frozen=True)
class IssuedToken:
    """What :func:`issue_token` gives: the session's tokens and its user."""

    access_token: str
    refresh_token: str
    user: UserResponse

    @property
    def uid(self) -> str:
        return self.user.id

    @property
    def headers(self) -> dict[str, str]:
        """``{"Authorization": "Bearer <access token>"}``, for a request."""
        return {"Authorization": f"Bearer {self.access_token}"}


async def issue_token(
    trachea: TracheaLogin,
    *,
    role: str = "member",
    plan: str = "free",
    user: str | None = None,
    username: str | None = None,
    email: str | None = None,
) -> IssuedToken:
    """Sign a user in to the instance's app with ``role`` and ``plan`` stored as theirs, and
    give the new session's tokens (a ``login`` event fires, as for any sign-in).

    ``user``: the uid of an existing user (who joins the app if they had not); otherwise a new
    native account (``username`` and ``email`` when given, else made up; a paid plan gets a
    made-up email, since a paid plan needs one). The password of new accounts is
    :data:`TEST_PASSWORD`.
    """
    if role not in ROLES or plan not in PLANS:
        raise ValueError(f"role must be one of {ROLES} and plan one of {PLANS}")
    record = await _existing(trachea, user) if user is not None else None
    if record is None:
        record = await _new_user(trachea, username, email, paid=plan in PAID_PLANS)
    if plan in PAID_PLANS and not record.email:
        raise EmailRequiredForPaidPlan(record.uid)
    member = await join_app(trachea.store, record, trachea.app_id)
    updated = await trachea.store.users.set_membership_fields(
        member.id, trachea.app_id, {"role": role, "plan": plan}
    )
    assert updated is not None
    provider = updated.provider or NATIVE_METHOD
    tokens = await trachea.service.sessions.start(updated, provider, ClientContext())
    view = UserResponse.from_record(updated, app_id=trachea.app_id, provider=provider)
    return IssuedToken(tokens.access_token, tokens.refresh_token, view)


async def _existing(trachea: TracheaLogin, uid: str) -> UserRecord:
    record = await trachea.store.users.get(uid)
    if record is None or record.erased_at is not None:
        raise LookupError(f"no user {uid!r}")
    return record


async def _new_user(
    trachea: TracheaLogin, username: str | None, email: str | None, *, paid: bool
) -> UserRecord:
    # Stored as registration stores them, so that login, find and the CLI see the account.
    name = normalise_identifier(username) if username else f"user-{secrets.token_hex(4)}"
    if re.fullmatch(USERNAME_PATTERN, name) is None:
        raise ValueError(
            f"issue_token: username {username!r} is not one registration accepts "
            "(3 to 32 of A-Z, a-z, 0-9, '.', '_', '-', after normalisation)"
        )
    if email is None and paid:
        email = f"{name}@example.com"
    return await trachea.store.users.insert(
        {
            "username": name,
            "email": normalise_identifier(email) if email else None,
            "password_hash": await trachea.hasher.hash(TEST_PASSWORD),
            "provider": NATIVE_METHOD,
        }
    )


async def issue_service_token(
    trachea: TracheaLogin, scopes: Iterable[str] = ("test",), *, name: str = "Test client"
) -> str:
    """A new service client of the instance's app holding ``scopes``, and an access token it
    got for all of them (through the instance's own token issuing)."""
    created = await create_client(
        trachea.database,
        app_id=trachea.app_id,
        name=name,
        scopes=scopes,
    )
    issued = await trachea.service.clients.issue(
        client_id=created.client_id,
        client_secret=created.client_secret,
        scope=None,
        client=ClientContext(),
    )
    return issued.access_token


def default_app(trachea: TracheaLogin) -> FastAPI:
    """A FastAPI app mounting the instance at ``/auth``, our errors rendered in its routes."""
    app = FastAPI(lifespan=trachea.lifespan)
    app.include_router(trachea.router, prefix="/auth")
    app.add_exception_handler(TracheaError, trachea_exception_handler)
    return app


# -- the pytest plugin -------------------------------------------------------------------------


@pytest.fixture
def trachea_clock() -> AdjustableClock:
    """The instance's clock: ``trachea_clock.advance(minutes=16)`` expires access tokens."""
    return AdjustableClock()


@pytest.fixture
def trachea_options() -> dict[str, Any]:
    """Keywords for the ``trachea`` instance: override this fixture to pass settings
    (``app_id=``, ``access_token_expire_minutes=`` ...), ``plan_policy=``, ``on_event=``, or
    ``auth_methods=`` (the app's sign-in methods; default ``("username",)``)."""
    return {}


@pytest_asyncio.fixture
async def trachea(
    trachea_options: dict[str, Any], trachea_clock: AdjustableClock
) -> AsyncIterator[TracheaLogin]:
    """A started ``TracheaLogin`` on a fresh in-memory database, its app registered."""
    options = dict(trachea_options)
    methods = options.pop("auth_methods", (NATIVE_METHOD,))
    app_id = options.pop("app_id", DEFAULT_APP_ID)
    instance = embedded_trachea(app_id, clock=trachea_clock, **options)
    await prepare(instance, methods=methods)
    await instance.startup()
    try:
        yield instance
    finally:
        await instance.shutdown()


@pytest.fixture
def trachea_app(trachea: TracheaLogin) -> FastAPI:
    """The app under test: override it to return your product app built around ``trachea``
    (e.g. ``return create_app(trachea)``)."""
    return default_app(trachea)


@pytest_asyncio.fixture
async def trachea_client(trachea_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An ``httpx.AsyncClient`` for ``trachea_app`` (base URL ``http://testserver``), with the
    app's lifespan run around it."""
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(trachea_app.router.lifespan_context(trachea_app))
        transport = httpx.ASGITransport(app=trachea_app)
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url="http://testserver")
        )
        yield client


@pytest.fixture(name="issue_token")
def issue_token_fixture(trachea: TracheaLogin) -> Callable[..., Awaitable[IssuedToken]]:
    """``await issue_token(role="admin", plan="pro")`` (see :func:`issue_token`)."""

    async def issue(**options: Any) -> IssuedToken:
        return await issue_token(trachea, **options)

    return issue


@pytest.fixture(name="issue_service_token")
def issue_service_token_fixture(trachea: TracheaLogin) -> Callable[..., Awaitable[str]]:
    """``await issue_service_token(["reports:read"])`` (see :func:`issue_service_token`)."""

    async def issue(scopes: Iterable[str] = ("test",), **options: Any) -> str:
        return await issue_service_token(trachea, scopes, **options)

    return issue


__all__ = [
    "DEFAULT_APP_ID",
    "TEST_HASH_ROUNDS",
    "TEST_PASSWORD",
    "IssuedToken",
    "default_app",
    "embedded_trachea",
    "issue_service_token",
    "issue_token",
    "prepare",
]
