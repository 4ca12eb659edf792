"""GET/PATCH/DELETE /users/me and PATCH /users/me/plan."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ..deps import BoundDependencies
from ..errors import ErrorCode as E
from ..service import AuthService
from ..tokens import CurrentUser
from ._client import Network, client_context
from ._openapi import error_responses
from .auth import APP_ERRORS, AppIdHeader
from .schemas import MessageResponse, PlanChangeRequest, ProfileUpdate, UserResponse

TOKEN_ERRORS = (*APP_ERRORS, E.INVALID_TOKEN, E.TOKEN_EXPIRED)


def build_user_routes(
    router: APIRouter,
    service: AuthService,
    dependencies: BoundDependencies,
    proxies: tuple[Network, ...],
) -> None:
    current_user = dependencies.current_user

    def user_response(doc: dict, user: CurrentUser) -> UserResponse:
        return UserResponse.from_document(doc, app_id=service.app_id, provider=user.provider)

    @router.get(
        "/users/me",
        response_model=UserResponse,
        tags=["users"],
        summary="The signed-in user's profile in this app",
        responses=error_responses(*TOKEN_ERRORS),
    )
    async def read_me(
        user: CurrentUser = Depends(current_user), x_app_id: AppIdHeader = None
    ) -> UserResponse:
        await service.check_app(x_app_id)
        return user_response(await service.profile(user), user)

    @router.patch(
        "/users/me",
        response_model=UserResponse,
        tags=["users"],
        summary="Edit name, avatar, phone, date_of_birth or address (null clears a field)",
        responses=error_responses(*TOKEN_ERRORS),
    )
    async def update_me(
        body: ProfileUpdate,
        user: CurrentUser = Depends(current_user),
        x_app_id: AppIdHeader = None,
    ) -> UserResponse:
        await service.check_app(body.app_id or x_app_id)
        to_set, to_unset = body.changes()
        return user_response(await service.update_profile(user, to_set, to_unset), user)

    @router.delete(
        "/users/me",
        response_model=MessageResponse,
        tags=["users"],
        summary="Deactivate the account: no more logins or refreshes, all sessions revoked",
        responses=error_responses(*TOKEN_ERRORS),
    )
    async def deactivate_me(
        request: Request,
        user: CurrentUser = Depends(current_user),
        x_app_id: AppIdHeader = None,
    ) -> MessageResponse:
        await service.check_app(x_app_id)
        await service.deactivate(user, client_context(request, proxies))
        return MessageResponse(message="Account deactivated successfully")

    @router.patch(
        "/users/me/plan",
        response_model=UserResponse,
        tags=["users"],
        summary="Change the user's plan in this app (subject to the app's plan policy)",
        responses=error_responses(
            *TOKEN_ERRORS, E.EMAIL_REQUIRED_FOR_PAID, E.EMAIL_TAKEN, E.PLAN_CHANGE_NOT_ALLOWED
        ),
    )
    async def change_plan(
        body: PlanChangeRequest,
        request: Request,
        user: CurrentUser = Depends(current_user),
        x_app_id: AppIdHeader = None,
    ) -> UserResponse:
        await service.check_app(body.app_id or x_app_id)
        doc = await service.change_plan(
            user,
            plan=body.plan,
            email=body.email,
            proof=body.proof,
            client=client_context(request, proxies),
        )
        return user_response(doc, user)
