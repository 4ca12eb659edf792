"""``GET``/``PATCH``/``DELETE /users/me`` and ``PATCH /users/me/plan``: the signed-in user."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request

from ..errors import ErrorCode as E
from ..records import UserRecord
from ..tokens import CurrentUser
from .client_ip import client_context
from .openapi import PLAN_EXAMPLES, PROFILE_EXAMPLES, error_responses
from .parts import TOKEN_ERRORS, AppIdHeader, RouterParts
from .requests import PlanChangeRequest, ProfileUpdate
from .responses import MessageResponse, UserResponse


def build_user_router(parts: RouterParts) -> APIRouter:
    router = parts.router()
    service = parts.service
    current_user = parts.dependencies.current_user

    def user_response(record: UserRecord, user: CurrentUser) -> UserResponse:
        return UserResponse.from_record(record, app_id=service.app_id, provider=user.provider)

    @router.get(
        "/users/me",
        name=parts.name("read_me"),
        response_model=UserResponse,
        tags=["users"],
        summary="The signed-in user's profile in this app",
        responses=error_responses(*TOKEN_ERRORS),
    )
    async def read_me(
        user: CurrentUser = Depends(current_user), x_app_id: AppIdHeader = None
    ) -> UserResponse:
        await service.apps.for_signed_in_user(x_app_id)
        return user_response(await service.profile.read(user), user)

    @router.patch(
        "/users/me",
        name=parts.name("update_me"),
        response_model=UserResponse,
        tags=["users"],
        summary="Edit name, avatar, phone, date_of_birth or address (null clears a field)",
        responses=error_responses(*TOKEN_ERRORS),
    )
    async def update_me(
        request: Request,
        body: Annotated[ProfileUpdate, Body(openapi_examples=PROFILE_EXAMPLES)],
        user: CurrentUser = Depends(current_user),
        x_app_id: AppIdHeader = None,
    ) -> UserResponse:
        await service.apps.for_signed_in_user(body.app_id or x_app_id)
        to_set, to_unset = body.changes()
        client = client_context(request, parts.proxies)
        return user_response(await service.profile.update(user, to_set, to_unset, client), user)

    @router.delete(
        "/users/me",
        name=parts.name("deactivate_me"),
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
        await service.apps.for_signed_in_user(x_app_id)
        await service.lifecycle.deactivate(user, client_context(request, parts.proxies))
        return MessageResponse(message="Account deactivated successfully")

    @router.patch(
        "/users/me/plan",
        name=parts.name("change_plan"),
        response_model=UserResponse,
        tags=["users"],
        summary="Change the user's plan in this app (subject to the app's plan policy)",
        responses=error_responses(
            *TOKEN_ERRORS, E.EMAIL_REQUIRED_FOR_PAID, E.EMAIL_TAKEN, E.PLAN_CHANGE_NOT_ALLOWED
        ),
    )
    async def change_plan(
        body: Annotated[PlanChangeRequest, Body(openapi_examples=PLAN_EXAMPLES)],
        request: Request,
        user: CurrentUser = Depends(current_user),
        x_app_id: AppIdHeader = None,
    ) -> UserResponse:
        await service.apps.for_signed_in_user(body.app_id or x_app_id)
        record = await service.plans.change(
            user,
            plan=body.plan,
            email=body.email,
            proof=body.proof,
            client=client_context(request, parts.proxies),
        )
        return user_response(record, user)

    return router
