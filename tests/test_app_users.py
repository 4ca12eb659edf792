"""``trachea.users`` (contract §12): the product backend's operations on its app's users, the
code of the CLI's ``users`` commands. Written with our own pytest plugin
(``trachea_login.testing``): the ``trachea``, ``trachea_client`` and ``issue_token`` fixtures."""

from __future__ import annotations

import pytest

from trachea_login import UserResponse
from trachea_login.admin import EmailRequiredForPaidPlan, NotAMember, UserNotFound
from trachea_login.admin import users as operations
from trachea_login.testing import TEST_PASSWORD


async def events(trachea, name):
    await trachea.service.auditor.flush()  # stored after the response
    return [e async for e in trachea.store.audit.collection.find({"event": name})]


async def member_of_another_app(trachea, username="outsider"):
    """A person who signed in to another app only."""
    record = await trachea.store.users.insert({"username": username}, app_id="other-app")
    return record.uid


async def login(client, username):
    return await client.post("/auth/login", json={"username": username, "password": TEST_PASSWORD})


# -- reading -----------------------------------------------------------------------------------


async def test_get_gives_the_user_as_this_app_sees_them(trachea, issue_token):
    issued = await issue_token(role="admin", plan="pro", username="alice")
    user = await trachea.users.get(issued.uid)
    assert isinstance(user, UserResponse)
    assert (user.id, user.username, user.role, user.plan) == (issued.uid, "alice", "admin", "pro")
    assert user.app_id == "test-app" and user.email == "alice@example.com"


async def test_get_is_none_for_unknown_outsiders_erased_and_malformed_ids(trachea, issue_token):
    erased = await issue_token()
    await trachea.users.erase(erased.uid)
    for uid in ("0" * 24, await member_of_another_app(trachea), erased.uid, "not-an-id", ""):
        assert await trachea.users.get(uid) is None, uid


async def test_find_by_username_email_or_firebase_uid(trachea, issue_token):
    issued = await issue_token(username="Bob", email="Bob@Example.com")
    linked = await trachea.store.users.insert(
        {"firebase_uid": "fb-carol", "provider": "google"}, app_id="test-app"
    )
    assert (await trachea.users.find(username="BOB")).id == issued.uid
    assert (await trachea.users.find(email="bob@example.com")).id == issued.uid
    found = await trachea.users.find(firebase_uid="fb-carol")
    assert found.id == linked.uid and found.provider == "google"
    assert await trachea.users.find(username="nobody") is None
    await member_of_another_app(trachea, "dave")
    assert await trachea.users.find(username="dave") is None  # not this app's


@pytest.mark.parametrize("keywords", [{}, {"username": "a", "email": "a@example.com"}])
async def test_find_takes_exactly_one_key(trachea, keywords):
    with pytest.raises(TypeError):
        await trachea.users.find(**keywords)


# -- roles and plans ---------------------------------------------------------------------------


async def test_set_role_changes_this_apps_entry_only_and_is_audited(trachea, issue_token):
    issued = await issue_token()
    await trachea.store.users.join_app((await trachea.store.users.get(issued.uid)).id, "other-app")
    user = await trachea.users.set_role(issued.uid, "admin")
    assert user.role == "admin"
    stored = await trachea.store.users.get(issued.uid)
    assert stored.membership("other-app").role == "member"
    [event] = await events(trachea, "role_changed")
    assert (event["app_id"], event["old"], event["new"], event["actor"]) == (
        "test-app", "member", "admin", "backend",
    )  # fmt: skip


async def test_a_role_change_shows_at_once_on_live_routes_and_in_the_next_token(
    trachea, trachea_client, issue_token
):
    issued = await issue_token(username="erin")
    await trachea.users.set_role(issued.uid, "guest")
    me = await trachea_client.get("/auth/users/me", headers=issued.headers)
    assert me.json()["role"] == "guest"
    refreshed = await trachea_client.post(
        "/auth/refresh", json={"refresh_token": issued.refresh_token}
    )
    assert trachea.tokens.verify(refreshed.json()["access_token"]).role == "guest"


