"""GET /auth/sessions and DELETE /auth/sessions/{id}, the absolute lifetime, the grace window
and auth_time across refreshes (contract §9)."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import datetime

from .conftest import assert_error, bearer


def parse_time(text: str) -> datetime:
    """An ISO 8601 time as our responses write it (``...Z``; Python 3.10's ``fromisoformat``
    does not read the ``Z``)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def claims(access_token: str) -> dict:
    payload = access_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def refresh(served, token):
    return await served.client.post("/auth/refresh", json={"refresh_token": token})


async def sessions_of(served, access_token):
    response = await served.client.get("/auth/sessions", headers=bearer(access_token))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()["sessions"]


async def test_the_callers_live_sessions_newest_first_with_the_current_one_marked(serve):
    served = await serve()
    first = await served.register_user("alice")
    served.clock.advance(seconds=5)
    second = (
        await served.client.post(
            "/auth/login",
            json={"username": "alice", "password": "correct horse battery staple"},
            headers={"User-Agent": "PhoneApp/2.1"},
        )
    ).json()
    listed = await sessions_of(served, first["access_token"])
    assert [s["session_id"] for s in listed] == [
        claims(second["access_token"])["sid"],
        claims(first["access_token"])["sid"],
    ]
    assert [s["current"] for s in listed] == [False, True]
    newest = listed[0]
    assert set(newest) == {
        "session_id",
        "provider",
        "created_at",
        "last_used_at",
        "expires_at",
        "user_agent",
        "ip",
        "current",
    }
    assert (newest["provider"], newest["user_agent"], newest["ip"]) == (
        "username",
        "PhoneApp/2.1",
        "203.0.113.7",
    )
    created = parse_time(newest["created_at"])
    expires = parse_time(newest["expires_at"])
    assert (expires - created).days == 30  # the refresh token's expiry, before the 90 days


async def test_last_used_at_follows_refreshes_and_expires_at_is_the_earlier_end(serve):
    served = await serve(session_max_days=40)
    tokens = await served.register_user("alice")
    served.clock.advance(days=20)
    rotated = (await refresh(served, tokens["refresh_token"])).json()
    (listed,) = await sessions_of(served, rotated["access_token"])
    created = parse_time(listed["created_at"])
    used = parse_time(listed["last_used_at"])
    assert (used - created).days == 20
    # Idle expiry would be day 50; the absolute end (day 40) comes first.
    assert (parse_time(listed["expires_at"]) - created).days == 40


async def test_sessions_of_other_users_and_apps_are_not_listed(serve):
    app1 = await serve("app1")
    app2 = await serve("app2")
    alice = await app1.register_user("alice")
    await app2.login("alice")
    await app1.register_user("bob")
    listed = await sessions_of(app1, alice["access_token"])
    assert [s["session_id"] for s in listed] == [claims(alice["access_token"])["sid"]]


async def test_ending_another_device_keeps_this_one(serve):
    served = await serve()
    laptop = await served.register_user("alice")
    phone = (await served.login("alice")).json()
    phone_sid = claims(phone["access_token"])["sid"]
    ended = await served.client.delete(
        f"/auth/sessions/{phone_sid}", headers=bearer(laptop["access_token"])
    )
    assert ended.status_code == 200 and ended.json() == {"message": "Session ended"}
    assert_error(await refresh(served, phone["refresh_token"]), 401, "REFRESH_TOKEN_INVALID")
    assert_error(
        await served.client.get("/auth/users/me", headers=bearer(phone["access_token"])),
        401,
        "INVALID_TOKEN",
    )
    assert (await refresh(served, laptop["refresh_token"])).status_code == 200
    assert [s["current"] for s in await sessions_of(served, laptop["access_token"])] == [True]


async def test_ending_the_current_session_is_a_logout_of_this_device(serve):
    served = await serve()
    tokens = await served.register_user("alice")
    other = (await served.login("alice")).json()
    sid = claims(tokens["access_token"])["sid"]
    response = await served.client.delete(
        f"/auth/sessions/{sid}", headers=bearer(tokens["access_token"])
    )
    assert response.status_code == 200
    assert_error(await refresh(served, tokens["refresh_token"]), 401, "REFRESH_TOKEN_INVALID")
    assert (await refresh(served, other["refresh_token"])).status_code == 200


async def test_another_users_dead_and_unknown_sessions_are_the_same_404(serve):
    served = await serve()
    alice = await served.register_user("alice")
    bob = await served.register_user("bob")
    alice_old = (await served.login("alice")).json()
    old_sid = claims(alice_old["access_token"])["sid"]
    await served.client.delete(f"/auth/sessions/{old_sid}", headers=bearer(alice["access_token"]))
    answers = [
        await served.client.delete(f"/auth/sessions/{sid}", headers=bearer(alice["access_token"]))
        for sid in (claims(bob["access_token"])["sid"], old_sid, "0" * 32, "not-a-session-id")
    ]
    bodies = {json.dumps(assert_error(answer, 404, "SESSION_NOT_FOUND")) for answer in answers}
    assert len(bodies) == 1
    # Bob's session was not touched.
    assert (await refresh(served, bob["refresh_token"])).status_code == 200


async def test_a_session_lives_at_most_session_max_days_however_often_it_refreshes(serve):
    served = await serve(session_max_days=60, refresh_token_expire_days=30)
    token = (await served.register_user("alice"))["refresh_token"]
    for _ in range(2):  # day 25 and day 50: within the idle timeout each time
        served.clock.advance(days=25)
        response = await refresh(served, token)
        assert response.status_code == 200
        token = response.json()["refresh_token"]
    served.clock.advance(days=10, seconds=1)  # day 60: the absolute end, not the idle one
    assert_error(await refresh(served, token), 401, "REFRESH_TOKEN_INVALID")


