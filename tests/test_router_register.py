"""POST /auth/register (contract §4)."""

from __future__ import annotations

import pytest

from .conftest import PASSWORD, assert_error, bearer, raw_user


async def test_register_signs_in_a_new_member_on_the_free_plan(serve):
    served = await serve()
    response = await served.client.post(
        "/auth/register", json={"username": "Alice", "password": PASSWORD, "name": "Alice A."}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in", "user"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    user = body["user"]
    assert set(user) == {
        "id",
        "firebase_uid",
        "username",
        "email",
        "name",
        "avatar",
        "phone",
        "date_of_birth",
        "address",
        "provider",
        "app_id",
        "role",
        "plan",
        "joined_at",
    }
    assert (user["username"], user["name"], user["provider"]) == ("alice", "Alice A.", "username")
    assert (user["app_id"], user["role"], user["plan"]) == ("app1", "member", "free")
    assert user["email"] is None and user["firebase_uid"] is None
    me = await served.client.get("/whoami", headers=bearer(body["access_token"]))
    assert me.json()["sub"] == "alice"


async def test_usernames_are_unique_case_insensitively(serve):
    served = await serve()
    await served.register_user("Alice")
    response = await served.client.post(
        "/auth/register", json={"username": "aLiCe", "password": PASSWORD}
    )
    assert_error(response, 409, "USERNAME_TAKEN")


@pytest.mark.parametrize("username", ["ab", "a" * 33, "has space", "semi;colon", "ünï", "a@b"])
async def test_malformed_usernames_are_422(serve, username):
    served = await serve()
    response = await served.client.post(
        "/auth/register", json={"username": username, "password": PASSWORD}
    )
    assert_error(response, 422, "VALIDATION_ERROR")


@pytest.mark.parametrize("username", ["abc", "a.b_c-d", "X" * 32, "007"])
async def test_wellformed_usernames_are_accepted(serve, username):
    served = await serve()
    await served.register_user(username)


async def test_password_shorter_than_the_minimum_is_422(serve):
    served = await serve(password_min_length=12)
    response = await served.client.post(
        "/auth/register", json={"username": "bob", "password": "elevenchars"}
    )
    body = assert_error(response, 422, "VALIDATION_ERROR")
    assert "12" in body["message"]
    assert "elevenchars" not in response.text


async def test_password_over_the_upper_bound_is_422_not_500(serve):
    served = await serve()
    response = await served.client.post(
        "/auth/register", json={"username": "bob", "password": "x" * 1025}
    )
    assert_error(response, 422, "VALIDATION_ERROR")


async def test_register_refused_when_native_method_is_not_allowed(serve):
    served = await serve(methods=("google",), firebase_project_id="demo-trachea")
    response = await served.client.post(
        "/auth/register", json={"username": "bob", "password": PASSWORD}
    )
    assert_error(response, 403, "AUTH_METHOD_NOT_ALLOWED")


async def test_register_stores_only_a_hash_of_the_password(serve):
    served = await serve()
    await served.register_user("carol", PASSWORD)
    doc = await raw_user(served, username="carol")
    assert PASSWORD not in str(doc)
    assert doc["password_hash"].startswith("$bcrypt-sha256$")
    # Fields the user did not give are absent, not null (sparse unique indexes).
    assert "email" not in doc and "firebase_uid" not in doc


async def test_usernames_are_normalised_before_they_are_checked_and_stored(serve):
    """NFKC and case folding (contract §4): full-width letters are the same username."""
    served = await serve()
    body = await served.register_user("ＡＬＩＣＥ")
    assert body["user"]["username"] == "alice"
    assert (await raw_user(served, username="alice")) is not None
    for spelling in ("alice", "Ａlice", "ALICE"):
        response = await served.client.post(
            "/auth/register", json={"username": spelling, "password": PASSWORD}
        )
        assert_error(response, 409, "USERNAME_TAKEN")
    assert (await served.login("ａｌｉｃｅ")).status_code == 200


async def test_a_username_with_a_trailing_newline_is_422(serve):
    served = await serve()
    response = await served.client.post(
        "/auth/register", json={"username": "alice\n", "password": PASSWORD}
    )
    assert_error(response, 422, "VALIDATION_ERROR")
