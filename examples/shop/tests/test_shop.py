"""The shop's own tests, written on trachea_login.testing: product routes, the payment
webhook, the sign-in metrics and the CRM webhooks."""

from __future__ import annotations

import json

from shop.webhooks import signature

from trachea_login.testing import TEST_PASSWORD

from .conftest import PAYMENTS_SECRET


async def pay(client, uid: str, plan: str = "pro", secret: str = PAYMENTS_SECRET):
    body = json.dumps({"uid": uid, "plan": plan}).encode()
    return await client.post(
        "/payments/webhook",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Payment-Signature": signature(secret, body),
        },
    )


async def sign_up(client, username: str):
    response = await client.post(
        "/auth/register", json={"username": username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return response.json()


# -- product routes ----------------------------------------------------------------------------


async def test_pro_customers_see_their_orders(trachea, trachea_client, issue_token):
    alice = await issue_token(plan="pro")
    await trachea.database["orders"].insert_one({"owner": alice.uid, "item": "tea", "total": 12})
    response = await trachea_client.get("/orders", headers=alice.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "owner": alice.uid,
        "orders": [{"owner": alice.uid, "item": "tea", "total": 12}],
    }


async def test_free_customers_are_told_their_plan_does_not_include_it(trachea_client, issue_token):
    bob = await issue_token()
    response = await trachea_client.get("/orders", headers=bob.headers)
    assert response.status_code == 403
    assert response.json()["error"] == "INSUFFICIENT_PLAN"


async def test_the_nightly_job_reads_the_daily_report(
    trachea_client, issue_token, issue_service_token
):
    job = await issue_service_token(["reports:read"])
    report = await trachea_client.get("/reports/daily", headers={"Authorization": f"Bearer {job}"})
    assert report.status_code == 200, report.text
    assert report.json()["for"].startswith("svc_")
    other = await issue_service_token(["orders:write"])
    refused = await trachea_client.get(
        "/reports/daily", headers={"Authorization": f"Bearer {other}"}
    )
    assert refused.json()["error"] == "INSUFFICIENT_SCOPE"
    person = await issue_token(role="admin")  # a person is not the nightly job
    assert (await trachea_client.get("/reports/daily", headers=person.headers)).status_code == 401


# -- payments ----------------------------------------------------------------------------------


async def test_a_payment_makes_the_customer_pro(trachea, trachea_client, issue_token, crm):
    carol = await issue_token(email="carol@example.com")
    paid = await pay(trachea_client, carol.uid)
    assert paid.status_code == 200, paid.text
    assert paid.json() == {"uid": carol.uid, "plan": "pro"}
    assert (await trachea.users.get(carol.uid)).plan == "pro"
    # Her old access token still says free; the next one says pro.
    assert (await trachea_client.get("/orders", headers=carol.headers)).status_code == 403
    refreshed = await trachea_client.post(
        "/auth/refresh", json={"refresh_token": carol.refresh_token}
    )
    new_token = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    assert (await trachea_client.get("/orders", headers=new_token)).status_code == 200
    await trachea.flush_events()
    changes = [hook for hook in crm.received if hook["event"] == "plan_changed"]
    assert [(c["user_id"], c["data"]["old"], c["data"]["new"]) for c in changes] == [
        (carol.uid, "free", "pro")
    ]


async def test_a_payment_with_a_bad_signature_changes_nothing(trachea, trachea_client, issue_token):
    dave = await issue_token(email="dave@example.com")
    response = await pay(trachea_client, dave.uid, secret="forged")
    assert response.status_code == 401
    assert (await trachea.users.get(dave.uid)).plan == "free"


async def test_a_payment_for_a_customer_without_an_email_is_refused(
    trachea, trachea_client, issue_token
):
    erin = await issue_token()
    response = await pay(trachea_client, erin.uid)
    assert response.status_code == 409
    assert (await trachea.users.get(erin.uid)).plan == "free"
    assert (await pay(trachea_client, "0" * 24)).status_code == 404


# -- events: metrics and the CRM -----------------------------------------------------------------


async def test_sign_ins_are_counted_for_prometheus(trachea, trachea_client):
    await sign_up(trachea_client, "frank")
    ok = await trachea_client.post(
        "/auth/login", json={"username": "frank", "password": TEST_PASSWORD}
    )
    assert ok.status_code == 200
    bad = await trachea_client.post(
        "/auth/login", json={"username": "frank", "password": "not the password"}
    )
    assert bad.status_code == 401
    await trachea.flush_events()
    metrics = (await trachea_client.get("/metrics")).text
    assert 'trachea_logins_total{method="username"} 2' in metrics  # the sign-up signs in too
    assert 'trachea_login_failures_total{reason="wrong_password"} 1' in metrics


async def test_the_crm_hears_of_new_customers_and_their_sign_ins(trachea, trachea_client, crm):
    tokens = await sign_up(trachea_client, "gina")
    await trachea.flush_events()
    kinds = [(hook["event"], hook["user_id"]) for hook in crm.received]
    uid = tokens["user"]["id"]
    assert kinds == [("registered", uid), ("login", uid)]
    login = crm.received[1]
    assert (
        login["app_id"] == "shop" and login["session_id"] and login["data"]["method"] == "username"
    )
    text = json.dumps(crm.received)
    for secret in (TEST_PASSWORD, tokens["access_token"], tokens["refresh_token"]):
        assert secret not in text


async def test_a_failing_crm_never_fails_a_sign_in(trachea, trachea_client, crm, caplog):
    crm.failing = True
    await sign_up(trachea_client, "hank")
    response = await trachea_client.post(
        "/auth/login", json={"username": "hank", "password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    await trachea.flush_events()
    assert crm.received == []
    assert "on_event" in caplog.text  # trachea-login logged the callback's failure
