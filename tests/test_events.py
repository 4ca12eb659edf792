"""Contract §11: each event reaches ``on_event`` with its name, app, user, session and data,
after the real route (or ``trachea.users`` call) that causes it; no event's data holds a
secret; the audit log stores the same events under the same names."""

from __future__ import annotations

import dataclasses
import json
import threading
from datetime import timedelta, timezone
from typing import Any

import pytest

from trachea_login import TracheaEvent, admin
from trachea_login.events import AUDIT_ONLY_NAMES, EVENT_NAMES
from trachea_login.testing import issue_token

from .conftest import FIREBASE, PASSWORD, bearer, firebase_login, new_email

NEW_PASSWORD = "another horse battery staple"
CLIENT_IP = "203.0.113.7"  # the serve fixture's client address
CLIENT_DETAILS = ("ip", "user_agent")


class Collect:
    """A sync ``on_event`` callback keeping every event (sync callbacks run in a thread)."""

    def __init__(self) -> None:
        self.events: list[TracheaEvent] = []
        self._lock = threading.Lock()

    def __call__(self, event: TracheaEvent) -> None:
        with self._lock:
            self.events.append(event)

    def named(self, name: str) -> list[TracheaEvent]:
        return [event for event in self.events if event.name == name]

    @property
    def names(self) -> list[str]:
        return [event.name for event in self.events]


def session_of(tokens: dict[str, Any]) -> str:
    """The session id a login response's refresh token names (``<sid>.<secret>``)."""
    return str(tokens["refresh_token"].split(".")[0])


async def full_session(served: Any) -> dict[str, Any]:
    """Every user route that causes an event, in one person's life (and two more people's),
    plus a service client's token: what each step gave, for the assertions."""
    client, seen = served.client, {}
    alice = seen["alice"] = await served.register_user("alice")
    assert (await served.login("alice", "not the password")).status_code == 401
    second = seen["second"] = (await served.login("alice")).json()
    refreshed = await client.post("/auth/refresh", json={"refresh_token": second["refresh_token"]})
    seen["refreshed"] = refreshed.json()
    headers = bearer(seen["refreshed"]["access_token"])
    assert (
        await client.patch("/auth/users/me", json={"name": "Alice"}, headers=headers)
    ).is_success
    plan = {"plan": "pro", "email": "alice@example.com"}
    assert (await client.patch("/auth/users/me/plan", json=plan, headers=headers)).is_success
    ended = await client.delete(f"/auth/sessions/{session_of(alice)}", headers=headers)
    assert ended.is_success, ended.text
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert (await client.post("/auth/users/me/password", json=change, headers=headers)).is_success
    assert (await client.post("/auth/logout", headers=headers)).is_success
    bob = seen["bob"] = await served.register_user("bob")
    assert (await client.delete("/auth/users/me", headers=bearer(bob["access_token"]))).is_success
    carol = seen["carol"] = await served.register_user("carol")
    erase = await client.post(
        "/auth/users/me/erase", json={"confirm": True}, headers=bearer(carol["access_token"])
    )
    assert erase.is_success, erase.text
    created = seen["service_client"] = await admin.create_client(
        served.trachea.database,
        app_id="app1",
        name="Reports",
        scopes=["reports:read"],
    )
    token = await client.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        auth=(created.client_id, created.client_secret),
    )
    assert token.is_success, token.text
    seen["service_token"] = token.json()["access_token"]
    await served.trachea.flush_events()
    return seen


@pytest.fixture
async def lived(serve):
    """An app whose plan policy lets anyone go pro, with a collecting callback, after
    :func:`full_session`."""
    events = Collect()
    served = await serve(on_event=events, plan_policy=lambda user, plan, proof: True)
    seen = await full_session(served)
    return served, events, seen


async def test_a_full_session_fires_the_events_in_the_order_they_happened(lived):
    _served, events, _seen = lived
    assert events.names == [
        "registered", "login", "login_failed", "login", "refreshed", "profile_updated",
        "plan_changed", "session_ended", "password_changed", "logout",
        "registered", "login", "deactivated",
        "registered", "login", "erased",
        "token_issued",
    ]  # fmt: skip


