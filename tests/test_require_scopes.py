"""``trachea.require_scopes(...)`` (contract §10): routes that service clients call. Users' and
service clients' tokens are never accepted in each other's place; ``live=True`` refuses a
revoked client's tokens at once."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from fastapi import Depends, FastAPI

from trachea_login import CurrentClient, CurrentUser, TracheaError, admin
from trachea_login.services.client_credentials import CLIENT_CHECK_MAX_AGE

from .conftest import JWT_SECRET, assert_product_error, bearer
from .jwt_tools import claims_of, forge, header_of


def product_app(trachea: Any) -> FastAPI:
    app = FastAPI(lifespan=trachea.lifespan)
    app.include_router(trachea.router, prefix="/auth")

    @app.get("/reports")
    async def reports(client: CurrentClient = Depends(trachea.require_scopes("reports:read"))):
        return {"client_id": client.client_id, "scopes": list(client.scopes)}

    @app.get("/exports")
    async def exports(
        client: CurrentClient = Depends(trachea.require_scopes("reports:read", "exports:run")),
    ):
        return {"client_id": client.client_id}  # pragma: no cover - the client lacks the scope

    @app.get("/any-service")
    async def any_service(client: CurrentClient = Depends(trachea.require_scopes())):
        return {"client_id": client.client_id}

    @app.get("/live-reports")
    async def live_reports(
        client: CurrentClient = Depends(trachea.require_scopes("reports:read", live=True)),
    ):
        return {"client_id": client.client_id}

    @app.get("/whoami")
    async def whoami(user: CurrentUser = Depends(trachea.current_user)):
        return {"sub": user.sub}

    @app.get("/maybe")
    async def maybe(user: CurrentUser | None = Depends(trachea.optional_user)):
        return {"sub": user.sub if user else None}

    @app.get("/members")
    async def members(user: CurrentUser = Depends(trachea.require(role="member"))):
        return {"sub": user.sub}

    @app.get("/live-me")
    async def live_me(user: CurrentUser = Depends(trachea.live_user)):
        return {"sub": user.sub}

    return app


async def service_token(served: Any, scopes=("reports:read", "users:read")) -> tuple[str, str]:
    """(client id, access token) of a new service client of app1."""
    client = await admin.create_client(
        served.trachea.store.database,
        app_id="app1",
        name="worker",
        scopes=scopes,
    )
    response = await served.client.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret),
    )
    assert response.status_code == 200, response.text
    return client.client_id, response.json()["access_token"]


@pytest.fixture
async def served(serve):
    return await serve(build=product_app)


async def test_a_service_token_with_the_scope_passes(served):
    client_id, token = await service_token(served)
    response = await served.client.get("/reports", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json() == {"client_id": client_id, "scopes": ["reports:read", "users:read"]}


async def test_a_missing_scope_is_403_with_the_rfc_6750_challenge(served):
    _, token = await service_token(served)
    response = await served.client.get("/exports", headers=bearer(token))
    assert_product_error(response, 403, "INSUFFICIENT_SCOPE")
    assert response.headers["www-authenticate"] == (
        'Bearer error="insufficient_scope", scope="reports:read exports:run"'
    )


async def test_a_token_granted_a_subset_holds_only_that_subset(served):
    client = await admin.create_client(
        served.trachea.store.database,
        app_id="app1",
        name="worker",
        scopes=("reports:read", "users:read"),
    )
    response = await served.client.post(
        "/auth/token",
        data={"grant_type": "client_credentials", "scope": "users:read"},
        auth=(client.client_id, client.client_secret),
    )
    token = response.json()["access_token"]
    assert_product_error(
        await served.client.get("/reports", headers=bearer(token)), 403, "INSUFFICIENT_SCOPE"
    )
    assert (await served.client.get("/any-service", headers=bearer(token))).status_code == 200


async def test_require_scopes_refuses_a_users_token(served):
    tokens = await served.register_user("alice")
    for path in ("/reports", "/any-service", "/live-reports"):
        response = await served.client.get(path, headers=bearer(tokens["access_token"]))
        detail = assert_product_error(response, 401, "INVALID_TOKEN")
        assert "service client" in detail["message"]


async def test_user_dependencies_refuse_a_service_token(served):
    _, token = await service_token(served)
    for path in ("/whoami", "/members", "/live-me"):
        response = await served.client.get(path, headers=bearer(token))
        detail = assert_product_error(response, 401, "INVALID_TOKEN")
        assert "user" in detail["message"]
    # optional_user: a service token is no user.
    assert (await served.client.get("/maybe", headers=bearer(token))).json() == {"sub": None}


async def test_a_token_seen_as_one_kind_stays_refused_as_the_other(served):
    """The verified-token cache holds both kinds; each answer is checked for its kind."""
    _, token = await service_token(served)
    tokens = served.trachea.tokens
    assert tokens.verify_client(token).scopes == ("reports:read", "users:read")
    with pytest.raises(TracheaError):
        tokens.verify(token)
    user_token = (await served.register_user("alice"))["access_token"]
    assert tokens.verify(user_token).sub == "alice"
    with pytest.raises(TracheaError):
        tokens.verify_client(user_token)


async def test_no_token_or_a_bad_one_is_401(served):
    _, token = await service_token(served)
    assert_product_error(await served.client.get("/reports"), 401, "INVALID_TOKEN")
    bad = await served.client.get("/reports", headers=bearer(token + "x"))
    assert_product_error(bad, 401, "INVALID_TOKEN")


async def test_an_expired_service_token_is_token_expired(served):
    _, token = await service_token(served)
    served.clock.advance(minutes=16)
    response = await served.client.get("/reports", headers=bearer(token))
    assert_product_error(response, 401, "TOKEN_EXPIRED")


def _forged(token: str, **changes: Any) -> str:
    claims = {**claims_of(token), **changes}
    claims = {key: value for key, value in claims.items() if value is not None}
    return forge(header_of(token), claims, JWT_SECRET)


async def test_tokens_mixing_the_two_kinds_are_refused_by_both(served):
    _, service = await service_token(served)
    user = (await served.register_user("alice"))["access_token"]
    user_claims = claims_of(user)
    hybrids = {
        "service+uid": _forged(service, uid=user_claims["uid"]),
        "service+sid": _forged(service, sid=user_claims["sid"], role="admin"),
        "user+client_id": _forged(user, client_id="svc_x", scope="reports:read"),
        "client_id-not-sub": _forged(service, sub="someone-else"),
        "scope-not-a-string": _forged(service, scope=["reports:read"]),
        "no-scope": _forged(service, scope=None),
        "empty-client_id": _forged(service, client_id="", sub=""),
    }
    assert (
        await served.client.get("/reports", headers=bearer(_forged(service)))
    ).status_code == 200
    answers = {}
    for name, token in hybrids.items():
        for path in ("/reports", "/whoami"):
            response = await served.client.get(path, headers=bearer(token))
            answers[name, path] = (response.status_code, response.json()["detail"]["error"])
    assert set(answers.values()) == {(401, "INVALID_TOKEN")}, answers


async def test_a_forged_scope_breaks_the_signature(served):
    _, token = await service_token(served)
    header, _payload, signature = token.split(".")
    claims = {**claims_of(token), "scope": "reports:read exports:run"}
    tampered = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    response = await served.client.get(
        "/exports", headers=bearer(f"{header}.{tampered}.{signature}")
    )
    assert_product_error(response, 401, "INVALID_TOKEN")


async def test_a_revoked_clients_token_works_until_it_expires_except_on_live_routes(served):
    client_id, token = await service_token(served)
    await admin.revoke_client(served.trachea.store.database, client_id)
    # Not live: the signature and expiry are all that is checked.
    assert (await served.client.get("/reports", headers=bearer(token))).status_code == 200
    live = await served.client.get("/live-reports", headers=bearer(token))
    detail = assert_product_error(live, 401, "INVALID_TOKEN")
    assert "revoked" in detail["message"]


async def test_a_live_route_sees_a_revocation_within_its_short_cache(served):
    client_id, token = await service_token(served)
    assert (await served.client.get("/live-reports", headers=bearer(token))).status_code == 200
    await admin.revoke_client(served.trachea.store.database, client_id)
    served.clock.advance(seconds=CLIENT_CHECK_MAX_AGE.total_seconds())
    response = await served.client.get("/live-reports", headers=bearer(token))
    assert_product_error(response, 401, "INVALID_TOKEN")


async def test_a_revoked_client_gets_no_new_token(served):
    client = await admin.create_client(
        served.trachea.store.database,
        app_id="app1",
        name="worker",
        scopes=["reports:read"],
    )
    await admin.revoke_client(served.trachea.store.database, client.client_id)
    response = await served.client.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "INVALID_CLIENT"


@pytest.mark.parametrize("scope", ["", "a b", 'a"b', "a,b", 42])
def test_an_impossible_scope_fails_when_the_route_is_declared(make_trachea, scope):
    trachea = make_trachea("app1")
    with pytest.raises(ValueError):
        trachea.require_scopes("reports:read", scope)


def test_the_dependency_is_its_own_security_scheme(make_trachea):
    trachea = make_trachea("app1")
    app = FastAPI()

    @app.get("/reports")
    async def reports(client: CurrentClient = Depends(trachea.require_scopes("reports:read"))):
        return {}  # pragma: no cover

    schema = app.openapi()
    assert schema["paths"]["/reports"]["get"]["security"] == [{"TracheaServiceBearer": []}]
    scheme = schema["components"]["securitySchemes"]["TracheaServiceBearer"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"


async def test_a_verified_service_token_is_remembered_as_a_client(served):
    """A service token seen before is answered by the cache, like a user's, as a client."""
    _, token = await service_token(served)
    tokens = served.trachea.tokens
    tokens.verify_client(token)
    cached = tokens.cache.get(token, int(served.clock.seconds()))
    assert isinstance(cached, CurrentClient) and cached.scopes == ("reports:read", "users:read")


async def test_a_live_route_uses_the_scopes_the_client_still_holds(served):
    """If an operator takes a scope away from a client's document (mongosh), live routes stop
    honouring it at once, even in tokens issued before."""
    client_id, token = await service_token(served, scopes=("reports:read", "users:read"))
    await served.trachea.store.service_clients.collection.update_one(
        {"_id": client_id}, {"$set": {"scopes": ["users:read"]}}
    )
    response = await served.client.get("/live-reports", headers=bearer(token))
    assert_product_error(response, 403, "INSUFFICIENT_SCOPE")
    assert (await served.client.get("/reports", headers=bearer(token))).status_code == 200
