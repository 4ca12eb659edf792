"""What protecting a route costs: a bare route, one empty dependency, and our auth, side by side.

    .venv/bin/python bench/protected_route.py [--alg HS256 --alg ES256] [--rounds 3]
        [--duration 5] [--warmup 2] [--connections 4] [--loop auto] [--http auto] [--json]

Serves ONE FastAPI app with ONE uvicorn worker on a free 127.0.0.1 port (a subprocess), with a
real ``TracheaLogin`` on the embedded database (``mongomock://``) and one registered user whose
access token every request carries (``Authorization: Bearer ...``), so that request bytes are
identical on every route. The routes return identical response bytes:

- ``/bare``: no dependency at all;
- ``/empty``: one empty ``async`` dependency (the floor any dependency costs);
- ``/protected``: ``Depends(trachea.current_user)`` (the instance's dependency);
- ``/protected-module``: ``Depends(get_current_user)`` (the module-level one).

``--diagnostic`` adds four series that take the dependency shapes apart: ``/bearer-only``
(``HTTPBearer`` as the one dependency), ``/bearer-noop`` (a dependency on ``HTTPBearer`` that
verifies nothing: the two levels before issue 9), ``/scheme-verify`` (one level, an ``HTTPBearer``
subclass that verifies the token), ``/scheme-cached`` (the same with a dict of verified
tokens) and ``/plain-cached`` (the cached lookup in a plain function dependency, which loses
the Swagger lock): sketches of issue 9's direction, here only to measure them.

Each route is loaded with ``wrk`` (1 thread, a few connections) for ``--duration`` seconds per
round, in an order that rotates every round, after a warm-up of every route. Reported per route:
the median requests/s over rounds; and the ratios protected/empty and protected/bare, each the
median over rounds of the ratio measured within that round (so slow drift of the machine cancels).
Contract §8 / issue 9 ask for protected >= 0.95 x empty and >= 0.85 x bare.

wrk and the server share this machine's cores (and other work on it): absolute requests/s move
from run to run; the ratios measured side by side are what to compare.

wrk: ``apt-get install wrk`` (Debian/Ubuntu) or ``brew install wrk`` (macOS).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPBearer

from trachea_login import (
    CurrentUser,
    TracheaError,
    TracheaLogin,
    get_current_user,
    register_app,
    trachea_exception_handler,
)
from trachea_login.errors import ErrorCode

ROOT = Path(__file__).resolve().parents[1]
APP_ID = "bench-app"
APP_SECRET = "bench-app-secret-0123456789abcdef"
USERNAME = "bench-user"
PASSWORD = "correct horse battery staple"
#: The series, in the order of the first round; later rounds rotate it.
ROUTES = ("bare", "empty", "protected", "protected-module")
#: With --diagnostic: HTTPBearer alone; the two levels before issue 9 without verifying; one
#: level that is the security scheme and verifies; the same with a verified-token dict cache.
DIAGNOSTIC_ROUTES = ("bearer-only", "bearer-noop", "scheme-verify", "scheme-cached", "plain-cached")
PATHS = {name: f"/{name}" for name in ROUTES + DIAGNOSTIC_ROUTES}
#: What every route returns (the same bytes, through the same FastAPI JSON serialisation).
BODY = {"status": "ok", "detail": "identical on every route"}
WRK_INSTALL = (
    "wrk is not installed. Install it with `apt-get install wrk` (Debian/Ubuntu, as root) or "
    "`brew install wrk` (macOS), then run this again."
)


# -- the app served by the subprocess ----------------------------------------------------------


def create_app() -> Any:
    """The app under test (``uvicorn --factory bench.protected_route:create_app``).

    The algorithm and key come from the ``TRACHEA_*`` environment set by the parent process.
    ``app.state.trachea`` is the instance (``bench/profile_protected.py`` uses it).
    """
    # A day-long token: a long run must not see it expire (expired tokens would be 401s).
    trachea = TracheaLogin(
        mongo_uri="mongomock://", password_hash_rounds=4, access_token_expire_minutes=24 * 60
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await register_app(
            trachea.store.database,
            app_id=APP_ID,
            app_secret=APP_SECRET,
            name="Bench App",
            allowed_auth_methods=["username"],
            secret_hash_rounds=4,
        )
        async with trachea.lifespan(app):
            yield

    async def empty() -> None:
        """The cheapest dependency there is: FastAPI still resolves it per request."""

    # The dependency shape before issue 9: our check below FastAPI's HTTPBearer (two levels).
    bearer_scheme = HTTPBearer(auto_error=False, scheme_name="TracheaBearer")

    async def bearer_noop(credentials: Any = Depends(bearer_scheme)) -> None:
        """Today's dependency shape (a dependency on HTTPBearer) without the verification."""

    class VerifyingBearer(HTTPBearer):
        """One dependency level that is also the security scheme (the Swagger lock stays).

        A sketch of issue 9's suggestion, to show what it costs; ``cache`` adds a dict of
        verified tokens (bounded, never past ``exp``).
        """

        def __init__(self, cache: bool) -> None:
            super().__init__(auto_error=False, scheme_name="TracheaBearer")
            self.cache: dict[str, CurrentUser] | None = {} if cache else None

        async def __call__(self, request: Request) -> CurrentUser:  # type: ignore[override]
            scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise TracheaError(ErrorCode.INVALID_TOKEN, "A Bearer access token is required.")
            if self.cache is None:  # the full check each time, without our cache
                return CurrentUser.from_claims(trachea.tokens.verified_claims(token))
            user = self.cache.get(token)
            if user is not None and user.claims["exp"] > time.time():
                return user
            user = trachea.tokens.verify(token)
            if len(self.cache) >= 1024:
                self.cache.clear()
            self.cache[token] = user
            return user

    scheme_verify = VerifyingBearer(cache=False)
    scheme_cached = VerifyingBearer(cache=True)
    plain_cache = VerifyingBearer(cache=True)

    async def plain_cached(request: Request) -> CurrentUser:
        """The cached lookup as a plain function dependency: no security scheme (no lock)."""
        return await plain_cache(request)

    app = FastAPI(lifespan=lifespan)
    app.state.trachea = trachea
    app.add_exception_handler(TracheaError, trachea_exception_handler)

    # Each handler receives its dependency's value but returns the same body: the difference
    # between routes is the dependency alone. Ours come before the /auth router so that route
    # matching (a linear scan) costs nearly the same for each.
    @app.get(PATHS["bare"])
    async def bare() -> dict[str, str]:
        return BODY

    @app.get(PATHS["empty"])
    async def with_empty(_: None = Depends(empty)) -> dict[str, str]:
        return BODY

    @app.get(PATHS["protected"])
    async def protected(_: CurrentUser = Depends(trachea.current_user)) -> dict[str, str]:
        return BODY

    @app.get(PATHS["protected-module"])
    async def protected_module(_: CurrentUser = Depends(get_current_user)) -> dict[str, str]:
        return BODY

    @app.get(PATHS["bearer-only"])
    async def bearer_only(_: Any = Depends(bearer_scheme)) -> dict[str, str]:
        return BODY

    @app.get(PATHS["bearer-noop"])
    async def with_bearer_noop(_: None = Depends(bearer_noop)) -> dict[str, str]:
        return BODY

    @app.get(PATHS["scheme-verify"])
    async def with_scheme_verify(_: CurrentUser = Depends(scheme_verify)) -> dict[str, str]:
        return BODY

    @app.get(PATHS["scheme-cached"])
    async def with_scheme_cached(_: CurrentUser = Depends(scheme_cached)) -> dict[str, str]:
        return BODY

    @app.get(PATHS["plain-cached"])
    async def with_plain_cached(_: CurrentUser = Depends(plain_cached)) -> dict[str, str]:
        return BODY

    app.include_router(trachea.router, prefix="/auth")

    # Route matching is a linear scan (about 3 µs per route tried before the right one, with
    # FastAPI 0.165), so the route under load is moved to the front before each run: every
    # series is then matched first. Only the parent calls this, between runs.
    @app.post("/_bench/first/{name}")
    async def first(name: str) -> dict[str, str]:
        place(app, name, 0)
        return BODY

    return app


