"""Ending sessions cannot fail open (contract §9): each way a session ends is one atomic write,
so a crash right after that write — before anything else the request would do — still leaves
the session dead. Each test lets the one write happen, then makes the process "crash" (the
request fails with a 500), and checks the session is dead anyway."""

from __future__ import annotations

from datetime import timedelta

from trachea_login import admin
from trachea_login.services import ClientContext

from ..conftest import PASSWORD, assert_error, bearer


class Crash(RuntimeError):
    """The process dying right after a write."""


def crash_after(monkeypatch, owner, name):
    """Make ``owner.name`` do its real write, then crash."""
    real = getattr(owner, name)

    async def write_then_crash(*args, **kwargs):
        await real(*args, **kwargs)
        raise Crash(name)

    monkeypatch.setattr(owner, name, write_then_crash)


def crash_instead(monkeypatch, owner, name):
    """Make ``owner.name`` (a follow-up, e.g. cleanup) crash without doing anything."""

    async def crash(*args, **kwargs):
        raise Crash(name)

    monkeypatch.setattr(owner, name, crash)


async def refresh(served, token):
    return await served.client.post("/auth/refresh", json={"refresh_token": token})


async def assert_dead(served, tokens):
    assert_error(await refresh(served, tokens["refresh_token"]), 401, "REFRESH_TOKEN_INVALID")
    me = await served.client.get("/auth/users/me", headers=bearer(tokens["access_token"]))
    assert me.status_code in (401, 403), me.text


async def test_logout_is_one_write(serve, monkeypatch):
    served = await serve()
    tokens = await served.register_user("alice")
    other = (await served.login("alice")).json()
    crash_after(monkeypatch, served.trachea.store.users, "end_app_sessions")
    crashed = await served.client.post("/auth/logout", headers=bearer(tokens["access_token"]))
    assert crashed.status_code == 500
    monkeypatch.undo()
    await assert_dead(served, tokens)
    await assert_dead(served, other)


async def test_reuse_detection_is_one_write(serve, monkeypatch):
    served = await serve()
    tokens = await served.register_user("alice")
    rotated = (await refresh(served, tokens["refresh_token"])).json()
    crash_after(monkeypatch, served.trachea.store.users, "end_app_sessions")
    assert (await refresh(served, tokens["refresh_token"])).status_code == 500
    monkeypatch.undo()
    await assert_dead(served, rotated)


async def test_deactivation_is_one_write_and_reactivation_revives_nothing(serve, monkeypatch):
    served = await serve()
    tokens = await served.register_user("alice")
    crash_after(monkeypatch, served.trachea.store.users, "set_active")
    crashed = await served.client.delete("/auth/users/me", headers=bearer(tokens["access_token"]))
    assert crashed.status_code == 500
    monkeypatch.undo()
    await assert_dead(served, tokens)
    await admin.reactivate_user(served.trachea.store.database, "alice")
    await assert_dead(served, tokens)  # reactivation brings no session back
    assert (await served.login("alice")).status_code == 200


async def test_a_session_made_during_deactivation_does_not_survive_reactivation(serve):
    """A sign-in racing the deactivation (it read the account as active just before) may write
    its session after the deactivation: reactivation must not make it live."""
    served = await serve()
    await served.register_user("alice")
    database = served.trachea.store.database
    before = await served.trachea.store.users.find_by_username("alice")
    # (No clock moves here: the admin functions use the system clock, as the CLI does.)
    await admin.deactivate_user(database, "alice")
    racing = await served.trachea.service.sessions.start(before, "username", ClientContext())
    await admin.reactivate_user(database, "alice")
    stale = {"refresh_token": racing.refresh_token, "access_token": racing.access_token}
    await assert_dead(served, stale)


async def test_password_change_is_one_write(serve, monkeypatch):
    served = await serve()
    calling = await served.register_user("alice")
    other = (await served.login("alice")).json()
    crash_after(monkeypatch, served.trachea.store.users, "change_password")
    crashed = await served.client.post(
        "/auth/users/me/password",
        json={"current_password": PASSWORD, "new_password": "another long passphrase"},
        headers=bearer(calling["access_token"]),
    )
    assert crashed.status_code == 500
    monkeypatch.undo()
    await assert_dead(served, other)
    assert (await refresh(served, calling["refresh_token"])).status_code == 200


async def test_erasure_is_one_write_and_an_interrupted_one_can_be_finished(serve, monkeypatch):
    served = await serve()
    tokens = await served.register_user("alice")
    user_id = tokens["user"]["id"]
    crash_instead(monkeypatch, served.trachea.store.sessions, "delete_all_of")  # the cleanup
    crashed = await served.client.post(
        "/auth/users/me/erase", json={"confirm": True}, headers=bearer(tokens["access_token"])
    )
    assert crashed.status_code == 500
    monkeypatch.undo()
    await assert_dead(served, tokens)
    assert await served.trachea.store.sessions.collection.count_documents({}) == 1
    await admin.erase_user(served.trachea.store.database, user_id)  # the operator finishes it
    assert await served.trachea.store.sessions.collection.count_documents({}) == 0


async def test_ending_one_session_is_one_write(serve, monkeypatch):
    served = await serve()
    laptop = await served.register_user("alice")
    phone = (await served.login("alice")).json()
    sid = await served.client.get("/auth/sessions", headers=bearer(laptop["access_token"]))
    phone_sid = next(s["session_id"] for s in sid.json()["sessions"] if not s["current"])
    crash_after(monkeypatch, served.trachea.store.sessions, "end")
    crashed = await served.client.delete(
        f"/auth/sessions/{phone_sid}", headers=bearer(laptop["access_token"])
    )
    assert crashed.status_code == 500
    monkeypatch.undo()
    await assert_dead(served, phone)


async def test_operator_end_sessions_is_one_write(serve, monkeypatch):
    served = await serve()
    tokens = await served.register_user("alice")
    database = served.trachea.store.database
    from trachea_login.store import Store

    store_users = Store(database).users
    real = type(store_users).end_account_sessions

    async def then_crash(self, *args, **kwargs):
        await real(self, *args, **kwargs)
        raise Crash("end_account_sessions")

    monkeypatch.setattr(type(store_users), "end_account_sessions", then_crash)
    try:
        await admin.end_user_sessions(database, "alice")
    except Crash:
        pass
    monkeypatch.undo()
    await assert_dead(served, tokens)


async def test_a_session_is_dead_at_its_absolute_end_without_any_write(serve):
    served = await serve(session_max_days=1)
    tokens = await served.register_user("alice")
    served.clock.advance(days=1, seconds=1)
    await assert_dead(served, tokens)
    assert served.clock.offset >= timedelta(days=1)
