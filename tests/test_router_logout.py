"""POST /auth/logout (contract §4)."""

from __future__ import annotations

from .conftest import assert_error, bearer


async def test_logout_revokes_every_refresh_token_of_the_user_in_this_app(serve):
    app1 = await serve("app1")
    app2 = await serve("app2")
    first = await app1.register_user()
    second = (await app1.login()).json()
    elsewhere = (await app2.login()).json()
    response = await app1.client.post("/auth/logout", headers=bearer(first["access_token"]))
    assert response.status_code == 200
    assert response.json() == {"message": "Successfully logged out"}
    for tokens in (first, second):
        refreshed = await app1.client.post(
            "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert_error(refreshed, 401, "REFRESH_TOKEN_INVALID")
    other = await app2.client.post(
        "/auth/refresh", json={"refresh_token": elsewhere["refresh_token"]}
    )
    assert other.status_code == 200


async def test_logout_needs_a_bearer_token(serve):
    served = await serve()
    assert_error(await served.client.post("/auth/logout"), 401, "INVALID_TOKEN")
    response = await served.client.post("/auth/logout", headers={"Authorization": "Basic abc"})
    assert_error(response, 401, "INVALID_TOKEN")


async def test_after_logout_the_sessions_access_token_no_longer_reads_the_profile(serve):
    served = await serve()
    tokens = await served.register_user()
    other = (await served.login()).json()
    auth = bearer(tokens["access_token"])
    assert (await served.client.get("/auth/users/me", headers=auth)).status_code == 200
    await served.client.post("/auth/logout", headers=auth)
    assert_error(await served.client.get("/auth/users/me", headers=auth), 401, "INVALID_TOKEN")
    # Logout ends every session of the user in the app.
    other_auth = bearer(other["access_token"])
    assert_error(
        await served.client.get("/auth/users/me", headers=other_auth), 401, "INVALID_TOKEN"
    )
