"""NoSQL injection and mass assignment: operator objects where strings belong are 422, models
forbid unknown fields, and nothing a client sends reaches a query as an operator (ASVS V1)."""

from __future__ import annotations

import pytest

from ..conftest import PASSWORD, assert_error, bearer, raw_user


@pytest.mark.parametrize(
    "path,body",
    [
        ("/auth/login", {"username": {"$ne": None}, "password": PASSWORD}),
        ("/auth/login", {"username": "alice", "password": {"$gt": ""}}),
        ("/auth/login", {"email": {"$regex": ".*"}, "password": PASSWORD}),
        ("/auth/login", {"username": "alice", "password": PASSWORD, "app_id": {"$ne": ""}}),
        ("/auth/login", {"firebase_token": {"$exists": True}}),
        ("/auth/login", {"username": ["alice"], "password": PASSWORD}),
        ("/auth/login", {"username": 12345, "password": PASSWORD}),
        ("/auth/refresh", {"refresh_token": {"$gt": ""}}),
        ("/auth/refresh", {"refresh_token": {"$ne": None}, "app_id": "app1"}),
        ("/auth/register", {"username": {"$ne": None}, "password": PASSWORD}),
        ("/auth/register", {"username": "eve", "password": PASSWORD, "app_id": {"$ne": ""}}),
    ],
)
async def test_operator_objects_where_strings_belong_are_422(serve, path, body):
    served = await serve()
    await served.register_user("alice")
    assert_error(await served.client.post(path, json=body), 422, "VALIDATION_ERROR")


async def test_an_injected_refresh_token_never_matches_a_stored_one(serve):
    served = await serve()
    tokens = await served.register_user("alice")
    for value in ('{"$gt": ""}', ".*", "*"):
        response = await served.client.post("/auth/refresh", json={"refresh_token": value})
        assert_error(response, 401, "REFRESH_TOKEN_INVALID")
    assert (
        await served.client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    ).status_code == 200


@pytest.mark.parametrize(
    "field,value",
    [
        ("role", "admin"),
        ("plan", "enterprise"),
        ("is_active", True),
        ("apps", []),
        ("firebase_uid", "x"),
        ("email_verified", True),
        ("_id", "64b000000000000000000001"),
    ],
)
async def test_registration_forbids_privileged_fields(serve, field, value):
    served = await serve()
    body = {"username": "eve", "password": PASSWORD, field: value}
    assert_error(await served.client.post("/auth/register", json=body), 422, "VALIDATION_ERROR")
    assert await raw_user(served, username="eve") is None


async def test_profile_update_with_operators_or_privileged_fields_changes_nothing(serve):
    served = await serve()
    tokens = await served.register_user("alice")
    before = await raw_user(served, username="alice")
    for body in (
        {"name": {"$set": {"apps.0.role": "admin"}}},
        {"address": {"city": {"$ne": None}}},
        {"name": "x", "$set": {"role": "admin"}},
        {"name": "x", "apps.0.role": "admin"},
    ):
        response = await served.client.patch(
            "/auth/users/me", json=body, headers=bearer(tokens["access_token"])
        )
        assert_error(response, 422, "VALIDATION_ERROR")
    assert await raw_user(served, username="alice") == before
