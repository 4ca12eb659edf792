"""Contract §11: ``on_event`` never delays or changes a response. Sync callbacks run in a
thread, async ones in a delivery task, in the order the events happened; one that raises is
logged and the next events are still delivered; shutdown delivers what was queued (within a
bound); a full queue drops with one warning; two instances deliver to their own callbacks."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from trachea_login import TracheaEvent
from trachea_login.events import make_event
from trachea_login.services.event_delivery import EventDelivery

from .conftest import PASSWORD, default_app

REGISTER = {"username": "alice", "password": PASSWORD}


class GatedSync:
    """A sync callback that holds every event until the test opens the gate (in its thread)."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.names: list[str] = []
        self.threads: set[int] = set()

    def __call__(self, event: TracheaEvent) -> None:
        self.threads.add(threading.get_ident())
        assert self.gate.wait(timeout=60), "the test never opened the gate"
        self.names.append(event.name)


class GatedAsync:
    """An async callback that holds every event until the test opens the gate."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.names: list[str] = []

    async def __call__(self, event: TracheaEvent) -> None:
        await self.gate.wait()
        self.names.append(event.name)


async def test_a_sync_callback_that_blocks_delays_no_response_and_runs_off_the_loop(serve):
    callback = GatedSync()
    served = await serve(on_event=callback)
    # Both answered while the callback is still blocked on the first event.
    registered = await served.client.post("/auth/register", json=REGISTER)
    logged_in = await served.login("alice")
    assert (registered.status_code, logged_in.status_code) == (200, 200)
    assert callback.names == []
    callback.gate.set()
    await served.trachea.flush_events()
    assert callback.names == ["registered", "login", "login"]
    assert threading.get_ident() not in callback.threads  # never on the event loop's thread


async def test_an_async_callback_that_waits_delays_no_response(serve):
    callback = GatedAsync()
    served = await serve(on_event=callback)
    assert (await served.client.post("/auth/register", json=REGISTER)).status_code == 200
    assert (await served.login("alice")).status_code == 200
    assert callback.names == []
    callback.gate.set()
    await served.trachea.flush_events()
    assert callback.names == ["registered", "login", "login"]


def raising_sync(seen: list[str]) -> Any:
    def on_event(event: TracheaEvent) -> None:
        seen.append(event.name)
        if event.name == "registered":
            raise RuntimeError("the metrics backend is down")

    return on_event


def raising_async(seen: list[str]) -> Any:
    async def on_event(event: TracheaEvent) -> None:
        seen.append(event.name)
        if event.name == "registered":
            raise RuntimeError("the CRM is down")

    return on_event


@pytest.mark.parametrize("make_callback", [raising_sync, raising_async], ids=["sync", "async"])
async def test_a_callback_that_raises_is_logged_once_and_changes_no_response(
    serve, make_callback, caplog
):
    quiet = await serve("app1")
    seen: list[str] = []
    loud = await serve("app2", on_event=make_callback(seen))
    with caplog.at_level(logging.ERROR, logger="trachea_login"):
        answers = [  # one database: two people
            await served.client.post("/auth/register", json={**REGISTER, "username": name})
            for served, name in ((quiet, "amy"), (loud, "alice"))
        ]
        await loud.trachea.flush_events()
    # The same response as without a callback (the ids and tokens differ, nothing else).
    assert answers[0].status_code == answers[1].status_code == 200
    assert answers[0].headers.keys() == answers[1].headers.keys()
    assert set(answers[0].json()) == set(answers[1].json())
    failures = [r for r in caplog.records if "on_event" in r.getMessage()]
    assert [r.getMessage() for r in failures] == [
        "on_event callback raised on event registered: RuntimeError"
    ]
    assert PASSWORD not in caplog.text
    # The next events are delivered as usual.
    assert (await loud.login("alice")).status_code == 200
    await loud.trachea.flush_events()
    assert seen == ["registered", "login", "login"]
    assert loud.trachea.service.auditor.delivery.failed == 1


def cancelled_async(seen: list[str]) -> Any:
    async def on_event(event: TracheaEvent) -> None:
        seen.append(event.name)
        if event.name == "registered":
            cancelled: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            cancelled.cancel()
            await cancelled  # e.g. a shared request to the CRM that someone else cancelled

    return on_event


def exiting_sync(raised: type[BaseException]) -> Any:
    def make(seen: list[str]) -> Any:
        def on_event(event: TracheaEvent) -> None:
            seen.append(event.name)
            if event.name == "registered":
                raise raised()  # sys.exit() in a library, a KeyboardInterrupt in its thread

        return on_event

    return make


@pytest.mark.parametrize(
    ("make_callback", "raised"),
    [
        (cancelled_async, "CancelledError"),
        (exiting_sync(SystemExit), "SystemExit"),
        (exiting_sync(KeyboardInterrupt), "KeyboardInterrupt"),
    ],
    ids=["async-cancelled", "sync-system-exit", "sync-keyboard-interrupt"],
)
async def test_a_callback_raising_a_base_exception_is_logged_counted_and_delivery_goes_on(
    serve, make_callback, raised, caplog
):
    seen: list[str] = []
    served = await serve(on_event=make_callback(seen))
    with caplog.at_level(logging.ERROR, logger="trachea_login"):
        assert (await served.client.post("/auth/register", json=REGISTER)).status_code == 200
        assert (await served.login("alice")).status_code == 200
        await asyncio.wait_for(served.trachea.flush_events(), 60)
    assert seen == ["registered", "login", "login"]  # none lost after the one that raised
    failures = [r.getMessage() for r in caplog.records if "on_event" in r.getMessage()]
    assert failures == [f"on_event callback raised on event registered: {raised}"]
    assert served.trachea.service.auditor.delivery.failed == 1


async def started(make_trachea: Any, register: Any, app_id: str = "app1", **options: Any) -> Any:
    await register(app_id)
    trachea = make_trachea(app_id, **options)
    return trachea, default_app(trachea)


async def test_shutdown_delivers_the_events_still_queued(make_trachea, register):
    callback = GatedSync()
    trachea, app = await started(make_trachea, register, on_event=callback)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await client.post("/auth/register", json=REGISTER)
            await client.post("/auth/login", json=REGISTER)
        assert callback.names == []  # all three still queued (or the first in its thread)
        # Opens once the shutdown below is waiting for the delivery.
        asyncio.get_running_loop().call_soon(callback.gate.set)
    assert callback.names == ["registered", "login", "login"]


async def test_shutdown_gives_up_on_a_callback_past_its_bound_and_says_how_many(
    make_trachea, register, caplog
):
    callback = GatedAsync()  # never opened: the callback would wait forever
    trachea, app = await started(
        make_trachea, register, on_event=callback, event_shutdown_seconds=0.01
    )
    with caplog.at_level(logging.WARNING, logger="trachea_login"):
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                assert (await client.post("/auth/register", json=REGISTER)).status_code == 200
    assert callback.names == []
    assert any(
        "shutting down: 2 event(s) not delivered to on_event within 0.01 s" in r.getMessage()
        for r in caplog.records
    )
    # The audit log stored them all the same.
    kinds = [doc["event"] async for doc in trachea.store.audit.collection.find()]
    assert {"registered", "login"} <= set(kinds)


def _events(count: int) -> list[TracheaEvent]:
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc)
    return [make_event("login", at=now, app_id="app1", n=n) for n in range(count)]


async def test_a_full_queue_drops_new_events_with_one_warning_and_counts_them(caplog):
    callback = GatedAsync()
    delivery = EventDelivery(callback, max_queued=2, shutdown_seconds=5)
    with caplog.at_level(logging.WARNING, logger="trachea_login"):
        for event in _events(6):
            delivery.submit(event)  # returns at once, full or not
    await asyncio.sleep(0)  # the task takes the first one (and waits at the gate)
    delivery.submit(_events(1)[0])
    full = [r.getMessage() for r in caplog.records if "queue full" in r.getMessage()]
    assert len(full) == 1 and full[0].startswith("event queue full")
    assert delivery.dropped == 4
    callback.gate.set()
    await delivery.close()
    assert len(callback.names) == 3  # two queued before the drops, one after room was made


async def test_two_instances_deliver_to_their_own_callbacks_only(serve):
    first: list[TracheaEvent] = []
    second: list[TracheaEvent] = []
    one = await serve("app1", on_event=first.append)
    two = await serve("app2", on_event=second.append)
    await one.register_user("alice")
    await two.register_user("bob")
    await two.login("bob")
    await one.trachea.flush_events()
    await two.trachea.flush_events()
    assert [(e.name, e.app_id) for e in first] == [("registered", "app1"), ("login", "app1")]
    assert [(e.name, e.app_id) for e in second] == [
        ("registered", "app2"),
        ("login", "app2"),
        ("login", "app2"),
    ]


async def test_on_event_must_be_callable(make_trachea):
    from trachea_login import TracheaConfigError

    with pytest.raises(TracheaConfigError, match="on_event"):
        make_trachea("app1", on_event="https://crm.example.com/hook")
