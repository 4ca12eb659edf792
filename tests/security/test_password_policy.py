"""Password rules (NIST SP 800-63B §3.1.1.2): length bounds, any Unicode, no composition
rules, every character significant, no username and no common passwords."""

from __future__ import annotations

import pytest

from ..conftest import assert_error


async def register(served, username, password):
    return await served.client.post(
        "/auth/register", json={"username": username, "password": password}
    )


async def test_128_characters_and_any_unicode_are_accepted(serve):
    served = await serve()
    assert (await register(served, "long", "Ω" * 128)).status_code == 200
    assert (await register(served, "emoji", "🦊🔑 sœur ünïcode 密码")).status_code == 200
    assert (await register(served, "plain", "alllowercaseletters")).status_code == 200


async def test_the_upper_bound_is_a_422_not_a_500(serve):
    served = await serve()
    assert (await register(served, "edge", "e" * 1024)).status_code == 200
    assert_error(await register(served, "over", "e" * 1025), 422, "VALIDATION_ERROR")


@pytest.mark.parametrize("password", ["mallory123", "xxMALLORYxx", "Mallory"])
async def test_a_password_containing_the_username_is_refused(serve, password):
    served = await serve(password_min_length=6)
    body = assert_error(await register(served, "mallory", password), 422, "VALIDATION_ERROR")
    assert "username" in body["message"] and password not in body["message"]


@pytest.mark.parametrize("password", ["password123", "Qwerty123", "iloveyou1", "12345678"])
async def test_common_passwords_are_refused(serve, password):
    served = await serve()
    body = assert_error(await register(served, "someone", password), 422, "VALIDATION_ERROR")
    assert "common" in body["message"]


async def test_every_character_of_a_long_password_counts(serve):
    served = await serve(login_max_failures=10)
    password = "a-long-and-unusual-passphrase-" * 4  # 120 characters
    await served.register_user("alice", password)
    for i in (0, 71, 72, 100, 119):
        altered = password[:i] + "#" + password[i + 1 :]
        response = await served.login("alice", altered)
        assert_error(response, 401, "INVALID_CREDENTIALS")
    assert (await served.login("alice", password)).status_code == 200
