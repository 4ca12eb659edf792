"""FastAPI dependencies that protect a product app's routes.

Each ``TracheaLogin`` instance offers them bound to itself (``trachea.current_user``,
``trachea.optional_user``, ``trachea.require(role=..., plan=...)``); with several instances in
one process, use those. The module-level ``get_current_user``, ``get_current_user_optional`` and
``require_role`` find *the* instance of the app serving the request (the one whose ``lifespan``
or ``install`` ran on it, else the only started one in the process) and refuse loudly when
there are several: they never silently pick one.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .errors import ErrorCode, TracheaError
from .levels import PLANS, ROLES, plan_at_least, role_at_least
from .tokens import AccessTokens, CurrentUser

if TYPE_CHECKING:
    from .trachea import TracheaLogin

logger = logging.getLogger("trachea_login")

#: The Swagger/OpenAPI security scheme: product routes using these dependencies show the lock.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="TracheaBearer",
    description="The access token from POST /auth/login, /auth/register or /auth/refresh.",
)

UserDependency = Callable[..., Awaitable[CurrentUser]]
APP_STATE_KEY = "trachea_login_instances"


def _check_levels(user: CurrentUser, role: str | None, plan: str | None) -> CurrentUser:
    if role is not None and not role_at_least(user.role, role):
        raise TracheaError(ErrorCode.INSUFFICIENT_ROLE)
    if plan is not None and not plan_at_least(user.plan, plan):
        raise TracheaError(ErrorCode.INSUFFICIENT_PLAN)
    return user


class BoundDependencies:
    """The dependencies of one instance: they accept only this app's access tokens."""

    def __init__(self, tokens: AccessTokens) -> None:
        self._tokens = tokens

        async def current_user(
            credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
        ) -> CurrentUser:
            """The signed-in user; 401 without a valid access token for this app."""
            if credentials is None or credentials.scheme.lower() != "bearer":
                raise TracheaError(ErrorCode.INVALID_TOKEN, "A Bearer access token is required.")
            return self._tokens.verify(credentials.credentials)

        async def optional_user(
            credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
        ) -> CurrentUser | None:
            """The signed-in user, or ``None`` when no valid access token is sent."""
            if credentials is None or credentials.scheme.lower() != "bearer":
                return None
            try:
                return self._tokens.verify(credentials.credentials)
            except TracheaError:
                return None

        self.current_user = current_user
        self.optional_user = optional_user

    def require(self, role: str | None = None, plan: str | None = None) -> UserDependency:
        """A dependency that needs at least ``role`` (guest < member < admin) and/or ``plan``
        (free < pro < enterprise); 403 ``INSUFFICIENT_ROLE`` / ``INSUFFICIENT_PLAN``."""
        _validate_levels(role, plan)
        current_user = self.current_user

        async def required(user: CurrentUser = Depends(current_user)) -> CurrentUser:
            return _check_levels(user, role, plan)

        return required


def _validate_levels(role: str | None, plan: str | None) -> None:
    if role is not None and role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if plan is not None and plan not in PLANS:
        raise ValueError(f"unknown plan {plan!r}; expected one of {', '.join(PLANS)}")


# -- the module-level dependencies --------------------------------------------------------------

# Instances whose startup ran and whose shutdown has not: consulted only when the request's
# app does not name its instance. Weak, so a dropped instance never lingers.
_started: weakref.WeakSet[TracheaLogin] = weakref.WeakSet()


def mark_started(instance: TracheaLogin) -> None:
    _started.add(instance)


def mark_stopped(instance: TracheaLogin) -> None:
    _started.discard(instance)


def attach_to_app(app: Any, instance: TracheaLogin) -> None:
    """Record on the product app which instance(s) it serves (done by lifespan and install)."""
    instances: list[TracheaLogin] = getattr(app.state, APP_STATE_KEY, [])
    if instance not in instances:
        setattr(app.state, APP_STATE_KEY, [*instances, instance])


def _instance_for(request: Request) -> TracheaLogin:
    candidates = list(getattr(request.app.state, APP_STATE_KEY, None) or _started)
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        logger.error(
            "get_current_user was used but no TracheaLogin has started: use "
            "FastAPI(lifespan=trachea.lifespan) or await trachea.startup()"
        )
    else:
        logger.error(
            "get_current_user was used with %d TracheaLogin instances in this process; it "
            "cannot choose one. Use the instance's own dependency: trachea.current_user or "
            "trachea.require(...)",
            len(candidates),
        )
    raise TracheaError(ErrorCode.INTERNAL_ERROR)


async def get_current_user(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
) -> CurrentUser:
    """The signed-in user of the process's one ``TracheaLogin``; 401 without a valid token."""
    return await _instance_for(request).dependencies.current_user(credentials)


async def get_current_user_optional(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
) -> CurrentUser | None:
    """Like :func:`get_current_user` but ``None`` instead of a 401."""
    return await _instance_for(request).dependencies.optional_user(credentials)


def require_role(role: str | None = None, plan: str | None = None) -> UserDependency:
    """A dependency requiring a minimum role and/or plan (see ``BoundDependencies.require``)."""
    _validate_levels(role, plan)

    async def required(user: CurrentUser = Depends(get_current_user)) -> CurrentUser:
        return _check_levels(user, role, plan)

    return required
