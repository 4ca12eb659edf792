"""Browser clients: with allowed_domains, sign-in from any other Origin is 403; the CORS helper
echoes only allowed origins."""

from __future__ import annotations

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from trachea_login import TracheaCORSMiddleware

from ..conftest import PASSWORD, assert_error


async def served_with_domains(serve, register, domains):
    await register("app1", domains=domains)
    return await serve("app1", register_first=False)


async def test_sign_in_from_an_origin_outside_allowed_domains_is_403(serve, register):
    served = await served_with_domains(serve, register, ("app.example.com", "*.example.org"))
    body = {"username": "alice", "password": PASSWORD}
    evil = await served.client.post(
        "/auth/register", json=body, headers={"Origin": "https://evil.example.net"}
    )
    assert_error(evil, 403, "ORIGIN_NOT_ALLOWED")
    for lookalike in (
        "https://app.example.com.evil.net",
        "https://evilexample.org",
        "https://example.org",
    ):
        response = await served.client.post(
            "/auth/register", json=body, headers={"Origin": lookalike}
        )
        assert_error(response, 403, "ORIGIN_NOT_ALLOWED")
    ok = await served.client.post(
        "/auth/register", json=body, headers={"Origin": "https://app.example.com"}
    )
    assert ok.status_code == 200
    sub = await served.client.post(
        "/auth/login", json=body, headers={"Origin": "https://www.example.org"}
    )
    assert sub.status_code == 200
    plain_http = await served.client.post(
        "/auth/login", json=body, headers={"Origin": "http://app.example.com"}
    )
    assert_error(plain_http, 403, "ORIGIN_NOT_ALLOWED")
    refresh = await served.client.post(
        "/auth/refresh",
        json={"refresh_token": ok.json()["refresh_token"]},
        headers={"Origin": "null"},
    )
    assert_error(refresh, 403, "ORIGIN_NOT_ALLOWED")


async def test_plain_http_is_allowed_only_for_localhost(serve, register):
    served = await served_with_domains(serve, register, ("localhost", "app.example.com"))
    body = {"username": "alice", "password": PASSWORD}
    local = await served.client.post(
        "/auth/register", json=body, headers={"Origin": "http://localhost:5173"}
    )
    assert local.status_code == 200
    for origin in ("http://app.example.com", "ftp://app.example.com", "null", "https://"):
        response = await served.client.post("/auth/login", json=body, headers={"Origin": origin})
        assert_error(response, 403, "ORIGIN_NOT_ALLOWED")


async def test_requests_without_origin_and_apps_without_domains_are_unaffected(serve, register):
    served = await served_with_domains(serve, register, ("app.example.com",))
    assert (
        await served.client.post("/auth/register", json={"username": "alice", "password": PASSWORD})
    ).status_code == 200  # a mobile or server client sends no Origin
    open_app = await serve("app2")
    assert (
        await open_app.client.post(
            "/auth/login",
            json={"username": "alice", "password": PASSWORD},
            headers={"Origin": "https://anything.example"},
        )
    ).status_code == 200


async def test_the_cors_helper_echoes_only_allowed_origins(register, make_trachea):
    await register("app1", domains=("app.example.com",))
    trachea = make_trachea("app1")
    app = FastAPI(lifespan=trachea.lifespan)
    app.include_router(trachea.router, prefix="/auth")
    app.add_middleware(TracheaCORSMiddleware, trachea=trachea)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            preflight = {"Access-Control-Request-Method": "POST"}
            good = await client.options(
                "/auth/login", headers={"Origin": "https://app.example.com", **preflight}
            )
            assert good.status_code == 200
            assert good.headers["access-control-allow-origin"] == "https://app.example.com"
            bad = await client.options(
                "/auth/login", headers={"Origin": "https://evil.example", **preflight}
            )
            assert bad.status_code == 400
            assert "access-control-allow-origin" not in bad.headers
            simple = await client.post(
                "/auth/login",
                json={"username": "x", "password": "y"},
                headers={"Origin": "https://evil.example"},
            )
            assert "access-control-allow-origin" not in simple.headers
