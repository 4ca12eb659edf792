"""``POST /auth/token`` (contract §10, RFC 6749 §4.4): a service client's access token, for
form-encoded and JSON bodies, HTTP Basic and body authentication; RFC 6749's errors in §5's
codes."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest

from trachea_login import admin
from trachea_login.admin import NewClient
from trachea_login.services import client_credentials

from .conftest import assert_error, bearer, secret_for
from .jwt_tools import claims_of, header_of

GRANT = {"grant_type": "client_credentials"}
SCOPES = ("reports:read", "users:read", "users:write")


async def new_client(served: Any, scopes=SCOPES, app_id: str = "app1") -> NewClient:
    return await admin.create_client(
        served.trachea.store.database,
        app_id=app_id,
        name="Reports worker",
        scopes=scopes,
    )


async def token_request(
    served: Any, client: NewClient | None, *, json_body: bool = False, **params
):
    """A token request authenticating with HTTP Basic (``client``), form-encoded by default."""
    auth = (client.client_id, client.client_secret) if client else None
    body = {**GRANT, **params}
    if json_body:
        return await served.client.post("/auth/token", json=body, auth=auth)
    return await served.client.post("/auth/token", data=body, auth=auth)


async def body_request(served: Any, client_id: str, secret: str, **params):
    """A token request with the credentials in the form body."""
    data = {**GRANT, "client_id": client_id, "client_secret": secret, **params}
    return await served.client.post("/auth/token", data=data)


# -- success -----------------------------------------------------------------------------------


async def test_basic_auth_and_a_form_body_give_a_bearer_token_with_all_the_clients_scopes(serve):
    served = await serve()
    client = await new_client(served)
    response = await token_request(served, client)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    assert body["scope"] == "reports:read users:read users:write"
    assert response.headers["cache-control"] == "no-store"
    assert "refresh_token" not in response.text


async def test_the_token_names_the_client_and_its_scopes_and_nothing_of_a_user(serve):
    served = await serve()
    client = await new_client(served)
    token = (await token_request(served, client)).json()["access_token"]
    claims = claims_of(token)
    assert header_of(token)["typ"] == "at+jwt"
    assert header_of(token)["kid"] == served.trachea.tokens.kid
    assert claims["sub"] == claims["client_id"] == client.client_id
    assert claims["aud"] == "app1" and claims["iss"] == "trachea-login"
    assert claims["scope"] == "reports:read users:read users:write"
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert not {"uid", "sid", "role", "plan", "provider", "app_id", "auth_time"} & set(claims)


async def test_a_json_body_with_the_credentials_in_it_works_too(serve):
    served = await serve()
    client = await new_client(served)
    response = await served.client.post(
        "/auth/token",
        json={**GRANT, "client_id": client.client_id, "client_secret": client.client_secret},
    )
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == " ".join(SCOPES)


async def test_form_body_credentials_work(serve):
    served = await serve()
    client = await new_client(served)
    response = await body_request(served, client.client_id, client.client_secret)
    assert response.status_code == 200, response.text


async def test_json_with_basic_auth_works(serve):
    served = await serve()
    client = await new_client(served)
    assert (await token_request(served, client, json_body=True)).status_code == 200


async def test_a_scope_subset_is_granted_in_the_clients_order_without_duplicates(serve):
    served = await serve()
    client = await new_client(served)
    response = await token_request(served, client, scope="users:write reports:read users:write")
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "reports:read users:write"
    assert claims_of(response.json()["access_token"])["scope"] == "reports:read users:write"


async def test_an_empty_scope_parameter_means_all_of_the_clients_scopes(serve):
    served = await serve()
    client = await new_client(served)
    response = await token_request(served, client, scope="")
    assert response.json()["scope"] == " ".join(SCOPES)


async def test_the_basic_credentials_are_form_decoded_first(serve):
    """RFC 6749 §2.3.1: client id and secret are form-encoded, then joined and base64-ed."""
    served = await serve()
    client = await new_client(served)
    encoded_id = client.client_id.replace("_", "%5F")
    raw = base64.b64encode(f"{encoded_id}:{client.client_secret}".encode()).decode()
    response = await served.client.post(
        "/auth/token", data=GRANT, headers={"Authorization": f"Basic {raw}"}
    )
    assert response.status_code == 200, response.text


async def test_unknown_parameters_are_ignored(serve):
    """RFC 6749 §3.2: the authorization server ignores parameters it does not know."""
    served = await serve()
    client = await new_client(served)
    response = await token_request(served, client, audience="x", resource="y")
    assert response.status_code == 200, response.text


async def test_the_body_may_name_this_app(serve):
    served = await serve()
    client = await new_client(served)
    assert (await token_request(served, client, app_id="app1")).status_code == 200


# -- bad clients and secrets: 401 INVALID_CLIENT with WWW-Authenticate: Basic -----------------


async def test_a_wrong_secret_is_invalid_client_with_a_basic_challenge(serve):
    served = await serve()
    client = await new_client(served)
    response = await body_request(served, client.client_id, "not-the-secret")
    assert_error(response, 401, "INVALID_CLIENT")
    assert response.headers["www-authenticate"] == 'Basic realm="trachea-login"'
    assert "access_token" not in response.text


async def test_unknown_revoked_and_other_apps_clients_answer_like_a_wrong_secret(serve):
    served = await serve()
    await serve("app2")
    mine, revoked = await new_client(served), await new_client(served)
    theirs = await new_client(served, app_id="app2")
    await admin.revoke_client(served.trachea.store.database, revoked.client_id)
    answers = [
        await body_request(served, mine.client_id, "not-the-secret"),
        await body_request(served, "svc_" + "0" * 32, mine.client_secret),
        await body_request(served, revoked.client_id, revoked.client_secret),
        await body_request(served, theirs.client_id, theirs.client_secret),
    ]
    for response in answers:
        assert_error(response, 401, "INVALID_CLIENT")
    assert len({(r.text, r.headers["www-authenticate"]) for r in answers}) == 1


@pytest.mark.parametrize(
    "headers, data",
    [
        ({}, GRANT),
        ({}, {**GRANT, "client_id": "svc_x"}),
        ({}, {**GRANT, "client_secret": "secret"}),
        ({}, {**GRANT, "client_id": "", "client_secret": ""}),
        ({"Authorization": "Basic !!!not-base64!!!"}, GRANT),
        ({"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()}, GRANT),
        ({"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:x").decode()}, GRANT),
        ({"Authorization": "Bearer some-token"}, GRANT),
    ],
    ids=[
        "nothing", "id-only", "secret-only", "empty", "bad-base64", "no-colon", "not-utf8",
        "bearer",
    ],
)  # fmt: skip
async def test_missing_or_malformed_client_authentication_is_invalid_client(serve, headers, data):
    served = await serve()
    response = await served.client.post("/auth/token", data=data, headers=headers)
    assert_error(response, 401, "INVALID_CLIENT")


async def test_unknown_and_revoked_clients_cost_one_digest_check_like_a_known_one(
    serve, monkeypatch
):
    served = await serve()
    client, revoked = await new_client(served), await new_client(served)
    await admin.revoke_client(served.trachea.store.database, revoked.client_id)
    checks: list[str] = []
    real = client_credentials.client_secret_matches

    def counting(secret: str, stored: str | None) -> bool:
        checks.append("dummy" if stored is None else "client")
        return real(secret, stored)

    monkeypatch.setattr(client_credentials, "client_secret_matches", counting)
    await body_request(served, "svc_" + "1" * 32, "guess")
    await body_request(served, client.client_id, "guess")
    await body_request(served, revoked.client_id, revoked.client_secret)
    assert checks == ["dummy", "client", "dummy"]


async def test_failed_client_authentications_are_throttled_on_the_ips_login_budget(serve):
    served = await serve(login_max_failures_per_ip=3)
    await served.register_user("alice")
    client = await new_client(served)
    for _ in range(3):
        assert_error(await body_request(served, client.client_id, "guess"), 401, "INVALID_CLIENT")
    throttled = await token_request(served, client)
    assert_error(throttled, 429, "TOO_MANY_ATTEMPTS")
    assert "access_token" not in throttled.text
    # The budget password logins from this address draw on, too.
    assert_error(await served.login("alice"), 429, "TOO_MANY_ATTEMPTS")


async def test_a_stranger_who_knows_a_client_id_cannot_lock_the_client_out(serve):
    """Client ids are public (the ``sub`` of every service token): failures from elsewhere
    never stop the client's own requests, however many (no per-client budget)."""
    served = await serve(
        login_max_failures=2,
        login_max_failures_per_ip=3,
        trusted_proxies=["203.0.113.0/24"],  # the test client's address is 203.0.113.7
    )
    client = await new_client(served)
    stranger = {"X-Forwarded-For": "198.51.100.66"}
    answers = [
        (
            await served.client.post(
                "/auth/token",
                data={**GRANT, "client_id": client.client_id, "client_secret": "guess"},
                headers=stranger,
            )
        ).status_code
        for _ in range(6)
    ]
    assert answers == [401, 401, 401, 429, 429, 429]
    own = await served.client.post(
        "/auth/token",
        data=GRANT,
        auth=(client.client_id, client.client_secret),
        headers={"X-Forwarded-For": "198.51.100.7"},
    )
    assert own.status_code == 200, own.text


