"""The ``phone`` method through our routes, with tokens from the Auth emulator (contract §4):
allowed only when the app lists it; a phone sign-in stores its verified E.164 number as the
account's ``phone``; a number in another form is refused (phone) or dropped (other methods);
phone numbers never link accounts."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.firebase_emulator import decode_unverified, unsigned_token

from .conftest import FIREBASE, assert_error, bearer, firebase_login, new_email, raw_user


def new_indian_mobile() -> str:
    return "+919" + "".join(secrets.choice("0123456789") for _ in range(9))


def with_claims(token: str, **changes: Any) -> str:
    """``token`` re-issued with some claims changed (``None`` removes one), as an emulator
    storing a number verbatim would issue it."""
    _, claims = decode_unverified(token)
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return unsigned_token(claims)


@pytest.fixture
async def phone_app(firebase_emulator, serve):
    served = await serve("phone-app", methods=("phone", "username"), **FIREBASE)
    served.emulator = firebase_emulator
    return served


async def test_a_phone_sign_in_creates_an_account_holding_the_verified_number(phone_app):
    phone = new_indian_mobile()
    uid, token = phone_app.emulator.sign_in_with_phone(phone)

    response = await firebase_login(phone_app, token)

    assert response.status_code == 200, response.text
    user = response.json()["user"]
    assert (user["provider"], user["phone"], user["firebase_uid"]) == ("phone", phone, uid)
    assert user["username"] is None and user["email"] is None
    stored = await raw_user(phone_app, firebase_uid=uid)
    assert stored["phone"] == phone and "email" not in stored
    me = await phone_app.client.get(
        "/auth/users/me", headers=bearer(response.json()["access_token"])
    )
    assert me.json()["phone"] == phone and me.json()["provider"] == "phone"


async def test_a_phone_sign_in_is_refused_unless_the_app_lists_phone(firebase_emulator, serve):
    served = await serve("no-phone", methods=("google", "password", "username"), **FIREBASE)
    _, token = firebase_emulator.sign_in_with_phone(new_indian_mobile())

    assert_error(await firebase_login(served, token), 403, "AUTH_METHOD_NOT_ALLOWED")
    assert await served.trachea.store.users.collection.count_documents({}) == 0


async def test_the_same_number_signs_the_same_account_in_and_restores_the_verified_number(
    phone_app,
):
    phone = new_indian_mobile()
    _, first_token = phone_app.emulator.sign_in_with_phone(phone)
    first = (await firebase_login(phone_app, first_token)).json()
    edited = await phone_app.client.patch(
        "/auth/users/me",
        json={"phone": "+14155550123"},
        headers=bearer(first["access_token"]),
    )
    assert edited.json()["phone"] == "+14155550123"

    _, again_token = phone_app.emulator.sign_in_with_phone(phone)
    again = await firebase_login(phone_app, again_token)

    assert again.status_code == 200, again.text
    assert again.json()["user"]["id"] == first["user"]["id"]
    assert again.json()["user"]["phone"] == phone  # proven by SMS just now


@pytest.mark.parametrize(
    "claim",
    ["9876543210", "+91 98765 43210", "+91-98765-43210", "+0919876543210", "", None],
    ids=["no-plus", "spaces", "dashes", "leading-zero", "empty", "absent"],
)
async def test_a_phone_sign_in_whose_number_is_not_e164_is_refused(phone_app, claim):
    """Real Firebase issues phone tokens with E.164 numbers only; the emulator would mint
    others. Such a token is refused, and no account is created."""
    uid, token = phone_app.emulator.sign_in_with_phone(new_indian_mobile())

    response = await firebase_login(phone_app, with_claims(token, phone_number=claim))

    assert_error(response, 401, "INVALID_FIREBASE_TOKEN")
    assert await raw_user(phone_app, firebase_uid=uid) is None


async def test_a_number_held_by_another_account_is_not_linked_and_both_keep_it(phone_app):
    """Phone is not unique (§6): carriers recycle numbers and a typed-in one is unproven."""
    phone = new_indian_mobile()
    native = await phone_app.register_user("asha")
    await phone_app.client.patch(
        "/auth/users/me", json={"phone": phone}, headers=bearer(native["access_token"])
    )
    _, token = phone_app.emulator.sign_in_with_phone(phone)

    response = await firebase_login(phone_app, token)

    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] != native["user"]["id"]
    assert response.json()["user"]["phone"] == phone
    stored_native = await raw_user(phone_app, username="asha")
    assert stored_native["phone"] == phone and "firebase_uid" not in stored_native
    assert (await phone_app.login("asha")).status_code == 200  # its sessions and password stay


async def test_a_phone_session_refreshes_while_the_app_allows_phone(phone_app):
    from trachea_login import admin

    _, token = phone_app.emulator.sign_in_with_phone(new_indian_mobile())
    tokens = (await firebase_login(phone_app, token)).json()
    refreshed = await phone_app.client.post(
        "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text

    await admin.set_auth_methods(phone_app.trachea.store.database, "phone-app", ["username"])
    phone_app.let_app_cache_expire()
    refused = await phone_app.client.post(
        "/auth/refresh", json={"refresh_token": refreshed.json()["refresh_token"]}
    )
    assert_error(refused, 403, "AUTH_METHOD_NOT_ALLOWED")


@pytest.mark.parametrize(
    ("claim", "stored"),
    [("+14155550123", "+14155550123"), ("415 555 0123", None)],
    ids=["e164-kept", "other-form-dropped"],
)
async def test_a_number_linked_to_another_sign_in_is_kept_only_in_e164(fb, claim, stored):
    _, token = fb.emulator.sign_in_with_idp("google.com", email=new_email("linked"))

    response = await firebase_login(fb, with_claims(token, phone_number=claim))

    assert response.status_code == 200, response.text
    assert response.json()["user"]["provider"] == "google"
    assert response.json()["user"]["phone"] == stored