async def test_each_event_names_its_app_user_and_session(lived):
    served, events, seen = lived
    alice, bob, carol = (seen[name]["user"]["id"] for name in ("alice", "bob", "carol"))
    first, second = session_of(seen["alice"]), session_of(seen["second"])
    expected = [
        ("registered", alice, None),
        ("login", alice, first),
        ("login_failed", alice, None),
        ("login", alice, second),
        ("refreshed", alice, second),
        ("profile_updated", alice, second),
        ("plan_changed", alice, second),
        ("session_ended", alice, first),
        ("password_changed", alice, second),
        ("logout", alice, second),
        ("registered", bob, None),
        ("login", bob, session_of(seen["bob"])),
        ("deactivated", bob, session_of(seen["bob"])),
        ("registered", carol, None),
        ("login", carol, session_of(seen["carol"])),
        ("erased", carol, None),
        ("token_issued", None, None),
    ]
    assert [(e.name, e.user_id, e.session_id) for e in events.events] == expected
    assert {e.app_id for e in events.events} == {"app1"}


async def test_each_event_carries_its_details(lived):
    served, events, seen = lived
    data = {e.name: dict(e.data) for e in events.events}  # the last of each name
    ip = {"ip": CLIENT_IP, "user_agent": data["login"]["user_agent"]}
    assert data["registered"] == {**ip, "method": "username", "new_account": True}
    assert data["login"] == {**ip, "method": "username"}
    assert dict(events.named("login_failed")[0].data) == {
        **ip, "method": "username", "reason": "wrong_password",
    }  # fmt: skip
    assert data["refreshed"] == ip
    assert data["profile_updated"] == {**ip, "fields": ["name"]}
    assert data["plan_changed"] == {**ip, "old": "free", "new": "pro", "actor": "user"}
    assert data["session_ended"] == {**ip, "reason": "user"}
    assert data["password_changed"] == ip
    assert data["logout"] == ip
    assert data["deactivated"] == {**ip, "actor": "user"}
    assert data["erased"] == {"actor": "user"}  # no IP: the event outlives the erasure
    assert data["token_issued"] == {
        **ip, "client_id": seen["service_client"].client_id, "scope": "reports:read",
    }  # fmt: skip


