"""Account takeover through Firebase (ASVS V6.8): unverified emails never hand over an account,
pre-registered accounts cannot hijack the owner, and the emulator's unsigned tokens are refused
outside demo projects. The sign-in method comes from the verified token, never the request."""

from __future__ import annotations

import pytest

from trachea_login import TracheaConfigError, TracheaLogin

from ..conftest import JWT_SECRET, assert_error, bearer, firebase_login, new_email, raw_user


async def test_verified_email_links_to_the_native_account_and_drops_its_unproven_password(fb):
    """The native account typed the email in (unproven): linking keeps the account but removes
    its password and sessions, so a pre-registered account cannot hijack the owner."""
    fb.trachea.service.plans.policy = lambda user, plan, proof: True
    email = new_email("owner")
    native = await fb.register_user("nativeowner")
    await fb.client.patch(
        "/auth/users/me/plan",
        json={"plan": "free", "email": email},
        headers=bearer(native["access_token"]),
    )
    uid, token = fb.emulator.sign_in_with_idp("google.com", email=email, email_verified=True)
    response = await firebase_login(fb, token)
    assert response.status_code == 200
    assert response.json()["user"]["id"] == native["user"]["id"]
    doc = await raw_user(fb, firebase_uid=uid)
    assert doc["username"] == "nativeowner" and doc["email_verified"] is True
    assert "password_hash" not in doc
    assert_error(await fb.login("nativeowner"), 401, "INVALID_CREDENTIALS")
    stale = await fb.client.post("/auth/refresh", json={"refresh_token": native["refresh_token"]})
    assert_error(stale, 401, "REFRESH_TOKEN_INVALID")
    # The pre-registered account's access token no longer works on the owner's account...
    old_access = bearer(native["access_token"])
    assert_error(await fb.client.get("/auth/users/me", headers=old_access), 401, "INVALID_TOKEN")
    edit = await fb.client.patch(
        "/auth/users/me", json={"phone": "+14155550123"}, headers=old_access
    )
    assert_error(edit, 401, "INVALID_TOKEN")
    # ...while the owner's new one does.
    owner = bearer(response.json()["access_token"])
    assert (await fb.client.get("/auth/users/me", headers=owner)).status_code == 200


async def test_a_firebase_user_with_the_victims_unverified_email_never_gets_the_account(fb):
    """A Firebase user created with the victim's email, email_verified=false, gets a separate
    account without that email; the victim's account is untouched."""
    fb.trachea.service.plans.policy = lambda user, plan, proof: True
    email = new_email("victim")
    victim = await fb.register_user("victim")
    await fb.client.patch(
        "/auth/users/me/plan",
        json={"plan": "pro", "email": email},
        headers=bearer(victim["access_token"]),
    )
    before = await raw_user(fb, username="victim")
    attacker_uid, attacker_token = fb.emulator.sign_up(email, "attacker password 1")
    attacker = await firebase_login(fb, attacker_token)
    assert attacker.status_code == 200
    body = attacker.json()["user"]
    assert body["id"] != victim["user"]["id"] and body["email"] is None
    assert await raw_user(fb, username="victim") == before
    assert (await fb.login("victim")).status_code == 200


async def test_the_emulator_switch_is_refused_for_a_real_project(monkeypatch):
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099")
    with pytest.raises(TracheaConfigError) as caught:
        TracheaLogin(
            app_id="a",
            app_secret="s" * 20,
            jwt_secret=JWT_SECRET,
            mongo_uri="mongomock://",
            firebase_project_id="my-real-project",
        )
    assert "FIREBASE_AUTH_EMULATOR_HOST" in str(caught.value)
    allowed = TracheaLogin(
        app_id="a",
        app_secret="s" * 20,
        jwt_secret=JWT_SECRET,
        mongo_uri="mongomock://",
        firebase_project_id="my-real-project",
        firebase_allow_emulator=True,
    )
    assert allowed.firebase is not None
    allowed.firebase.close()


async def test_the_method_comes_from_the_verified_token_not_the_request(firebase_emulator, serve):
    from ..conftest import FIREBASE

    served = await serve("google-only", methods=("google",), **FIREBASE)
    _, facebook = firebase_emulator.sign_in_with_idp("facebook.com", email=new_email())
    claimed = await served.client.post(
        "/auth/login", json={"firebase_token": facebook, "provider": "google"}
    )
    assert_error(claimed, 422, "VALIDATION_ERROR")
    assert_error(await firebase_login(served, facebook), 403, "AUTH_METHOD_NOT_ALLOWED")


async def test_sessions_of_an_unverified_holder_end_when_firebase_verifies_the_email(fb):
    """With "one account per email", Firebase hands an unverified email+password account to the
    owner who proves the address (same uid). Whoever held it before must lose every session."""
    email = new_email("owner")
    uid, squatter_token = fb.emulator.sign_up(email, "squatter password 1")
    squatter = (await firebase_login(fb, squatter_token)).json()
    fb.emulator.mark_email_verified(uid)
    _, owner_token = fb.emulator.sign_in_with_password(email, "squatter password 1")
    owner = await firebase_login(fb, owner_token)
    assert owner.status_code == 200 and owner.json()["user"]["id"] == squatter["user"]["id"]
    stale = await fb.client.post("/auth/refresh", json={"refresh_token": squatter["refresh_token"]})
    assert_error(stale, 401, "REFRESH_TOKEN_INVALID")
    old = await fb.client.get("/auth/users/me", headers=bearer(squatter["access_token"]))
    assert_error(old, 401, "INVALID_TOKEN")
    fresh = await fb.client.get("/auth/users/me", headers=bearer(owner.json()["access_token"]))
    assert fresh.status_code == 200 and fresh.json()["email"] == email


async def test_a_link_that_takes_over_an_unproven_account_ends_its_sessions_in_the_same_write(
    fb, monkeypatch
):
    """The link and the end of the pre-registered account's sessions are one write: a crash
    right after it still leaves the squatter signed out."""
    fb.trachea.service.plans.policy = lambda user, plan, proof: True
    email = new_email("owner")
    native = await fb.register_user("squatter2")
    await fb.client.patch(
        "/auth/users/me/plan",
        json={"plan": "free", "email": email},
        headers=bearer(native["access_token"]),
    )
    users = fb.trachea.store.users
    real = users.link_firebase

    async def link_then_crash(*args, **kwargs):
        await real(*args, **kwargs)
        raise RuntimeError("the process dies right after the link")

    monkeypatch.setattr(users, "link_firebase", link_then_crash)
    _, token = fb.emulator.sign_in_with_idp("google.com", email=email, email_verified=True)
    assert (await firebase_login(fb, token)).status_code == 500
    monkeypatch.undo()
    stale = await fb.client.post("/auth/refresh", json={"refresh_token": native["refresh_token"]})
    assert_error(stale, 401, "REFRESH_TOKEN_INVALID")
    old = await fb.client.get("/auth/users/me", headers=bearer(native["access_token"]))
    assert_error(old, 401, "INVALID_TOKEN")
    assert (await firebase_login(fb, token)).status_code == 200  # the owner signs in