def place(app: Any, name: str, index: int) -> None:
    """Move the route of series ``name`` to position ``index`` of the app's route list."""
    routes = app.router.routes
    route = next(r for r in routes if getattr(r, "path", None) == PATHS[name])
    routes.remove(route)
    routes.insert(index, route)
    getattr(app.router, "_mark_routes_changed", lambda: None)()


# -- the measuring parent ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def generate_key(alg: str) -> dict[str, str]:
    """Fresh ``TRACHEA_*`` key variables for ``alg`` (never printed)."""
    import secrets

    if alg == "HS256":
        return {"TRACHEA_JWT_SECRET": secrets.token_urlsafe(48)}
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if alg == "ES256":
        key: Any = ec.generate_private_key(ec.SECP256R1())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {"TRACHEA_JWT_PRIVATE_KEY": pem}


def server_implementation(loop: str, http: str) -> dict[str, str]:
    """What uvicorn will actually use for ``--loop``/``--http`` ``auto`` (it falls back)."""
    if loop == "auto":
        loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    if http == "auto":
        http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return {"loop": loop, "http": http}


class Server:
    """One uvicorn worker serving :func:`create_app` with one algorithm's key."""

    def __init__(self, alg: str, loop: str, http: str, cpu: int | None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRACHEA_")}
        env.pop("FIREBASE_AUTH_EMULATOR_HOST", None)
        env.update(
            TRACHEA_APP_ID=APP_ID,
            TRACHEA_APP_SECRET=APP_SECRET,
            TRACHEA_JWT_ALGORITHM=alg,
            **generate_key(alg),
        )
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "bench.protected_route:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            "1",
            "--loop",
            loop,
            "--http",
            http,
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        if cpu is not None:
            command = ["taskset", "-c", str(cpu), *command]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 - our own

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.base}/auth/health", timeout=1).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit("the benchmark app did not start")
            time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def prepare(base: str) -> str:
    """Register the user and check every route answers the same bytes; return the token."""
    with httpx.Client(base_url=base, timeout=30) as client:
        response = client.post("/auth/register", json={"username": USERNAME, "password": PASSWORD})
        response.raise_for_status()
        token = str(response.json()["access_token"])
        headers = {"Authorization": f"Bearer {token}"}
        bodies = {}
        for name, path in PATHS.items():
            answer = client.get(path, headers=headers)
            if answer.status_code != 200:
                raise SystemExit(f"{path} answered {answer.status_code}, not 200")
            bodies[name] = (answer.content, sorted(answer.headers.items()))
        # Same body and same headers (the Date header aside) on every route.
        normalised = {
            (body, tuple((k, v) for k, v in head if k != "date")) for body, head in bodies.values()
        }
        if len(normalised) != 1:
            raise SystemExit("the routes do not answer identical bytes")
        # The protected routes must really check the token (else we would measure nothing).
        for name in (
            "protected",
            "protected-module",
            "scheme-verify",
            "scheme-cached",
            "plain-cached",
        ):
            refused = client.get(PATHS[name], headers={"Authorization": "Bearer x.y.z"})
            if refused.status_code != 401:
                raise SystemExit(f"{PATHS[name]} accepted a bad token")
    return token


