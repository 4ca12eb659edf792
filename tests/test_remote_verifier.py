"""``RemoteVerifier`` (contract §8): another service verifies our tokens from the JWK Set of a
real running app (uvicorn on 127.0.0.1), through a key rotation and a JWKS outage."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
import websockets
from fastapi import Depends, FastAPI, Request, WebSocket
from websockets.exceptions import InvalidStatus

from trachea_login import (
    CurrentClient,
    CurrentUser,
    RemoteVerifier,
    TracheaConfigError,
    TracheaError,
    create_client,
)
from trachea_login.remote import REFETCH_SECONDS

from .conftest import PASSWORD, assert_product_error, bearer
from .jwt_tools import claims_of, forge, header_of, new_ec, pem
from .live_server import free_port, serving

JWKS_PATH = "/auth/.well-known/jwks.json"


# -- the pieces: the auth app, the product service, a user ------------------------------------


def auth_app(trachea: Any, fetches: list[str]) -> FastAPI:
    """The app serving our router (and its JWK Set); ``fetches`` records each JWKS request."""
    app = FastAPI(lifespan=trachea.lifespan)
    app.include_router(trachea.router, prefix="/auth")

    @app.middleware("http")
    async def count_jwks_fetches(request: Request, call_next: Any) -> Any:
        if request.url.path == JWKS_PATH:
            fetches.append(request.url.path)
        return await call_next(request)

    return app


def product_app(verifier: RemoteVerifier) -> FastAPI:
    """Another service: no database, only the verifier's dependencies."""
    app = FastAPI()

    @app.get("/me")
    async def me(user: CurrentUser = Depends(verifier.current_user)) -> dict[str, Any]:
        return {"sub": user.sub, "role": user.role, "auth_time": user.auth_time}

    @app.get("/maybe")
    async def maybe(user: CurrentUser | None = Depends(verifier.optional_user)) -> dict[str, Any]:
        return {"sub": user.sub if user else None}

    @app.get("/admin")
    async def admin(user: CurrentUser = Depends(verifier.require(role="admin"))) -> dict:
        return {"sub": user.sub}  # pragma: no cover - members never get here

    @app.websocket("/ws")
    async def ws(websocket: WebSocket, user: CurrentUser = Depends(verifier.current_user)):
        await websocket.accept()
        await websocket.send_json({"sub": user.sub})
        await websocket.close()

    @app.get("/reports")
    async def reports(client: CurrentClient = Depends(verifier.require_scopes("reports:read"))):
        return {"client_id": client.client_id, "scopes": list(client.scopes)}

    @app.get("/exports")
    async def exports(client: CurrentClient = Depends(verifier.require_scopes("exports:run"))):
        return {}  # pragma: no cover - the client lacks the scope

    @app.websocket("/ws/reports")
    async def ws_reports(
        websocket: WebSocket,
        client: CurrentClient = Depends(verifier.require_scopes("reports:read")),
    ):
        await websocket.accept()
        await websocket.send_json({"client_id": client.client_id})
        await websocket.close()

    return app


def product_client(verifier: RemoteVerifier) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=product_app(verifier))
    return httpx.AsyncClient(transport=transport, base_url="http://product")