async def test_unknown_client_ids_are_throttled_the_same_way(serve):
    served = await serve(login_max_failures_per_ip=2)
    client = await new_client(served)
    unknown = "svc_" + "2" * 32
    for _ in range(2):
        await body_request(served, client.client_id, "guess")
    known_answer = await body_request(served, client.client_id, "guess")
    unknown_answer = await body_request(served, unknown, "guess")
    assert_error(known_answer, 429, "TOO_MANY_ATTEMPTS")
    assert_error(unknown_answer, 429, "TOO_MANY_ATTEMPTS")
    assert known_answer.json() == unknown_answer.json()


async def test_one_ip_guessing_many_clients_is_throttled(serve):
    served = await serve(login_max_failures_per_ip=4)
    for number in range(4):
        await body_request(served, f"svc_{number:032d}", "guess")
    assert_error(await body_request(served, "svc_" + "9" * 32, "guess"), 429, "TOO_MANY_ATTEMPTS")


@pytest.mark.parametrize(
    "client_id",
    [
        "x\nlogin app=app1 user=6650e1f2a3b4c5d6e7f80910 ip=10.0.0.1 method=username",
        "svc_" + "A" * 32,  # upper case: never one of ours
        "svc_" + "a" * 31,
        "svc_" + "a" * 33,
        "client:svc_" + "a" * 32,
    ],
)
async def test_a_client_id_we_could_not_have_made_is_unknown_and_never_logged_as_sent(
    serve, caplog, client_id
):
    served = await serve()
    with caplog.at_level(logging.INFO, logger="trachea_login"):
        response = await body_request(served, client_id, "guess")
        await served.trachea.service.auditor.flush()
    assert_error(response, 401, "INVALID_CLIENT")
    assert all("\n" not in record.getMessage() for record in caplog.records)
    assert not any(record.getMessage().startswith("login ") for record in caplog.records)
    stored = [
        e async for e in served.trachea.store.audit.collection.find({"event": "token_failed"})
    ]
    assert [e["reason"] for e in stored] == ["unknown_client"]
    assert client_id not in repr(stored)