def put_first(base: str, name: str) -> None:
    """Have the server match ``name``'s route first (see ``create_app``)."""
    httpx.post(f"{base}/_bench/first/{name}", timeout=10).raise_for_status()


def cpu_ns(pid: int) -> int:
    """CPU time the process has used so far, in ns (Linux ``/proc``)."""
    try:
        with open(f"/proc/{pid}/schedstat") as stat:
            return int(stat.read().split()[0])
    except (OSError, ValueError, IndexError):
        # Older kernels: utime + stime in clock ticks (coarser, still fine over seconds).
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) * 1_000_000_000 // os.sysconf("SC_CLK_TCK")


def run_wrk(
    url: str, token: str, seconds: int, connections: int, cpu: int | None, server_pid: int
) -> dict[str, float]:
    """One wrk run: requests/s, latency percentiles (ms), and the server's CPU µs per request.

    The CPU time per request is the robust number on a shared machine: time the server spends
    waiting for a core that other work holds lowers requests/s but not its CPU time.
    """
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-H",
        f"Authorization: Bearer {token}",
        url,
    ]
    if cpu is not None:
        command = ["taskset", "-c", str(cpu), *command]
    cpu_before = cpu_ns(server_pid)
    done = subprocess.run(command, capture_output=True, text=True)  # noqa: S603 - fixed program
    cpu_used = cpu_ns(server_pid) - cpu_before
    if done.returncode != 0:  # never echo the command: it holds the token
        raise SystemExit(f"wrk failed on {url}: {done.stderr.strip() or done.stdout.strip()}")
    output = done.stdout
    if "Non-2xx or 3xx responses" in output or re.search(r"Socket errors:", output):
        # A refused token (401) or broken connections would be cheap and fake a fast route.
        raise SystemExit(f"wrk saw errors on {url}:\n{output}")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rps is None:
        raise SystemExit(f"cannot read wrk's output:\n{output}")
    total = re.search(r"(\d+) requests in", output)
    if total is None or int(total.group(1)) == 0:
        raise SystemExit(f"cannot read wrk's output:\n{output}")
    result = {"rps": float(rps.group(1)), "cpu_us": cpu_used / 1000 / int(total.group(1))}
    # How much of one core the server had: below ~0.9 it was waiting for a core (wrk's or
    # other work's), and requests/s measure the machine's load more than the route.
    result["core_share"] = result["rps"] * result["cpu_us"] / 1e6
    for pct in ("50", "99"):
        found = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        if found:
            scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}[found.group(2)]
            result[f"p{pct}_ms"] = float(found.group(1)) * scale
    return result


