"""The route class of our routers: what every one of our routes does, whatever its logic.

- Every error leaves in the §5 shape (``{"error", "message", "status_code"}``) with nothing but
  ``include_router``: the conversion happens inside each route, not in app-level exception
  handlers. Database failures are 503 ``SERVICE_UNAVAILABLE``, anything unexpected 500
  ``INTERNAL_ERROR``; neither carries driver text or a traceback.
- The request body is limited while it streams in (:mod:`.body_limit`).
- Every response carries ``Cache-Control: no-store`` (RFC 6749 §5.1: tokens and profiles are
  never cached), except the successful answers of a route class made public by
  :func:`public_route_class` (the JWK Set, contract §5/§8: public keys, meant to be cached);
  every response carries ``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pymongo.errors import PyMongoError
from starlette.exceptions import HTTPException as StarletteHTTPException

from .._mongo import database_unavailable
from ..errors import ErrorCode, TracheaError, error_response, validation_error_response
from .body_limit import BodyLimitedRequest

logger = logging.getLogger("trachea_login")

#: Tokens and profiles are never cached (RFC 6749 §5.1).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _rendered(exc: Exception, request: Request, path: str) -> Response:
    """The §5 response for an exception raised by a route."""
    if isinstance(exc, TracheaError):
        return error_response(exc)
    if isinstance(exc, RequestValidationError):
        return validation_error_response(exc)
    if isinstance(exc, StarletteHTTPException):
        # FastAPI's or Starlette's own (a body it could not read): same shape, one line, no
        # detail echoed.
        logger.info("refused a request: HTTP %d (%s %s)", exc.status_code, request.method, path)
        code = ErrorCode.PAYLOAD_TOO_LARGE if exc.status_code == 413 else ErrorCode.VALIDATION_ERROR
        return error_response(TracheaError(code))
    if database_unavailable(exc):
        # Expected in an outage, and nothing to debug in our code: one line, no traceback.
        logger.warning(
            "MongoDB unavailable (%s) in %s %s", type(exc).__name__, request.method, path
        )
        return error_response(TracheaError(ErrorCode.SERVICE_UNAVAILABLE))
    if isinstance(exc, PyMongoError):
        logger.exception("MongoDB error")
        return error_response(TracheaError(ErrorCode.SERVICE_UNAVAILABLE))
    logger.exception("unhandled error in %s %s", request.method, path)
    return error_response(TracheaError(ErrorCode.INTERNAL_ERROR))


def make_route_class(max_body_bytes: int, owner: Any) -> type[APIRoute]:
    """A route class bound to one instance (``owner``, found by the module-level
    dependencies) and its body limit: no module-level state."""

    class TracheaRoute(APIRoute):
        trachea_login = owner
        #: ``Cache-Control`` of successful answers; ``None``: ``no-store`` like every error.
        cache_control: str | None = None

        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def guarded(request: Request) -> Response:
                limited = BodyLimitedRequest(request.scope, request.receive, max_body_bytes)
                try:
                    response = await handler(limited)
                except Exception as exc:  # noqa: BLE001 - every failure becomes a §5 body
                    response = _rendered(exc, request, self.path)
                # On every response of ours: no browser second-guesses our content types (§5).
                response.headers["X-Content-Type-Options"] = "nosniff"
                if self.cache_control is not None and response.status_code < 400:
                    response.headers["Cache-Control"] = self.cache_control
                else:
                    response.headers.update(NO_STORE)
                return response

            return guarded

    return TracheaRoute


def public_route_class(route_class: type[APIRoute], cache_control: str) -> type[APIRoute]:
    """The same route class, whose successful answers may be cached as ``cache_control``
    says (errors stay ``no-store``)."""
    return type("TracheaPublicRoute", (route_class,), {"cache_control": cache_control})
