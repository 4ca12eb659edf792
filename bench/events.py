"""What ``on_event`` costs a request: refreshes without a callback, with a sync one and with an
async one, side by side.

    .venv/bin/python bench/events.py [--rounds 5] [--refreshes 200]

A refresh is our cheapest route that records an event (no bcrypt): the event's share of it is
as large as it gets. Three instances (embedded database, one app each) serve
``POST /auth/refresh`` in process (httpx over ASGI, each app's lifespan running): ``none``
without ``on_event``, ``sync`` with a sync no-op callback (run in a worker thread), ``async``
with an async no-op one. Each round runs blocks of refreshes on the three in turn, the order
rotating from round to round; a block ends when its events are delivered and stored
(``flush_events``), so the delivery's work (a thread hop for ``sync``) is counted, not left
for the next block. Prints each round's ms per refresh, the median of the rounds, and the median
of the rounds' ratios to ``none``; and how deep the delivery queue got (what a crash could lose).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from contextlib import AsyncExitStack
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from trachea_login import TracheaEvent, TracheaLogin, register_app

PASSWORD = "correct horse battery staple"
APP_SECRET = "bench-app-secret-0123456789"


def sync_no_op(event: TracheaEvent) -> None:
    """A sync callback doing nothing: what remains is the delivery's own cost."""


async def async_no_op(event: TracheaEvent) -> None:
    """An async callback doing nothing."""


CALLBACKS: dict[str, Any] = {"none": None, "sync": sync_no_op, "async": async_no_op}


async def serve(stack: AsyncExitStack, name: str, callback: Any) -> tuple[Any, Any, str]:
    """A started instance with one signed-up user; its client, and the user's refresh token."""
    from mongomock_motor import AsyncMongoMockClient

    app_id = f"bench-{name}"
    mongo = AsyncMongoMockClient()
    database = mongo[f"bench_{uuid.uuid4().hex[:8]}"]
    await register_app(
        database,
        app_id=app_id,
        app_secret=APP_SECRET,
        name=app_id,
        allowed_auth_methods=("username",),
        secret_hash_rounds=4,
    )
    trachea = TracheaLogin(
        app_id=app_id,
        app_secret=APP_SECRET,
        jwt_secret="bench-jwt-secret-" + "x" * 40,
        mongo_client=mongo,
        db_name=database.name,
        password_hash_rounds=4,
        on_event=callback,
    )
    app = FastAPI(lifespan=trachea.lifespan)
    app.include_router(trachea.router, prefix="/auth")
    await stack.enter_async_context(LifespanManager(app))
    transport = httpx.ASGITransport(app=app)
    client = await stack.enter_async_context(
        httpx.AsyncClient(transport=transport, base_url="http://bench")
    )
    signed_up = await client.post(
        "/auth/register", json={"username": "bench-user", "password": PASSWORD}
    )
    signed_up.raise_for_status()
    return trachea, client, signed_up.json()["refresh_token"]


async def block(served: list[Any], count: int) -> float:
    """``count`` refreshes on one instance, their events delivered and stored; ms each."""
    trachea, client, token = served
    started = time.perf_counter()
    for _ in range(count):
        response = await client.post("/auth/refresh", json={"refresh_token": token})
        token = response.json()["refresh_token"]
    await trachea.flush_events()
    served[2] = token
    return (time.perf_counter() - started) * 1000 / count


async def main(rounds: int, refreshes: int) -> None:
    async with AsyncExitStack() as stack:
        servers = {name: list(await serve(stack, name, cb)) for name, cb in CALLBACKS.items()}
        for served in servers.values():  # warm up: caches, first-use allocations
            await block(served, 20)
        results: dict[str, list[float]] = {name: [] for name in servers}
        names = list(servers)
        for round_number in range(rounds):
            order = names[round_number % 3 :] + names[: round_number % 3]
            for name in order:
                results[name].append(await block(servers[name], refreshes))
            print(
                f"round {round_number + 1}: "
                + "  ".join(f"{name} {results[name][-1]:.3f} ms" for name in names)
            )
        medians = {name: statistics.median(values) for name, values in results.items()}
        ratios = {  # within each round, then the median: the drift of the machine cancels
            name: statistics.median(
                mine / base for mine, base in zip(results[name], results["none"], strict=True)
            )
            for name in ("sync", "async")
        }
        print(
            "median: "
            + "  ".join(f"{name} {medians[name]:.3f} ms" for name in names)
            + f"  | median ratio sync/none {ratios['sync']:.3f}, async/none {ratios['async']:.3f}"
        )
        for name in ("sync", "async"):
            delivery = servers[name][0].service.auditor.delivery
            print(
                f"{name}: deepest delivery queue {delivery.max_depth}, dropped {delivery.dropped}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--refreshes", type=int, default=200)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rounds, arguments.refreshes))
