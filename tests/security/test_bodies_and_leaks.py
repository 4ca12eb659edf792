"""Oversized bodies, echoed input, leaked internals, cacheable tokens (ASVS V13, RFC 6749 §5.1)."""

from __future__ import annotations

from ..conftest import PASSWORD, assert_error, bearer


async def test_an_oversized_declared_body_is_refused_before_it_is_read(serve):
    served = await serve()
    received = []

    async def endless():
        for _ in range(1000):  # 1000 KiB if anyone read it all
            received.append(1)
            yield b"x" * 1024

    response = await served.client.post(
        "/auth/login",
        content=endless(),
        headers={"content-type": "application/json", "content-length": str(1024 * 1000)},
    )
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert len(received) < 1000


async def test_validation_errors_never_echo_the_password(serve):
    served = await serve()
    secret = "Sup3r-Secret-Value-🔑"
    responses = [
        await served.client.post("/auth/register", json={"username": "a", "password": secret}),
        await served.client.post(
            "/auth/login", json={"username": "a", "password": secret, "extra": secret}
        ),
        await served.client.post("/auth/register", json={"username": "bob", "password": 5}),
        await served.client.post("/auth/login", json={"email": secret, "password": secret}),
    ]
    for response in responses:
        assert_error(response, 422, "VALIDATION_ERROR")
        assert "Sup3r" not in response.text


async def test_no_internal_text_in_any_error(serve):
    served = await serve()
    tokens = await served.register_user()
    responses = [
        await served.client.get("/auth/users/me", headers=bearer("not.a.jwt")),
        await served.client.get("/auth/users/me", headers=bearer(tokens["access_token"] + "x")),
        await served.client.post("/auth/login", json={"firebase_token": "garbage"}),
        await served.client.post("/auth/refresh", json={"refresh_token": "garbage"}),
        await served.client.post(
            "/auth/login", content=b"\xff\xfe", headers={"content-type": "application/json"}
        ),
    ]
    for response in responses:
        body = response.json()
        assert set(body) == {"error", "message", "status_code"}
        for leak in (
            "Traceback",
            "jose",
            "jwt.",
            "DecodeError",
            "firebase_admin",
            "pymongo",
            "Error(",
            'File "',
        ):
            assert leak not in response.text


async def test_token_responses_are_not_cacheable(serve):
    served = await serve()
    tokens = await served.register_user()
    for response in (
        await served.login(),
        await served.client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}),
        await served.client.get("/auth/users/me", headers=bearer(tokens["access_token"])),
    ):
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["pragma"] == "no-cache"
    registered = await served.client.post(
        "/auth/register", json={"username": "bob", "password": PASSWORD}
    )
    assert registered.headers["cache-control"] == "no-store"


async def test_unknown_field_names_are_not_echoed_unless_plain_and_short(serve):
    served = await serve()
    hostile = "<img src=x onerror=alert(1)>" + "A" * 5000
    response = await served.client.post(
        "/auth/register", json={"username": "bob", "password": PASSWORD, hostile: 1}
    )
    body = assert_error(response, 422, "VALIDATION_ERROR")
    assert "<img" not in body["message"] and len(body["message"]) < 200
    plain = await served.client.post(
        "/auth/register", json={"username": "bob", "password": PASSWORD, "role": "admin"}
    )
    assert "role" in assert_error(plain, 422, "VALIDATION_ERROR")["message"]
