"""CORS for browser clients: echo only the origins the app's ``allowed_domains`` allow.

    app.add_middleware(TracheaCORSMiddleware, trachea=trachea)

Starlette's ``CORSMiddleware`` does the protocol; we only decide which origins pass, from the
app record read through the instance's app cache (the one the routes use, at most 5 s old), so
an operator's ``trachea-login apps set-domains`` takes effect within seconds in every worker,
preflights included. An app with no ``allowed_domains`` allows no cross-origin browser calls
through this middleware.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from .origins import origin_allowed

if TYPE_CHECKING:
    from .trachea import TracheaLogin


class TracheaCORSMiddleware(CORSMiddleware):
    def __init__(
        self,
        app: ASGIApp,
        *,
        trachea: TracheaLogin,
        allow_methods: Sequence[str] = ("GET", "POST", "PATCH", "DELETE"),
        allow_headers: Sequence[str] = ("Authorization", "Content-Type", "X-App-Id"),
        allow_credentials: bool = False,
        max_age: int = 600,
    ) -> None:
        super().__init__(
            app,
            allow_origins=(),
            allow_methods=allow_methods,
            allow_headers=allow_headers,
            allow_credentials=allow_credentials,
            max_age=max_age,
        )
        self._cache = trachea.service.app_record

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "origin" in Headers(scope=scope):
            # Bring the cached record up to date (a read at most every few seconds) before
            # Starlette asks is_allowed_origin, which cannot wait for I/O.
            await self._cache.get()
        await super().__call__(scope, receive, send)

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        response.headers["X-Content-Type-Options"] = "nosniff"  # like every answer of ours
        return response

    def is_allowed_origin(self, origin: str) -> bool:
        record = self._cache.peek()
        return bool(record and record.allowed_domains and origin_allowed(origin, record))