async def test_auth_time_is_the_sign_in_and_survives_refreshes(serve):
    served = await serve()
    tokens = await served.register_user("alice")
    signed_in = claims(tokens["access_token"])
    assert isinstance(signed_in["auth_time"], int)
    assert abs(signed_in["auth_time"] - signed_in["iat"]) <= 1
    served.clock.advance(hours=2)
    rotated = (await refresh(served, tokens["refresh_token"])).json()
    later = claims(rotated["access_token"])
    assert later["auth_time"] == signed_in["auth_time"] and later["iat"] > signed_in["iat"]


async def test_without_a_grace_window_the_previous_token_is_reuse(serve):
    served = await serve()
    tokens = await served.register_user("alice")
    rotated = (await refresh(served, tokens["refresh_token"])).json()
    assert_error(await refresh(served, tokens["refresh_token"]), 401, "REFRESH_TOKEN_REUSE")
    assert_error(await refresh(served, rotated["refresh_token"]), 401, "REFRESH_TOKEN_INVALID")


async def test_within_the_grace_window_a_lost_response_is_recovered(serve):
    served = await serve(refresh_reuse_grace_seconds=30)
    tokens = await served.register_user("alice")
    lost = (await refresh(served, tokens["refresh_token"])).json()  # the client never got it
    served.clock.advance(seconds=20)
    retried = await refresh(served, tokens["refresh_token"])
    assert retried.status_code == 200
    assert retried.json()["refresh_token"] != lost["refresh_token"]
    # The successor the lost response held is revoked; the new one continues the session.
    assert_error(await refresh(served, lost["refresh_token"]), 401, "REFRESH_TOKEN_INVALID")
    assert (await refresh(served, retried.json()["refresh_token"])).status_code == 200


async def test_after_the_grace_window_the_previous_token_is_reuse(serve):
    served = await serve(refresh_reuse_grace_seconds=30)
    tokens = await served.register_user("alice")
    await refresh(served, tokens["refresh_token"])
    served.clock.advance(seconds=31)
    assert_error(await refresh(served, tokens["refresh_token"]), 401, "REFRESH_TOKEN_REUSE")


async def test_within_the_grace_window_only_the_immediate_predecessor_is_forgiven(serve):
    served = await serve(refresh_reuse_grace_seconds=30)
    first = (await served.register_user("alice"))["refresh_token"]
    second = (await refresh(served, first)).json()["refresh_token"]
    third = (await refresh(served, second)).json()["refresh_token"]
    assert_error(await refresh(served, first), 401, "REFRESH_TOKEN_REUSE")
    assert_error(await refresh(served, third), 401, "REFRESH_TOKEN_INVALID")


async def test_an_expired_retired_token_is_invalid_not_reuse_whenever_the_ttl_runs(serve):
    served = await serve(refresh_token_expire_days=30, session_max_days=90)
    old = (await served.register_user("alice"))["refresh_token"]
    served.clock.advance(days=20)
    current = (await refresh(served, old)).json()["refresh_token"]
    served.clock.advance(days=15)  # the old token's own expiry (day 30) has passed
    assert await served.trachea.store.refresh_tokens.collection.count_documents({}) == 1
    assert_error(await refresh(served, old), 401, "REFRESH_TOKEN_INVALID")
    assert (await refresh(served, current)).status_code == 200  # no alarm was raised


async def test_a_logout_racing_a_refresh_leaves_the_session_dead(serve):
    served = await serve()
    tokens = await served.register_user("alice")
    logout, refreshed = await asyncio.gather(
        served.client.post("/auth/logout", headers=bearer(tokens["access_token"])),
        refresh(served, tokens["refresh_token"]),
    )
    assert logout.status_code == 200
    if refreshed.status_code == 200:  # the refresh won the race: its tokens are dead anyway
        body = refreshed.json()
        assert_error(await refresh(served, body["refresh_token"]), 401, "REFRESH_TOKEN_INVALID")
        me = await served.client.get("/auth/users/me", headers=bearer(body["access_token"]))
        assert_error(me, 401, "INVALID_TOKEN")
    else:
        assert_error(refreshed, 401, "REFRESH_TOKEN_INVALID")
    assert_error(await refresh(served, tokens["refresh_token"]), 401, "REFRESH_TOKEN_INVALID")
    assert (await served.login("alice")).status_code == 200  # a new sign-in works


async def test_a_new_sign_in_after_logout_is_live(serve):
    served = await serve()
    tokens = await served.register_user("alice")
    await served.client.post("/auth/logout", headers=bearer(tokens["access_token"]))
    again = (await served.login("alice")).json()
    assert (await refresh(served, again["refresh_token"])).status_code == 200
    assert len(await sessions_of(served, again["access_token"])) == 1


async def test_the_after_a_restore_update_of_operations_md_ends_every_session(serve, database):
    """docs/operations.md, "After a restore": the one updateMany on users it gives ends every
    session (in every app), the current one of a password change included; a sign-in after it
    is live."""
    served = await serve()
    alice = await served.register_user("alice")
    bob = await served.register_user("bob")
    await database.users.update_many(  # the mongosh command, through PyMongo
        {"erased_at": {"$exists": False}},
        {"$set": {"sessions_valid_after": served.clock.now()}, "$unset": {"session_spared": ""}},
    )
    served.clock.advance(seconds=1)
    for tokens in (alice, bob):
        assert_error(await refresh(served, tokens["refresh_token"]), 401, "REFRESH_TOKEN_INVALID")
    again = await served.login("alice")
    assert again.status_code == 200
    assert (await refresh(served, again.json()["refresh_token"])).status_code == 200
