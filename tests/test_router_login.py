"""POST /auth/login with username or email and password (contract §4)."""

from __future__ import annotations

import unicodedata

import pytest

from .conftest import PASSWORD, assert_error, bearer, raw_user


async def test_login_with_username_returns_tokens_and_user(serve):
    served = await serve()
    registered = await served.register_user("alice")
    response = await served.login("ALICE")
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["id"] == registered["user"]["id"]
    assert body["refresh_token"] != registered["refresh_token"]
    assert response.headers["cache-control"] == "no-store"


async def test_login_with_email_for_a_native_account_that_has_one(serve):
    served = await serve(plan_policy=lambda user, plan, proof: True)
    tokens = await served.register_user("alice")
    set_email = await served.client.patch(
        "/auth/users/me/plan",
        json={"plan": "free", "email": "Alice@Example.com"},
        headers=bearer(tokens["access_token"]),
    )
    assert set_email.status_code == 200, set_email.text
    response = await served.client.post(
        "/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["user"]["username"] == "alice"
    wrong = await served.client.post(
        "/auth/login", json={"email": "alice@example.com", "password": PASSWORD + "x"}
    )
    assert_error(wrong, 401, "INVALID_CREDENTIALS")


async def test_unknown_user_and_wrong_password_get_the_same_answer(serve):
    served = await serve()
    await served.register_user("alice")
    unknown = await served.login("nobody")
    wrong = await served.login("alice", PASSWORD + "!")
    assert_error(unknown, 401, "INVALID_CREDENTIALS")
    assert_error(wrong, 401, "INVALID_CREDENTIALS")
    assert unknown.json() == wrong.json()
    strip = {"date", "content-length"}
    assert {k: v for k, v in unknown.headers.items() if k not in strip} == {
        k: v for k, v in wrong.headers.items() if k not in strip
    }


async def test_a_hundred_character_password_is_fully_significant(serve):
    served = await serve()
    long_password = "".join(chr(ord("a") + i % 26) for i in range(100))
    await served.register_user("alice", long_password)
    assert (await served.login("alice", long_password)).status_code == 200
    # Differs only at character 90 (past bcrypt's 72 bytes): refused.
    altered = long_password[:89] + ("Z" if long_password[89] != "Z" else "Y") + long_password[90:]
    assert len(altered) == 100 and altered != long_password
    assert_error(await served.login("alice", altered), 401, "INVALID_CREDENTIALS")


async def test_unicode_passwords_longer_than_72_bytes_work(serve):
    served = await serve()
    password = "пароль-🔑-" * 12  # far beyond 72 bytes in UTF-8
    await served.register_user("dmitri", password)
    assert (await served.login("dmitri", password)).status_code == 200
    assert_error(await served.login("dmitri", password[:-1]), 401, "INVALID_CREDENTIALS")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"password": PASSWORD},
        {"username": "alice"},
        {"username": "alice", "email": "a@example.com", "password": PASSWORD},
        {"firebase_token": "t", "password": PASSWORD},
        {"email": "not-an-email", "password": PASSWORD},
        {"username": "alice", "password": PASSWORD, "role": "admin"},
    ],
    ids=[
        "empty",
        "no-identifier",
        "no-password",
        "both-identifiers",
        "mixed",
        "bad-email",
        "extra-field",
    ],
)
async def test_malformed_login_bodies_are_422(serve, body):
    served = await serve()
    assert_error(await served.client.post("/auth/login", json=body), 422, "VALIDATION_ERROR")


async def test_deactivated_user_learns_it_only_with_the_right_password(serve):
    served = await serve()
    tokens = await served.register_user("alice")
    deleted = await served.client.delete("/auth/users/me", headers=bearer(tokens["access_token"]))
    assert deleted.json() == {"message": "Account deactivated successfully"}
    assert_error(await served.login("alice"), 403, "USER_INACTIVE")
    assert_error(await served.login("alice", "wrong password!"), 401, "INVALID_CREDENTIALS")


async def test_stale_password_hash_is_upgraded_on_login(serve, make_trachea):
    served = await serve(password_hash_rounds=4)
    await served.register_user("alice")
    old_hash = (await raw_user(served, username="alice"))["password_hash"]
    assert ",r=4$" in old_hash
    stronger = make_trachea("app1", password_hash_rounds=5)
    await stronger.startup()
    from trachea_login.services import ClientContext

    await stronger.service.native.login(
        identifier="alice", password=PASSWORD, by_email=False, client=ClientContext()
    )
    new_hash = (await raw_user(served, username="alice"))["password_hash"]
    assert new_hash != old_hash and ",r=5$" in new_hash
    assert (await served.login("alice")).status_code == 200


