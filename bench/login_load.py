"""Latency of a cheap route, idle and while 4 clients log in with passwords continuously.

    .venv/bin/python bench/login_load.py [--requests 400] [--seconds 20] [--rounds 12]

Starts the demo app with uvicorn (one worker, embedded database, production bcrypt cost) on
127.0.0.1, registers users, then measures ``GET /protected`` (JWT verification, no database)
sequentially: first with nothing else running, then while 4 clients loop ``POST /auth/login``.
Prints p50/p99 for both and their ratio. The goal: p99 under load <= 2x idle, i.e. password
hashing never runs on the event loop. Bounded: a fixed number of measured requests and a
time limit on the load loop.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(client: httpx.AsyncClient, token: str, count: int) -> list[float]:
    latencies = []
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(count):
        start = time.perf_counter()
        response = await client.get("/protected", headers=headers)
        latencies.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text
        await asyncio.sleep(0.005)
    return latencies


async def login_loop(base: str, username: str, stop: asyncio.Event, counter: list[int]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        while not stop.is_set():
            response = await client.post(
                "/auth/login", json={"username": username, "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            counter[0] += 1


async def run(base: str, requests: int, seconds: float) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        tokens = []
        for i in range(5):
            response = await client.post(
                "/auth/register", json={"username": f"bench{i}", "password": PASSWORD}
            )
            response.raise_for_status()
            tokens.append(response.json()["access_token"])
        await measure(client, tokens[0], 50)  # warm-up
        idle = await measure(client, tokens[0], requests)

        stop = asyncio.Event()
        logins = [0]
        loaders = [
            asyncio.create_task(login_loop(base, f"bench{i}", stop, logins)) for i in range(1, 5)
        ]
        await asyncio.sleep(1.0)  # let the load reach steady state
        started = time.perf_counter()
        try:
            loaded = await asyncio.wait_for(measure(client, tokens[0], requests), seconds)
        finally:
            elapsed = time.perf_counter() - started
            stop.set()
            await asyncio.gather(*loaders, return_exceptions=True)
    return {
        "idle_p50": statistics.median(idle),
        "idle_p99": percentile(idle, 0.99),
        "load_p50": statistics.median(loaded),
        "load_p99": percentile(loaded, 0.99),
        "logins_per_s": logins[0] / max(elapsed, 1e-9),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rounds", type=int, default=12, help="bcrypt cost (production: 12)")
    parser.add_argument(
        "--hash-threads",
        type=int,
        default=None,
        help="TRACHEA_PASSWORD_HASH_THREADS for the server (default: the package default)",
    )
    args = parser.parse_args()

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACHEA_")}
    env["TRACHEA_PASSWORD_HASH_ROUNDS"] = str(args.rounds)
    if args.hash_threads:
        env["TRACHEA_PASSWORD_HASH_THREADS"] = str(args.hash_threads)
    env.pop("FIREBASE_AUTH_EMULATOR_HOST", None)
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "uvicorn",
            "e2e_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the demo app did not start")
            time.sleep(0.2)
        result = asyncio.run(run(base, args.requests, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=10)

    ratio = result["load_p99"] / result["idle_p99"]
    threads = args.hash_threads or "default"
    print(
        f"cores: {os.cpu_count()}  bcrypt cost: {args.rounds}  hash threads: {threads}  "
        f"measured requests: {args.requests}"
    )
    print("| GET /protected | p50 ms | p99 ms |")
    print("|---|---|---|")
    print(f"| idle | {result['idle_p50']:.2f} | {result['idle_p99']:.2f} |")
    print(f"| 4 clients logging in | {result['load_p50']:.2f} | {result['load_p99']:.2f} |")
    print(
        f"p99 ratio under load / idle: {ratio:.2f}  (goal <= 2.0); "
        f"logins/s during the run: {result['logins_per_s']:.1f}"
    )


if __name__ == "__main__":
    main()