async def test_a_rotated_secret_replaces_the_old_one_at_once(serve):
    served = await serve()
    client = await new_client(served)
    database = served.trachea.store.database
    new_secret = await admin.rotate_client_secret(database, client.client_id)
    assert_error(await token_request(served, client), 401, "INVALID_CLIENT")
    response = await body_request(served, client.client_id, new_secret)
    assert response.status_code == 200, response.text


# -- scopes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("scope", ["admin", "reports:read admin", "reports:write"])
async def test_a_scope_the_client_lacks_is_403_insufficient_scope(serve, scope):
    served = await serve()
    client = await new_client(served)
    response = await token_request(served, client, scope=scope)
    assert_error(response, 403, "INSUFFICIENT_SCOPE")
    assert "access_token" not in response.text


async def test_the_scope_check_comes_after_the_secret_check(serve):
    """An unauthenticated caller learns nothing about which scopes a client holds."""
    served = await serve()
    client = await new_client(served)
    for scope in ("reports:read", "admin"):
        response = await body_request(served, client.client_id, "guess", scope=scope)
        assert_error(response, 401, "INVALID_CLIENT")


# -- invalid requests: 422 VALIDATION_ERROR ----------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"scope": "reports:read"},
        {"grant_type": ""},
        {"grant_type": "password", "username": "alice", "password": "x"},
        {"grant_type": "authorization_code", "code": "x"},
        {"grant_type": "refresh_token", "refresh_token": "x"},
    ],
    ids=["missing", "empty", "password", "authorization_code", "refresh_token"],
)
async def test_a_missing_or_unsupported_grant_type_is_422(serve, data):
    served = await serve()
    client = await new_client(served)
    response = await served.client.post(
        "/auth/token", data=data, auth=(client.client_id, client.client_secret)
    )
    body = assert_error(response, 422, "VALIDATION_ERROR")
    assert "grant_type" in body["message"]


@pytest.mark.parametrize(
    "scope", ["reports:read  users:read", " reports:read", 'a"b', "é", "a,b", "a\\b"]
)
async def test_a_malformed_scope_is_422(serve, scope):
    served = await serve()
    client = await new_client(served)
    body = assert_error(await token_request(served, client, scope=scope), 422, "VALIDATION_ERROR")
    assert "scope" in body["message"]


async def test_basic_and_body_secrets_together_are_422(serve):
    """RFC 6749 §2.3: one way of authenticating per request."""
    served = await serve()
    client = await new_client(served)
    response = await token_request(served, client, client_secret=client.client_secret)
    assert_error(response, 422, "VALIDATION_ERROR")


