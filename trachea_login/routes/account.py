"""``POST /users/me/password`` and ``POST /users/me/erase``: the signed-in person's account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request

from ..errors import ErrorCode as E
from ..tokens import CurrentUser
from .client_ip import client_context
from .openapi import ERASE_EXAMPLES, PASSWORD_EXAMPLES, error_responses
from .parts import TOKEN_ERRORS, AppIdHeader, RouterParts
from .requests import EraseRequest, PasswordChangeRequest
from .responses import MessageResponse


def build_account_router(parts: RouterParts) -> APIRouter:
    router = parts.router()
    service = parts.service
    current_user = parts.dependencies.current_user

    @router.post(
        "/users/me/password",
        name=parts.name("change_password"),
        response_model=MessageResponse,
        tags=["users"],
        summary="Change the password (native accounts); every other session of the person ends",
        responses=error_responses(
            *TOKEN_ERRORS, E.INVALID_CREDENTIALS, E.AUTH_METHOD_NOT_ALLOWED, E.TOO_MANY_ATTEMPTS
        ),
    )
    async def change_password(
        body: Annotated[PasswordChangeRequest, Body(openapi_examples=PASSWORD_EXAMPLES)],
        request: Request,
        user: CurrentUser = Depends(current_user),
        x_app_id: AppIdHeader = None,
    ) -> MessageResponse:
        await service.apps.for_signed_in_user(body.app_id or x_app_id)
        await service.passwords.change(
            user,
            current_password=body.current_password,
            new_password=body.new_password,
            client=client_context(request, parts.proxies),
        )
        return MessageResponse(message="Password changed; your other sessions have ended")

    @router.post(
        "/users/me/erase",
        name=parts.name("erase_me"),
        response_model=MessageResponse,
        tags=["users"],
        summary="Erase the person's data (needs a recent sign-in); every session ends",
        responses=error_responses(*TOKEN_ERRORS, E.REAUTHENTICATION_REQUIRED),
    )
    async def erase_me(
        body: Annotated[EraseRequest, Body(openapi_examples=ERASE_EXAMPLES)],
        request: Request,
        user: CurrentUser = Depends(current_user),
        x_app_id: AppIdHeader = None,
    ) -> MessageResponse:
        await service.apps.for_signed_in_user(body.app_id or x_app_id)
        await service.lifecycle.erase(user, client_context(request, parts.proxies))
        return MessageResponse(message="Your account and its data have been erased")

    return router
