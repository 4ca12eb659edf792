"""The app record is read through one cache per instance, at most 5 seconds old, shared by the
routes and the CORS middleware (services/apps.py): an operator's change takes effect within
that time in every worker, and a busy worker does not read the app document per request."""

from __future__ import annotations

import asyncio

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from trachea_login import TracheaCORSMiddleware, admin
from trachea_login.services import APP_RECORD_MAX_AGE

from .conftest import PASSWORD, assert_error

PREFLIGHT = {"Access-Control-Request-Method": "POST"}


def count_reads(served, monkeypatch) -> list[str]:
    """Record each read of the app document by the instance."""
    reads: list[str] = []
    original = served.trachea.store.apps.get

    async def counted(app_id):
        reads.append(app_id)
        return await original(app_id)

    monkeypatch.setattr(served.trachea.store.apps, "get", counted)
    return reads


async def test_the_freshness_is_five_seconds():
    assert APP_RECORD_MAX_AGE.total_seconds() == 5


async def test_a_disabled_app_is_refused_once_the_cached_record_is_older_than_five_seconds(
    serve, database
):
    served = await serve()
    await served.register_user("alice")
    await admin.disable_app(database, "app1")
    served.clock.advance(seconds=4)
    assert (await served.login()).status_code == 200  # the record read less than 5 s ago
    served.clock.advance(seconds=1)
    assert_error(await served.login(), 403, "APP_INACTIVE")


async def test_requests_within_the_freshness_read_the_app_document_once(serve, monkeypatch):
    served = await serve()
    await served.register_user("alice")
    served.let_app_cache_expire()
    reads = count_reads(served, monkeypatch)
    for _ in range(5):
        assert (await served.login()).status_code == 200
    assert reads == ["app1"]


async def test_concurrent_requests_on_a_stale_record_share_one_read(serve, monkeypatch):
    served = await serve()
    await served.register_user("alice")
    served.let_app_cache_expire()
    reads = count_reads(served, monkeypatch)
    short = {"username": "bob", "password": "short"}  # checks the app first, then 422
    answers = await asyncio.gather(
        *(served.client.post("/auth/register", json=short) for _ in range(10))
    )
    assert {answer.status_code for answer in answers} == {422}
    assert reads == ["app1"]


async def test_a_newly_allowed_domain_passes_cors_preflights_without_any_sign_in(
    register, make_trachea, database, clock
):
    """Before, the middleware read a copy refreshed only by sign-ins: a preflight from a newly
    allowed domain was refused (400) until someone signed in, in each worker."""
    await register("app1", domains=("app.example.com",))
    trachea = make_trachea("app1")
    app = FastAPI(lifespan=trachea.lifespan)
    app.include_router(trachea.router, prefix="/auth")
    app.add_middleware(TracheaCORSMiddleware, trachea=trachea)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            origin = {"Origin": "https://new.example.com", **PREFLIGHT}
            assert (await client.options("/auth/login", headers=origin)).status_code == 400
            await admin.set_domains(database, "app1", ["app.example.com", "new.example.com"])
            clock.advance(seconds=APP_RECORD_MAX_AGE.total_seconds())
            allowed = await client.options("/auth/login", headers=origin)
            assert allowed.status_code == 200
            assert allowed.headers["access-control-allow-origin"] == "https://new.example.com"
            # ...and the sign-in route agrees, from the same record.
            response = await client.post(
                "/auth/register",
                json={"username": "alice", "password": PASSWORD},
                headers={"Origin": "https://new.example.com"},
            )
            assert response.status_code == 200
