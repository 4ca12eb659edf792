"""What a service client's token costs (contract §10), against a password login.

In-process (httpx over ASGI, the embedded database), interleaved in rounds, median ms per
request, at each bcrypt cost given:

- ``POST /auth/login`` with a username and password (the reference: one password check,
  a session written, a token signed);
- ``POST /auth/token`` with HTTP Basic credentials (one SHA-256 digest of the secret, a token
  signed, no session; the bcrypt cost does not apply to it);
- ``POST /auth/token`` with a wrong secret (the same digest work; a 401);

then what verifying the token costs in a product route, awaited on one connection (µs per
call): ``require_scopes(...)`` against ``current_user``, both answered by the verified-token
cache, and ``require_scopes(..., live=True)`` within its 2 s freshness.

.venv/bin/python bench/token_endpoint.py [--costs 4,12] [--requests 10] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import httpx
from fastapi import Depends, FastAPI
from starlette.requests import HTTPConnection

from trachea_login import TracheaLogin, create_client, register_app

SECRET = "bench-app-secret-0123456789"
PASSWORD = "correct horse battery staple"


async def build(cost: int) -> tuple[FastAPI, TracheaLogin]:
    trachea = TracheaLogin(
        app_id="bench",
        app_secret=SECRET,
        jwt_secret="b" * 48,
        mongo_uri="mongomock://",
        password_hash_rounds=cost,
        # Failures are measured too: never throttle them here.
        login_max_failures=1_000_000,
        login_max_failures_per_ip=1_000_000,
    )
    await register_app(
        trachea.database,
        app_id="bench",
        app_secret=SECRET,
        name="Bench",
        allowed_auth_methods=["username"],
        secret_hash_rounds=cost,
    )
    app = FastAPI()
    app.include_router(trachea.router, prefix="/auth")

    @app.get("/user")
    async def user(principal: Any = Depends(trachea.current_user)) -> dict[str, str]:
        return {"ok": "yes"}

    await trachea.startup()
    return app, trachea


async def ms_per_request(send: Any, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        response = await send()
        assert response.status_code in (200, 401), response.text
    return (time.perf_counter() - started) / count * 1e3


async def us_per_call(dependency: Any, conn: HTTPConnection, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        await dependency(conn)
    return (time.perf_counter() - started) / count * 1e6


async def endpoints(cost: int, requests: int, rounds: int) -> dict[str, float]:
    app, trachea = await build(cost)
    created = await create_client(
        trachea.database, app_id="bench", name="bench", scopes=["reports:read"],
    )  # fmt: skip
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        registered = await client.post(
            "/auth/register", json={"username": "bench", "password": PASSWORD}
        )
        assert registered.status_code == 200, registered.text
        grant = {"grant_type": "client_credentials"}
        series = {
            "login": lambda: client.post(
                "/auth/login", json={"username": "bench", "password": PASSWORD}
            ),
            "token": lambda: client.post(
                "/auth/token", data=grant, auth=(created.client_id, created.client_secret)
            ),
            "token, wrong secret": lambda: client.post(
                "/auth/token", data=grant, auth=(created.client_id, "wrong")
            ),
        }
        results: dict[str, list[float]] = {name: [] for name in series}
        for index in range(rounds):
            names = list(series)
            names = names[index % len(names) :] + names[: index % len(names)]
            for name in names:
                await ms_per_request(series[name], 2)  # warm-up
                results[name].append(await ms_per_request(series[name], requests))
    await trachea.shutdown()
    return {name: statistics.median(values) for name, values in results.items()}


async def dependencies(calls: int, rounds: int) -> dict[str, float]:
    app, trachea = await build(4)
    created = await create_client(
        trachea.database, app_id="bench", name="bench", scopes=["reports:read"],
    )  # fmt: skip
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        user = await client.post("/auth/register", json={"username": "bench", "password": PASSWORD})
        service = await client.post(
            "/auth/token",
            data={"grant_type": "client_credentials"},
            auth=(created.client_id, created.client_secret),
        )
    connections = {
        kind: HTTPConnection(
            {"type": "http", "app": app, "headers": [(b"authorization", f"Bearer {t}".encode())]}
        )
        for kind, t in (
            ("user", user.json()["access_token"]),
            ("service", service.json()["access_token"]),
        )
    }
    series = {
        "`current_user` (a user's token)": (trachea.current_user, "user"),
        "`require_scopes(...)`": (trachea.require_scopes("reports:read"), "service"),
        "`require_scopes(..., live=True)`, remembered": (
            trachea.require_scopes("reports:read", live=True),
            "service",
        ),
    }
    results: dict[str, list[float]] = {name: [] for name in series}
    for index in range(rounds):
        names = list(series)
        names = names[index % len(names) :] + names[: index % len(names)]
        for name in names:
            dependency, kind = series[name]
            await us_per_call(dependency, connections[kind], 50)
            results[name].append(await us_per_call(dependency, connections[kind], calls))
    await trachea.shutdown()
    return {name: statistics.median(values) for name, values in results.items()}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--costs", default="4,12", help="bcrypt costs, comma-separated")
    parser.add_argument("--requests", type=int, default=10, help="requests per series and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=5000, help="dependency calls per round")
    args = parser.parse_args()
    print(f"{args.rounds} interleaved rounds, median; embedded database, in-process ASGI")
    print("| bcrypt cost | request | ms per request | × login |")
    print("|---|---|---|---|")
    for cost in (int(part) for part in args.costs.split(",")):
        medians = await endpoints(cost, args.requests, args.rounds)
        for name, value in medians.items():
            print(f"| {cost} | {name} | {value:.1f} | {value / medians['login']:.2f} |")
    print()
    print("| dependency | µs per call | × current_user |")
    print("|---|---|---|")
    medians = await dependencies(args.calls, args.rounds)
    base = medians["`current_user` (a user's token)"]
    for name, value in medians.items():
        print(f"| {name} | {value:.1f} | {value / base:.2f} |")


if __name__ == "__main__":
    asyncio.run(main())
