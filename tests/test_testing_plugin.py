"""``trachea_login.testing`` (contract §12): the instance, tokens and fixtures a product's own
test suite gets from us. These tests use the plugin the way a product does (it is enabled in
our conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import Depends

from trachea_login import CurrentClient, CurrentUser, TracheaError
from trachea_login.admin import EmailRequiredForPaidPlan
from trachea_login.testing import (
    TEST_PASSWORD,
    default_app,
    embedded_trachea,
    issue_token,
    prepare,
)


@pytest.fixture
def trachea_options() -> dict[str, Any]:
    # Overridden here as a product would: settings and an app id of our choosing.
    return {"app_id": "shop", "access_token_expire_minutes": 5}


@pytest.fixture
def trachea_app(trachea):
    app = default_app(trachea)

    @app.get("/orders")
    async def orders(user: CurrentUser = Depends(trachea.require(role="member", plan="pro"))):
        return {"uid": user.uid, "plan": user.plan}

    @app.get("/sensitive")
    async def sensitive(user: CurrentUser = Depends(trachea.live_user)):
        return {"role": user.role}

    @app.get("/reports")
    async def reports(client: CurrentClient = Depends(trachea.require_scopes("reports:read"))):
        return {"client_id": client.client_id}

    return app


async def test_the_instance_runs_on_its_own_in_memory_database_with_the_options(trachea):
    assert trachea.app_id == "shop" and trachea.started
    assert trachea.settings.access_token_expire_minutes == 5
    assert trachea.settings.password_hash_rounds == 4
    assert await trachea.store.apps.get("shop") is not None


async def test_a_token_with_a_role_and_plan_passes_the_product_route(trachea_client, issue_token):
    issued = await issue_token(plan="pro")
    response = await trachea_client.get("/orders", headers=issued.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"uid": issued.uid, "plan": "pro"}
    refused = await trachea_client.get("/orders", headers=(await issue_token()).headers)
    assert refused.status_code == 403 and refused.json()["error"] == "INSUFFICIENT_PLAN"


async def test_the_token_belongs_to_a_live_session(trachea, trachea_client, issue_token):
    issued = await issue_token(role="admin")
    assert (await trachea_client.get("/sensitive", headers=issued.headers)).json() == {
        "role": "admin"
    }
    me = await trachea_client.get("/auth/users/me", headers=issued.headers)
    assert me.status_code == 200 and me.json()["role"] == "admin"
    claims = trachea.tokens.verify(issued.access_token)
    assert (claims.role, claims.plan, claims.app_id) == ("admin", "free", "shop")
    refreshed = await trachea_client.post(
        "/auth/refresh", json={"refresh_token": issued.refresh_token}
    )
    assert refreshed.status_code == 200


async def test_an_existing_user_joins_the_app_and_keeps_one_account(trachea, issue_token):
    first = await issue_token(username="alice", email="alice@example.com")
    again = await issue_token(user=first.uid, role="guest", plan="enterprise")
    assert again.uid == first.uid and again.user.role == "guest"
    assert await trachea.store.users.collection.count_documents({}) == 1
    outsider = await trachea.store.users.insert({"username": "bob"}, app_id="elsewhere")
    joined = await issue_token(user=outsider.uid)
    assert joined.user.app_id == "shop"
    assert (await trachea.store.users.get(outsider.uid)).membership("shop") is not None


async def test_a_new_users_names_are_stored_as_registration_stores_them(
    trachea, trachea_client, issue_token
):
    """Login, ``trachea.users.find`` and the CLI look names up normalised: a user made here
    must be found by them, whatever spelling the test used."""
    issued = await issue_token(username="Straße", email="Straße@Example.com")
    assert issued.user.username == "strasse"
    found = await trachea.users.find(username="STRASSE")
    assert found is not None and found.id == issued.uid
    assert (await trachea.users.find(email="strasse@example.com")).id == issued.uid
    login = await trachea_client.post(
        "/auth/login", json={"username": "Straße", "password": TEST_PASSWORD}
    )
    assert login.status_code == 200, login.text


@pytest.mark.parametrize("username", ["has space!", "ab", "x" * 33, "al@ce"])
async def test_a_username_registration_refuses_is_refused_here_too(issue_token, username):
    with pytest.raises(ValueError, match="not one registration accepts"):
        await issue_token(username=username)


async def test_a_paid_plan_keeps_the_email_rule_for_an_existing_user(trachea, issue_token):
    bare = await issue_token(username="carol")
    with pytest.raises(EmailRequiredForPaidPlan):
        await issue_token(user=bare.uid, plan="pro")
    with pytest.raises(LookupError):
        await issue_token(user="0" * 24)
    with pytest.raises(ValueError):
        await issue_token(role="owner")


async def test_the_clock_expires_tokens(trachea_client, trachea_clock, issue_token):
    issued = await issue_token(plan="pro")
    trachea_clock.advance(minutes=6)
    response = await trachea_client.get("/orders", headers=issued.headers)
    assert response.status_code == 401 and response.json()["error"] == "TOKEN_EXPIRED"


async def test_a_service_token_passes_require_scopes(trachea_client, issue_service_token):
    token = await issue_service_token(["reports:read"])
    response = await trachea_client.get("/reports", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json()["client_id"].startswith("svc_")
    other = await issue_service_token(["users:read"])
    refused = await trachea_client.get("/reports", headers={"Authorization": f"Bearer {other}"})
    assert refused.status_code == 403 and refused.json()["error"] == "INSUFFICIENT_SCOPE"


async def test_the_helpers_work_without_the_fixtures():
    """For suites that build their instance themselves (or unittest)."""
    trachea = embedded_trachea("blog", plan_policy=lambda user, plan, proof: True)
    await prepare(trachea, methods=("username",))
    await prepare(trachea)  # registered already: nothing to do
    await trachea.startup()
    try:
        issued = await issue_token(trachea, role="admin")
        assert trachea.tokens.verify(issued.access_token).role == "admin"
    finally:
        await trachea.shutdown()
    other = embedded_trachea("blog")
    assert await other.store.apps.get("blog") is None  # a database of its own
    with pytest.raises(TracheaError):
        other.tokens.verify(issued.access_token)  # and secrets of its own
