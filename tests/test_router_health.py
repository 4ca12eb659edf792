"""GET /auth/health (issue 5): 200 with details, or 503 with the §5 body."""

from __future__ import annotations

from .conftest import assert_error, secret_for


async def test_health_is_200_with_details_and_no_secrets(serve):
    served = await serve()
    response = await served.client.get("/auth/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["app_id"] == "app1" and body["database"] == "ok"
    assert body["app_active"] is True and body["auth_methods"] == ["username"]
    assert body["version"]
    for secret in (secret_for("app1"), "test-jwt-secret", "$bcrypt"):
        assert secret not in response.text


async def test_health_is_503_when_the_app_is_disabled(serve):
    served = await serve()
    await served.trachea.store.apps.update("app1", is_active=False)
    body = assert_error(await served.client.get("/auth/health"), 503, "SERVICE_UNAVAILABLE")
    assert "disabled" in body["message"]


async def test_health_is_503_when_the_app_was_removed(serve):
    served = await serve()
    await served.trachea.store.apps.collection.delete_one({"app_id": "app1"})
    body = assert_error(await served.client.get("/auth/health"), 503, "SERVICE_UNAVAILABLE")
    assert "not registered" in body["message"]


async def test_health_is_503_when_the_database_does_not_answer(serve, monkeypatch):
    import asyncio

    served = await serve()

    async def hang(*args, **kwargs):
        await asyncio.sleep(60)

    monkeypatch.setattr(served.trachea.store.database, "command", hang)
    monkeypatch.setattr(
        type(served.trachea.service.health),
        "check",
        _with_timeout(type(served.trachea.service.health).check, 0.05),
    )
    body = assert_error(await served.client.get("/auth/health"), 503, "SERVICE_UNAVAILABLE")
    assert body["message"] == "The database is unreachable."


def _with_timeout(health, seconds):
    async def bounded(self, timeout=seconds):
        return await health(self, timeout=seconds)

    return bounded
