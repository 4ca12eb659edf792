"""POST /auth/users/me/password and POST /auth/users/me/erase (contract §9)."""

from __future__ import annotations

import pytest

from .conftest import PASSWORD, assert_error, bearer, raw_user

NEW_PASSWORD = "a brand new passphrase"
REAUTH_HEADER = 'Bearer error="insufficient_user_authentication", max_age=300'


async def refresh(served, token):
    return await served.client.post("/auth/refresh", json={"refresh_token": token})


async def change_password(served, access_token, current=PASSWORD, new=NEW_PASSWORD):
    return await served.client.post(
        "/auth/users/me/password",
        json={"current_password": current, "new_password": new},
        headers=bearer(access_token),
    )


async def erase(served, access_token, body=None):
    return await served.client.post(
        "/auth/users/me/erase", json=body or {"confirm": True}, headers=bearer(access_token)
    )


# -- password change -------------------------------------------------------------------------


async def test_a_password_change_ends_every_other_session_in_every_app(serve):
    app1 = await serve("app1")
    app2 = await serve("app2")
    calling = await app1.register_user("alice")
    other_device = (await app1.login("alice")).json()
    other_app = (await app2.login("alice")).json()
    response = await change_password(app1, calling["access_token"])
    assert response.status_code == 200 and set(response.json()) == {"message"}
    assert_error(await refresh(app1, other_device["refresh_token"]), 401, "REFRESH_TOKEN_INVALID")
    assert_error(await refresh(app2, other_app["refresh_token"]), 401, "REFRESH_TOKEN_INVALID")
    # The calling session continues: our routes and refresh.
    me = await app1.client.get("/auth/users/me", headers=bearer(calling["access_token"]))
    assert me.status_code == 200
    assert (await refresh(app1, calling["refresh_token"])).status_code == 200
    # The new password signs in; the old one does not.
    assert (await app1.login("alice", NEW_PASSWORD)).status_code == 200
    assert_error(await app1.login("alice", PASSWORD), 401, "INVALID_CREDENTIALS")


async def test_a_wrong_current_password_is_invalid_credentials_and_changes_nothing(serve):
    served = await serve()
    tokens = await served.register_user("alice")
    before = (await raw_user(served, username="alice"))["password_hash"]
    response = await change_password(served, tokens["access_token"], current="not it at all")
    assert_error(response, 401, "INVALID_CREDENTIALS")
    assert (await raw_user(served, username="alice"))["password_hash"] == before
    assert (await served.login("alice")).status_code == 200


async def test_current_password_guesses_are_throttled_like_logins(serve):
    served = await serve(login_max_failures=3)
    tokens = await served.register_user("alice")
    for _ in range(3):
        bad = await change_password(served, tokens["access_token"], current="wrong guess!!")
        assert_error(bad, 401, "INVALID_CREDENTIALS")
    throttled = await change_password(served, tokens["access_token"])
    assert_error(throttled, 429, "TOO_MANY_ATTEMPTS")
    assert_error(await served.login("alice"), 429, "TOO_MANY_ATTEMPTS")  # one budget


@pytest.mark.parametrize(
    ("new", "message"),
    [("short", "at least 8"), ("password123", "too common"), ("alice-is-me-forever", "username")],
)
async def test_the_new_password_follows_the_registration_rules(serve, new, message):
    served = await serve()
    tokens = await served.register_user("alice")
    body = assert_error(
        await change_password(served, tokens["access_token"], new=new), 422, "VALIDATION_ERROR"
    )
    assert message in body["message"]


async def test_a_firebase_account_without_a_password_cannot_change_one(serve, make_trachea):
    served = await serve(methods=("username", "google"), firebase_project_id="demo-trachea")
    trachea = served.trachea
    user = await trachea.store.users.insert(
        {"firebase_uid": "fb-1", "provider": "google"}, app_id="app1"
    )
    from trachea_login.services import ClientContext

    tokens = await trachea.service.sessions.start(user, "google", ClientContext())
    response = await change_password(served, tokens.access_token)
    assert_error(response, 403, "AUTH_METHOD_NOT_ALLOWED")


async def test_password_change_is_audited(serve):
    served = await serve()
    tokens = await served.register_user("alice")
    await change_password(served, tokens["access_token"])
    await served.trachea.service.auditor.flush()  # stored after the response
    events = [
        e["event"] async for e in served.trachea.store.audit.collection.find({}).sort("at", 1)
    ]
    assert "password_changed" in events
    assert NEW_PASSWORD not in str(
        [e async for e in served.trachea.store.audit.collection.find({})]
    )


