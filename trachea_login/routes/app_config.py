"""``GET /config``: what a client needs to draw its sign-in screen (contract §4).

Mobile and web clients read which sign-in buttons to show (``allowed_auth_methods``, in the
operator's order) and the password rule, instead of hard-coding them. No authentication; the
answer comes from the app record cache (at most 5 s old), so an operator's ``apps
set-methods`` reaches every client within seconds of its next read.
"""

from __future__ import annotations

from fastapi import APIRouter

from ..errors import ErrorCode as E
from .openapi import error_responses
from .parts import AppIdHeader, RouterParts
from .responses import AppConfigResponse


def build_app_config_router(parts: RouterParts) -> APIRouter:
    router = parts.router()
    screen = parts.service.sign_in_screen

    @router.get(
        "/config",
        name=parts.name("config"),
        response_model=AppConfigResponse,
        tags=["auth"],
        summary="This app's sign-in methods and password rule, for drawing a sign-in screen",
        responses=error_responses(E.APP_NOT_FOUND, E.APP_MISMATCH, E.APP_INACTIVE),
    )
    async def config(x_app_id: AppIdHeader = None) -> AppConfigResponse:
        options = await screen.read(x_app_id)
        return AppConfigResponse(
            app_id=options.app_id,
            name=options.name,
            allowed_auth_methods=list(options.allowed_auth_methods),
            password_min_length=options.password_min_length,
        )

    return router
