"""Audit trail: security events are recorded with app, user, IP, user agent and UTC time,
and never a password, token or secret."""

from __future__ import annotations

import logging

from ..conftest import PASSWORD, bearer, secret_for


async def events(served):
    await served.trachea.service.auditor.flush()  # events are stored off the request path
    return [e async for e in served.trachea.store.audit.collection.find({}).sort("at", 1)]


async def test_security_events_are_recorded_without_secrets(serve):
    served = await serve(login_max_failures=2, plan_policy=lambda u, p, proof: True)
    tokens = await served.register_user("alice", PASSWORD)
    await served.login("alice", "wrong password one")
    await served.login("ghost", "wrong password two")
    await served.login("alice", "wrong password three")
    await served.login("alice", "wrong password four")  # throttled now
    refreshed = (
        await served.client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    ).json()
    auth = bearer(refreshed["access_token"])
    plan = await served.client.patch(
        "/auth/users/me/plan",
        json={"plan": "pro", "email": "a@example.com", "proof": "receipt-secret"},
        headers=auth,
    )
    assert plan.status_code == 200
    assert (await served.client.delete("/auth/users/me", headers=auth)).status_code == 200
    assert (await served.client.post("/auth/logout", headers=auth)).status_code == 200
    reuse = await served.client.post(
        "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert reuse.json()["error"] == "REFRESH_TOKEN_REUSE"

    # The app's registration (by the operator, not over HTTP) is recorded too.
    recorded = [e for e in await events(served) if e["event"] != "app_registered"]
    kinds = [e["event"] for e in recorded]
    for kind in (
        "registered",
        "login",
        "login_failed",
        "login_throttled",
        "refreshed",
        "refresh_reuse_detected",
        "plan_changed",
        "logout",
        "deactivated",
    ):
        assert kind in kinds, kind
    failed = [e for e in recorded if e["event"] == "login_failed"]
    assert {e["reason"] for e in failed} == {"wrong_password", "unknown_user"}
    for event in recorded:
        assert event["app_id"] == "app1"
        assert event["ip"] == "203.0.113.7"
        assert event["user_agent"].startswith("python-httpx")
        assert event["at"] is not None
    user_events = [e for e in recorded if e["event"] in ("registered", "logout", "plan_changed")]
    assert all("user_id" in e for e in user_events)
    text = repr(recorded)
    for secret in (
        PASSWORD,
        "wrong password",
        tokens["refresh_token"],
        tokens["access_token"],
        refreshed["refresh_token"],
        refreshed["access_token"],
        secret_for("app1"),
        "receipt-secret",
        "$bcrypt",
    ):
        assert secret not in text, secret


async def test_audit_events_expire_after_each_apps_own_retention(serve):
    short = await serve("app1", audit_retention_days=30)
    long = await serve("app2", audit_retention_days=365)
    await short.register_user("alice")
    await long.login("alice")
    await short.trachea.service.auditor.flush()
    await long.trachea.service.auditor.flush()
    info = await short.trachea.store.audit.collection.index_information()
    assert info["expires_at_ttl"]["expireAfterSeconds"] == 0
    for app_id, days in (("app1", 30), ("app2", 365)):
        event = await short.trachea.store.audit.collection.find_one(
            {"app_id": app_id, "event": "login"}
        )
        assert (event["expires_at"] - event["at"]).days == days


async def test_audit_events_are_logged_without_secrets(serve, caplog):
    served = await serve()
    with caplog.at_level("INFO", logger="trachea_login.audit"):
        tokens = await served.register_user("alice", PASSWORD)
        await served.login("alice", "wrong password one")
    lines = [r.getMessage() for r in caplog.records if r.name == "trachea_login.audit"]
    assert any(line.startswith("registered app=app1") for line in lines)
    assert any("login_failed" in line and "reason=wrong_password" in line for line in lines)
    text = "\n".join(lines)
    for secret in (PASSWORD, "wrong password one", tokens["refresh_token"]):
        assert secret not in text


async def test_failed_firebase_logins_are_audited(fb):
    await fb.client.post("/auth/login", json={"firebase_token": "garbage"})
    await fb.trachea.service.auditor.flush()
    event = await fb.trachea.store.audit.collection.find_one({"event": "login_failed"})
    assert (event["method"], event["reason"]) == ("firebase", "INVALID_FIREBASE_TOKEN")
    assert "garbage" not in repr(event)


async def test_no_value_can_start_a_log_line_of_its_own(serve, caplog):
    """Log forgery: every value of an audit log line that is not printable (a newline, a
    carriage return, U+2028) is shown quoted with its escapes, so the line stays one line."""
    served = await serve()
    audit = served.trachea.store.audit
    forged = "x\nlogin app=app1 user=6650e1f2a3b4c5d6e7f80910 ip=10.0.0.1"
    with caplog.at_level(logging.INFO, logger="trachea_login.audit"):
        for value in (forged, "y\rlogin", "z\u2028login"):
            audit.document(audit.event("token_failed", app_id="app1", ip=value, reason=value))
        audit.document(audit.event("login", app_id="app1", method="username", scope="a b"))
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 4
    assert all(line.isprintable() for line in lines)
    assert "ip='x\\nlogin app=app1" in lines[0] and "reason='x\\nlogin" in lines[0]
    assert lines[3].endswith("method=username scope=a b")  # printable values stay as they are
