"""The route class of our router: every error leaves in the §5 shape, with only include_router.

A product app that mounts our router with ``include_router`` and adds nothing else still gets
our error bodies, because the conversion happens inside each route, not in app-level exception
handlers. The same class enforces the request-body size limit while the body streams in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pymongo.errors import ConnectionFailure, PyMongoError

from ..errors import (
    ErrorCode,
    TracheaError,
    error_response,
    validation_error_response,
)

logger = logging.getLogger("trachea_login")

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class BodyLimitedRequest(Request):
    """A request whose body may not exceed ``limit`` bytes.

    A declared ``Content-Length`` over the limit is refused before reading anything; a chunked
    body is refused as soon as the bytes received pass the limit, so an oversized body is never
    held in memory whole.
    """

    def __init__(self, scope: Any, receive: Any, limit: int) -> None:
        super().__init__(scope, receive)
        self._limit = limit

    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            declared = self.headers.get("content-length")
            if declared is not None:
                try:
                    if int(declared) > self._limit:
                        raise TracheaError(ErrorCode.PAYLOAD_TOO_LARGE)
                except ValueError:
                    raise TracheaError(
                        ErrorCode.VALIDATION_ERROR, "Invalid Content-Length"
                    ) from None
            chunks: list[bytes] = []
            size = 0
            async for chunk in self.stream():
                size += len(chunk)
                if size > self._limit:
                    raise TracheaError(ErrorCode.PAYLOAD_TOO_LARGE)
                chunks.append(chunk)
            self._body = b"".join(chunks)
        return self._body


def make_route_class(max_body_bytes: int) -> type[APIRoute]:
    """A route class bound to one instance's body limit (no module-level state)."""

    class TracheaRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def guarded(request: Request) -> Response:
                limited = BodyLimitedRequest(request.scope, request.receive, max_body_bytes)
                try:
                    response = await handler(limited)
                except TracheaError as exc:
                    response = error_response(exc)
                except RequestValidationError as exc:
                    response = validation_error_response(exc)
                except HTTPException as exc:
                    # FastAPI's own (e.g. an unparseable body): same shape, no detail echoed.
                    code = (
                        ErrorCode.PAYLOAD_TOO_LARGE
                        if exc.status_code == 413
                        else (ErrorCode.VALIDATION_ERROR)
                    )
                    response = error_response(TracheaError(code))
                except ConnectionFailure:
                    logger.exception("MongoDB unreachable")
                    response = error_response(TracheaError(ErrorCode.SERVICE_UNAVAILABLE))
                except PyMongoError:
                    logger.exception("MongoDB error")
                    response = error_response(TracheaError(ErrorCode.SERVICE_UNAVAILABLE))
                except Exception:
                    logger.exception("unhandled error in %s %s", request.method, self.path)
                    response = error_response(TracheaError(ErrorCode.INTERNAL_ERROR))
                # Auth responses (tokens, profiles, errors) are never cached (RFC 6749 §5.1).
                response.headers.update(NO_STORE)
                return response

            return guarded

    return TracheaRoute
