"""Startup: indexes, app registration checks, clear TracheaConfigError messages (§2, §6)."""

from __future__ import annotations

import pytest

from trachea_login import TracheaConfigError

from .conftest import ALL_METHODS, secret_for


async def test_startup_creates_the_indexes_idempotently(register, make_trachea, database):
    await register("app1")
    trachea = make_trachea("app1")
    await trachea.startup()
    await trachea.startup()  # a second run changes nothing and raises nothing
    users = await database["users"].index_information()
    for name, field in (
        ("username_unique", "username"),
        ("email_unique", "email"),
        ("firebase_uid_unique", "firebase_uid"),
    ):
        assert users[name]["key"] == [(field, 1)]
        assert users[name]["unique"] and users[name]["sparse"]
    apps = await database["apps"].index_information()
    assert apps["app_id_unique"]["unique"]
    tokens = await database["refresh_tokens"].index_information()
    assert tokens["expires_at_ttl"]["expireAfterSeconds"] == 0
    audit = await database["audit_events"].index_information()
    assert audit["expires_at_ttl"]["expireAfterSeconds"] == 0
    failures = await database["login_failures"].index_information()
    assert failures["expires_at_ttl"]["expireAfterSeconds"] == 0


async def test_unregistered_app_fails_with_the_cli_command(make_trachea):
    trachea = make_trachea("ghost")
    with pytest.raises(TracheaConfigError) as caught:
        await trachea.startup()
    message = str(caught.value)
    assert "ghost" in message and "not registered" in message
    assert "trachea-login apps register ghost" in message


async def test_wrong_secret_fails_without_showing_either_secret(register, make_trachea):
    await register("app1")
    trachea = make_trachea("app1", app_secret="the-wrong-secret-value")
    with pytest.raises(TracheaConfigError) as caught:
        await trachea.startup()
    message = str(caught.value)
    assert "TRACHEA_APP_SECRET" in message and "trachea-login apps rotate-secret app1" in message
    assert "the-wrong-secret-value" not in message and secret_for("app1") not in message


async def test_inactive_app_fails_with_the_enable_command(register, make_trachea):
    await register("app1", is_active=False)
    with pytest.raises(TracheaConfigError) as caught:
        await make_trachea("app1").startup()
    assert "disabled" in str(caught.value)
    assert "trachea-login apps enable app1" in str(caught.value)


async def test_firebase_methods_without_firebase_configuration_fail_at_startup(
    register, make_trachea
):
    await register("app1", ALL_METHODS)
    with pytest.raises(TracheaConfigError) as caught:
        await make_trachea("app1").startup()
    message = str(caught.value)
    assert "TRACHEA_FIREBASE_CREDENTIALS" in message
    assert "trachea-login apps set-methods app1" in message


async def test_lifespan_refuses_to_serve_a_misconfigured_app(make_trachea):
    from asgi_lifespan import LifespanManager
    from fastapi import FastAPI

    trachea = make_trachea("ghost")
    app = FastAPI(lifespan=trachea.lifespan)
    with pytest.raises(TracheaConfigError):
        async with LifespanManager(app):
            pass  # pragma: no cover


async def test_embedded_database_logs_a_data_loss_warning(register, caplog, db_name):
    from trachea_login import TracheaLogin, register_app

    trachea = TracheaLogin(
        app_id="app1",
        app_secret=secret_for("app1"),
        jwt_secret="j" * 40,
        mongo_uri="mongomock://",
        db_name=db_name,
    )
    await register_app(
        trachea.store.database,
        app_id="app1",
        app_secret=secret_for("app1"),
        name="x",
        allowed_auth_methods=["username"],
        secret_hash_rounds=4,
    )
    with caplog.at_level("WARNING", logger="trachea_login"):
        await trachea.startup()
    assert any("data" in r.getMessage() and "lost" in r.getMessage() for r in caplog.records)
    await trachea.shutdown()


async def test_the_app_starts_again_after_a_shutdown(register, make_trachea, firebase_emulator):
    """A second lifespan (a TestClient used twice) works: what shutdown closed is reopened."""
    import httpx
    from asgi_lifespan import LifespanManager

    from .conftest import FIREBASE, default_app

    await register("app1", ALL_METHODS)
    trachea = make_trachea("app1", **FIREBASE)
    app = default_app(trachea)
    _, token = firebase_emulator.sign_in_with_idp("google.com", email="twice@example.com")
    for _ in range(2):
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                response = await client.post("/auth/login", json={"firebase_token": token})
                assert response.status_code == 200, response.text
