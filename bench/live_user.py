"""Cost per request of ``trachea.live_user`` against the stateless ``trachea.current_user``.

The dependencies themselves are awaited on one connection (what a request pays on top of its
route), interleaved in rounds, median µs per call:

- stateless ``trachea.current_user`` (the JWT only);
- ``trachea.live_user`` within its 2 s freshness (remembered: no read);
- ``trachea.live_user`` with the clock moved past the freshness before each call (two indexed
  reads: the user and the session).

On the embedded database a read is in-process; on a real MongoDB add one network round trip
per read (about 0.2-1 ms in a data centre) to the last line, once per session every 2 s.

.venv/bin/python bench/live_user.py [--calls 2000] [--rounds 7]
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

from trachea_login import TracheaLogin, register_app
from trachea_login.clock import AdjustableClock
from trachea_login.services.live_check import LIVE_CHECK_MAX_AGE

SECRET = "bench-app-secret-0123456789"


async def build() -> tuple[FastAPI, TracheaLogin, AdjustableClock]:
    clock = AdjustableClock()
    trachea = TracheaLogin(
        app_id="bench",
        app_secret=SECRET,
        jwt_secret="b" * 48,
        mongo_uri="mongomock://",
        password_hash_rounds=4,
        # The clock moves 2 s per request in the last series: keep the token valid throughout.
        access_token_expire_minutes=1440,
        refresh_token_expire_days=365,
        clock=clock,
    )
    await register_app(
        trachea.store.database,
        app_id="bench",
        app_secret=SECRET,
        name="Bench",
        allowed_auth_methods=["username"],
        secret_hash_rounds=4,
    )
    app = FastAPI()
    app.include_router(trachea.router, prefix="/auth")

    @app.get("/stateless")
    async def stateless(user: Any = Depends(trachea.current_user)) -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/live")
    async def live(user: Any = Depends(trachea.live_user)) -> dict[str, str]:
        return {"ok": "yes"}

    await trachea.startup()
    return app, trachea, clock


async def per_call_us(dependency: Any, conn: HTTPConnection, count: int, before: Any) -> float:
    started = time.perf_counter()
    for _ in range(count):
        if before:
            before()
        await dependency(conn)
    return (time.perf_counter() - started) / count * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    app, trachea, clock = await build()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        response = await client.post(
            "/auth/register", json={"username": "bench", "password": "correct horse battery staple"}
        )
        token = response.json()["access_token"]
    scope = {
        "type": "http",
        "headers": [(b"authorization", f"Bearer {token}".encode())],
        "app": app,
    }
    conn = HTTPConnection(scope)
    step = LIVE_CHECK_MAX_AGE.total_seconds()
    series = {
        "stateless `current_user`": (trachea.current_user, None),
        "`live_user`, remembered": (trachea.live_user, None),
        "`live_user`, reading (2 reads)": (trachea.live_user, lambda: clock.advance(seconds=step)),
    }
    results: dict[str, list[float]] = {name: [] for name in series}
    for index in range(args.rounds):
        names = list(series)
        names = names[index % len(names) :] + names[: index % len(names)]  # rotate the order
        for name in names:
            dependency, before = series[name]
            await per_call_us(dependency, conn, 50, before)  # warm-up
            results[name].append(await per_call_us(dependency, conn, args.calls, before))
    await trachea.shutdown()
    print(f"{args.rounds} interleaved rounds of {args.calls} calls, median µs per call")
    print("| dependency | µs per call | × stateless |")
    print("|---|---|---|")
    base = statistics.median(results["stateless `current_user`"])
    for name, values in results.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.0f} | {median / base:.2f} |")


if __name__ == "__main__":
    asyncio.run(main())
