"""``trachea.live_user`` and ``trachea.require(..., live=True)`` (contract §9): the session must
be live and role and plan come from the database, at most 2 seconds old."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI

from trachea_login import admin
from trachea_login.services.live_check import LIVE_CHECK_MAX_AGE

from .conftest import assert_product_error, bearer, default_app


def live_app(trachea: Any) -> FastAPI:
    app = default_app(trachea)

    @app.get("/live")
    async def live(user: Any = Depends(trachea.live_user)) -> dict[str, Any]:
        return {"role": user.role, "plan": user.plan}

    @app.get("/live-admin")
    async def live_admin(user: Any = Depends(trachea.require(role="admin", live=True))):
        return {"role": user.role}

    return app


async def test_the_freshness_is_two_seconds():
    assert LIVE_CHECK_MAX_AGE.total_seconds() == 2


async def test_logout_takes_effect_at_once_on_live_routes(serve):
    served = await serve(build=live_app)
    tokens = await served.register_user("alice")
    auth = bearer(tokens["access_token"])
    assert (await served.client.get("/live", headers=auth)).json() == {
        "role": "member",
        "plan": "free",
    }
    await served.client.post("/auth/logout", headers=auth)
    served.clock.advance(seconds=LIVE_CHECK_MAX_AGE.total_seconds())
    assert_product_error(await served.client.get("/live", headers=auth), 401, "INVALID_TOKEN")
    # The stateless dependency still accepts the unexpired token (as documented).
    assert (await served.client.get("/whoami", headers=auth)).status_code == 200


async def test_an_ended_session_is_refused_even_within_the_freshness_if_never_checked(serve):
    served = await serve(build=live_app)
    tokens = await served.register_user("alice")
    auth = bearer(tokens["access_token"])
    await served.client.delete("/auth/users/me", headers=auth)  # deactivation
    assert_product_error(await served.client.get("/live", headers=auth), 401, "INVALID_TOKEN")


async def test_role_and_plan_come_from_the_database(serve, database):
    served = await serve(build=live_app)
    tokens = await served.register_user("alice")
    auth = bearer(tokens["access_token"])
    assert_product_error(
        await served.client.get("/live-admin", headers=auth), 403, "INSUFFICIENT_ROLE"
    )
    await admin.set_user_role(database, "alice", "app1", "admin")
    served.clock.advance(seconds=LIVE_CHECK_MAX_AGE.total_seconds())
    assert (await served.client.get("/live-admin", headers=auth)).json() == {"role": "admin"}
    # The token itself still says member: only live routes see the change at once.
    assert (await served.client.get("/admin", headers=auth)).status_code == 403


async def test_a_burst_within_the_freshness_reads_the_database_once(serve, monkeypatch):
    served = await serve(build=live_app)
    tokens = await served.register_user("alice")
    auth = bearer(tokens["access_token"])
    reads: list[str] = []
    original = served.trachea.store.sessions.get

    async def counted(session_id):
        reads.append(session_id)
        return await original(session_id)

    monkeypatch.setattr(served.trachea.store.sessions, "get", counted)
    for _ in range(5):
        assert (await served.client.get("/live", headers=auth)).status_code == 200
    assert len(reads) == 1
    served.clock.advance(seconds=LIVE_CHECK_MAX_AGE.total_seconds())
    await served.client.get("/live", headers=auth)
    assert len(reads) == 2


async def test_live_routes_still_need_a_valid_token(serve):
    served = await serve(build=live_app)
    for headers in ({}, bearer("not-a-token")):
        response = await served.client.get("/live", headers=headers)
        assert_product_error(response, 401, "INVALID_TOKEN")