def measure(alg: str, args: argparse.Namespace) -> dict[str, Any]:
    """Serve the app with ``alg`` and run the interleaved rounds."""
    series = ROUTES + (DIAGNOSTIC_ROUTES if args.diagnostic else ())
    server = Server(alg, args.loop, args.http, args.server_cpu)
    try:
        server.wait_ready()
        token = prepare(server.base)
        for name in series if args.warmup else ():  # warm-up: lazy imports, caches, allocator
            put_first(server.base, name)
            run_wrk(
                server.base + PATHS[name],
                token,
                args.warmup,
                args.connections,
                args.wrk_cpu,
                server.process.pid,
            )
        rounds: list[dict[str, dict[str, float]]] = []
        for index in range(args.rounds):
            shift = index % len(series)
            this_round = {}
            for name in series[shift:] + series[:shift]:
                put_first(server.base, name)
                url = server.base + PATHS[name]
                this_round[name] = run_wrk(
                    url, token, args.duration, args.connections, args.wrk_cpu, server.process.pid
                )
            rounds.append(this_round)
            line = ", ".join(f"{name} {this_round[name]['rps']:.0f}" for name in series)
            print(f"  {alg} round {index + 1}/{args.rounds}: {line} req/s", file=sys.stderr)
    finally:
        server.stop()

    def ratio(numerator: str, denominator: str) -> float:
        return statistics.median(r[numerator]["rps"] / r[denominator]["rps"] for r in rounds)

    def cpu_ratio(numerator: str, denominator: str) -> float:
        # As a throughput ratio: CPU per request of the denominator over the numerator's.
        return statistics.median(r[denominator]["cpu_us"] / r[numerator]["cpu_us"] for r in rounds)

    pairs = [(x, y) for x in series if x not in ("bare", "empty") for y in ("empty", "bare")]
    pairs.append(("empty", "bare"))
    return {
        "alg": alg,
        "median_rps": {name: statistics.median(r[name]["rps"] for r in rounds) for name in series},
        "median_cpu_us_per_request": {
            name: statistics.median(r[name]["cpu_us"] for r in rounds) for name in series
        },
        "median_core_share": {
            name: statistics.median(r[name]["core_share"] for r in rounds) for name in series
        },
        "median_p50_ms": {
            name: statistics.median(r[name].get("p50_ms", float("nan")) for r in rounds)
            for name in series
        },
        "ratios": {f"{x}/{y}": ratio(x, y) for x, y in pairs},
        "cpu_ratios": {f"{x}/{y}": cpu_ratio(x, y) for x, y in pairs},
        "rounds": rounds,
    }


def versions() -> dict[str, str]:
    names = ("fastapi", "starlette", "uvicorn", "python-jose", "PyJWT", "trachea-login")
    found = {}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "-"
    found["python"] = platform.python_version()
    found["wrk"] = (
        subprocess.run(["wrk", "--version"], capture_output=True, text=True)  # noqa: S607
        .stdout.splitlines()[0]
        .split(" [")[0]
        .removeprefix("wrk ")
    )
    return found


