"""GET/PATCH/DELETE /auth/users/me (contract §4)."""

from __future__ import annotations

import pytest

from .conftest import assert_error, bearer, raw_user


async def test_read_me_returns_the_user_response(serve):
    served = await serve()
    tokens = await served.register_user("alice", name="Alice")
    response = await served.client.get("/auth/users/me", headers=bearer(tokens["access_token"]))
    assert response.status_code == 200
    assert response.json() == tokens["user"]


async def test_read_me_without_token_is_401_with_www_authenticate(serve):
    served = await serve()
    assert_error(await served.client.get("/auth/users/me"), 401, "INVALID_TOKEN")


async def test_patch_me_sets_and_clears_profile_fields(serve):
    served = await serve()
    tokens = await served.register_user("alice", name="Alice")
    auth = bearer(tokens["access_token"])
    update = {
        "name": "Alice Liddell",
        "avatar": "https://example.com/a.png",
        "phone": "+14155550123",
        "date_of_birth": "1990-05-17",
        "address": {"street": "1 Main St", "city": "Springfield", "country": "US", "zip": "12345"},
    }
    response = await served.client.patch("/auth/users/me", json=update, headers=auth)
    assert response.status_code == 200, response.text
    user = response.json()
    assert user["name"] == "Alice Liddell" and user["phone"] == "+14155550123"
    assert user["date_of_birth"] == "1990-05-17"
    assert user["address"] == {
        "street": "1 Main St",
        "city": "Springfield",
        "state": None,
        "country": "US",
        "zip": "12345",
    }
    cleared = await served.client.patch("/auth/users/me", json={"phone": None}, headers=auth)
    assert cleared.json()["phone"] is None and cleared.json()["name"] == "Alice Liddell"
    doc = await raw_user(served, username="alice")
    assert "phone" not in doc  # cleared fields are absent, not null


@pytest.mark.parametrize(
    "field,value",
    [
        ("role", "admin"),
        ("plan", "enterprise"),
        ("apps", [{"app_id": "app1", "role": "admin", "plan": "pro"}]),
        ("is_active", True),
        ("email", "x@example.com"),
        ("username", "mallory"),
        ("firebase_uid", "abc"),
        ("password_hash", "x"),
    ],
)
async def test_patch_me_refuses_privileged_fields_and_changes_nothing(serve, field, value):
    served = await serve()
    tokens = await served.register_user("alice", name="Alice")
    before = await raw_user(served, username="alice")
    response = await served.client.patch(
        "/auth/users/me",
        json={"name": "Changed", field: value},
        headers=bearer(tokens["access_token"]),
    )
    assert_error(response, 422, "VALIDATION_ERROR")
    after = await raw_user(served, username="alice")
    assert after == before


@pytest.mark.parametrize(
    "update",
    [
        {"phone": "0123 456"},
        {"phone": "+0123456"},
        {"date_of_birth": "2999-01-01"},
        {"date_of_birth": "yesterday"},
        {"avatar": "javascript:alert(1)"},
        {"address": {"planet": "Mars"}},
        {"name": ""},
        {},
    ],
    ids=[
        "phone-spaces",
        "phone-leading-zero",
        "dob-future",
        "dob-text",
        "avatar-js",
        "address-extra",
        "name-empty",
        "empty",
    ],
)
async def test_patch_me_validates_values(serve, update):
    served = await serve()
    tokens = await served.register_user()
    response = await served.client.patch(
        "/auth/users/me", json=update, headers=bearer(tokens["access_token"])
    )
    assert_error(response, 422, "VALIDATION_ERROR")


async def test_delete_me_deactivates_and_revokes_every_session(serve):
    served = await serve()
    tokens = await served.register_user()
    response = await served.client.delete("/auth/users/me", headers=bearer(tokens["access_token"]))
    assert response.status_code == 200
    doc = await raw_user(served, username="alice")
    assert doc["is_active"] is False
    collection = served.trachea.store.refresh_tokens.collection
    assert await collection.count_documents({"status": "active"}) == 0
    assert_error(await served.login(), 403, "USER_INACTIVE")
    # The (stateless) access token can no longer read a deactivated profile.
    me = await served.client.get("/auth/users/me", headers=bearer(tokens["access_token"]))
    assert_error(me, 401, "INVALID_TOKEN")


async def test_a_disabled_app_stops_its_signed_in_users_too(serve):
    served = await serve()
    tokens = await served.register_user()
    await served.trachea.store.apps.update("app1", is_active=False)
    served.let_app_cache_expire()
    auth = bearer(tokens["access_token"])
    assert_error(await served.client.get("/auth/users/me", headers=auth), 403, "APP_INACTIVE")
    assert_error(
        await served.client.patch("/auth/users/me", json={"name": "x"}, headers=auth),
        403,
        "APP_INACTIVE",
    )
    assert_error(await served.client.delete("/auth/users/me", headers=auth), 403, "APP_INACTIVE")
    assert_error(await served.client.post("/auth/logout", headers=auth), 403, "APP_INACTIVE")
