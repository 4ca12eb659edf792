"""POST /auth/refresh: single use, atomic rotation, reuse detection (contract §4)."""

from __future__ import annotations

import asyncio

from trachea_login.tokens import hash_refresh_token

from .conftest import assert_error, bearer


async def refresh(served, token):
    return await served.client.post("/auth/refresh", json={"refresh_token": token})


async def test_refresh_rotates_and_returns_a_token_response(serve):
    served = await serve()
    tokens = await served.register_user()
    response = await refresh(served, tokens["refresh_token"])
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["refresh_token"] != tokens["refresh_token"]
    assert response.headers["cache-control"] == "no-store"
    me = await served.client.get("/whoami", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    # Same session: the session id survives rotation.
    first = await served.client.get("/whoami", headers=bearer(tokens["access_token"]))
    assert me.json()["session_id"] == first.json()["session_id"]
    assert (await refresh(served, body["refresh_token"])).status_code == 200


async def test_refresh_tokens_have_256_bits_and_only_their_hash_is_stored(serve):
    served = await serve()
    tokens = await served.register_user()
    token = tokens["refresh_token"]
    session_id, _, secret = token.partition(".")
    assert len(secret) >= 43  # 32 random bytes, base64url; the session id only finds it
    collection = served.trachea.store.sessions.collection
    docs = [doc async for doc in collection.find({})]
    assert len(docs) == 1 and docs[0]["_id"] == session_id
    assert secret not in str(docs)
    assert docs[0]["refresh_hash"] == hash_refresh_token(token)
    rotated = (await refresh(served, token)).json()["refresh_token"]
    retired = [doc async for doc in served.trachea.store.refresh_tokens.collection.find({})]
    assert [doc["_id"] for doc in retired] == [hash_refresh_token(token)]
    assert secret not in str(retired) and rotated.partition(".")[2] not in str(retired)


async def test_a_rotated_token_is_reuse_and_revokes_the_users_tokens_for_that_app_only(serve):
    app1 = await serve("app1")
    app2 = await serve("app2")
    first = await app1.register_user("alice")
    other_session = (await app1.login("alice")).json()
    app2_session = (await app2.login("alice")).json()

    rotated = await refresh(app1, first["refresh_token"])
    assert rotated.status_code == 200
    reuse = await refresh(app1, first["refresh_token"])
    assert_error(reuse, 401, "REFRESH_TOKEN_REUSE")

    # Every refresh token of alice in app1 is now revoked, including the rotated successor...
    assert_error(await refresh(app1, rotated.json()["refresh_token"]), 401, "REFRESH_TOKEN_INVALID")
    assert_error(await refresh(app1, other_session["refresh_token"]), 401, "REFRESH_TOKEN_INVALID")
    # ...but not her session in app2.
    assert (await refresh(app2, app2_session["refresh_token"])).status_code == 200


async def test_twenty_concurrent_refreshes_with_one_token_exactly_one_succeeds(serve):
    served = await serve()
    tokens = await served.register_user()
    responses = await asyncio.gather(*(refresh(served, tokens["refresh_token"]) for _ in range(20)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 1, statuses
    assert statuses.count(401) == 19
    for response in responses:
        if response.status_code == 401:
            assert response.json()["error"] in {"REFRESH_TOKEN_REUSE", "REFRESH_TOKEN_INVALID"}
    # The losers saw the token rotated: reuse, so the session (the winner's too) has ended.
    winner = next(r for r in responses if r.status_code == 200).json()
    assert_error(await refresh(served, winner["refresh_token"]), 401, "REFRESH_TOKEN_INVALID")


async def test_unknown_refresh_token_is_invalid(serve):
    served = await serve()
    await served.register_user()
    assert_error(await refresh(served, "not-a-token"), 401, "REFRESH_TOKEN_INVALID")


async def test_expired_refresh_token_is_invalid(serve):
    served = await serve()
    tokens = await served.register_user()
    collection = served.trachea.store.sessions.collection
    # The clock passes the token's expiry; the TTL monitor has not run (on a real MongoDB it
    # runs once a minute and lags): the expired document is still there, and our query must
    # refuse it.
    served.clock.advance(days=30, seconds=1)
    assert await collection.count_documents({}) == 1
    assert_error(await refresh(served, tokens["refresh_token"]), 401, "REFRESH_TOKEN_INVALID")


async def test_a_refresh_token_of_another_app_is_invalid_here(serve):
    app1 = await serve("app1")
    app2 = await serve("app2")
    tokens = await app1.register_user()
    assert_error(await refresh(app2, tokens["refresh_token"]), 401, "REFRESH_TOKEN_INVALID")
    assert (await refresh(app1, tokens["refresh_token"])).status_code == 200


async def test_refresh_carries_the_current_role_and_plan(serve):
    served = await serve()
    tokens = await served.register_user()
    users = served.trachea.store.users
    user = await users.find_by_username("alice")
    await users.set_membership_fields(user.id, "app1", {"role": "admin", "plan": "pro"})
    body = (await refresh(served, tokens["refresh_token"])).json()
    me = (await served.client.get("/whoami", headers=bearer(body["access_token"]))).json()
    assert (me["role"], me["plan"]) == ("admin", "pro")


async def test_deactivated_user_cannot_refresh(serve):
    served = await serve()
    tokens = await served.register_user()
    spare = (await served.login()).json()
    await served.client.delete("/auth/users/me", headers=bearer(tokens["access_token"]))
    assert_error(await refresh(served, spare["refresh_token"]), 401, "REFRESH_TOKEN_INVALID")


async def test_user_deactivated_behind_our_back_cannot_refresh(serve):
    served = await serve()
    tokens = await served.register_user()
    users = served.trachea.store.users
    await users.set_active((await users.find_by_username("alice")).id, False)
    assert_error(await refresh(served, tokens["refresh_token"]), 401, "REFRESH_TOKEN_INVALID")


async def test_inactive_app_cannot_refresh(serve):
    served = await serve()
    tokens = await served.register_user()
    await served.trachea.store.apps.update("app1", is_active=False)
    served.let_app_cache_expire()
    assert_error(await refresh(served, tokens["refresh_token"]), 403, "APP_INACTIVE")


async def test_refresh_token_ttl_index_exists(serve):
    served = await serve()
    info = await served.trachea.store.refresh_tokens.collection.index_information()
    ttl = info["expires_at_ttl"]
    assert ttl["key"] == [("expires_at", 1)] and ttl["expireAfterSeconds"] == 0
    sessions = await served.trachea.store.sessions.collection.index_information()
    ttl = sessions["refresh_expires_at_ttl"]
    assert ttl["key"] == [("refresh_expires_at", 1)] and ttl["expireAfterSeconds"] == 0


async def test_a_revoked_token_costs_no_successor(serve):
    served = await serve()
    tokens = await served.register_user()
    await served.client.post("/auth/logout", headers=bearer(tokens["access_token"]))
    sessions = served.trachea.store.sessions.collection
    before = [doc async for doc in sessions.find({})]
    for _ in range(2):  # presented twice: never a reuse alarm, never a write
        assert_error(await refresh(served, tokens["refresh_token"]), 401, "REFRESH_TOKEN_INVALID")
    assert [doc async for doc in sessions.find({})] == before
    assert await served.trachea.store.refresh_tokens.collection.count_documents({}) == 0


async def test_a_method_disabled_since_sign_in_cannot_refresh(serve):
    served = await serve(methods=("username", "google"), firebase_project_id="demo-trachea")
    tokens = await served.register_user()
    await served.trachea.store.apps.update("app1", allowed_auth_methods=["google"])
    served.let_app_cache_expire()
    assert_error(await refresh(served, tokens["refresh_token"]), 403, "AUTH_METHOD_NOT_ALLOWED")