async def test_set_plan_keeps_the_email_rule(trachea, issue_token):
    without_email = await issue_token(username="frank")
    with pytest.raises(EmailRequiredForPaidPlan):
        await trachea.users.set_plan(without_email.uid, "pro")
    assert (await trachea.users.get(without_email.uid)).plan == "free"
    with_email = await issue_token(email="gina@example.com")
    assert (await trachea.users.set_plan(with_email.uid, "enterprise")).plan == "enterprise"
    assert (await trachea.users.set_plan(with_email.uid, "free")).plan == "free"


@pytest.mark.parametrize(
    "operation, value", [("set_role", "owner"), ("set_plan", "gold")], ids=["role", "plan"]
)
async def test_unknown_levels_are_value_errors(trachea, issue_token, operation, value):
    issued = await issue_token()
    with pytest.raises(ValueError):
        await getattr(trachea.users, operation)(issued.uid, value)


@pytest.mark.parametrize(
    "operation, args",
    [
        ("set_role", ("admin",)),
        ("set_plan", ("free",)),
        ("deactivate", ()),
        ("reactivate", ()),
        ("end_sessions", ()),
        ("erase", ()),
    ],
)
async def test_changes_refuse_unknown_users_and_other_apps_users(trachea, operation, args):
    with pytest.raises(UserNotFound):
        await getattr(trachea.users, operation)("0" * 24, *args)
    outsider = await member_of_another_app(trachea)
    with pytest.raises(NotAMember):
        await getattr(trachea.users, operation)(outsider, *args)
    assert (await trachea.store.users.get(outsider)).is_active  # untouched


# -- the account -------------------------------------------------------------------------------


async def test_deactivate_ends_every_session_and_reactivate_revives_none(
    trachea, trachea_client, issue_token
):
    issued = await issue_token(username="hank")
    assert await trachea.users.deactivate(issued.uid) == 1
    assert (await login(trachea_client, "hank")).status_code == 403
    refresh = await trachea_client.post(
        "/auth/refresh", json={"refresh_token": issued.refresh_token}
    )
    assert refresh.status_code == 401
    assert (await trachea.users.reactivate(issued.uid)).username == "hank"
    again = await trachea_client.post("/auth/refresh", json={"refresh_token": issued.refresh_token})
    assert again.status_code == 401  # the session ended with the deactivation stays ended
    assert (await login(trachea_client, "hank")).status_code == 200
    kinds = [e["event"] for e in await events(trachea, "deactivated")]
    kinds += [e["event"] for e in await events(trachea, "reactivated")]
    assert kinds == ["deactivated", "reactivated"]


async def test_end_sessions_ends_them_all_and_says_how_many(trachea, trachea_client, issue_token):
    first = await issue_token(username="ivy")
    await issue_token(user=first.uid)
    assert await trachea.users.end_sessions(first.uid) == 2
    response = await trachea_client.get("/auth/users/me", headers=first.headers)
    assert response.status_code == 401
    assert (await login(trachea_client, "ivy")).status_code == 200


async def test_erase_leaves_nothing_personal_and_frees_the_username(
    trachea, trachea_client, issue_token
):
    issued = await issue_token(username="jack", email="jack@example.com")
    await trachea.users.erase(issued.uid)
    stored = await trachea.store.users.collection.find_one({})
    assert set(stored) == {"_id", "erased_at"}
    assert (await login(trachea_client, "jack")).status_code == 401
    again = await trachea_client.post(
        "/auth/register", json={"username": "jack", "password": TEST_PASSWORD}
    )
    assert again.status_code == 200


async def test_trachea_users_is_the_code_of_the_cli_commands(trachea, issue_token, monkeypatch):
    """Both the CLI's functions and trachea.users go through the same operations."""
    called = []
    real = operations.change_plan

    async def spying(*args, **kwargs):
        called.append(kwargs["actor"])
        return await real(*args, **kwargs)

    monkeypatch.setattr(operations, "change_plan", spying)
    issued = await issue_token(email="kim@example.com")
    await trachea.users.set_plan(issued.uid, "pro")
    await operations.set_user_plan(trachea.database, issued.uid, "test-app", "free")
    assert called == ["backend", "cli"]


def test_the_database_is_the_instances(trachea):
    assert trachea.database is trachea.store.database
    assert trachea.database.name == trachea.settings.db_name
