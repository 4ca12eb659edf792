"""Account enumeration: unknown user, wrong password, deactivated or Firebase-only account
with a wrong password all answer alike, and an unknown user costs one (dummy) hash check."""

from __future__ import annotations

from ..conftest import PASSWORD, assert_error, bearer, raw_user

STRIP = {"date", "content-length"}


def comparable(response):
    return (
        response.status_code,
        response.json(),
        {k: v for k, v in response.headers.items() if k not in STRIP},
    )


async def test_every_kind_of_failed_password_login_looks_the_same(serve):
    served = await serve(login_max_failures=100)
    await served.register_user("alice")
    gone = await served.register_user("gone")
    await served.client.delete("/auth/users/me", headers=bearer(gone["access_token"]))
    # A Firebase-only account: has an email but no password.
    await served.trachea.store.users.insert(
        {
            "firebase_uid": "fb-1",
            "email": "fb@example.com",
            "email_verified": True,
            "provider": "google",
        }
    )
    answers = [
        await served.login("nobody", PASSWORD),
        await served.login("alice", "wrong password!"),
        await served.login("gone", "wrong password!"),
        await served.client.post(
            "/auth/login", json={"email": "fb@example.com", "password": "wrong password!"}
        ),
        await served.client.post(
            "/auth/login", json={"email": "nobody@example.com", "password": "wrong password!"}
        ),
    ]
    for answer in answers:
        assert_error(answer, 401, "INVALID_CREDENTIALS")
    assert len({repr(comparable(a)) for a in answers}) == 1


async def test_an_unknown_user_costs_one_hash_check_like_a_known_one(serve, monkeypatch):
    served = await serve()
    await served.register_user("alice")
    hasher = served.trachea.hasher
    checks = []
    real_verify, real_update = hasher._safe_verify, hasher._safe_verify_and_update

    def count_verify(*args):
        checks.append("dummy")
        return real_verify(*args)

    def count_update(*args):
        checks.append("real")
        return real_update(*args)

    monkeypatch.setattr(hasher, "_safe_verify", count_verify)
    monkeypatch.setattr(hasher, "_safe_verify_and_update", count_update)
    await served.login("nobody", "wrong password!")
    await served.login("alice", "wrong password!")
    assert checks == ["dummy", "real"]
    # The dummy hash has the same cost as real ones.
    assert (
        hasher._dummy_hash.split("$")[2]
        == (await raw_user(served, username="alice"))["password_hash"].split("$")[2]
    )


async def test_a_password_not_in_nfc_costs_the_same_checks_for_unknown_users(serve, monkeypatch):
    """A password that is not in NFC is checked twice (NFC, then as typed, for hashes made
    before normalisation): for an unknown user the dummy hash is checked twice as well."""
    import unicodedata

    served = await serve()
    await served.register_user("alice")
    hasher = served.trachea.hasher
    checks = []
    real_verify, real_update = hasher._safe_verify, hasher._safe_verify_and_update
    monkeypatch.setattr(hasher, "_safe_verify", lambda *a: checks.append("v") or real_verify(*a))
    monkeypatch.setattr(
        hasher, "_safe_verify_and_update", lambda *a: checks.append("v") or real_update(*a)
    )
    not_nfc = unicodedata.normalize("NFD", "wrong pässwörd")
    await served.login("nobody", not_nfc)
    unknown, checks[:] = len(checks), []
    await served.login("alice", not_nfc)
    assert unknown == len(checks) == 2
