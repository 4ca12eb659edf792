"""Audit events are stored off the response path (services/audit_writer.py): no request waits
for them, a graceful shutdown stores every queued one, a failing insert is logged and never
fails a request, and a full queue drops events with a warning instead of blocking."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from pymongo.errors import OperationFailure, ServerSelectionTimeoutError

from trachea_login.services.audit_writer import AuditWriter
from trachea_login.services.context import ClientContext

from .conftest import PASSWORD, default_app


class GatedInserts:
    """Stands in front of ``AuditLog.insert_many``: holds every batch until ``open()``."""

    def __init__(self, insert_many: Any) -> None:
        self._insert_many = insert_many
        self._gate = asyncio.Event()
        self.waiting = 0

    def open(self) -> None:
        self._gate.set()

    async def __call__(self, documents: list[dict[str, Any]]) -> None:
        self.waiting += 1
        await self._gate.wait()
        await self._insert_many(documents)


async def _stored(trachea: Any, event: str) -> list[dict[str, Any]]:
    return [e async for e in trachea.store.audit.collection.find({"event": event})]


async def test_a_request_does_not_wait_for_its_audit_insert(serve, monkeypatch):
    served = await serve()
    gate = GatedInserts(served.trachea.store.audit.insert_many)
    monkeypatch.setattr(served.trachea.store.audit, "insert_many", gate)

    response = await served.client.post(
        "/auth/register", json={"username": "alice", "password": PASSWORD}
    )

    assert response.status_code == 200  # answered while the insert is still held
    assert await _stored(served.trachea, "registered") == []
    gate.open()
    await served.trachea.service.auditor.flush()
    assert len(await _stored(served.trachea, "registered")) == 1


async def test_events_still_queued_at_shutdown_are_stored_before_it_returns(
    register, make_trachea, monkeypatch
):
    await register("app1")
    trachea = make_trachea("app1")
    app = default_app(trachea)
    gate = GatedInserts(trachea.store.audit.insert_many)
    monkeypatch.setattr(trachea.store.audit, "insert_many", gate)
    manager = LifespanManager(app)
    await manager.__aenter__()
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for name in ("alice", "bob", "carol"):
            response = await client.post(
                "/auth/register", json={"username": name, "password": PASSWORD}
            )
            assert response.status_code == 200

    stopping = asyncio.ensure_future(manager.__aexit__(None, None, None))
    for _ in range(20):
        await asyncio.sleep(0)
    assert not stopping.done()  # shutdown waits for the queued events
    gate.open()
    await stopping
    assert len(await _stored(trachea, "registered")) == 3
    assert len(await _stored(trachea, "login")) == 3


async def test_a_failing_audit_insert_is_logged_and_never_fails_the_request(
    serve, monkeypatch, caplog
):
    served = await serve()

    async def refuse(documents: list[dict[str, Any]]) -> None:
        raise OperationFailure("not authorized on trachea to execute command", code=13)

    monkeypatch.setattr(served.trachea.store.audit, "insert_many", refuse)
    with caplog.at_level(logging.ERROR, logger="trachea_login"):
        registered = await served.client.post(
            "/auth/register", json={"username": "alice", "password": PASSWORD}
        )
        logged_in = await served.login("alice")
        await served.trachea.service.auditor.flush()
    assert (registered.status_code, logged_in.status_code) == (200, 200)
    assert any("could not store" in r.getMessage() for r in caplog.records)


def _documents(count: int) -> list[dict[str, Any]]:
    return [{"event": "test", "n": n} for n in range(count)]


async def test_a_full_queue_drops_new_events_with_one_warning_and_never_blocks(
    make_trachea, caplog
):
    log = make_trachea("app1").store.audit
    gate = GatedInserts(log.insert_many)
    log.insert_many = gate  # type: ignore[method-assign]
    writer = AuditWriter(log, max_queued=2, batch_size=10)
    with caplog.at_level(logging.WARNING, logger="trachea_login"):
        for document in _documents(6):
            writer.submit(document)  # returns at once, full or not
    assert writer.dropped == 4
    assert [r.getMessage() for r in caplog.records].count(caplog.records[0].getMessage()) == 1
    assert "audit queue full" in caplog.records[0].getMessage()
    gate.open()
    await writer.close()
    assert [e["n"] async for e in log.collection.find({"event": "test"})] == [0, 1]


async def test_shutdown_with_the_database_unavailable_gives_up_and_says_how_many(
    make_trachea, caplog
):
    log = make_trachea("app1").store.audit

    async def unavailable(documents: list[dict[str, Any]]) -> None:
        raise ServerSelectionTimeoutError("No servers found yet")

    log.insert_many = unavailable  # type: ignore[method-assign]
    writer = AuditWriter(log, batch_size=1)
    for document in _documents(3):
        writer.submit(document)
    with caplog.at_level(logging.WARNING, logger="trachea_login"):
        await writer.close()  # returns: one failed batch, then the rest is given up on
    messages = [r.getMessage() for r in caplog.records]
    assert any("could not store 1 audit event(s): MongoDB unavailable" in m for m in messages)
    assert any("2 more audit event(s) not stored" in m for m in messages)


async def test_events_are_stored_in_the_order_they_happened(make_trachea):
    log = make_trachea("app1").store.audit
    writer = AuditWriter(log, batch_size=3)
    for document in _documents(10):
        writer.submit(document)
    await writer.close()
    assert [e["n"] async for e in log.collection.find({"event": "test"}).sort("_id", 1)] == list(
        range(10)
    )


async def test_events_still_queued_when_a_person_is_erased_are_scrubbed_too(serve, monkeypatch):
    """Erasure removes IP and user agent from the person's audit events: the ones this process
    has not stored yet are stored first, so none arrives after the scrub with them."""
    from bson import ObjectId

    served = await serve()
    gate = GatedInserts(served.trachea.store.audit.insert_many)
    monkeypatch.setattr(served.trachea.store.audit, "insert_many", gate)
    tokens = await served.register_user("alice")  # its events wait behind the gate
    erasing = asyncio.ensure_future(
        served.client.post(
            "/auth/users/me/erase",
            json={"confirm": True},
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
    )
    for _ in range(50):
        await asyncio.sleep(0)
    gate.open()
    assert (await erasing).status_code == 200
    await served.trachea.service.auditor.flush()
    user_id = ObjectId(tokens["user"]["id"])
    events = [e async for e in served.trachea.store.audit.collection.find({"user_id": user_id})]
    assert {e["event"] for e in events} >= {"registered", "login", "erased"}
    assert all("ip" not in e and "user_agent" not in e for e in events)


class EndlessTraffic:
    """Stands in front of ``AuditLog.insert_many``: each batch stored brings one more event
    (another person's failed sign-in), so the queue is never empty and never idle: steady
    traffic, made deterministic. ``stop()`` ends it."""

    def __init__(self, insert_many: Any, auditor: Any) -> None:
        self._insert_many = insert_many
        self._auditor = auditor
        self.stopped = False
        self.stored: list[str] = []

    def stop(self) -> None:
        self.stopped = True

    async def __call__(self, documents: list[dict[str, Any]]) -> None:
        await self._insert_many(documents)
        self.stored.extend(document["event"] for document in documents)
        if not self.stopped:
            await self._auditor.record(
                "login_failed",
                ClientContext(ip="198.51.100.9"),
                method="username",
                reason="unknown_user",
            )


class SlowInserts:
    """Stands in front of ``AuditLog.insert_many``: each batch yields to the event loop many
    times first, as a real server's round trip lets much else run before it lands."""

    def __init__(self, insert_many: Any, yields: int = 200) -> None:
        self._insert_many = insert_many
        self._yields = yields

    async def __call__(self, documents: list[dict[str, Any]]) -> None:
        for _ in range(self._yields):
            await asyncio.sleep(0)
        await self._insert_many(documents)


async def _events_of(served: Any, uid: str) -> list[dict[str, Any]]:
    from bson import ObjectId

    audit = served.trachea.store.audit.collection
    return [e async for e in audit.find({"user_id": ObjectId(uid)})]


def _erase_request(served: Any, tokens: dict[str, Any]) -> Any:
    return served.client.post(
        "/auth/users/me/erase",
        json={"confirm": True},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )


async def test_an_erasure_under_steady_traffic_answers_and_scrubs_what_it_waited_for(
    serve, monkeypatch
):
    """The erasure waits for the audit events queued before it, not for the queue to be empty
    (which, with others signing in all the time, it never is)."""
    served = await serve()
    tokens = await served.register_user("alice")
    traffic = EndlessTraffic(served.trachea.store.audit.insert_many, served.trachea.service.auditor)
    monkeypatch.setattr(served.trachea.store.audit, "insert_many", traffic)
    await served.trachea.service.auditor.record("login_failed", ClientContext(ip="198.51.100.9"))

    response = await asyncio.wait_for(_erase_request(served, tokens), 60)  # never hangs

    assert response.status_code == 200
    assert traffic.stored  # the traffic went on all along
    traffic.stop()
    await served.trachea.service.auditor.flush()
    events = await _events_of(served, tokens["user"]["id"])
    assert {e["event"] for e in events} >= {"registered", "login", "erased"}
    assert all("ip" not in e and "user_agent" not in e for e in events)


async def test_flush_returns_under_steady_traffic_once_what_was_queued_before_is_stored(serve):
    served = await serve()
    auditor = served.trachea.service.auditor
    traffic = EndlessTraffic(served.trachea.store.audit.insert_many, auditor)
    served.trachea.store.audit.insert_many = traffic  # type: ignore[method-assign]
    await served.register_user("alice")  # registered, login: queued before the flush

    assert await asyncio.wait_for(auditor.flush(), 60) is True

    assert traffic.stored[:2] == ["registered", "login"]
    traffic.stop()


async def test_shutdown_under_continued_submission_returns_and_stores_what_was_queued(
    register, make_trachea, caplog
):
    await register("app1")
    trachea = make_trachea("app1")
    app = default_app(trachea)
    manager = LifespanManager(app)
    await manager.__aenter__()
    traffic = EndlessTraffic(trachea.store.audit.insert_many, trachea.service.auditor)
    trachea.store.audit.insert_many = traffic  # type: ignore[method-assign]
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        registered = await client.post(
            "/auth/register", json={"username": "alice", "password": PASSWORD}
        )
        assert registered.status_code == 200

    with caplog.at_level(logging.WARNING, logger="trachea_login"):
        await asyncio.wait_for(manager.__aexit__(None, None, None), 60)  # never hangs

    assert {"registered", "login", "login_failed"} <= set(traffic.stored)
    assert trachea.service.auditor.writer.dropped >= 1  # what came after shutdown began
    closing = [r.getMessage() for r in caplog.records if "queue closing" in r.getMessage()]
    assert closing == ["audit queue closing: new audit event(s) are dropped (still logged on "
                       "trachea_login.audit)"]  # fmt: skip


async def test_an_erasure_stores_the_events_queued_up_to_its_own_write_before_the_scrub(
    serve, monkeypatch
):
    """An event of the person's recorded while the erasure runs (a request of theirs still in
    flight) is queued before the erase write lands: the scrub comes after it is stored."""
    served = await serve()
    tokens = await served.register_user("alice")
    await served.trachea.service.auditor.flush()
    users = served.trachea.store.users
    erase_write = users.erase

    async def erase_while_a_request_of_theirs_records(user_id: Any) -> bool:
        await served.trachea.service.auditor.record(
            "refreshed", ClientContext(ip="203.0.113.7", user_agent="phone"), user_id=user_id
        )
        return bool(await erase_write(user_id))

    monkeypatch.setattr(users, "erase", erase_while_a_request_of_theirs_records)
    slow = SlowInserts(served.trachea.store.audit.insert_many)
    monkeypatch.setattr(served.trachea.store.audit, "insert_many", slow)

    assert (await _erase_request(served, tokens)).status_code == 200

    await served.trachea.service.auditor.flush()
    events = await _events_of(served, tokens["user"]["id"])
    assert "refreshed" in {e["event"] for e in events}
    assert all("ip" not in e and "user_agent" not in e for e in events)


async def test_trachea_users_erase_scrubs_the_events_still_queued_too(serve, monkeypatch):
    served = await serve()
    slow = SlowInserts(served.trachea.store.audit.insert_many)
    monkeypatch.setattr(served.trachea.store.audit, "insert_many", slow)
    tokens = await served.register_user("alice")  # registered, login: still on their way

    await served.trachea.users.erase(tokens["user"]["id"])  # e.g. a GDPR webhook at once

    await served.trachea.service.auditor.flush()
    events = await _events_of(served, tokens["user"]["id"])
    assert {e["event"] for e in events} == {"registered", "login", "erased"}
    assert all("ip" not in e and "user_agent" not in e for e in events)


async def test_an_erasure_waits_for_the_audit_queue_at_most_mongo_timeout_then_says_so(
    serve, monkeypatch, caplog
):
    """A request never waits forever behind a stuck audit collection: past MONGO_TIMEOUT_MS the
    erasure goes on and warns; running the CLI's erase again scrubs what was stored later."""
    from trachea_login.admin import erase_user

    served = await serve(mongo_timeout_ms=50)
    tokens = await served.register_user("alice")
    gate = GatedInserts(served.trachea.store.audit.insert_many)  # never opened: stuck
    monkeypatch.setattr(served.trachea.store.audit, "insert_many", gate)
    await served.login("alice")  # its login event waits behind the gate

    with caplog.at_level(logging.WARNING, logger="trachea_login"):
        response = await asyncio.wait_for(_erase_request(served, tokens), 60)

    assert response.status_code == 200
    uid = tokens["user"]["id"]
    assert any(
        f"erasure of user {uid}: queued audit events not all stored within 0.05 s" in m
        and f"trachea-login users erase {uid}" in m
        for m in (r.getMessage() for r in caplog.records)
    )
    gate.open()
    await served.trachea.service.auditor.flush()
    assert any("ip" in e for e in await _events_of(served, uid))  # stored after the scrub
    await erase_user(served.trachea.database, uid)  # what the warning says to do
    assert all("ip" not in e for e in await _events_of(served, uid))


async def test_a_cancelled_error_from_an_insert_is_a_failure_and_the_writer_stores_the_rest(
    make_trachea, caplog
):
    """A ``CancelledError`` the insert raised on its own (something it awaited was cancelled)
    is not the writer's own cancellation: reported, and the events queued after it stored."""
    log = make_trachea("app1").store.audit
    insert_many = log.insert_many
    calls = 0

    async def cancelled_once(documents: list[dict[str, Any]]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise asyncio.CancelledError()
        await insert_many(documents)

    log.insert_many = cancelled_once  # type: ignore[method-assign]
    writer = AuditWriter(log, batch_size=1)
    for document in _documents(3):
        writer.submit(document)
    with caplog.at_level(logging.ERROR, logger="trachea_login"):
        await asyncio.wait_for(writer.flush(), 60)
    assert [e["n"] async for e in log.collection.find({"event": "test"})] == [1, 2]
    assert [r.getMessage() for r in caplog.records] == ["could not store 1 audit event(s)"]
    await writer.close()
