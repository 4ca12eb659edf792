"""``TracheaLogin``: one app's authentication, ready to mount on a FastAPI app."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pymongo
from fastapi import APIRouter, FastAPI
from pymongo.errors import ConfigurationError, PyMongoError

from . import deps
from ._mongo import close_client, database_unavailable, index_conflict_message, open_database
from .admin import verify_app_secret
from .app_users import AppUsers
from .clock import Clock, SystemClock
from .config import TracheaSettings, load_settings
from .errors import TracheaConfigError, TracheaError, trachea_exception_handler
from .events import EventCallback
from .firebase import FirebaseVerifier
from .migrate import legacy_database_message, legacy_signs
from .passwords import PasswordHasher, default_hash_threads
from .routes import build_router, route_name
from .services import AuthService, PlanPolicy
from .services.live_check import LiveCheck
from .startup import (
    EmbeddedApp,
    embedded_registration,
    register_embedded_app,
    registration_problem,
)
from .store import IndexConflict, Store
from .tokens import AccessTokens, CurrentUser

logger = logging.getLogger("trachea_login")


class TracheaLogin:
    """Authentication for one product app.

    Settings come from ``TRACHEA_*`` environment variables and ``.env``; keyword arguments
    (lower-case setting names) win. ``mongo_client`` reuses an existing async client (PyMongo's
    ``AsyncMongoClient``, or mongomock-motor's in tests); our collections on it read the
    primary, write with majority write concern and bound each operation by
    ``MONGO_TIMEOUT_MS`` whatever the client's own defaults. ``plan_policy(user, new_plan, proof)``,
    sync or async, decides whether a user may change their own plan (``None`` refuses paid
    changes). ``on_event(event)``, sync or async, is called with each
    :class:`~trachea_login.TracheaEvent` (contract §11) after it happened, off the response
    path: sync callbacks in a worker thread, async ones by a delivery task, in order; one that
    raises is logged (docs/integrating.md). ``clock`` replaces the system clock (tests move
    time with :class:`~trachea_login.clock.AdjustableClock`).

    Construction validates everything that needs no I/O and raises ``TracheaConfigError``;
    :meth:`startup` (run by :attr:`lifespan`) checks the database and the app registration.

    For the product's own backend: :attr:`users` (this app's users: ``get``, ``find``,
    ``set_role``, ``set_plan``, ``deactivate``, ``reactivate``, ``end_sessions``, ``erase``;
    the code of the CLI's ``users`` commands) and :attr:`database` (for its own collections).
    """

    def __init__(
        self,
        *,
        mongo_client: Any = None,
        plan_policy: PlanPolicy | None = None,
        on_event: EventCallback | None = None,
        clock: Clock | None = None,
        **settings: Any,
    ) -> None:
        self.settings: TracheaSettings = load_settings(**settings)
        self.clock: Clock = clock or SystemClock()
        self._check_arguments(mongo_client, on_event)
        self._owns_client = mongo_client is None
        self.mongo_client = mongo_client
        self.store = self._open_store()
        self.tokens = AccessTokens(self.settings, self.clock)
        self.hasher = PasswordHasher(
            self.settings.password_hash_rounds,
            max_threads=self.settings.password_hash_threads or default_hash_threads(),
        )
        self.firebase = self._open_firebase()
        self._check_firebase_is_there_if_needed()
        self._embedded_app = self._embedded_registration()
        self.service = AuthService(
            self.settings,
            self.store,
            self.tokens,
            self.hasher,
            self.clock,
            self.firebase,
            plan_policy,
            on_event,
        )
        self.dependencies = self._bind_dependencies()
        lifecycle = self.service.lifecycle
        self.users = AppUsers(
            self.app_id, self.store, self.service.auditor, lifecycle.firebase_for_erasure
        )
        self.router: APIRouter = build_router(
            self.service,
            self.dependencies,
            trusted_proxies=self.settings.trusted_proxies,
            max_body_bytes=self.settings.max_body_bytes,
            owner=self,
        )
        self.started = False
        self._closed = False

    def _check_arguments(self, mongo_client: Any, on_event: Any) -> None:
        if mongo_client is None and not self.settings.mongo_uri:
            raise TracheaConfigError(
                "TRACHEA_MONGO_URI is required unless mongo_client= is passed "
                "(use mongomock:// for the embedded in-memory database)"
            )
        if on_event is not None and not callable(on_event):
            raise TracheaConfigError("on_event must be a callable (sync or async) or None")

    def _bind_dependencies(self) -> deps.BoundDependencies:
        """The product app's dependencies of this instance: users' and service clients'."""
        return deps.BoundDependencies(
            self.tokens.verify,
            LiveCheck(self.service.sessions, self.clock),
            verify_client=self.tokens.verify_client,
            client_live_check=self.service.client_live_check,
        )

    def _open_store(self) -> Store:
        """The store on the given client, or on a client of our own made from the URI."""
        if not self._owns_client:
            database = self.mongo_client[self.settings.db_name]
        else:
            try:
                self.mongo_client, database = open_database(
                    self.settings.mongo_uri or "", self.settings.db_name
                )
            except (ConfigurationError, ValueError) as exc:
                # The driver's text may quote the URI (and its password): name the class only.
                raise TracheaConfigError(
                    f"TRACHEA_MONGO_URI is not a usable MongoDB URI ({type(exc).__name__})"
                ) from None
        return Store(
            database,
            clock=self.clock,
            audit_retention_days=self.settings.audit_retention_days,
            timeout_ms=self.settings.mongo_timeout_ms,
        )

    def _check_firebase_is_there_if_needed(self) -> None:
        if self.settings.erase_firebase_user and self.firebase is None:
            raise TracheaConfigError(
                "TRACHEA_ERASE_FIREBASE_USER needs Firebase: set TRACHEA_FIREBASE_CREDENTIALS "
                "(or TRACHEA_FIREBASE_PROJECT_ID with the emulator), or leave it false"
            )

    def _embedded_registration(self) -> EmbeddedApp | None:
        """On the embedded database nobody else can register the app: the instance will
        (§7), as checked here. ``None`` on a MongoDB server."""
        if not self.settings.uses_embedded_database:
            return None
        return embedded_registration(self.settings, self.firebase is not None)

    def _open_firebase(self) -> FirebaseVerifier | None:
        return FirebaseVerifier.from_settings(
            self.settings,
            instance_name=f"trachea-login-{self.settings.app_id}-{uuid.uuid4().hex[:8]}",
            clock=self.clock,
        )

    def _reopen(self) -> None:
        """After a shutdown, recreate what it closed, so the app can start again (a second
        lifespan, e.g. a TestClient used twice). The embedded database is never closed, so
        its data lives as long as the process."""
        if self._owns_client and not self.settings.uses_embedded_database:
            self.store.rebind(self._open_store().database)
        self.firebase = self.service.firebase.verifier = self._open_firebase()
        if self.settings.erase_firebase_user:
            self.service.lifecycle.firebase_for_erasure = self.firebase
            self.users.firebase_for_erasure = self.firebase
        self._closed = False

    @property
    def app_id(self) -> str:
        return self.settings.app_id

    @property
    def database(self) -> Any:
        """The database this instance uses (an async PyMongo database), for the product's own
        collections. Our collections are ``apps``, ``users``, ``sessions``, ``refresh_tokens``,
        ``login_failures``, ``audit_events`` and ``service_clients``: leave them to us."""
        return self.store.database

    def route_name(self, endpoint: str) -> str:
        """The name of one of this instance's routes (``login``, ``refresh``, ``read_me`` ...),
        for ``request.url_for(trachea.route_name("login"))``."""
        return route_name(self.app_id, endpoint)

    # -- the product app's dependencies, bound to this instance ------------------------------

    @property
    def current_user(self) -> deps.UserDependency:
        """Dependency: the signed-in user of this app; 401 otherwise."""
        return self.dependencies.current_user

    @property
    def optional_user(self) -> deps.UserDependency:
        """Dependency: the signed-in user of this app, or ``None``."""
        return self.dependencies.optional_user

    @property
    def live_user(self) -> deps.UserDependency:
        """Dependency for sensitive routes: the signed-in user whose session is live, with role
        and plan read from the database (at most 2 s old), so logout, deactivation and role
        changes take effect at once; 401 otherwise."""
        assert self.dependencies.live_user is not None
        return self.dependencies.live_user

    def require(
        self, role: str | None = None, plan: str | None = None, *, live: bool = False
    ) -> deps.UserDependency:
        """Dependency: a user of this app with at least ``role`` and/or ``plan``; 403 otherwise.
        With ``live=True`` as :attr:`live_user` (the session live, levels from the database)."""
        return self.dependencies.require(role=role, plan=plan, live=live)

    def require_scopes(self, *scopes: str, live: bool = False) -> deps.ClientDependency:
        """Dependency for routes that service clients call (contract §10): a service token of
        this app holding every one of ``scopes``; 403 ``INSUFFICIENT_SCOPE`` otherwise, and 401
        ``INVALID_TOKEN`` for a user's token. A revoked client's tokens work until they expire;
        with ``live=True`` they stop at once (the client read from the database, at most 2 s
        old). Gives the :class:`~trachea_login.CurrentClient`."""
        return self.dependencies.require_scopes(*scopes, live=live)

    async def verify_access_token(self, token: str) -> CurrentUser:
        """Verify an access token outside a request (e.g. a WebSocket handshake)."""
        return self.tokens.verify(token)

    # -- life cycle --------------------------------------------------------------------------

    async def startup(self) -> None:
        """Create indexes and check this app's registration; raise ``TracheaConfigError``.

        On the embedded database (``mongomock://``) the instance first registers its own app
        (``TRACHEA_APP_SECRET``, ``TRACHEA_EMBEDDED_AUTH_METHODS``) unless it is there."""
        if self._closed:
            self._reopen()
        try:
            await self._refuse_a_legacy_database()
            await self.store.ensure_indexes()
            if self._embedded_app is not None:
                await register_embedded_app(
                    self.store.database, self._embedded_app, self.settings.password_hash_rounds
                )
            app = await self.service.app_record.refresh()
        except IndexConflict as conflict:
            raise TracheaConfigError(index_conflict_message(conflict)) from None
        except PyMongoError as exc:
            if not database_unavailable(exc):
                raise
            raise TracheaConfigError(
                f"Cannot reach MongoDB for database '{self.settings.db_name}' within "
                f"TRACHEA_MONGO_TIMEOUT_MS ({self.settings.mongo_timeout_ms} ms) "
                f"({type(exc).__name__}): check that the server runs and that TRACHEA_MONGO_URI "
                "points at it"
            ) from None
        secret = self.settings.app_secret.get_secret_value()
        problem = registration_problem(
            app,
            app_id=self.app_id,
            db_name=self.settings.db_name,
            secret_matches=bool(app and app.is_active and await verify_app_secret(app, secret)),
            firebase_configured=self.firebase is not None,
            embedded=self._embedded_app is not None,
        )
        if problem is not None:
            raise TracheaConfigError(problem)
        await self.hasher.prepare()
        self.started = True

    async def _refuse_a_legacy_database(self) -> None:
        """A database trachea-login 0.1.x wrote must be migrated first: its indexes would clash
        with ours and its documents do not read as ours. (The embedded database is always new.)"""
        if self.settings.uses_embedded_database:
            return
        with pymongo.timeout(self.store.timeout):  # bounded like every operation of ours
            signs = await legacy_signs(self.store.database)
        if signs:
            raise TracheaConfigError(legacy_database_message(self.settings.db_name, signs))

    async def flush_events(self) -> None:
        """Wait until every event so far has reached ``on_event`` and the audit log (tests;
        a product's own test suite, before asserting on what its callback saw)."""
        await self.service.auditor.flush_events()

    async def shutdown(self) -> None:
        """Stop: store the audit events still queued and deliver the queued events to
        ``on_event`` (within ``TRACHEA_EVENT_SHUTDOWN_SECONDS``), then close what startup
        opened."""
        self.started = False
        await self.service.auditor.close()
        self.hasher.close()
        if self.firebase is not None:
            self.firebase.close()
        if self._owns_client and not self.settings.uses_embedded_database:
            await close_client(self.mongo_client)
        self._closed = True

    @asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        """``FastAPI(lifespan=trachea.lifespan)``: startup before serving, shutdown after."""
        deps.attach_to_app(app, self)
        try:
            await self.startup()
            yield
        finally:
            await self.shutdown()

    def install(self, app: FastAPI, prefix: str = "/auth") -> None:
        """One call: mount the router, render our errors in your routes too, and run our
        startup/shutdown inside the app's lifespan. Optional: ``include_router`` suffices."""
        app.include_router(self.router, prefix=prefix)
        app.add_exception_handler(TracheaError, trachea_exception_handler)
        deps.attach_to_app(app, self)
        inner = app.router.lifespan_context

        @asynccontextmanager
        async def lifespan(application: Any) -> AsyncIterator[Any]:
            try:
                await self.startup()
                async with inner(application) as state:
                    yield state
            finally:
                await self.shutdown()

        app.router.lifespan_context = lifespan


__all__ = ["TracheaLogin"]
