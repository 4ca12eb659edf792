"""FastAPI dependencies that protect a product app's routes, HTTP and WebSocket alike.

Each ``TracheaLogin`` instance offers them bound to itself (``trachea.current_user``,
``trachea.optional_user``, ``trachea.require(role=..., plan=...)``); with several instances in
one process, use those. The module-level ``get_current_user``, ``get_current_user_optional`` and
``require_role`` find *the* instance of the app serving the request (the one whose ``lifespan``
or ``install`` ran on it, else the one whose router it mounts) and refuse loudly when there are
several: they never silently pick one.

Each dependency object is itself the OpenAPI security scheme (``TracheaBearer``: Swagger shows
the lock), so a protected route resolves one dependency, with nothing beneath it. It takes an
``HTTPConnection``, so it works on WebSocket routes too (the ``Authorization`` header of the
handshake); there a refusal closes the handshake with code 1008 and the error code as reason.
"""

# No ``from __future__ import annotations`` here: FastAPI before about 0.116 cannot resolve
# string annotations of a callable instance's ``__call__`` (``conn: HTTPConnection`` became a
# NameError at route creation), and our dependencies are such instances.
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from fastapi import WebSocketException
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase
from starlette.requests import HTTPConnection
from starlette.status import WS_1008_POLICY_VIOLATION

from ._routing import walk_routes
from .errors import ErrorCode, TracheaError
from .levels import PLANS, ROLES, plan_at_least, role_at_least
from .scopes import is_scope_token
from .tokens import CurrentClient, CurrentUser

if TYPE_CHECKING:
    from .trachea import TracheaLogin

logger = logging.getLogger("trachea_login")

SCHEME_NAME = "TracheaBearer"
SCHEME_DESCRIPTION = "The access token from POST /auth/login, /auth/register or /auth/refresh."
APP_STATE_KEY = "trachea_login_instances"

#: A token check: the instance's ``tokens.verify`` (sync), or ``RemoteVerifier.verify``
#: (async: it may have to fetch keys).
Verify = Callable[[str], CurrentUser] | Callable[[str], Awaitable[CurrentUser]]
#: The live check of ``live_user``: the session is live; role and plan from the database.
LiveCheck = Callable[[CurrentUser], Awaitable[CurrentUser]]
#: A service token check: ``tokens.verify_client`` (sync) or ``RemoteVerifier.verify_client``.
VerifyClient = Callable[[str], CurrentClient] | Callable[[str], Awaitable[CurrentClient]]
#: The live check of ``require_scopes(..., live=True)``: the client is not revoked.
ClientLiveCheck = Callable[[CurrentClient], Awaitable[CurrentClient]]

CLIENT_SCHEME_NAME = "TracheaServiceBearer"
CLIENT_SCHEME_DESCRIPTION = "A service client's access token from POST /auth/token."


def bearer_token(conn: HTTPConnection) -> str | None:
    """The credentials of the (first) ``Authorization: Bearer <token>`` header, else ``None``.

    Read from the ASGI scope's raw headers (names are lower-case there, as Starlette's
    ``Headers`` also assumes): building the ``Headers`` object would cost more than the rest
    of a cached verification.
    """
    for name, value in conn.scope["headers"]:
        if name == b"authorization":
            text: str = value.decode("latin-1")
            scheme, _, token = text.partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token:
                return None
            return token
    return None


def check_levels(user: CurrentUser, role: str | None, plan: str | None) -> CurrentUser:
    """403 ``INSUFFICIENT_ROLE`` / ``INSUFFICIENT_PLAN`` below the minimum levels."""
    if role is not None and not role_at_least(user.role, role):
        raise TracheaError(ErrorCode.INSUFFICIENT_ROLE)
    if plan is not None and not plan_at_least(user.plan, plan):
        raise TracheaError(ErrorCode.INSUFFICIENT_PLAN)
    return user


def validate_levels(role: str | None, plan: str | None) -> None:
    """A typo in ``require(...)`` fails when the route is declared, not at every request."""
    if role is not None and role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if plan is not None and plan not in PLANS:
        raise ValueError(f"unknown plan {plan!r}; expected one of {', '.join(PLANS)}")


