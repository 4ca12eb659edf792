"""POST /auth/login {firebase_token} against the real Firebase Auth Emulator (contract §4).

Users are created through the emulator's REST API as the mobile SDKs do; tokens are verified
by the real firebase-admin.
"""

from __future__ import annotations

import asyncio
import uuid

import jwt
import pytest

from trachea_login import register_app

from .conftest import (
    FIREBASE,
    assert_error,
    bearer,
    firebase_login,
    new_email,
    raw_user,
    secret_for,
)
from .firebase_emulator import EmulatorError


@pytest.mark.parametrize(
    "provider_id,method",
    [("google.com", "google"), ("apple.com", "apple"), ("facebook.com", "facebook")],
)
async def test_each_identity_provider_signs_in_with_its_method_name(fb, provider_id, method):
    email = new_email(method)
    uid, token = fb.emulator.sign_in_with_idp(provider_id, email=email, name="Ada Lovelace")
    response = await firebase_login(fb, token)
    assert response.status_code == 200, response.text
    user = response.json()["user"]
    assert (user["provider"], user["firebase_uid"], user["email"]) == (method, uid, email)
    assert (user["name"], user["role"], user["plan"]) == ("Ada Lovelace", "member", "free")
    me = (await fb.client.get("/whoami", headers=bearer(response.json()["access_token"]))).json()
    assert (me["sub"], me["provider"]) == (uid, method)


async def test_firebase_email_and_password_signs_in_as_password(fb):
    email = new_email("pw")
    uid, token = fb.emulator.sign_up(email, "firebase password 1")
    response = await firebase_login(fb, token)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["provider"] == "password"
    doc = await raw_user(fb, firebase_uid=uid)
    assert doc["email_verified"] is False  # email_verified is stored as Firebase says


async def test_one_document_per_uid_across_logins(fb):
    uid, token = fb.emulator.sign_in_with_idp("google.com", email=new_email())
    first = (await firebase_login(fb, token)).json()
    second = (await firebase_login(fb, token)).json()
    assert first["user"]["id"] == second["user"]["id"]
    collection = fb.trachea.store.users.collection
    assert await collection.count_documents({"firebase_uid": uid}) == 1


async def test_concurrent_first_logins_of_one_uid_create_one_document(fb):
    uid, token = fb.emulator.sign_in_with_idp("google.com", email=new_email())
    responses = await asyncio.gather(*(firebase_login(fb, token) for _ in range(10)))
    assert [r.status_code for r in responses] == [200] * 10
    assert len({r.json()["user"]["id"] for r in responses}) == 1
    doc = await raw_user(fb, firebase_uid=uid)
    assert len(doc["apps"]) == 1


async def test_first_login_to_a_second_app_appends_its_entry_only(fb, serve):
    uid, token = fb.emulator.sign_in_with_idp("google.com", email=new_email())
    await firebase_login(fb, token)
    users = fb.trachea.store.users
    record = await users.find_by_firebase_uid(uid)
    await users.set_membership_fields(record.id, "app1", {"role": "admin", "plan": "pro"})
    app2 = await serve("app2", methods=("google",), **FIREBASE)
    response = await firebase_login(app2, token)
    assert response.status_code == 200
    assert (response.json()["user"]["role"], response.json()["user"]["plan"]) == ("member", "free")
    entries = {e.app_id: e for e in (await users.find_by_firebase_uid(uid)).apps}
    assert set(entries) == {"app1", "app2"}
    assert (entries["app1"].role, entries["app1"].plan) == ("admin", "pro")


async def test_a_name_sent_once_is_kept_when_a_later_token_lacks_it(fb):
    sub, email = f"apple-{uuid.uuid4().hex}", new_email("apple")
    uid, first = fb.emulator.sign_in_with_idp("apple.com", email=email, sub=sub, name="Grace")
    assert (await firebase_login(fb, first)).json()["user"]["name"] == "Grace"
    fb.emulator.remove_display_name(uid)
    same_uid, later = fb.emulator.sign_in_with_idp("apple.com", email=email, sub=sub)
    assert same_uid == uid and "name" not in jwt.decode(later, options={"verify_signature": False})
    response = await firebase_login(fb, later)
    assert response.json()["user"]["name"] == "Grace"


async def test_a_name_edited_by_the_user_is_not_overwritten_by_the_token(fb):
    uid, token = fb.emulator.sign_in_with_idp("google.com", email=new_email(), name="Token Name")
    tokens = (await firebase_login(fb, token)).json()
    await fb.client.patch(
        "/auth/users/me", json={"name": "Chosen Name"}, headers=bearer(tokens["access_token"])
    )
    assert (await firebase_login(fb, token)).json()["user"]["name"] == "Chosen Name"


