"""Where the time of one protected request goes: the app called in-process, piece by piece.

    .venv/bin/python bench/profile_protected.py [--alg HS256] [--rounds 60] [--batch-ms 10]
        [--profile cprofile|pyinstrument|none] [--json]

Builds the same app as ``bench/protected_route.py`` (a real ``TracheaLogin`` on the embedded
database, one registered user) and calls it as an ASGI application directly: no server, no
socket, no HTTP parsing, so what is left is FastAPI/Starlette and our dependency. Each route is
timed in interleaved rounds (order rotated), a batch of about ``--batch-ms`` per round; the
number is the median µs per request. Differences between routes that differ by one piece give
that piece's cost:

- ``empty - bare``: resolving one (empty, async) dependency;
- ``bearer-only - bare``: ``HTTPBearer`` as the one dependency;
- ``bearer-noop - bare``: the shape before issue 9 (our dependency depending on
  ``HTTPBearer``) without verifying, i.e. the two dependency levels alone;
- ``protected - empty``, ``protected - bearer-only``: ours against an empty dependency and
  against ``HTTPBearer`` alone;
- ``scheme-verify``, ``scheme-cached``: one level that is itself the security scheme,
  verifying every time / with a dict of verified tokens.

The same pieces are then timed as plain calls (``AccessTokens.verify`` on a cache hit, the full
check without the cache, our header read, PyJWT's signature check, ``HTTPBearer.__call__``), and
one profile of the
protected route is printed (cProfile by default: it inflates many small calls, so read its
shares, not its absolute times).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.protected_route import (  # noqa: E402 - the path above makes bench importable
    APP_ID,
    APP_SECRET,
    DIAGNOSTIC_ROUTES,
    PASSWORD,
    PATHS,
    ROUTES,
    USERNAME,
    create_app,
    generate_key,
    place,
)

#: The clock of every timing: this thread's CPU time by default (time spent descheduled while
#: other work runs on the shared machine is not counted), or wall time with --clock wall.
CLOCK: list[Callable[[], int]] = [time.thread_time_ns]
#: Every series is matched first (moved to the front before its batch); "bare@8" is the bare
#: route with 8 routes before it, to show what the linear route scan costs.
SERIES = (*ROUTES, *DIAGNOSTIC_ROUTES, "bare@8")


def scope_for(path: str, token: str) -> dict[str, Any]:
    """An HTTP/1.1 GET scope as uvicorn builds it, with our Authorization header."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"authorization", f"Bearer {token}".encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


def requester(app: Any, path: str, token: str) -> Callable[[], Awaitable[int]]:
    """A coroutine function making one request to ``path``; returns the status."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def call() -> int:
        status = 0

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(scope_for(path, token), receive, send)
        return status

    return call


async def time_batch(call: Callable[[], Awaitable[Any]], count: int) -> float:
    start = CLOCK[0]()
    for _ in range(count):
        await call()
    return (CLOCK[0]() - start) / count / 1000


def time_sync(call: Callable[[], Any], count: int) -> float:
    start = CLOCK[0]()
    for _ in range(count):
        call()
    return (CLOCK[0]() - start) / count / 1000


async def measure_routes(
    app: Any, token: str, rounds: int, batch_ms: float
) -> dict[str, list[float]]:
    """Per route, µs per request of each round's batch (rounds in rotating order)."""
    calls = {name: requester(app, PATHS[name.split("@")[0]], token) for name in SERIES}

    def arrange(name: str) -> None:
        route, _, position = name.partition("@")
        place(app, route, int(position or 0))

    counts = {}
    for name, call in calls.items():
        arrange(name)
        if await call() != 200:
            raise SystemExit(f"{name} did not answer 200")
        per = await time_batch(call, 50)  # warm-up and calibration
        counts[name] = max(50, int(batch_ms * 1000 / per))
    samples: dict[str, list[float]] = {name: [] for name in SERIES}
    for index in range(rounds):
        shift = index % len(SERIES)
        for name in SERIES[shift:] + SERIES[:shift]:
            arrange(name)
            samples[name].append(await time_batch(calls[name], counts[name]))
    return samples


#: The pieces told apart by subtracting one route from another (minuend, subtrahend).
DIFFERENCES = {
    "one empty dependency": ("empty", "bare"),
    "HTTPBearer as the one dependency": ("bearer-only", "bare"),
    "the two levels before issue 9, no verification": ("bearer-noop", "bare"),
    "ours (one level, cached) against the two levels before": ("protected", "bearer-noop"),
    "ours against an empty dependency": ("protected", "empty"),
    "ours against HTTPBearer alone (which verifies nothing)": ("protected", "bearer-only"),
    "the whole protection": ("protected", "bare"),
    "the module-level lookup on top": ("protected-module", "protected"),
    "one level that verifies": ("scheme-verify", "bare"),
    "one level with a cache hit": ("scheme-cached", "bare"),
    "the same as a plain function dependency": ("plain-cached", "bare"),
    "8 routes matched before the right one": ("bare@8", "bare"),
}


def derive(samples: dict[str, list[float]]) -> dict[str, float]:
    """Each difference as the median over rounds of the difference within one round."""
    return {
        name: statistics.median(a - b for a, b in zip(samples[x], samples[y], strict=True))
        for name, (x, y) in DIFFERENCES.items()
    }


