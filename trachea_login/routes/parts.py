"""What every router factory of one instance shares: the service, the dependencies, the trusted
proxies, the route class, and the naming of routes and operations."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.routing import APIRoute

from ..deps import BoundDependencies
from ..errors import ErrorCode as E
from ..services import AuthService
from .client_ip import Network
from .error_rendering import public_route_class

AppIdHeader = Annotated[
    str | None,
    Header(alias="X-App-Id", max_length=64, description="Optional: must name this app."),
]

#: Errors every route can answer about the app (and the body size).
APP_ERRORS = (E.APP_NOT_FOUND, E.APP_MISMATCH, E.APP_INACTIVE, E.PAYLOAD_TOO_LARGE)

#: ...and, on routes of signed-in users, about the access token.
TOKEN_ERRORS = (*APP_ERRORS, E.INVALID_TOKEN, E.TOKEN_EXPIRED)


def route_name(app_id: str, endpoint: str) -> str:
    """The name of one of an instance's routes, for ``request.url_for(...)``."""
    return f"trachea_login.{app_id}.{endpoint}"


def operation_id(route: APIRoute) -> str:
    """FastAPI's default operation id, from the endpoint's own name rather than the route's
    (which carries the app id): the OpenAPI document reads as it always did."""
    raw = re.sub(r"\W", "_", f"{route.endpoint.__name__}{route.path_format}")
    return f"{raw}_{sorted(route.methods or ())[0].lower()}"


class RouterParts:
    """What every router factory needs: the service, dependencies, proxies, and a way to
    make routers of this instance's route class."""

    def __init__(
        self,
        service: AuthService,
        dependencies: BoundDependencies,
        proxies: tuple[Network, ...],
        route_class: type[APIRoute],
    ) -> None:
        self.service = service
        self.dependencies = dependencies
        self.proxies = proxies
        self._route_class = route_class

    def router(self, *, cache_control: str | None = None) -> APIRouter:
        """A router of this instance's route class; ``cache_control`` makes its successful
        answers cacheable (the one exception to ``no-store``: the JWK Set)."""
        route_class = self._route_class
        if cache_control is not None:
            route_class = public_route_class(route_class, cache_control)
        return APIRouter(route_class=route_class, generate_unique_id_function=operation_id)

    def name(self, endpoint: str) -> str:
        return route_name(self.service.app_id, endpoint)
