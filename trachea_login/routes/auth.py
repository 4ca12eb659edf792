"""POST /register, /login, /refresh, /logout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request

from ..deps import BoundDependencies
from ..errors import ErrorCode as E
from ..service import AuthService, SignIn
from ..tokens import CurrentUser
from ._client import Network, client_context
from ._openapi import error_responses
from .schemas import (
    LoginRequest,
    LoginResponse,
    MessageResponse,
    RefreshRequest,
    RegisterRequest,
    TokenResponse,
    UserResponse,
)

AppIdHeader = Annotated[
    str | None,
    Header(alias="X-App-Id", max_length=64, description="Optional: must name this app."),
]

APP_ERRORS = (E.APP_NOT_FOUND, E.APP_MISMATCH, E.APP_INACTIVE, E.PAYLOAD_TOO_LARGE)


def login_response(result: SignIn, app_id: str) -> LoginResponse:
    return LoginResponse(
        access_token=result.tokens.access_token,
        refresh_token=result.tokens.refresh_token,
        expires_in=result.tokens.expires_in,
        user=UserResponse.from_document(result.user, app_id=app_id, provider=result.provider),
    )


def build_auth_routes(
    router: APIRouter,
    service: AuthService,
    dependencies: BoundDependencies,
    proxies: tuple[Network, ...],
) -> None:
    @router.post(
        "/register",
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
        body: RegisterRequest, request: Request, x_app_id: AppIdHeader = None
    ) -> LoginResponse:
        await service.check_requested_app(body.app_id or x_app_id)
        result = await service.register(
            username=body.username,
            password=body.password,
            name=body.name,
            client=client_context(request, proxies),
        )
        return login_response(result, service.app_id)

    @router.post(
        "/login",
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
        body: LoginRequest, request: Request, x_app_id: AppIdHeader = None
    ) -> LoginResponse:
        await service.check_requested_app(body.app_id or x_app_id)
        client = client_context(request, proxies)
        if body.firebase_token is not None:
            result = await service.login_with_firebase(
                firebase_token=body.firebase_token, client=client
            )
        else:
            assert body.password is not None  # the model guarantees it
            result = await service.login_with_password(
                identifier=body.email or body.username or "",
                password=body.password,
                by_email=body.email is not None,
                client=client,
            )
        return login_response(result, service.app_id)

    @router.post(
        "/refresh",
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
        body: RefreshRequest, request: Request, x_app_id: AppIdHeader = None
    ) -> TokenResponse:
        await service.check_requested_app(body.app_id or x_app_id)
        issued = await service.refresh(
            refresh_token=body.refresh_token, client=client_context(request, proxies)
        )
        return TokenResponse(
            access_token=issued.access_token,
            refresh_token=issued.refresh_token,
            expires_in=issued.expires_in,
        )

    @router.post(
        "/logout",
        response_model=MessageResponse,
        tags=["auth"],
        summary="Sign out: revoke every refresh token of this user in this app",
        responses=error_responses(*APP_ERRORS, E.INVALID_TOKEN, E.TOKEN_EXPIRED),
    )
    async def logout(
        request: Request,
        user: CurrentUser = Depends(dependencies.current_user),
        x_app_id: AppIdHeader = None,
    ) -> MessageResponse:
        await service.check_app(x_app_id)
        await service.logout(user, client_context(request, proxies))
        return MessageResponse(message="Successfully logged out")
