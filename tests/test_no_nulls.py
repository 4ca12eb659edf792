"""Stored documents never hold ``null`` (contract §6): every store method leaves a value it is
given as ``None`` out (or unsets it), so the sparse unique indexes on ``username``, ``email`` and
``firebase_uid`` hold on a real MongoDB, which indexes an explicit ``null`` (two of them
collide) while the embedded database does not. So these tests look at the documents, not at
index errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bson import ObjectId

from .conftest import PASSWORD, bearer

COLLECTIONS = ("apps", "users", "sessions", "refresh_tokens", "login_failures", "audit_events")


def nulls_in(value: Any, path: str = "") -> list[str]:
    """The paths of every ``None`` inside ``value`` (documents, arrays, nested documents)."""
    if value is None:
        return [path or "(document)"]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in nulls_in(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in nulls_in(item, f"{path}[{index}]")]
    return []


async def nulls_stored(database: Any) -> dict[str, list[str]]:
    found = {}
    for name in COLLECTIONS:
        for doc in await database[name].find({}).to_list(None):
            if paths := nulls_in(doc):
                found[f"{name} {doc['_id']}"] = paths
    return found


def test_nulls_in_finds_nested_nulls():  # the checker itself can fail
    assert nulls_in({"a": 1, "b": {"c": None}, "d": [{"e": None}]}) == [".b.c", ".d[0].e"]


async def test_no_user_store_method_writes_a_null(make_trachea, database):
    users = make_trachea("app1").store.users
    given_none = {
        "email": None,
        "email_verified": None,
        "firebase_uid": None,
        "name": None,
        "phone": None,
        "address": {"street": None, "city": "Lyon"},
    }
    first = await users.insert({"username": "alice", **given_none}, app_id="app1")
    second = await users.insert({"username": "bob", **given_none})
    await users.update_fields(first.id, {"name": "Alice", **given_none}, ("avatar",))
    await users.join_app(second.id, "app1")
    await users.set_membership_fields(first.id, "app1", {"plan": "pro"}, given_none)
    await users.set_membership_fields(
        second.id, "app1", {"role": "admin"}, {"email": None}, only_without_email=True
    )
    await users.update_fields(second.id, {"email": "bob@example.com"})
    await users.link_firebase(second.id, "bob@example.com", {"firebase_uid": "uid-b", **given_none})
    await users.evict_unverified_email(first.id, "nobody@example.com")
    await users.replace_password_hash(first.id, "old", "new")
    await users.set_active(first.id, False)
    # Two accounts without username, email or Firebase uid coexist (no nulls to collide).
    await users.insert({"name": "Anonymous one", "username": None})
    await users.insert({"name": "Anonymous two", "username": None})
    assert await nulls_stored(database) == {}


async def test_no_session_token_or_audit_write_stores_a_null(make_trachea, database, clock):
    store = make_trachea("app1").store
    user_id = ObjectId()
    await store.sessions.insert(
        "s" * 32,
        user_id=user_id,
        app_id="app1",
        provider="username",
        auth_time=clock.now(),
        expires_at=clock.now() + timedelta(days=90),
        refresh_hash="a" * 64,
        refresh_expires_at=clock.now() + timedelta(days=30),
        ip=None,
        user_agent=None,
        legacy_hash=None,
    )
    await store.refresh_tokens.retire(
        "b" * 64,
        session_id="s" * 32,
        user_id=user_id,
        app_id="app1",
        expires_at=clock.now() + timedelta(days=30),
    )
    await store.audit.insert_many(
        [
            store.audit.document(
                store.audit.event(
                    "login", app_id=None, user_id=None, ip=None, user_agent=None, x=None
                )
            )
        ]
    )
    await store.audit.record("logout", app_id="app1", user_id=None, reason=None)
    assert await nulls_stored(database) == {}


async def test_every_route_leaves_documents_without_nulls(serve, database):
    served = await serve(plan_policy=lambda user, plan, proof: True)
    tokens = await served.register_user("alice", PASSWORD, name=None)
    auth = bearer(tokens["access_token"])
    http = served.client
    await http.patch(
        "/auth/users/me",
        json={"name": None, "phone": None, "address": {"city": "Lyon", "zip": None}},
        headers=auth,
    )
    await http.patch("/auth/users/me", json={"avatar": None, "date_of_birth": None}, headers=auth)
    await http.patch(
        "/auth/users/me/plan", json={"plan": "pro", "email": "a@example.com"}, headers=auth
    )
    await served.login("alice", "wrong password!")
    await served.login("nobody", "wrong password!")
    await http.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    await http.post("/auth/logout", headers=auth)
    await served.trachea.service.auditor.flush()
    assert await nulls_stored(database) == {}