async def sign_up(port: int, username: str = "alice") -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        response = await client.post(
            "/auth/register", json={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return response.json()


async def refresh(port: int, refresh_token: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        response = await client.post("/auth/refresh", json={"refresh_token": refresh_token})
        assert response.status_code == 200, response.text
        return response.json()


def es256(make_trachea, key, previous=()) -> Any:
    return make_trachea(
        "app1",
        jwt_algorithm="ES256",
        jwt_private_key=pem(key),
        jwt_previous_keys=[pem(k) for k in previous],
    )


async def code_of(verifier: RemoteVerifier, token: str) -> str:
    with pytest.raises(TracheaError) as caught:
        await verifier.verify(token)
    return caught.value.code.value


# -- construction ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://auth.example.com/auth/.well-known/jwks.json",
        "http://10.0.0.7/jwks.json",
        "http://127.0.0.1.example.com/jwks.json",
        "ftp://auth.example.com/jwks.json",
        "https:///jwks.json",
        "/auth/.well-known/jwks.json",
    ],
)
def test_only_https_or_loopback_http_urls_are_accepted(url):
    with pytest.raises(TracheaConfigError):
        RemoteVerifier(url, "app1")


@pytest.mark.parametrize(
    "url",
    [
        "https://auth.example.com/auth/.well-known/jwks.json",
        "http://127.0.0.1:8000/auth/.well-known/jwks.json",
        "http://[::1]:8000/jwks.json",
        "http://localhost/jwks.json",
    ],
)
def test_https_and_loopback_http_urls_are_accepted(url):
    assert RemoteVerifier(url, "app1").jwks_url == url


# -- against a live app ------------------------------------------------------------------------


async def test_a_remote_service_verifies_our_tokens_from_the_jwks(make_trachea, register, clock):
    await register("app1")
    fetches: list[str] = []
    async with serving(auth_app(es256(make_trachea, new_ec()), fetches)) as port:
        tokens = await sign_up(port)
        verifier = RemoteVerifier(
            f"http://127.0.0.1:{port}{JWKS_PATH}", "app1", issuer="trachea-login", clock=clock
        )
        async with product_client(verifier) as client:
            me = await client.get("/me", headers=bearer(tokens["access_token"]))
            assert me.status_code == 200
            claims = claims_of(tokens["access_token"])
            assert me.json() == {"sub": "alice", "role": "member", "auth_time": claims["auth_time"]}
            assert (await client.get("/maybe")).json() == {"sub": None}
            refused = await client.get("/admin", headers=bearer(tokens["access_token"]))
            assert_product_error(refused, 403, "INSUFFICIENT_ROLE")
            bad = await client.get("/me", headers=bearer(tokens["access_token"] + "x"))
            assert_product_error(bad, 401, "INVALID_TOKEN")
            assert_product_error(await client.get("/me"), 401, "INVALID_TOKEN")
        assert fetches == [JWKS_PATH]  # fetched once, then kept
        assert verifier.kids == (header_of(tokens["access_token"])["kid"],)


async def test_the_remote_check_is_the_instances_check(make_trachea, register, clock):
    """The forgeries an instance refuses, a RemoteVerifier refuses too (one shared check)."""
    await register("app1")
    key = new_ec()
    trachea = es256(make_trachea, key)
    async with serving(auth_app(trachea, [])) as port:
        tokens = await sign_up(port)
        verifier = RemoteVerifier(f"http://127.0.0.1:{port}{JWKS_PATH}", "app1", clock=clock)
        good = claims_of(tokens["access_token"])
        kid = header_of(tokens["access_token"])["kid"]
        header = {"alg": "ES256", "typ": "at+jwt", "kid": kid}
        now = int(time.time())
        forgeries = {
            "crit": forge({**header, "crit": ["exp"]}, good, key),
            "string-exp": forge(header, {**good, "exp": str(good["exp"])}, key),
            "future-iat": forge(header, {**good, "iat": now + 3600}, key),
            "wrong-typ": forge({**header, "typ": "JWT"}, good, key),
            "wrong-aud": forge(header, {**good, "aud": "app2"}, key),
            "wrong-iss": forge(header, {**good, "iss": "evil"}, key),
            "other-app": forge(header, {**good, "app_id": "app2"}, key),
            "other-key": forge(header, good, new_ec()),
            "no-uid": forge(header, {k: v for k, v in good.items() if k != "uid"}, key),
        }
        assert (await verifier.verify(forge(header, good, key))).sub == "alice"
        for name, token in forgeries.items():
            remote = await code_of(verifier, token)
            with pytest.raises(TracheaError) as local:
                trachea.tokens.verify(token)
            assert remote == local.value.code.value == "INVALID_TOKEN", name
        expired = forge(header, {**good, "iat": now - 1000, "exp": now - 100}, key)
        assert await code_of(verifier, expired) == "TOKEN_EXPIRED"


async def test_a_key_rotation_old_and_new_tokens_verify_remotely(make_trachea, register, clock):
    """Deploy the new key as current with the old one in JWT_PREVIOUS_KEYS: the remote service
    learns the new key at its first token (one fetch), and still accepts the old tokens."""
    await register("app1")
    old_key, new_key = new_ec(), new_ec()
    fetches: list[str] = []
    port = free_port()
    url = f"http://127.0.0.1:{port}{JWKS_PATH}"
    verifier = RemoteVerifier(url, "app1", clock=clock)
    async with serving(auth_app(es256(make_trachea, old_key), fetches), port):
        old_tokens = await sign_up(port)
        assert (await verifier.verify(old_tokens["access_token"])).sub == "alice"
    rotated = es256(make_trachea, new_key, previous=[old_key])
    async with serving(auth_app(rotated, fetches), port):
        new_tokens = await refresh(port, old_tokens["refresh_token"])
        assert header_of(new_tokens["access_token"])["kid"] == rotated.tokens.kid
        clock.advance(seconds=REFETCH_SECONDS)
        assert (await verifier.verify(new_tokens["access_token"])).sub == "alice"
        verifier.cache.clear()  # the old token's signature is checked again, with the old key
        assert (await verifier.verify(old_tokens["access_token"])).sub == "alice"
        assert verifier.kids == (rotated.tokens.kid, header_of(old_tokens["access_token"])["kid"])
    assert len(fetches) == 2


async def test_an_unknown_kid_refetches_at_most_once_a_minute(make_trachea, register, clock):
    await register("app1")
    key = new_ec()
    fetches: list[str] = []
    async with serving(auth_app(es256(make_trachea, key), fetches)) as port:
        tokens = await sign_up(port)
        verifier = RemoteVerifier(f"http://127.0.0.1:{port}{JWKS_PATH}", "app1", clock=clock)
        await verifier.verify(tokens["access_token"])
        good = claims_of(tokens["access_token"])
        made_up = [
            forge({"alg": "ES256", "typ": "at+jwt", "kid": f"kid-{n}"}, good, key) for n in range(5)
        ]
        for token in made_up:
            assert await code_of(verifier, token) == "INVALID_TOKEN"
        assert len(fetches) == 1  # within the minute of the first fetch: none
        clock.advance(seconds=REFETCH_SECONDS)
        for token in made_up:
            assert await code_of(verifier, token) == "INVALID_TOKEN"
        assert len(fetches) == 2  # one refetch for the five


async def test_during_a_jwks_outage_the_keys_held_keep_verifying(make_trachea, register, clock):
    await register("app1")
    trachea = es256(make_trachea, new_ec())
    fetches: list[str] = []
    async with serving(auth_app(trachea, fetches)) as port:
        tokens = await sign_up(port)
        verifier = RemoteVerifier(f"http://127.0.0.1:{port}{JWKS_PATH}", "app1", clock=clock)
        assert await verifier.refresh()
    # The auth app is down. A token never seen (no cache) still verifies with the key held,
    # past the keys' age (a refetch is tried and fails) and past a minute (an unknown kid).
    user = tokens["user"]
    fresh = trachea.tokens.issue(
        sub="alice",
        uid=user["id"],
        role="member",
        plan="free",
        provider="username",
        session_id="s2",
    )
    clock.advance(seconds=301)
    async with product_client(verifier) as client:
        for token in (fresh, tokens["access_token"]):
            assert (await client.get("/me", headers=bearer(token))).status_code == 200
        unknown = forge(
            {"alg": "ES256", "typ": "at+jwt", "kid": "unknown"}, claims_of(fresh), new_ec()
        )
        assert_product_error(await client.get("/me", headers=bearer(unknown)), 401, "INVALID_TOKEN")
        # A verifier that never got keys answers 503 with Retry-After, not 401.
        cold = RemoteVerifier(verifier.jwks_url, "app1", clock=clock)
    async with product_client(cold) as client:
        response = await client.get("/me", headers=bearer(fresh))
        assert_product_error(response, 503, "AUTH_PROVIDER_UNAVAILABLE")
        assert int(response.headers["retry-after"]) >= 1
        again = await client.get("/me", headers=bearer(fresh))  # within the retry pause
        assert_product_error(again, 503, "AUTH_PROVIDER_UNAVAILABLE")
    assert fetches == [JWKS_PATH]


async def test_a_changed_key_set_clears_the_token_cache(make_trachea, register, clock):
    """After the old key is removed, a token it signed that was cached stops verifying as
    soon as the remote service sees the new key set."""
    await register("app1")
    old_key, new_key = new_ec(), new_ec()
    port = free_port()
    verifier = RemoteVerifier(f"http://127.0.0.1:{port}{JWKS_PATH}", "app1", clock=clock)
    async with serving(auth_app(es256(make_trachea, old_key), []), port):
        old_tokens = await sign_up(port)
        await verifier.verify(old_tokens["access_token"])
        assert len(verifier.cache) == 1
    removed = es256(make_trachea, new_key)  # the old key is gone from the deployment
    async with serving(auth_app(removed, []), port):
        new_tokens = await refresh(port, old_tokens["refresh_token"])
        clock.advance(seconds=REFETCH_SECONDS)
        assert (await verifier.verify(new_tokens["access_token"])).sub == "alice"
        assert await code_of(verifier, old_tokens["access_token"]) == "INVALID_TOKEN"


async def test_an_hs256_app_cannot_be_verified_remotely(serve, register, make_trachea, clock):
    await register("app1")
    async with serving(auth_app(make_trachea("app1"), [])) as port:
        tokens = await sign_up(port)
        verifier = RemoteVerifier(f"http://127.0.0.1:{port}{JWKS_PATH}", "app1", clock=clock)
        assert not await verifier.refresh()
        assert await code_of(verifier, tokens["access_token"]) == "AUTH_PROVIDER_UNAVAILABLE"


async def test_the_remote_dependency_works_on_a_websocket_route(make_trachea, register, clock):
    await register("app1")
    async with serving(auth_app(es256(make_trachea, new_ec()), [])) as port:
        tokens = await sign_up(port)
        verifier = RemoteVerifier(f"http://127.0.0.1:{port}{JWKS_PATH}", "app1", clock=clock)
        async with serving(product_app(verifier)) as product_port:
            url = f"ws://127.0.0.1:{product_port}/ws"
            async with websockets.connect(
                url, additional_headers=bearer(tokens["access_token"])
            ) as ws:
                assert json.loads(await ws.recv()) == {"sub": "alice"}
            with pytest.raises(InvalidStatus) as refused:
                async with websockets.connect(url, additional_headers=bearer("bad.token.x")):
                    pass  # pragma: no cover - the handshake is refused
            assert refused.value.response.status_code == 403


async def test_service_tokens_verify_remotely_and_each_kind_stays_in_its_place(
    make_trachea, register, database, clock
):
    """A service token verifies through the JWK Set like a user's; RemoteVerifier's
    require_scopes accepts it (over HTTP and WebSocket) and refuses a user's token, and its
    user dependencies refuse the service token."""
    await register("app1")
    client = await create_client(
        database,
        app_id="app1",
        name="worker",
        scopes=["reports:read"],
    )
    async with serving(auth_app(es256(make_trachea, new_ec()), [])) as port:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            answer = await http.post(
                "/auth/token",
                data={"grant_type": "client_credentials"},
                auth=(client.client_id, client.client_secret),
            )
        service_token = answer.json()["access_token"]
        user_token = (await sign_up(port))["access_token"]
        verifier = RemoteVerifier(f"http://127.0.0.1:{port}{JWKS_PATH}", "app1", clock=clock)
        assert (await verifier.verify_client(service_token)).client_id == client.client_id
        async with product_client(verifier) as product:
            reports = await product.get("/reports", headers=bearer(service_token))
            assert reports.json() == {"client_id": client.client_id, "scopes": ["reports:read"]}
            refused = await product.get("/exports", headers=bearer(service_token))
            assert_product_error(refused, 403, "INSUFFICIENT_SCOPE")
            as_user = await product.get("/me", headers=bearer(service_token))
            assert_product_error(as_user, 401, "INVALID_TOKEN")
            as_client = await product.get("/reports", headers=bearer(user_token))
            assert_product_error(as_client, 401, "INVALID_TOKEN")
        async with serving(product_app(verifier)) as product_port:
            url = f"ws://127.0.0.1:{product_port}/ws/reports"
            async with websockets.connect(url, additional_headers=bearer(service_token)) as ws:
                assert json.loads(await ws.recv()) == {"client_id": client.client_id}
            with pytest.raises(InvalidStatus):
                async with websockets.connect(url, additional_headers=bearer(user_token)):
                    pass  # pragma: no cover - the handshake is refused
    with pytest.raises(TypeError):
        verifier.require_scopes("reports:read", live=True)  # type: ignore[call-arg]
