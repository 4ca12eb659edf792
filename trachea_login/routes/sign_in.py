"""``POST /register`` and ``POST /login``: native and Firebase sign-in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Request

from ..errors import ErrorCode as E
from ..services import SignIn
from .client_ip import client_context
from .openapi import LOGIN_EXAMPLES, REGISTER_EXAMPLES, error_responses
from .parts import APP_ERRORS, AppIdHeader, RouterParts
from .requests import LoginRequest, RegisterRequest
from .responses import LoginResponse, UserResponse


def login_response(result: SignIn, app_id: str) -> LoginResponse:
    return LoginResponse(
        access_token=result.tokens.access_token,
        refresh_token=result.tokens.refresh_token,
        expires_in=result.tokens.expires_in,
        user=UserResponse.from_record(result.user, app_id=app_id, provider=result.provider),
    )


def build_sign_in_router(parts: RouterParts) -> APIRouter:
    router = parts.router()
    service = parts.service

    @router.post(
        "/register",
        name=parts.name("register"),
        response_model=LoginResponse,
        tags=["auth"],
        summary="Create a native (username + password) account and sign in",
        responses=error_responses(
            *APP_ERRORS,
            E.AUTH_METHOD_NOT_ALLOWED,
            E.USERNAME_TAKEN,
            E.ORIGIN_NOT_ALLOWED,
            E.TOO_MANY_ATTEMPTS,
        ),
    )
    async def register(
        body: Annotated[RegisterRequest, Body(openapi_examples=REGISTER_EXAMPLES)],
        request: Request,
        x_app_id: AppIdHeader = None,
    ) -> LoginResponse:
        await service.apps.check_requested(body.app_id or x_app_id)
        result = await service.native.register(
            username=body.username,
            password=body.password,
            name=body.name,
            client=client_context(request, parts.proxies),
        )
        return login_response(result, service.app_id)

    @router.post(
        "/login",
        name=parts.name("login"),
        response_model=LoginResponse,
        tags=["auth"],
        summary="Sign in with a Firebase ID token, or a username/email and password",
        responses=error_responses(
            *APP_ERRORS,
            E.AUTH_METHOD_NOT_ALLOWED,
            E.INVALID_CREDENTIALS,
            E.INVALID_FIREBASE_TOKEN,
            E.USER_INACTIVE,
            E.TOO_MANY_ATTEMPTS,
            E.AUTH_PROVIDER_UNAVAILABLE,
            E.ORIGIN_NOT_ALLOWED,
        ),
    )
    async def login(
        body: Annotated[LoginRequest, Body(openapi_examples=LOGIN_EXAMPLES)],
        request: Request,
        x_app_id: AppIdHeader = None,
    ) -> LoginResponse:
        await service.apps.check_requested(body.app_id or x_app_id)
        client = client_context(request, parts.proxies)
        if body.firebase_token is not None:
            result = await service.firebase.login(firebase_token=body.firebase_token, client=client)
        else:
            assert body.password is not None  # the model guarantees it
            result = await service.native.login(
                identifier=body.email or body.username or "",
                password=body.password,
                by_email=body.email is not None,
                client=client,
            )
        return login_response(result, service.app_id)

    return router