async def test_a_body_client_id_other_than_the_basic_one_is_422(serve):
    served = await serve()
    client = await new_client(served)
    assert_error(
        await token_request(served, client, client_id="svc_other"), 422, "VALIDATION_ERROR"
    )
    same = await token_request(served, client, client_id=client.client_id)
    assert same.status_code == 200


async def test_a_repeated_parameter_is_422(serve):
    served = await serve()
    client = await new_client(served)
    response = await served.client.post(
        "/auth/token",
        content=b"grant_type=client_credentials&scope=reports:read&scope=admin",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=(client.client_id, client.client_secret),
    )
    assert_error(response, 422, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    "content, content_type",
    [
        (b"", None),
        (b"grant_type=client_credentials", "text/plain"),
        (b"grant_type=client_credentials", "multipart/form-data; boundary=x"),
        (b'{"grant_type": "client_credentials"', "application/json"),
        (b'["client_credentials"]', "application/json"),
        (b'{"grant_type": ["client_credentials"]}', "application/json"),
        (b'{"grant_type": "client_credentials", "scope": {"$ne": null}}', "application/json"),
        (b"grant_type=%ff%fe", "application/x-www-form-urlencoded"),
    ],
    ids=[
        "no-body", "text", "multipart", "bad-json", "json-array", "json-list-value",
        "json-operator", "bad-utf8",
    ],
)  # fmt: skip
async def test_bodies_that_are_not_a_token_request_are_422(serve, content, content_type):
    served = await serve()
    client = await new_client(served)
    headers = {"Content-Type": content_type} if content_type else {}
    response = await served.client.post(
        "/auth/token",
        content=content,
        headers=headers,
        auth=(client.client_id, client.client_secret),
    )
    assert_error(response, 422, "VALIDATION_ERROR")


async def test_a_body_over_the_limit_is_413(serve):
    served = await serve()
    response = await served.client.post("/auth/token", data={**GRANT, "scope": "x" * 70_000})
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


# -- the app -----------------------------------------------------------------------------------


async def test_another_app_named_in_the_request_is_refused(serve):
    served = await serve()
    await serve("app2")
    client = await new_client(served)
    assert_error(await token_request(served, client, app_id="app2"), 403, "APP_MISMATCH")
    response = await served.client.post(
        "/auth/token",
        data=GRANT,
        auth=(client.client_id, client.client_secret),
        headers={"X-App-Id": "nope"},
    )
    assert_error(response, 404, "APP_NOT_FOUND")


async def test_a_disabled_app_issues_no_service_tokens(serve):
    served = await serve()
    client = await new_client(served)
    await admin.disable_app(served.trachea.store.database, "app1")
    served.let_app_cache_expire()
    assert_error(await token_request(served, client), 403, "APP_INACTIVE")


async def test_a_service_token_of_one_app_is_refused_by_another(serve):
    first = await serve("app1")
    second = await serve("app2")
    client = await new_client(first)
    token = (await token_request(first, client)).json()["access_token"]
    from trachea_login import TracheaError

    with pytest.raises(TracheaError) as refused:
        second.trachea.tokens.verify_client(token)
    assert refused.value.code.value == "INVALID_TOKEN"
    assert first.trachea.tokens.verify_client(token).client_id == client.client_id


async def test_secrets_never_appear_in_responses_or_the_audit_trail(serve):
    served = await serve()
    client = await new_client(served)
    token = (await token_request(served, client)).json()["access_token"]
    await body_request(served, client.client_id, "a-wrong-guess-secret")
    await served.trachea.service.auditor.flush()  # stored after the response
    events = [e async for e in served.trachea.store.audit.collection.find({})]
    text = json.dumps(events, default=str)
    for secret in (client.client_secret, token, "a-wrong-guess-secret", secret_for("app1")):
        assert secret not in text
    kinds = [e["event"] for e in events]
    assert "token_issued" in kinds and "token_failed" in kinds
    issued = next(e for e in events if e["event"] == "token_issued")
    assert issued["client_id"] == client.client_id and issued["scope"] == " ".join(SCOPES)


async def test_a_service_token_works_on_require_scopes_and_not_on_our_user_routes(serve):
    served = await serve()
    client = await new_client(served)
    token = (await token_request(served, client)).json()["access_token"]
    for method, path in (
        ("GET", "/auth/users/me"),
        ("GET", "/auth/sessions"),
        ("POST", "/auth/logout"),
    ):
        response = await served.client.request(method, path, headers=bearer(token))
        assert_error(response, 401, "INVALID_TOKEN")
