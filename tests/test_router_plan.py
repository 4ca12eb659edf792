"""PATCH /auth/users/me/plan and the plan policy hook (contract §2, §4)."""

from __future__ import annotations

from .conftest import assert_error, bearer, raw_user


def allow_all(user, plan, proof):
    return True


async def test_paid_plan_without_a_policy_is_403(serve):
    served = await serve()
    tokens = await served.register_user()
    response = await served.client.patch(
        "/auth/users/me/plan",
        json={"plan": "pro", "email": "a@example.com"},
        headers=bearer(tokens["access_token"]),
    )
    assert_error(response, 403, "PLAN_CHANGE_NOT_ALLOWED")
    doc = await raw_user(served, username="alice")
    assert doc["apps"][0]["plan"] == "free" and "email" not in doc


async def test_paid_plan_with_a_policy_needs_an_email(serve):
    served = await serve(plan_policy=allow_all)
    tokens = await served.register_user()
    auth = bearer(tokens["access_token"])
    no_email = await served.client.patch("/auth/users/me/plan", json={"plan": "pro"}, headers=auth)
    assert_error(no_email, 422, "EMAIL_REQUIRED_FOR_PAID")
    with_email = await served.client.patch(
        "/auth/users/me/plan", json={"plan": "pro", "email": "Alice@Example.COM"}, headers=auth
    )
    assert with_email.status_code == 200, with_email.text
    assert (with_email.json()["plan"], with_email.json()["email"]) == ("pro", "alice@example.com")
    # Once the account has an email, a later paid change needs none in the body.
    enterprise = await served.client.patch(
        "/auth/users/me/plan", json={"plan": "enterprise"}, headers=auth
    )
    assert enterprise.json()["plan"] == "enterprise"
    # The next access token carries the new plan.
    refreshed = await served.client.post(
        "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    pro = await served.client.get("/pro", headers=bearer(refreshed.json()["access_token"]))
    assert pro.status_code == 200


async def test_policy_receives_user_plan_and_proof_and_can_refuse(serve):
    calls = []

    async def only_with_receipt(user, plan, proof):
        calls.append((user.sub, user.app_id, plan, proof))
        return proof == "receipt-123"

    served = await serve(plan_policy=only_with_receipt)
    tokens = await served.register_user()
    auth = bearer(tokens["access_token"])
    refused = await served.client.patch(
        "/auth/users/me/plan",
        json={"plan": "pro", "email": "a@example.com", "proof": "nope"},
        headers=auth,
    )
    assert_error(refused, 403, "PLAN_CHANGE_NOT_ALLOWED")
    doc = await raw_user(served, username="alice")
    assert doc["apps"][0]["plan"] == "free" and "email" not in doc
    accepted = await served.client.patch(
        "/auth/users/me/plan",
        json={"plan": "pro", "email": "a@example.com", "proof": "receipt-123"},
        headers=auth,
    )
    assert accepted.status_code == 200
    assert calls == [("alice", "app1", "pro", "nope"), ("alice", "app1", "pro", "receipt-123")]


async def test_moving_to_free_needs_no_policy(serve):
    served = await serve()
    tokens = await served.register_user()
    response = await served.client.patch(
        "/auth/users/me/plan", json={"plan": "free"}, headers=bearer(tokens["access_token"])
    )
    assert response.status_code == 200 and response.json()["plan"] == "free"


async def test_email_of_another_account_is_409(serve):
    served = await serve(plan_policy=allow_all)
    first = await served.register_user("alice")
    second = await served.register_user("bob")
    taken = await served.client.patch(
        "/auth/users/me/plan",
        json={"plan": "pro", "email": "shared@example.com"},
        headers=bearer(first["access_token"]),
    )
    assert taken.status_code == 200
    response = await served.client.patch(
        "/auth/users/me/plan",
        json={"plan": "pro", "email": "SHARED@example.com"},
        headers=bearer(second["access_token"]),
    )
    assert_error(response, 409, "EMAIL_TAKEN")


async def test_unknown_plan_and_bad_email_are_422(serve):
    served = await serve(plan_policy=allow_all)
    tokens = await served.register_user()
    auth = bearer(tokens["access_token"])
    for body in ({"plan": "platinum"}, {"plan": "pro", "email": "not an email"}, {}):
        response = await served.client.patch("/auth/users/me/plan", json=body, headers=auth)
        assert_error(response, 422, "VALIDATION_ERROR")


async def test_plan_change_touches_only_this_apps_entry(serve):
    app1 = await serve("app1", plan_policy=allow_all)
    app2 = await serve("app2", plan_policy=allow_all)
    tokens = await app1.register_user()
    await app2.login()
    await app1.client.patch(
        "/auth/users/me/plan",
        json={"plan": "pro", "email": "a@example.com"},
        headers=bearer(tokens["access_token"]),
    )
    doc = await raw_user(app1, username="alice")
    assert {e["app_id"]: e["plan"] for e in doc["apps"]} == {"app1": "pro", "app2": "free"}


async def test_plan_change_in_the_users_second_app_changes_that_entry_only(serve):
    app1 = await serve("app1", plan_policy=allow_all)
    app2 = await serve("app2", plan_policy=allow_all)
    await app1.register_user()  # apps[0] is app1
    tokens = (await app2.login()).json()  # apps[1] is app2
    response = await app2.client.patch(
        "/auth/users/me/plan",
        json={"plan": "enterprise", "email": "a@example.com"},
        headers=bearer(tokens["access_token"]),
    )
    assert response.status_code == 200 and response.json()["plan"] == "enterprise"
    doc = await raw_user(app1, username="alice")
    assert {e["app_id"]: e["plan"] for e in doc["apps"]} == {"app1": "free", "app2": "enterprise"}


async def test_without_a_policy_an_email_cannot_be_claimed_even_on_free(serve):
    """Otherwise anyone could squat any address and lock its owner out with EMAIL_TAKEN."""
    served = await serve()
    tokens = await served.register_user()
    response = await served.client.patch(
        "/auth/users/me/plan",
        json={"plan": "free", "email": "victim@example.com"},
        headers=bearer(tokens["access_token"]),
    )
    assert_error(response, 403, "PLAN_CHANGE_NOT_ALLOWED")
    assert await raw_user(served, email="victim@example.com") is None


async def test_two_concurrent_requests_cannot_both_add_an_email(serve):
    import asyncio

    served = await serve(plan_policy=allow_all)
    tokens = await served.register_user()
    auth = bearer(tokens["access_token"])
    first, second = await asyncio.gather(
        served.client.patch(
            "/auth/users/me/plan", json={"plan": "free", "email": "a@example.com"}, headers=auth
        ),
        served.client.patch(
            "/auth/users/me/plan", json={"plan": "free", "email": "b@example.com"}, headers=auth
        ),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 422]
    winner = first if first.status_code == 200 else second
    doc = await raw_user(served, username="alice")
    assert doc["email"] == winner.json()["email"]
