"""``GET /auth/config``: what a client needs to draw its sign-in screen (contract §4), with no
authentication, from the app record cache."""

from __future__ import annotations

from trachea_login import admin

from .conftest import assert_error

#: A project id configures Firebase (the app allows Firebase methods); no call is made here.
SETTINGS = {"firebase_project_id": "demo-trachea", "password_min_length": 12}


async def test_config_answers_the_apps_methods_in_order_and_the_password_rule(serve):
    served = await serve("shop", methods=("phone", "username", "google"), **SETTINGS)

    response = await served.client.get("/auth/config")

    assert response.status_code == 200, response.text
    assert response.json() == {
        "app_id": "shop",
        "name": "Test shop",
        "allowed_auth_methods": ["phone", "username", "google"],
        "password_min_length": 12,
    }
    assert response.headers["cache-control"] == "no-store"


async def test_config_needs_no_token_and_ignores_one(serve):
    served = await serve()
    plain = await served.client.get("/auth/config")
    with_garbage = await served.client.get(
        "/auth/config", headers={"Authorization": "Bearer not-a-token"}
    )
    assert plain.status_code == with_garbage.status_code == 200
    assert plain.json() == with_garbage.json()


async def test_an_operators_change_of_methods_reaches_clients_once_the_cache_expires(serve):
    served = await serve("app1", methods=("username",))
    assert (await served.client.get("/auth/config")).json()["allowed_auth_methods"] == ["username"]

    await admin.set_auth_methods(served.trachea.store.database, "app1", ["username", "apple"])
    served.let_app_cache_expire()

    answer = (await served.client.get("/auth/config")).json()
    assert answer["allowed_auth_methods"] == ["username", "apple"]


async def test_a_disabled_app_answers_app_inactive(serve):
    served = await serve()
    await admin.disable_app(served.trachea.store.database, "app1")
    served.let_app_cache_expire()

    assert_error(await served.client.get("/auth/config"), 403, "APP_INACTIVE")


async def test_x_app_id_must_name_this_app(serve, register):
    served = await serve("app1")
    await register("app2")

    own = await served.client.get("/auth/config", headers={"X-App-Id": "app1"})
    other = await served.client.get("/auth/config", headers={"X-App-Id": "app2"})
    unknown = await served.client.get("/auth/config", headers={"X-App-Id": "nope"})

    assert own.status_code == 200
    assert_error(other, 403, "APP_MISMATCH")
    assert_error(unknown, 404, "APP_NOT_FOUND")
