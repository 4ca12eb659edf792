"""Unit tests of our own account mapping for Firebase identities (no HTTP, no emulator): cases
the emulator cannot produce, such as two Firebase uids claiming one email."""

from __future__ import annotations

import pytest

from trachea_login.firebase import FirebaseIdentity
from trachea_login.services import ClientContext


def identity(uid: str, email: str | None, verified: bool, provider: str = "google"):
    return FirebaseIdentity(
        uid=uid,
        provider=provider,
        sign_in_provider=f"{provider}.com",
        email=email,
        email_verified=verified,
        name=None,
        picture=None,
        phone_number=None,
        claims={},
    )


@pytest.fixture
async def service(register, make_trachea):
    await register("app1", ("google", "password"))
    trachea = make_trachea("app1", firebase_project_id="demo-trachea")
    await trachea.startup()
    yield trachea.service
    await trachea.shutdown()


async def upsert(service, ident):
    return await service.firebase.account_of(ident, ClientContext())


async def stored(service, user_id):
    return await service.store.users.collection.find_one({"_id": user_id})


async def test_a_verified_owner_takes_the_address_from_an_unverified_firebase_holder(service):
    squatter = await upsert(service, identity("uid-squatter", "owner@example.com", False))
    assert squatter.email == "owner@example.com" and squatter.email_verified is False
    owner = await upsert(service, identity("uid-owner", "owner@example.com", True))
    assert owner.id != squatter.id
    assert (owner.email, owner.email_verified) == ("owner@example.com", True)
    evicted = await stored(service, squatter.id)
    assert "email" not in evicted and "email_verified" not in evicted
    assert evicted["firebase_uid"] == "uid-squatter"  # it keeps its account, not the address


async def test_a_verified_holder_keeps_its_address(service):
    first = await upsert(service, identity("uid-1", "shared@example.com", True))
    second = await upsert(service, identity("uid-2", "shared@example.com", True))
    assert second.id != first.id and "email" not in await stored(service, second.id)
    assert (await service.store.users.get(first.id)).email == "shared@example.com"


async def test_an_unverified_newcomer_never_takes_an_address(service):
    holder = await upsert(service, identity("uid-1", "mine@example.com", False))
    newcomer = await upsert(service, identity("uid-2", "mine@example.com", False))
    assert "email" not in await stored(service, newcomer.id)
    assert (await service.store.users.get(holder.id)).email == "mine@example.com"


async def test_absent_profile_values_are_absent_fields_not_nulls(service):
    """Sparse unique indexes count nulls on a real MongoDB: absent means absent."""
    anonymous = await upsert(service, identity("anon-1", None, False, provider="anonymous"))
    document = await stored(service, anonymous.id)
    for field in ("email", "email_verified", "name", "avatar", "phone", "username"):
        assert field not in document, field
    other = await upsert(service, identity("anon-2", None, False, provider="anonymous"))
    assert other.id != anonymous.id


async def test_a_concurrent_first_login_taking_the_uid_during_a_link_is_not_an_error(
    service, monkeypatch
):
    """Two first logins of one uid: while this one links the native account holding the
    verified email, the other creates an account with the uid. The link's conditional update
    then meets the uid's unique index (DuplicateKeyError): not a 503, the next round finds the
    account the other request made."""
    users = service.store.users
    holder = await users.insert(
        {
            "username": "bob",
            "password_hash": "x",
            "email": "bob@example.com",
            "provider": "username",
        }
    )
    real_link = users.link_firebase
    created = []

    async def link_after_the_other_request(*args, **kwargs):
        if not created:
            created.append(await users.insert({"firebase_uid": "uid-bob", "provider": "google"}))
        return await real_link(*args, **kwargs)

    monkeypatch.setattr(users, "link_firebase", link_after_the_other_request)
    account = await upsert(service, identity("uid-bob", "bob@example.com", True))
    assert account.id == created[0].id  # the other request's account, found by uid
    assert (await stored(service, holder.id)).get("firebase_uid") is None
