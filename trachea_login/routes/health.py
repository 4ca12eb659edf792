"""GET /health: for load balancers and uptime checks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from .._version import __version__
from ..errors import ErrorCode as E
from .openapi import error_responses
from .parts import RouterParts


class HealthResponse(BaseModel):
    status: str
    app_id: str
    database: str
    app_active: bool
    auth_methods: list[str]
    firebase: str
    version: str


def build_health_router(parts: RouterParts) -> APIRouter:
    router = parts.router()
    health_check = parts.service.health

    @router.get(
        "/health",
        name=parts.name("health"),
        response_model=HealthResponse,
        tags=["health"],
        summary="200 when the database answers and this app is registered and active",
        responses=error_responses(E.SERVICE_UNAVAILABLE),
    )
    async def health() -> dict[str, Any]:
        return {**await health_check.check(), "version": __version__}

    return router
