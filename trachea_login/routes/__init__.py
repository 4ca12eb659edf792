"""HTTP only: parse the request, call the service, shape the response."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import BoundDependencies
from ..service import AuthService
from ._client import parse_networks
from ._route_class import make_route_class
from .auth import build_auth_routes
from .health import build_health_routes
from .users import build_user_routes


def build_router(
    service: AuthService,
    dependencies: BoundDependencies,
    *,
    trusted_proxies: list[str],
    max_body_bytes: int,
) -> APIRouter:
    """The router of contract §4 for one instance (mount it with ``prefix="/auth"``)."""
    router = APIRouter(route_class=make_route_class(max_body_bytes))
    proxies = parse_networks(trusted_proxies)
    build_auth_routes(router, service, dependencies, proxies)
    build_user_routes(router, service, dependencies, proxies)
    build_health_routes(router, service)
    return router