def print_markdown(report: dict[str, Any]) -> None:
    setup = report["setup"]
    print(
        f"One uvicorn worker ({setup['loop']}, {setup['http']}), wrk -t1 -c{setup['connections']}, "
        f"{setup['rounds']} rounds x {setup['duration_s']} s per route (rotating order, "
        f"{setup['warmup_s']} s warm-up each, the route under load matched first); "
        f"{setup['cpus']} CPU(s), shared by wrk, the server and anything else running "
        f"(server CPU: {setup['server_cpu']}, wrk CPU: {setup['wrk_cpu']})."
    )
    print("Versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()))
    print()
    print(
        "| alg | bare req/s | empty req/s | protected req/s | module req/s "
        "| protected/empty | protected/bare | module/empty | module/bare | empty/bare |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    keys = (
        "protected/empty",
        "protected/bare",
        "protected-module/empty",
        "protected-module/bare",
        "empty/bare",
    )
    for result in report["results"]:
        rps = result["median_rps"]
        cells = [f"{rps[name]:.0f}" for name in ROUTES]
        cells += [f"{result['ratios'][key]:.3f}" for key in keys]
        print(f"| {result['alg']} | " + " | ".join(cells) + " |")
    print()
    print("The same from the server's CPU time per request (robust to other load):")
    print()
    print(
        "| alg | bare µs | empty µs | protected µs | module µs "
        "| protected/empty | protected/bare | module/empty | module/bare | empty/bare |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for result in report["results"]:
        cpu = result["median_cpu_us_per_request"]
        cells = [f"{cpu[name]:.0f}" for name in ROUTES]
        cells += [f"{result['cpu_ratios'][key]:.3f}" for key in keys]
        print(f"| {result['alg']} | " + " | ".join(cells) + " |")
    if setup["diagnostic"]:
        print()
        print("Diagnostic series (see the module docstring):")
        print()
        print("| alg | series | req/s | /empty | /bare | CPU µs | CPU /empty | CPU /bare |")
        print("|---|---|---|---|---|---|---|---|")
        for result in report["results"]:
            for name in DIAGNOSTIC_ROUTES:
                print(
                    f"| {result['alg']} | {name} | {result['median_rps'][name]:.0f} | "
                    f"{result['ratios'][f'{name}/empty']:.3f} | "
                    f"{result['ratios'][f'{name}/bare']:.3f} | "
                    f"{result['median_cpu_us_per_request'][name]:.0f} | "
                    f"{result['cpu_ratios'][f'{name}/empty']:.3f} | "
                    f"{result['cpu_ratios'][f'{name}/bare']:.3f} |"
                )
    shares = [v for result in report["results"] for v in result["median_core_share"].values()]
    print()
    print(
        f"The server had {min(shares):.0%}-{max(shares):.0%} of one core while loaded (median "
        "per route)."
        + (
            " Below ~90% it was waiting for a core: req/s then follow the machine's load, trust "
            "the CPU ratios more (or run again when the machine is quieter)."
            if min(shares) < 0.9
            else ""
        )
    )
    print()
    print(
        "req/s and µs: medians over rounds; ratios: medians over rounds of the ratio within one "
        "round (CPU ratios as throughput: the other route's CPU µs over this one's). "
        "Target (issue 9): protected/empty >= 0.95, protected/bare >= 0.85."
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--alg",
        action="append",
        choices=("HS256", "ES256", "RS256"),
        help="repeatable (default: HS256 and ES256)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (>= 3)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per route per round")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds per route")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (1 thread)")
    parser.add_argument("--loop", default="auto", choices=("auto", "asyncio", "uvloop"))
    parser.add_argument("--http", default="auto", choices=("auto", "h11", "httptools"))
    parser.add_argument(
        "--pin",
        action="store_true",
        help="pin the server to CPU 0 and wrk to CPU 1 (taskset) so they do not trade places",
    )
    parser.add_argument(
        "--diagnostic",
        action="store_true",
        help="also load " + ", ".join(DIAGNOSTIC_ROUTES) + " (see the module docstring)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    args = parser.parse_args()
    if args.rounds < 3:
        parser.error("--rounds must be at least 3 (a median needs them)")
    if not 1 <= args.connections <= 64:
        parser.error("--connections must be 1..64 (keep the load bounded)")
    if not 1 <= args.duration <= 60 or not 0 <= args.warmup <= 30:
        parser.error("--duration must be 1..60 and --warmup 0..30 (whole seconds, as wrk takes)")
    if shutil.which("wrk") is None:
        raise SystemExit(WRK_INSTALL)
    if args.pin and (shutil.which("taskset") is None or (os.cpu_count() or 1) < 2):
        parser.error("--pin needs taskset and at least 2 CPUs")
    args.server_cpu = 0 if args.pin else None
    args.wrk_cpu = 1 if args.pin else None
    impl = server_implementation(args.loop, args.http)
    args.loop, args.http = impl["loop"], impl["http"]

    report = {
        "setup": {
            "rounds": args.rounds,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "wrk_threads": 1,
            "diagnostic": args.diagnostic,
            "cpus": os.cpu_count(),
            "server_cpu": "any" if args.server_cpu is None else args.server_cpu,
            "wrk_cpu": "any" if args.wrk_cpu is None else args.wrk_cpu,
            **impl,
        },
        "versions": versions(),
        "results": [measure(alg, args) for alg in (args.alg or ["HS256", "ES256"])],
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_markdown(report)


if __name__ == "__main__":
    main()
