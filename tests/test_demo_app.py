"""The demo app (contract §7) runs with no environment at all."""

from __future__ import annotations

import importlib
import sys

import httpx
import pytest
from asgi_lifespan import LifespanManager

from trachea_login import TracheaConfigError

from .conftest import PASSWORD, bearer


@pytest.fixture
def demo(monkeypatch):
    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST", raising=False)
    sys.modules.pop("e2e_app", None)
    module = importlib.import_module("e2e_app")
    yield module
    sys.modules.pop("e2e_app", None)


async def test_demo_app_serves_every_route_on_the_embedded_database(demo):
    async with LifespanManager(demo.app):
        transport = httpx.ASGITransport(app=demo.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
            root = await client.get("/")
            assert root.status_code == 200 and root.json()["status"] == "ok"
            record = await demo.trachea.store.apps.get("Trachea-Test-App")
            assert set(record.allowed_auth_methods) == {
                "username",
                "password",
                "google",
                "apple",
                "facebook",
            }

            tokens = (
                await client.post("/auth/register", json={"username": "demo", "password": PASSWORD})
            ).json()
            auth = bearer(tokens["access_token"])
            protected = (await client.get("/protected", headers=auth)).json()
            assert set(protected) >= {
                "sub",
                "uid",
                "app_id",
                "role",
                "plan",
                "provider",
                "session_id",
                "claims",
            }
            assert protected["app_id"] == "Trachea-Test-App"
            assert (await client.get("/members-only", headers=auth)).status_code == 200
            pro = await client.get("/pro-only", headers=auth)
            assert pro.status_code == 403 and pro.json()["error"] == "INSUFFICIENT_PLAN"
            admin = await client.get("/admin-only", headers=auth)
            assert admin.status_code == 403 and admin.json()["error"] == "INSUFFICIENT_ROLE"
            # The demo's policy allows paid plans once an email is given.
            upgraded = await client.patch(
                "/auth/users/me/plan",
                json={"plan": "pro", "email": "demo@example.com"},
                headers=auth,
            )
            assert upgraded.status_code == 200
            fresh = (
                await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
            ).json()
            assert (
                await client.get("/pro-only", headers=bearer(fresh["access_token"]))
            ).status_code == 200


async def test_demo_app_pointed_at_a_real_database_registers_nothing(monkeypatch, database):
    """Pointed at a MongoDB server, the demo's instance registers nothing and tells the
    operator to use the CLI. The server here is the test database, bound in place of the
    (never contacted) URI's client."""
    monkeypatch.setenv("TRACHEA_MONGO_URI", "mongodb://127.0.0.1:1/")
    monkeypatch.setenv("TRACHEA_APP_ID", "Trachea-Test-App")
    monkeypatch.setenv("TRACHEA_APP_SECRET", "whatever-secret-123")
    monkeypatch.setenv("TRACHEA_JWT_SECRET", "j" * 40)
    sys.modules.pop("e2e_app", None)
    module = importlib.import_module("e2e_app")
    try:
        assert module.embedded is False
        module.trachea.store.rebind(database)
        with pytest.raises(TracheaConfigError) as caught:
            async with LifespanManager(module.app):
                pass  # pragma: no cover - startup must fail
        assert "trachea-login apps register Trachea-Test-App" in str(caught.value)
        assert await database["apps"].count_documents({}) == 0
    finally:
        sys.modules.pop("e2e_app", None)
