"""What a password login costs beyond its hash: login time vs a bare hash check, side by side.

    .venv/bin/python bench/login_overhead.py [--costs 4,12] [--rounds 5] [--mongo-uri URI]

For each bcrypt cost, one instance (embedded database unless ``--mongo-uri``) serves
``POST /auth/login`` in process (httpx over ASGI, the app's lifespan running). Each round
alternates one login and one bare ``PasswordHasher.verify`` of the same user's hash (the same
thread pool, the same cost), so both see the same machine; the round's overhead is the median
of the pairs' differences (login - check), which cancels the drift a loaded machine adds to
both. Each round starts a fresh instance on a fresh database. Prints
every round and the median of the rounds. The goal: password login = hash time + at most 5 ms.

Between two logins the audit writer is let finish (on the embedded database its insert is CPU
work in this process; on a server it is a round trip in the background): the overhead is the
request's own. "Of which database" is the time the login spent awaiting its database calls.
The last round ends with a burst of concurrent logins; the deepest the audit queue got is
what a crash at the worst moment would have lost (docs/operations.md, "Audit events").
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import statistics
import time
import uuid
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from trachea_login import TracheaLogin, register_app

PASSWORD = "correct horse battery staple"
APP_SECRET = "bench-app-secret-0123456789"
SAMPLES = {4: 200, 12: 30}  # logins (and as many bare checks) per round, by cost
BURST = 20  # concurrent logins at the end of the last round, for the audit queue's depth


class Timed:
    """Wraps a client, database or collection; adds the time of every awaited call (the
    audit writer's excepted: it runs beside the requests) to ``spent[0]``."""

    def __init__(self, target: Any, spent: list[float]) -> None:
        self._target = target
        self.spent = spent

    def __getitem__(self, name: str) -> Timed:
        return Timed(self._target[name], self.spent)

    def get_collection(self, name: str, **options: Any) -> Timed:
        return Timed(self._target.get_collection(name, **options), self.spent)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if not inspect.iscoroutinefunction(attribute):
            return attribute
        counted = getattr(self._target, "name", "") != "audit_events"

        async def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await attribute(*args, **kwargs)
            finally:
                if counted:
                    self.spent[0] += time.perf_counter() - start

        return timed


async def _client(mongo_uri: str | None) -> Any:
    if mongo_uri:
        from pymongo import AsyncMongoClient

        return AsyncMongoClient(mongo_uri)
    from mongomock_motor import AsyncMongoMockClient

    return AsyncMongoMockClient()


async def _burst(http: httpx.AsyncClient, trachea: TracheaLogin) -> int:
    """Concurrent logins of :data:`BURST` accounts (one account's budget admits only a few at
    once), nothing waiting for the audit writer: the deepest the audit queue got."""
    names = [f"burst{number}" for number in range(BURST)]
    for name in names:
        body = {"username": name, "password": PASSWORD}
        assert (await http.post("/auth/register", json=body)).status_code == 200
    await trachea.service.auditor.flush()
    writer = trachea.service.auditor.writer
    writer.max_depth = 0
    answers = await asyncio.gather(
        *(http.post("/auth/login", json={"username": n, "password": PASSWORD}) for n in names)
    )
    assert all(answer.status_code == 200 for answer in answers)
    return writer.max_depth


async def one_round(
    cost: int, samples: int, mongo_uri: str | None, *, burst: bool = False
) -> dict[str, float]:
    """One round on a fresh database (the embedded one scans a collection for expired
    documents on every operation, so a round never inherits the documents of earlier rounds):
    medians in ms of the logins, the bare checks, the pairs' differences and the database time
    within a login, and the deepest the audit queue got."""
    spent = [0.0]
    raw = await _client(mongo_uri)
    client = Timed(raw, spent)
    db_name = f"bench_{uuid.uuid4().hex[:8]}"
    await register_app(
        client[db_name],
        app_id="bench",
        app_secret=APP_SECRET,
        name="Bench",
        allowed_auth_methods=["username"],
        secret_hash_rounds=4,
    )
    trachea = TracheaLogin(
        app_id="bench",
        app_secret=APP_SECRET,
        jwt_secret="j" * 48,
        mongo_client=client,
        db_name=db_name,
        password_hash_rounds=cost,
    )
    app = FastAPI(lifespan=trachea.lifespan)
    app.include_router(trachea.router, prefix="/auth")
    logins, checks, database = [], [], []
    try:
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5000))
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                body = {"username": "alice", "password": PASSWORD}
                registered = await http.post("/auth/register", json=body)
                assert registered.status_code == 200, registered.text
                user = await trachea.store.users.find_by_username("alice")
                assert user is not None and user.password_hash is not None
                for _ in range(samples):
                    await trachea.service.auditor.flush()  # the writer idle, as between logins
                    before = spent[0]
                    start = time.perf_counter()
                    response = await http.post("/auth/login", json=body)
                    logins.append(time.perf_counter() - start)
                    database.append(spent[0] - before)
                    assert response.status_code == 200, response.text
                    start = time.perf_counter()
                    ok, _ = await trachea.hasher.verify(PASSWORD, user.password_hash)
                    checks.append(time.perf_counter() - start)
                    assert ok
                depth = await _burst(http, trachea) if burst else 0
    finally:
        if mongo_uri:
            await raw.drop_database(db_name)
            await raw.close()
    differences = [login - check for login, check in zip(logins, checks, strict=True)]
    return {
        "login": statistics.median(logins) * 1000,
        "check": statistics.median(checks) * 1000,
        "overhead": statistics.median(differences) * 1000,
        "database": statistics.median(database) * 1000,
        "depth": depth,
    }


async def run_cost(cost: int, rounds: int, samples: int, mongo_uri: str | None) -> float:
    results = []
    for number in range(1, rounds + 1):
        result = await one_round(cost, samples, mongo_uri, burst=number == rounds)
        results.append(result)
        print(
            f"| {cost} | {number} | {result['login']:.2f} | {result['check']:.2f} "
            f"| {result['overhead']:.2f} | {result['database']:.2f} | {result['depth'] or ''} |"
        )
    median = statistics.median(r["overhead"] for r in results)
    database = statistics.median(r["database"] for r in results)
    deepest = max(r["depth"] for r in results)
    print(
        f"| {cost} | **median of {rounds}** | | | **{median:.2f}** | {database:.2f} "
        f"| max {deepest:.0f} |"
    )
    return median


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--costs", default="4,12")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--samples", type=int, default=None, help="per round (default by cost)")
    parser.add_argument("--mongo-uri", default=None, help="a real MongoDB instead of embedded")
    args = parser.parse_args()
    rounds = max(3, args.rounds)
    print(
        "| bcrypt cost | round | login median ms | bare hash check median ms | overhead ms "
        "| of which database ms | audit queue, deepest |"
    )
    print("|---|---|---|---|---|---|---|")
    results = {}
    for cost in (int(part) for part in args.costs.split(",")):
        samples = args.samples or SAMPLES.get(cost, 20)
        results[cost] = await run_cost(cost, rounds, samples, args.mongo_uri)
    verdict = all(overhead <= 5.0 for overhead in results.values())
    print(f"\ngoal (overhead <= 5 ms at every cost): {'met' if verdict else 'NOT met'}")


if __name__ == "__main__":
    asyncio.run(main())