def _for_connection(conn: HTTPConnection, error: TracheaError) -> Exception:
    """On a WebSocket handshake, a refusal is a close (1008), not an HTTP response."""
    if conn.scope.get("type") == "websocket":
        return WebSocketException(code=WS_1008_POLICY_VIOLATION, reason=error.code.value)
    return error


class UserDependency(SecurityBase):
    """A dependency giving the signed-in user (401 without a valid access token), optionally
    requiring minimum levels (403), or ``None`` instead of a 401 when ``optional``."""

    def __init__(
        self,
        verify: Verify | None = None,
        *,
        role: str | None = None,
        plan: str | None = None,
        optional: bool = False,
        live: LiveCheck | None = None,
    ) -> None:
        validate_levels(role, plan)
        self.live = live
        self.model = HTTPBearerModel(description=SCHEME_DESCRIPTION)
        self.scheme_name = SCHEME_NAME
        self._verify = verify
        self.role = role
        self.plan = plan
        self.optional = optional

    def verifier(self, conn: HTTPConnection) -> Verify:
        """The token check to use for this connection (when none was given: the module-level
        dependencies find it per connection)."""
        assert self._verify is not None
        return self._verify

    async def __call__(self, conn: HTTPConnection) -> CurrentUser | None:
        try:
            verify = self._verify or self.verifier(conn)
            token = bearer_token(conn)
            if token is None:
                if self.optional:
                    return None
                raise TracheaError(ErrorCode.INVALID_TOKEN, "A Bearer access token is required.")
            try:
                result = verify(token)
                # An async check (RemoteVerifier's) returns an awaitable; the instance's a user.
                user = result if isinstance(result, CurrentUser) else await result
                if self.live is not None:
                    user = await self.live(user)
            except TracheaError:
                if self.optional:
                    return None
                raise
            if self.role is None and self.plan is None:
                return user  # current_user / optional_user: nothing more to check
            return check_levels(user, self.role, self.plan)
        except TracheaError as error:
            raise _for_connection(conn, error) from None


def validate_scopes(scopes: tuple[str, ...]) -> None:
    """A scope that no client could hold fails when the route is declared."""
    for scope in scopes:
        if not is_scope_token(scope):
            raise ValueError(
                f"invalid scope {scope!r}: printable ASCII without spaces, quotes, backslashes "
                "or commas, such as reports:read"
            )


def insufficient_scope(needed: tuple[str, ...]) -> TracheaError:
    """403 ``INSUFFICIENT_SCOPE``, with RFC 6750 §3.1's challenge naming the scopes needed."""
    challenge = f'Bearer error="insufficient_scope", scope="{" ".join(needed)}"'
    return TracheaError(ErrorCode.INSUFFICIENT_SCOPE, headers={"WWW-Authenticate": challenge})


class ClientDependency(SecurityBase):
    """A dependency giving the service client of a request's access token (401 without a
    valid service token, a user's token included), requiring every scope of ``scopes``
    (403 ``INSUFFICIENT_SCOPE``); with ``live``, the client must not be revoked."""

    def __init__(
        self,
        verify: VerifyClient,
        scopes: tuple[str, ...] = (),
        *,
        live: ClientLiveCheck | None = None,
    ) -> None:
        validate_scopes(scopes)
        self.model = HTTPBearerModel(description=CLIENT_SCHEME_DESCRIPTION)
        self.scheme_name = CLIENT_SCHEME_NAME
        self._verify = verify
        self.scopes = scopes
        self._needed = frozenset(scopes)
        self.live = live

    async def __call__(self, conn: HTTPConnection) -> CurrentClient:
        try:
            token = bearer_token(conn)
            if token is None:
                raise TracheaError(ErrorCode.INVALID_TOKEN, "A Bearer access token is required.")
            result = self._verify(token)
            client = result if isinstance(result, CurrentClient) else await result
            if self.live is not None:
                client = await self.live(client)
            if not self._needed <= set(client.scopes):
                raise insufficient_scope(self.scopes)
            return client
        except TracheaError as error:
            raise _for_connection(conn, error) from None


