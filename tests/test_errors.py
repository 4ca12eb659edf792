"""Contract §5: every error body has exactly the §5 shape, with only include_router."""

from __future__ import annotations

import pytest

from trachea_login.errors import STATUS_OF, ErrorCode

from .conftest import PASSWORD, assert_error


def test_every_code_has_a_status_and_a_message():
    from trachea_login.errors import DEFAULT_MESSAGES

    assert set(STATUS_OF) == set(ErrorCode) == set(DEFAULT_MESSAGES)
    assert STATUS_OF[ErrorCode.PAYLOAD_TOO_LARGE] == 413
    assert STATUS_OF[ErrorCode.TOO_MANY_ATTEMPTS] == 429


async def test_request_validation_errors_have_the_shape_and_never_echo_input(serve):
    served = await serve()
    secret_password = "hunter2-but-very-secret-" + "x" * 2000
    response = await served.client.post(
        "/auth/register", json={"username": "a", "password": secret_password}
    )
    assert_error(response, 422, "VALIDATION_ERROR")
    assert "hunter2" not in response.text


async def test_malformed_json_is_422_with_the_shape(serve):
    served = await serve()
    response = await served.client.post(
        "/auth/login",
        content=b'{"username": "alice", "password": ',
        headers={"content-type": "application/json"},
    )
    assert_error(response, 422, "VALIDATION_ERROR")


async def test_body_over_the_limit_is_413(serve):
    served = await serve()
    big = {"username": "alice", "password": PASSWORD, "name": "x" * (70 * 1024)}
    assert_error(await served.client.post("/auth/register", json=big), 413, "PAYLOAD_TOO_LARGE")


async def test_chunked_body_over_the_limit_is_413_without_content_length(serve):
    served = await serve()

    async def chunks():
        yield b'{"username": "alice", "password": "'
        for _ in range(80):
            yield b"y" * 1024
        yield b'"}'

    response = await served.client.post(
        "/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


async def test_body_limit_is_configurable(serve):
    served = await serve(max_body_bytes=2048)
    body = {"username": "alice", "password": PASSWORD, "name": "x" * 3000}
    assert_error(await served.client.post("/auth/register", json=body), 413, "PAYLOAD_TOO_LARGE")


@pytest.mark.parametrize("where", ["body", "header"])
async def test_app_id_naming_an_unknown_app_is_404(serve, where):
    served = await serve()
    await served.register_user()
    body = {"username": "alice", "password": PASSWORD}
    headers = {}
    if where == "body":
        body["app_id"] = "no-such-app"
    else:
        headers["X-App-Id"] = "no-such-app"
    response = await served.client.post("/auth/login", json=body, headers=headers)
    assert_error(response, 404, "APP_NOT_FOUND")


async def test_app_id_naming_another_registered_app_is_403(serve, register):
    served = await serve()
    await register("other-app")
    await served.register_user()
    response = await served.client.post(
        "/auth/login", json={"username": "alice", "password": PASSWORD, "app_id": "other-app"}
    )
    assert_error(response, 403, "APP_MISMATCH")
    me = await served.client.get("/auth/users/me", headers={"X-App-Id": "other-app"})
    # The app check happens with the token check; either way no data leaks.
    assert me.status_code in (401, 403)


async def test_app_id_naming_this_app_is_accepted(serve):
    served = await serve()
    await served.register_user()
    response = await served.client.post(
        "/auth/login",
        json={"username": "alice", "password": PASSWORD, "app_id": "app1"},
        headers={"X-App-Id": "app1"},
    )
    assert response.status_code == 200


async def test_unexpected_errors_are_500_with_the_shape_and_no_trace(serve, monkeypatch):
    served = await serve()

    async def broken(*args, **kwargs):
        raise RuntimeError("driver said: secret connection string mongodb://u:p@h")

    monkeypatch.setattr(served.trachea.service.native, "register", broken)
    response = await served.client.post(
        "/auth/register", json={"username": "alice", "password": PASSWORD}
    )
    assert_error(response, 500, "INTERNAL_ERROR")
    assert "mongodb" not in response.text and "Traceback" not in response.text


async def test_database_failures_are_503_with_retry_after(serve, monkeypatch):
    from pymongo.errors import ServerSelectionTimeoutError

    served = await serve()

    async def unreachable(*args, **kwargs):
        raise ServerSelectionTimeoutError("localhost:27017: [Errno 111] Connection refused")

    monkeypatch.setattr(served.trachea.store.users, "find_by_username", unreachable)
    response = await served.client.post("/auth/login", json={"username": "a", "password": "b"})
    assert_error(response, 503, "SERVICE_UNAVAILABLE")
    assert "27017" not in response.text


async def test_tracheaerror_in_product_routes_without_our_handler_keeps_status_and_headers(
    serve,
):
    served = await serve()
    response = await served.client.get("/whoami")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {
        "detail": {
            "error": "INVALID_TOKEN",
            "status_code": 401,
            "message": response.json()["detail"]["message"],
        }
    }


async def test_install_gives_product_routes_the_exact_shape(register, make_trachea):
    import httpx
    from asgi_lifespan import LifespanManager
    from fastapi import Depends, FastAPI

    await register("app1")
    trachea = make_trachea("app1")
    app = FastAPI()
    trachea.install(app)

    @app.get("/private")
    async def private(user=Depends(trachea.current_user)):
        return {"sub": user.sub}

    async with LifespanManager(app):
        assert trachea.started
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert_error(await client.get("/private"), 401, "INVALID_TOKEN")
            registered = await client.post(
                "/auth/register", json={"username": "alice", "password": PASSWORD}
            )
            token = registered.json()["access_token"]
            ok = await client.get("/private", headers={"Authorization": f"Bearer {token}"})
            assert ok.json() == {"sub": "alice"}
    assert not trachea.started