async def test_legacy_plain_bcrypt_hash_verifies_and_is_replaced(serve):
    import bcrypt

    served = await serve()
    await served.register_user("alice")
    legacy = bcrypt.hashpw(b"legacy password 1", bcrypt.gensalt(4)).decode()
    users = served.trachea.store.users
    user = await users.find_by_username("alice")
    await users.update_fields(user.id, {"password_hash": legacy})
    assert (await served.login("alice", "legacy password 1")).status_code == 200
    upgraded = (await users.find_by_username("alice")).password_hash
    assert upgraded.startswith("$bcrypt-sha256$")


async def test_login_joins_a_second_app_without_touching_the_first(serve, register):
    first = await serve("app1")
    await first.register_user("alice")
    users = first.trachea.store.users
    user = await users.find_by_username("alice")
    await users.set_membership_fields(user.id, "app1", {"plan": "pro", "role": "admin"})

    second = await serve("app2")
    response = await second.login("alice")
    assert response.status_code == 200
    assert (response.json()["user"]["role"], response.json()["user"]["plan"]) == ("member", "free")
    record = await users.find_by_username("alice")
    entries = {entry.app_id: entry for entry in record.apps}
    assert set(entries) == {"app1", "app2"}
    assert (entries["app1"].role, entries["app1"].plan) == ("admin", "pro")
    again = await second.login("alice")
    assert again.status_code == 200
    assert len((await users.find_by_username("alice")).apps) == 2


async def test_login_refused_for_an_inactive_app(serve):
    served = await serve()
    await served.register_user("alice")
    await served.trachea.store.apps.update("app1", is_active=False)
    served.let_app_cache_expire()
    assert_error(await served.login("alice"), 403, "APP_INACTIVE")


async def test_firebase_token_without_firebase_configured_is_not_a_500(serve):
    served = await serve()
    response = await served.client.post("/auth/login", json={"firebase_token": "whatever"})
    assert_error(response, 403, "AUTH_METHOD_NOT_ALLOWED")


async def test_concurrent_first_logins_to_a_second_app_add_one_entry(serve):
    import asyncio

    first = await serve("app1")
    await first.register_user("alice")
    second = await serve("app2")
    responses = await asyncio.gather(*(second.login("alice") for _ in range(5)))
    assert [r.status_code for r in responses] == [200] * 5
    doc = await raw_user(first, username="alice")
    assert [e["app_id"] for e in doc["apps"]] == ["app1", "app2"]


# -- Unicode: NFC passwords (contract §4, NIST SP 800-63B §5.1.1.2) -------------------------

NFC_PASSWORD = "caf\u00e9 au lait, s'il vous pla\u00eet"  # é and î as one code point each
NFD_PASSWORD = unicodedata.normalize("NFD", NFC_PASSWORD)  # e + U+0301, i + U+0302


async def test_a_password_signs_in_whichever_unicode_form_the_keyboard_sends(serve):
    assert NFC_PASSWORD != NFD_PASSWORD
    served = await serve()
    await served.register_user("alice", NFD_PASSWORD)
    await served.register_user("bob", NFC_PASSWORD)
    for name in ("alice", "bob"):
        for form in (NFC_PASSWORD, NFD_PASSWORD):
            assert (await served.login(name, form)).status_code == 200, (name, form)
    assert_error(
        await served.login("alice", "cafe au lait, s'il vous plait"), 401, "INVALID_CREDENTIALS"
    )


async def test_a_hash_made_from_a_password_not_in_nfc_verifies_and_is_rehashed(serve):
    """Hashes made before passwords were normalised (trachea-login 0.1.x) hold the raw form."""
    from passlib.hash import bcrypt_sha256

    served = await serve()
    await served.register_user("alice")
    users = served.trachea.store.users
    user = await users.find_by_username("alice")
    raw_hash = bcrypt_sha256.using(rounds=4).hash(NFD_PASSWORD)  # as an old version stored it
    await users.update_fields(user.id, {"password_hash": raw_hash})
    assert (await served.login("alice", NFD_PASSWORD)).status_code == 200
    rehashed = (await users.find_by_username("alice")).password_hash
    assert rehashed != raw_hash and bcrypt_sha256.verify(NFC_PASSWORD, rehashed)
    assert (await served.login("alice", NFC_PASSWORD)).status_code == 200


async def test_a_raw_form_hash_does_not_match_other_passwords(serve):
    from passlib.hash import bcrypt_sha256

    served = await serve()
    await served.register_user("alice")
    users = served.trachea.store.users
    user = await users.find_by_username("alice")
    raw_hash = bcrypt_sha256.using(rounds=4).hash(NFD_PASSWORD)
    await users.update_fields(user.id, {"password_hash": raw_hash})
    assert_error(await served.login("alice", NFC_PASSWORD + "x"), 401, "INVALID_CREDENTIALS")
    assert (await users.find_by_username("alice")).password_hash == raw_hash