# -- erasure ---------------------------------------------------------------------------------


async def test_erasure_leaves_nothing_personal_and_ends_every_session(serve):
    app1 = await serve("app1", plan_policy=lambda user, plan, proof: True)
    app2 = await serve("app2")
    tokens = await app1.register_user("alice", name="Alice")
    await app1.client.patch(
        "/auth/users/me/plan",
        json={"plan": "pro", "email": "alice@example.com"},
        headers=bearer(tokens["access_token"]),
    )
    other_app = (await app2.login("alice")).json()
    user_id = tokens["user"]["id"]
    response = await erase(app1, tokens["access_token"])
    assert response.status_code == 200 and set(response.json()) == {"message"}

    from bson import ObjectId

    stored = await app1.trachea.store.users.collection.find_one({"_id": ObjectId(user_id)})
    assert set(stored) == {"_id", "erased_at"}
    assert await app1.trachea.store.sessions.collection.count_documents({}) == 0
    events = [e async for e in app1.trachea.store.audit.collection.find({})]
    mine = [e for e in events if e.get("user_id") == ObjectId(user_id)]
    assert mine and all("ip" not in e and "user_agent" not in e for e in mine)
    assert "erased" in {e["event"] for e in mine}
    for served, token in ((app1, tokens), (app2, other_app)):
        assert_error(await refresh(served, token["refresh_token"]), 401, "REFRESH_TOKEN_INVALID")
    me = await app1.client.get("/auth/users/me", headers=bearer(tokens["access_token"]))
    assert_error(me, 401, "INVALID_TOKEN")
    assert_error(await app1.login("alice"), 401, "INVALID_CREDENTIALS")


async def test_the_username_and_email_can_be_registered_again_after_erasure(serve):
    served = await serve(plan_policy=lambda user, plan, proof: True)
    tokens = await served.register_user("alice")
    await served.client.patch(
        "/auth/users/me/plan",
        json={"plan": "free", "email": "alice@example.com"},
        headers=bearer(tokens["access_token"]),
    )
    await erase(served, tokens["access_token"])
    again = await served.register_user("alice")
    assert again["user"]["id"] != tokens["user"]["id"]
    added = await served.client.patch(
        "/auth/users/me/plan",
        json={"plan": "free", "email": "alice@example.com"},
        headers=bearer(again["access_token"]),
    )
    assert added.status_code == 200, added.text


async def test_erasure_needs_a_recent_sign_in(serve):
    served = await serve()
    tokens = await served.register_user("alice")
    served.clock.advance(minutes=6)
    # A refresh keeps the sign-in time: still too old.
    rotated = (await refresh(served, tokens["refresh_token"])).json()
    response = await erase(served, rotated["access_token"])
    assert_error_reauth(response)
    assert (await raw_user(served, username="alice")) is not None
    fresh = (await served.login("alice")).json()
    assert (await erase(served, fresh["access_token"])).status_code == 200


def assert_error_reauth(response):
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"error", "message", "status_code"}
    assert body["error"] == "REAUTHENTICATION_REQUIRED" and body["status_code"] == 401
    assert response.headers["www-authenticate"] == REAUTH_HEADER


@pytest.mark.parametrize("body", [{"confirm": False}, {}, {"confirm": "yes"}, {"confirm": 1}])
async def test_erasure_must_be_confirmed(serve, body):
    served = await serve()
    tokens = await served.register_user("alice")
    response = await served.client.post(
        "/auth/users/me/erase", json=body, headers=bearer(tokens["access_token"])
    )
    assert_error(response, 422, "VALIDATION_ERROR")
    assert (await raw_user(served, username="alice")) is not None


async def test_erasure_needs_a_live_session(serve):
    served = await serve()
    tokens = await served.register_user("alice")
    await served.client.post("/auth/logout", headers=bearer(tokens["access_token"]))
    assert_error(await erase(served, tokens["access_token"]), 401, "INVALID_TOKEN")
    assert (await raw_user(served, username="alice")) is not None


async def test_erase_firebase_user_needs_firebase(make_trachea):
    from trachea_login import TracheaConfigError

    with pytest.raises(TracheaConfigError, match="TRACHEA_ERASE_FIREBASE_USER"):
        make_trachea("app1", erase_firebase_user=True)
