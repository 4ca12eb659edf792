"""CORS for browser clients: echo only the origins the app's ``allowed_domains`` allow.

    app.add_middleware(TracheaCORSMiddleware, trachea=trachea)

Starlette's ``CORSMiddleware`` does the protocol; we only decide which origins pass, from the
app document (read at startup and refreshed by every sign-in request), so an operator's
``trachea-login apps set-domains`` takes effect without a restart. An app with no
``allowed_domains`` allows no cross-origin browser calls through this middleware.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

from .service import origin_allowed

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
        self._trachea = trachea

    def is_allowed_origin(self, origin: str) -> bool:
        record = self._trachea.service.app_record
        return bool(record and record.allowed_domains and origin_allowed(origin, record))