@pytest.mark.parametrize("action", ["disable_user", "delete_user", "revoke_refresh_tokens"])
async def test_disabled_deleted_or_revoked_firebase_users_are_refused(fb, action):
    uid, token = fb.emulator.sign_in_with_idp("google.com", email=new_email())
    assert (await firebase_login(fb, token)).status_code == 200
    getattr(fb.emulator, action)(uid)
    assert_error(await firebase_login(fb, token), 401, "INVALID_FIREBASE_TOKEN")


async def test_garbage_expired_and_wrong_project_tokens_are_401(fb):
    _, expired = fb.emulator.expired_token()
    _, foreign = fb.emulator.foreign_project_token()
    for token in ("garbage", "a.b.c", expired, foreign, "x" * 9000):
        response = await firebase_login(fb, token)
        if len(token) > 8192:
            assert_error(response, 422, "VALIDATION_ERROR")
        else:
            assert_error(response, 401, "INVALID_FIREBASE_TOKEN")


async def test_a_method_the_app_does_not_allow_is_403(firebase_emulator, serve):
    served = await serve("google-only", methods=("google",), **FIREBASE)
    _, facebook = firebase_emulator.sign_in_with_idp("facebook.com", email=new_email())
    _, password = firebase_emulator.sign_up(new_email(), "firebase password 1")
    _, anonymous = firebase_emulator.sign_in_anonymously()
    for token in (facebook, password, anonymous):
        assert_error(await firebase_login(served, token), 403, "AUTH_METHOD_NOT_ALLOWED")
    _, google = firebase_emulator.sign_in_with_idp("google.com", email=new_email())
    assert (await firebase_login(served, google)).status_code == 200


async def test_other_firebase_providers_are_allowed_only_by_name(
    firebase_emulator, serve, database
):
    await register_app(
        database,
        app_id="anon-ok",
        app_secret=secret_for("anon-ok"),
        name="Anonymous allowed",
        allowed_auth_methods=("google", "anonymous"),
        allow_other_methods=True,  # "anonymous" is no known method: allowed by its exact name
        secret_hash_rounds=4,
    )
    served = await serve("anon-ok", register_first=False, **FIREBASE)
    uid, anonymous = firebase_emulator.sign_in_anonymously()
    response = await firebase_login(served, anonymous)
    assert response.status_code == 200
    assert response.json()["user"]["provider"] == "anonymous"


async def test_firebase_unreachable_is_503_with_retry_after(serve, monkeypatch):
    """Outside emulator mode, verification must fetch Google's certificates: no route here."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST", raising=False)
    served = await serve(
        "offline", methods=("google",), firebase_project_id="demo-offline", firebase_http_timeout=5
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    import time

    now = int(time.time())
    claims = {
        "iss": "https://securetoken.google.com/demo-offline",
        "aud": "demo-offline",
        "sub": "u1",
        "user_id": "u1",
        "iat": now,
        "exp": now + 600,
        "auth_time": now,
        "firebase": {"sign_in_provider": "google.com", "identities": {}},
    }
    token = jwt.encode(claims, pem, algorithm="RS256", headers={"kid": "some-key-id"})
    response = await asyncio.wait_for(firebase_login(served, token), 30)
    assert_error(response, 503, "AUTH_PROVIDER_UNAVAILABLE")


async def test_erasure_deletes_the_firebase_user_when_configured(firebase_emulator, serve):
    from .conftest import ALL_METHODS

    served = await serve("erasing", methods=ALL_METHODS, erase_firebase_user=True, **FIREBASE)
    uid, token = firebase_emulator.sign_in_with_idp("google.com", email=new_email("gone"))
    tokens = (await firebase_login(served, token)).json()
    response = await served.client.post(
        "/auth/users/me/erase", json={"confirm": True}, headers=bearer(tokens["access_token"])
    )
    assert response.status_code == 200
    with pytest.raises(EmulatorError, match="no emulator account"):
        firebase_emulator.get_user(uid)


async def test_erasure_keeps_the_firebase_user_by_default(fb):
    uid, token = fb.emulator.sign_in_with_idp("google.com", email=new_email("kept"))
    tokens = (await firebase_login(fb, token)).json()
    response = await fb.client.post(
        "/auth/users/me/erase", json={"confirm": True}, headers=bearer(tokens["access_token"])
    )
    assert response.status_code == 200
    assert fb.emulator.get_user(uid)["localId"] == uid