class BoundDependencies:
    """The dependencies of one verifier (an instance, or a ``RemoteVerifier``): they accept
    only its app's access tokens, users' and service clients' each in their own place."""

    def __init__(
        self,
        verify: Verify,
        live_check: LiveCheck | None = None,
        *,
        verify_client: VerifyClient | None = None,
        client_live_check: ClientLiveCheck | None = None,
    ) -> None:
        self._verify = verify
        self._live_check = live_check
        self._verify_client = verify_client
        self._client_live_check = client_live_check
        self.current_user = UserDependency(verify)
        self.optional_user = UserDependency(verify, optional=True)
        self.live_user = UserDependency(verify, live=live_check) if live_check else None

    def require_scopes(self, *scopes: str, live: bool = False) -> ClientDependency:
        """A dependency that needs a service client's token holding every one of ``scopes``
        (403 ``INSUFFICIENT_SCOPE``); users' tokens are 401 ``INVALID_TOKEN``. With ``live``,
        a revoked client's tokens are refused at once (401)."""
        if self._verify_client is None:
            raise ValueError("require_scopes needs a verifier of service tokens")
        if live and self._client_live_check is None:
            raise ValueError("live=True needs a TracheaLogin instance (a database)")
        return ClientDependency(
            self._verify_client, scopes, live=self._client_live_check if live else None
        )

    def require(
        self, role: str | None = None, plan: str | None = None, *, live: bool = False
    ) -> UserDependency:
        """A dependency that needs at least ``role`` (guest < member < admin) and/or ``plan``
        (free < pro < enterprise); 403 ``INSUFFICIENT_ROLE`` / ``INSUFFICIENT_PLAN``. With
        ``live``, the session must be live and the levels are the database's (see
        ``TracheaLogin.live_user``)."""
        if live and self._live_check is None:
            raise ValueError("live=True needs a TracheaLogin instance (a database)")
        return UserDependency(
            self._verify, role=role, plan=plan, live=self._live_check if live else None
        )


# -- the module-level dependencies --------------------------------------------------------------


def attach_to_app(app: Any, instance: "TracheaLogin") -> None:
    """Record on the product app which instance(s) it serves (done by lifespan and install)."""
    instances: list[TracheaLogin] = getattr(app.state, APP_STATE_KEY, [])
    if instance not in instances:
        setattr(app.state, APP_STATE_KEY, [*instances, instance])


def _mounted_instances(app: Any) -> list["TracheaLogin"]:
    """The instances whose routers the app mounts (our routes carry their instance)."""
    found: list[TracheaLogin] = []
    for route in walk_routes(getattr(app, "routes", ())):
        owner = getattr(type(route), "trachea_login", None)
        if owner is not None and owner not in found:
            found.append(owner)
    return found


def instance_for(conn: HTTPConnection) -> "TracheaLogin":
    """The one instance serving the connection's app; 500 (and an error log) otherwise."""
    app = conn.app
    candidates: list[TracheaLogin] | None = getattr(app.state, APP_STATE_KEY, None)
    if not candidates:
        candidates = _mounted_instances(app)
        if candidates:
            setattr(app.state, APP_STATE_KEY, candidates)
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        logger.error(
            "get_current_user was used but this app serves no TracheaLogin: use "
            "FastAPI(lifespan=trachea.lifespan), trachea.install(app) or include trachea.router"
        )
    else:
        logger.error(
            "get_current_user was used in an app served by %d TracheaLogin instances; it "
            "cannot choose one. Use the instance's own dependency: trachea.current_user or "
            "trachea.require(...)",
            len(candidates),
        )
    raise TracheaError(ErrorCode.INTERNAL_ERROR)


class AppUserDependency(UserDependency):
    """A :class:`UserDependency` of the one instance serving the request's app."""

    def verifier(self, conn: HTTPConnection) -> Verify:
        return instance_for(conn).tokens.verify


#: The signed-in user of the app's one ``TracheaLogin``; 401 without a valid token.
get_current_user = AppUserDependency()

#: Like :data:`get_current_user` but ``None`` instead of a 401.
get_current_user_optional = AppUserDependency(optional=True)


def require_role(role: str | None = None, plan: str | None = None) -> UserDependency:
    """A dependency requiring a minimum role and/or plan (see ``BoundDependencies.require``)."""
    return AppUserDependency(role=role, plan=plan)