async def test_an_event_is_frozen_its_data_read_only_and_its_time_the_instance_clock(lived):
    served, events, _seen = lived
    event = events.events[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        event.data["method"] = "other"  # type: ignore[index]
    now = served.clock.now()
    for event in events.events:
        assert event.at.utcoffset() == timedelta(0)
        assert now - timedelta(seconds=5) <= event.at <= now
    served.clock.advance(days=3)  # time is the instance clock's, not the machine's
    await served.login("alice", NEW_PASSWORD)
    await served.trachea.flush_events()
    assert events.events[-1].at >= now + timedelta(days=3)


async def test_no_event_holds_a_password_token_secret_or_hash(lived):
    served, events, seen = lived
    text = json.dumps(
        [{**dataclasses.asdict(e), "data": dict(e.data)} for e in events.events], default=str
    )
    secrets = [PASSWORD, NEW_PASSWORD, "not the password", seen["service_token"]]
    secrets.append(seen["service_client"].client_secret)
    for name in ("alice", "second", "refreshed", "bob", "carol"):
        secrets.append(seen[name]["access_token"])
        secrets.append(seen[name]["refresh_token"])
        secrets.append(seen[name]["refresh_token"].split(".", 1)[1])  # the secret part alone
    hashes = [
        doc.get("password_hash") async for doc in served.trachea.store.users.collection.find()
    ]
    secrets += [h for h in hashes if h]
    client = await served.trachea.store.service_clients.get(seen["service_client"].client_id)
    secrets.append(client.secret_hash)
    for secret in secrets:
        assert secret and secret not in text
    for word in ("hash", "secret", "token"):  # no key or value so named (token_issued aside)
        assert word not in text.replace("token_issued", ""), word


async def test_the_audit_log_stores_the_same_events_under_the_same_names(lived):
    served, events, _seen = lived
    await served.trachea.service.auditor.flush()
    stored = [
        doc
        async for doc in served.trachea.store.audit.collection.find({}).sort(
            [("at", 1), ("_id", 1)]
        )
        if doc["event"] in EVENT_NAMES
    ]
    assert [doc["event"] for doc in stored] == events.names
    for doc, event in zip(stored, events.events, strict=True):
        stored_at = doc["at"].replace(tzinfo=timezone.utc)  # MongoDB gives UTC, naive
        assert (stored_at, str(doc["user_id"]) if "user_id" in doc else None) == (
            event.at,
            event.user_id,
        )
        assert doc.get("session_id") == event.session_id
        # An erasure removes IP and user agent from the person's stored events (§9).
        kept = {k: v for k, v in event.data.items() if k in doc or k not in CLIENT_DETAILS}
        assert {k: doc[k] for k in kept} == kept
    audit_only = {doc["event"] async for doc in served.trachea.store.audit.collection.find()}
    assert audit_only - EVENT_NAMES <= AUDIT_ONLY_NAMES | {"app_registered"}


async def test_a_reused_refresh_token_past_the_grace_window_is_refresh_reuse_detected(serve):
    events = Collect()
    served = await serve(on_event=events, refresh_reuse_grace_seconds=10)
    tokens = await served.register_user("dora")
    old = tokens["refresh_token"]
    assert (await served.client.post("/auth/refresh", json={"refresh_token": old})).is_success
    served.clock.advance(seconds=11)
    reuse = await served.client.post("/auth/refresh", json={"refresh_token": old})
    assert reuse.json()["error"] == "REFRESH_TOKEN_REUSE"
    await served.trachea.flush_events()
    [event] = events.named("refresh_reuse_detected")
    assert (event.user_id, event.session_id) == (tokens["user"]["id"], session_of(tokens))
    assert events.names[-2:] == ["refreshed", "refresh_reuse_detected"]


async def test_the_backend_s_changes_through_trachea_users_are_events_with_actor_backend(serve):
    events = Collect()
    served = await serve(on_event=events)
    users = served.trachea.users
    uid = (await issue_token(served.trachea, email="erin@example.com")).uid
    await users.set_role(uid, "admin")  # an audit entry, not a §11 event
    await users.set_plan(uid, "pro")
    await users.end_sessions(uid)
    await users.deactivate(uid)
    await users.reactivate(uid)  # audit only, too
    await users.erase(uid)
    await served.trachea.flush_events()
    backend = [(e.name, dict(e.data)) for e in events.events if e.data.get("actor") == "backend"]
    assert backend == [
        ("plan_changed", {"old": "free", "new": "pro", "actor": "backend"}),
        ("session_ended", {"reason": "all_sessions", "count": 1, "actor": "backend"}),
        ("deactivated", {"sessions_ended": 0, "actor": "backend"}),
        ("erased", {"actor": "backend"}),
    ]
    assert {e.user_id for e in events.events} == {uid}
    stored = {doc["event"] async for doc in served.trachea.store.audit.collection.find()}
    assert {"role_changed", "reactivated"} <= stored  # in the audit log, never delivered


async def test_operator_commands_are_audit_entries_only_no_instance_delivers_them(serve):
    events = Collect()
    served = await serve(on_event=events)
    await served.register_user("fred")
    await admin.deactivate_user(served.trachea.database, "fred")
    await served.trachea.flush_events()
    assert events.names == ["registered", "login"]
    [stored] = [
        doc async for doc in served.trachea.store.audit.collection.find({"event": "deactivated"})
    ]
    assert stored["actor"] == "cli"


async def test_a_first_sign_in_with_an_account_from_another_app_is_registered_not_new(serve):
    first = await serve("app1")
    uid = (await first.register_user("gus"))["user"]["id"]
    events = Collect()
    second = await serve("app2", on_event=events)
    assert (await second.login("gus")).is_success
    await second.login("gus")
    await second.trachea.flush_events()
    assert events.names == ["registered", "login", "login"]
    assert (events.events[0].user_id, events.events[0].app_id) == (uid, "app2")
    assert events.events[0].data["new_account"] is False


async def test_firebase_sign_ins_fire_registered_login_and_login_failed(firebase_emulator, serve):
    events = Collect()
    served = await serve(methods=("google",), on_event=events, **FIREBASE)
    _uid, token = firebase_emulator.sign_in_with_idp("google.com", email=new_email())
    signed_in = await firebase_login(served, token)
    assert signed_in.is_success, signed_in.text
    refused = await firebase_login(served, "not-a-firebase-token")
    assert refused.status_code == 401
    await served.trachea.flush_events()
    user_id = signed_in.json()["user"]["id"]
    assert [(e.name, e.user_id) for e in events.events] == [
        ("registered", user_id),
        ("login", user_id),
        ("login_failed", None),
    ]
    assert events.events[0].data["method"] == events.events[1].data["method"] == "google"
    assert events.events[0].data["new_account"] is True
    assert events.events[2].data["reason"] == "INVALID_FIREBASE_TOKEN"
