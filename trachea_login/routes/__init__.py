"""HTTP only: parse the request, call the service, shape the response. Nothing here touches the
store: responses are built from the records the services return.

:func:`build_router` returns the router of one instance, made of one router per concern
(:mod:`.sign_in`, :mod:`.sessions`, :mod:`.users`, :mod:`.account`, :mod:`.app_config`,
:mod:`.health`, :mod:`.jwks`, :mod:`.token`). Route names are unique per instance
(``trachea_login.<app_id>.<endpoint>``, see :func:`route_name`), so two instances can be
mounted in one app and ``url_for`` finds each route; OpenAPI operation ids stay the endpoint's
name and path, as FastAPI would make them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..deps import BoundDependencies
from ..services import AuthService
from .account import build_account_router
from .app_config import build_app_config_router
from .client_ip import parse_networks
from .error_rendering import make_route_class
from .health import build_health_router
from .jwks import build_jwks_router
from .parts import RouterParts, operation_id, route_name
from .sessions import build_session_router
from .sign_in import build_sign_in_router
from .token import build_token_router
from .users import build_user_router


def build_router(
    service: AuthService,
    dependencies: BoundDependencies,
    *,
    trusted_proxies: list[str],
    max_body_bytes: int,
    owner: Any,
) -> APIRouter:
    """The router of contract §4 for one instance (mount it with ``prefix="/auth"``)."""
    route_class = make_route_class(max_body_bytes, owner)
    parts = RouterParts(service, dependencies, parse_networks(trusted_proxies), route_class)
    router = APIRouter(route_class=route_class, generate_unique_id_function=operation_id)
    for build in (
        build_sign_in_router,
        build_session_router,
        build_user_router,
        build_account_router,
        build_app_config_router,
        build_health_router,
        build_jwks_router,
        build_token_router,
    ):
        router.include_router(build(parts))
    return router


__all__ = ["RouterParts", "build_router", "operation_id", "route_name"]
