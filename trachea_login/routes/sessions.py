"""``POST /refresh``, ``POST /logout``, ``GET /sessions``, ``DELETE /sessions/{id}``: continuing,
listing and ending sessions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request

from ..errors import ErrorCode as E
from ..tokens import CurrentUser
from .client_ip import client_context
from .openapi import REFRESH_EXAMPLES, error_responses
from .parts import APP_ERRORS, AppIdHeader, RouterParts
from .requests import RefreshRequest
from .responses import MessageResponse, SessionResponse, SessionsResponse, TokenResponse


def build_session_router(parts: RouterParts) -> APIRouter:
    router = parts.router()
    service = parts.service

    @router.post(
        "/refresh",
        name=parts.name("refresh"),
        response_model=TokenResponse,
        tags=["auth"],
        summary="Exchange a refresh token for new tokens (the old one stops working)",
        responses=error_responses(
            *APP_ERRORS,
            E.REFRESH_TOKEN_INVALID,
            E.REFRESH_TOKEN_REUSE,
            E.ORIGIN_NOT_ALLOWED,
            E.AUTH_METHOD_NOT_ALLOWED,
        ),
    )
    async def refresh(
        body: Annotated[RefreshRequest, Body(openapi_examples=REFRESH_EXAMPLES)],
        request: Request,
        x_app_id: AppIdHeader = None,
    ) -> TokenResponse:
        await service.apps.check_requested(body.app_id or x_app_id)
        issued = await service.refresh.refresh(
            body.refresh_token, client_context(request, parts.proxies)
        )
        return TokenResponse(
            access_token=issued.access_token,
            refresh_token=issued.refresh_token,
            expires_in=issued.expires_in,
        )

    @router.post(
        "/logout",
        name=parts.name("logout"),
        response_model=MessageResponse,
        tags=["auth"],
        summary="Sign out: revoke every refresh token of this user in this app",
        responses=error_responses(*APP_ERRORS, E.INVALID_TOKEN, E.TOKEN_EXPIRED),
    )
    async def logout(
        request: Request,
        user: CurrentUser = Depends(parts.dependencies.current_user),
        x_app_id: AppIdHeader = None,
    ) -> MessageResponse:
        await service.apps.for_signed_in_user(x_app_id)
        await service.sessions.logout(user, client_context(request, parts.proxies))
        return MessageResponse(message="Successfully logged out")

    @router.get(
        "/sessions",
        name=parts.name("list_sessions"),
        response_model=SessionsResponse,
        tags=["sessions"],
        summary="The caller's live sessions in this app (their devices), newest first",
        responses=error_responses(*APP_ERRORS, E.INVALID_TOKEN, E.TOKEN_EXPIRED),
    )
    async def list_sessions(
        user: CurrentUser = Depends(parts.dependencies.current_user),
        x_app_id: AppIdHeader = None,
    ) -> SessionsResponse:
        await service.apps.for_signed_in_user(x_app_id)
        views = await service.sessions.list_live(user)
        return SessionsResponse(sessions=[SessionResponse.from_view(view) for view in views])

    @router.delete(
        "/sessions/{session_id}",
        name=parts.name("end_session"),
        response_model=MessageResponse,
        tags=["sessions"],
        summary="End one of the caller's sessions (the current one too: a logout of that device)",
        responses=error_responses(
            *APP_ERRORS, E.INVALID_TOKEN, E.TOKEN_EXPIRED, E.SESSION_NOT_FOUND
        ),
    )
    async def end_session(
        session_id: str,
        request: Request,
        user: CurrentUser = Depends(parts.dependencies.current_user),
        x_app_id: AppIdHeader = None,
    ) -> MessageResponse:
        await service.apps.for_signed_in_user(x_app_id)
        await service.sessions.end_one(user, session_id, client_context(request, parts.proxies))
        return MessageResponse(message="Session ended")

    return router