async def measure_pieces(app: Any, token: str, rounds: int, batch_ms: float) -> dict[str, float]:
    """The pieces of the verification as plain calls (µs per call)."""
    from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
    from jwt import api_jws
    from starlette.requests import Request

    from trachea_login.verification import read_header

    bearer_scheme = HTTPBearer(auto_error=False)
    tokens = app.state.trachea.tokens
    current = tokens.keys.current

    async def bearer_call() -> Any:
        return await bearer_scheme(Request(scope_for("/protected", token)))

    sync_pieces: dict[str, Callable[[], Any]] = {
        "AccessTokens.verify (cache hit)": lambda: tokens.verify(token),
        "AccessTokens.verified_claims (full check, no cache)": lambda: tokens.verified_claims(
            token
        ),
        "verification.read_header": lambda: read_header(token),
        "PyJWT api_jws.decode_complete (signature)": lambda: api_jws.decode_complete(
            token, current.key, algorithms=[current.algorithm]
        ),
        "HTTPAuthorizationCredentials(...) (pydantic model)": lambda: HTTPAuthorizationCredentials(
            scheme="Bearer", credentials=token
        ),
        "request.headers.get('authorization')": lambda: Request(
            scope_for("/protected", token)
        ).headers.get("authorization"),
    }
    samples: dict[str, list[float]] = {name: [] for name in [*sync_pieces, "HTTPBearer.__call__"]}
    counts = {
        name: max(100, int(batch_ms * 1000 / max(time_sync(call, 50), 0.01)))
        for name, call in sync_pieces.items()
    }
    bearer_count = max(100, int(batch_ms * 1000 / max(await time_batch(bearer_call, 50), 0.01)))
    for _ in range(rounds):
        for name, call in sync_pieces.items():
            samples[name].append(time_sync(call, counts[name]))
        samples["HTTPBearer.__call__"].append(await time_batch(bearer_call, bearer_count))
    return {name: statistics.median(values) for name, values in samples.items()}


async def profile(app: Any, token: str, kind: str, count: int) -> str:
    """A profile of ``count`` requests to /protected, as text (top functions)."""
    place(app, "protected", 0)
    call = requester(app, PATHS["protected"], token)
    if kind == "pyinstrument":
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001, async_mode="disabled")
        profiler.start()
        for _ in range(count):
            await call()
        profiler.stop()
        return profiler.output_text(unicode=True, color=False, show_all=False)
    collector = cProfile.Profile()
    collector.enable()
    for _ in range(count):
        await call()
    collector.disable()
    out = io.StringIO()
    stats = pstats.Stats(collector, stream=out)
    stats.sort_stats("cumulative").print_stats(40)
    return out.getvalue()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    import httpx

    app = create_app()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post(
                "/auth/register", json={"username": USERNAME, "password": PASSWORD}
            )
            response.raise_for_status()
            token = str(response.json()["access_token"])
        samples = await measure_routes(app, token, args.rounds, args.batch_ms)
        pieces = await measure_pieces(app, token, args.rounds, args.batch_ms)
        text = "" if args.profile == "none" else await profile(app, token, args.profile, 3000)
    return {
        "alg": args.alg,
        "clock": args.clock,
        "routes_us": {name: statistics.median(values) for name, values in samples.items()},
        "differences_us": derive(samples),
        "pieces_us": pieces,
        "samples_us": samples,
        "profile": text,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--alg", default="HS256", choices=("HS256", "ES256", "RS256"))
    parser.add_argument("--rounds", type=int, default=60, help="interleaved rounds")
    parser.add_argument("--batch-ms", type=float, default=10.0, help="length of one batch")
    parser.add_argument(
        "--profile", default="cprofile", choices=("cprofile", "pyinstrument", "none")
    )
    parser.add_argument(
        "--clock",
        default="cpu",
        choices=("cpu", "wall"),
        help="cpu: this thread's CPU time (default, robust on a shared machine); wall: elapsed",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    CLOCK[0] = time.thread_time_ns if args.clock == "cpu" else time.perf_counter_ns
    if args.rounds < 3:
        parser.error("--rounds must be at least 3")
    for name in [k for k in os.environ if k.startswith("TRACHEA_")]:
        del os.environ[name]
    os.environ.update(
        TRACHEA_APP_ID=APP_ID,
        TRACHEA_APP_SECRET=APP_SECRET,
        TRACHEA_JWT_ALGORITHM=args.alg,
        **generate_key(args.alg),
    )
    result = asyncio.run(run(args))
    if args.json:
        print(json.dumps(result, indent=2))
        return
    routes = result["routes_us"]
    bare = routes["bare"]
    print(
        f"In-process ASGI calls ({args.alg}, {args.clock} clock), median µs per request over "
        f"{args.rounds} rounds:"
    )
    print()
    print("| route | µs/request | minus bare |")
    print("|---|---|---|")
    for name in SERIES:
        print(f"| {name} | {routes[name]:.1f} | {routes[name] - bare:+.1f} |")
    print()
    print("Differences (median over rounds of the difference within a round), µs:")
    print()
    for name, value in result["differences_us"].items():
        x, y = DIFFERENCES[name]
        print(f"- {name} ({x} - {y}): {value:+.1f}")
    print()
    print("The pieces as plain calls, median µs per call:")
    print()
    for name, value in result["pieces_us"].items():
        print(f"- {name}: {value:.1f}")
    if result["profile"]:
        print()
        print(f"Profile of 3000 requests to /protected ({args.profile}):")
        print()
        print(result["profile"])


if __name__ == "__main__":
    main()
