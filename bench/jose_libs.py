"""What signing and verifying our access token costs in python-jose, PyJWT and joserfc.

    .venv/bin/python bench/jose_libs.py [--rounds 7] [--batch-ms 60] [--cold 5] [--json]

The token is ours (contract §4/§8): the claims of ``trachea_login.tokens`` and a header
``{"alg", "typ": "at+jwt", "kid"}``; HS256, RS256 (2048 bits) and ES256 (P-256) keys made at
run time. Every library verifies the same way: algorithm pinned, signature, ``typ``, ``kid``,
``aud``, ``iss``, ``exp``/``iat``/``sub``/``jti`` required, no leeway. Operations:

- ``sign``: one token;
- ``verify (one parse)``: header and claims from one decode (PyJWT ``decode_complete``, joserfc
  ``jwt.decode`` + claims registry). python-jose has no public call returning both, so its row
  is ``jwt.decode`` alone, without the header check;
- ``verify (header, then decode)``: ``get_unverified_header`` then a full decode, as
  ``trachea_login.tokens`` does today (the token parsed twice);
- ``header only``: the separate header parse alone.

Timed in interleaved rounds (every library/algorithm/operation once per round, the order
rotated each round); each number is the median over rounds of a batch of about ``--batch-ms``.
Then the cold costs: constructing the verifying key from its PEM/secret, and the first and
second verification with it, in this warm process and in a fresh process (import included).
Then, for scale, what a verified-token cache hit costs: a ``dict`` lookup of the token string.
Last, which of §8's strict rules (``crit``, NumericDate ``exp``/``iat``, ``iat`` in the future)
each library's decode enforces by itself, on correctly signed HS256 tokens built by hand.

Install joserfc and python-jose into the venv to include them: ``.venv/bin/pip install joserfc
python-jose`` (neither is a dependency of the package); a library not installed is left out.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.metadata
import json
import platform
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

#: The clock of every timing: this thread's CPU time by default (time spent descheduled while
#: other work runs on the shared machine is not counted), or wall time with --clock wall.
CLOCK: list[Callable[[], int]] = [time.thread_time_ns]
APP_ID = "bench-app"
ISSUER = "trachea-login"
TYP = "at+jwt"
ALGS = ("HS256", "RS256", "ES256")
LIBS = ("python-jose", "PyJWT", "joserfc")
REQUIRED = ("exp", "iat", "iss", "aud", "sub", "jti")
OPS = ("sign", "verify (one parse)", "verify (header, then decode)", "header only")


# -- keys and claims ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyMaterial:
    """One algorithm's key as configuration holds it (secret or PEM), with its ``kid``."""

    alg: str
    kid: str
    secret: str = ""
    private_pem: str = ""
    public_pem: str = ""


def make_material(alg: str) -> KeyMaterial:
    if alg == "HS256":
        secret = secrets.token_urlsafe(48)
        kid = hashlib.sha256(b"kid:" + secret.encode()).hexdigest()[:16]  # one-way, as in §8
        return KeyMaterial(alg, kid, secret=secret)
    key: Any = (
        ec.generate_private_key(ec.SECP256R1())
        if alg == "ES256"
        else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    # The kid's exact form does not matter for the cost; a short thumbprint-sized string.
    kid = base64.urlsafe_b64encode(hashlib.sha256(public_pem.encode()).digest()).decode()[:43]
    return KeyMaterial(alg, kid, private_pem=private_pem, public_pem=public_pem)


def claims_now() -> dict[str, Any]:
    """The claims ``AccessTokens.issue`` writes (same names, same kinds of values)."""
    now = int(time.time())
    return {
        "iss": ISSUER,
        "aud": APP_ID,
        "sub": "alice",
        "uid": "64b000000000000000000001",
        "app_id": APP_ID,
        "role": "member",
        "plan": "free",
        "provider": "username",
        "sid": uuid.uuid4().hex,
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 15 * 60,
    }


class Refused(Exception):
    """The token is not acceptable (any reason)."""


def check_header(header: dict[str, Any], material: KeyMaterial) -> None:
    if header.get("alg") != material.alg or header.get("typ") != TYP:
        raise Refused("header")
    if header.get("kid") != material.kid:
        raise Refused("kid")


# -- one adapter per library -------------------------------------------------------------------


@dataclass
class Adapter:
    """One library bound to one key: the operations we time."""

    sign: Callable[[dict[str, Any]], str]
    verify_once: Callable[[str], dict[str, Any]]
    verify_twice: Callable[[str], dict[str, Any]]
    header: Callable[[str], dict[str, Any]]


def python_jose_verifying_key(material: KeyMaterial) -> Any:
    from jose import jwk

    return jwk.construct(material.secret or material.public_pem, material.alg)


def python_jose(material: KeyMaterial) -> Adapter:
    from jose import jwk, jwt

    signing = jwk.construct(material.secret or material.private_pem, material.alg)
    verifying = python_jose_verifying_key(material)
    headers = {"typ": TYP, "kid": material.kid}
    # The options of trachea_login.tokens today.
    options = {
        "verify_signature": True,
        "verify_aud": True,
        "verify_iat": True,
        "verify_exp": True,
        "verify_nbf": True,
        "verify_iss": True,
        "verify_sub": True,
        "verify_jti": True,
        "require_aud": True,
        "require_iat": True,
        "require_exp": True,
        "require_iss": True,
        "require_sub": True,
        "require_jti": True,
        "leeway": 0,
    }

    def decode(token: str, key: Any = verifying) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[material.alg],
                audience=APP_ID,
                issuer=ISSUER,
                options=options,
            )
        except Exception as exc:  # noqa: BLE001 - any failure is a refusal here
            raise Refused(type(exc).__name__) from None

    def twice(token: str, key: Any = verifying) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except Exception as exc:  # noqa: BLE001
            raise Refused(type(exc).__name__) from None
        check_header(header, material)
        return decode(token, key)

    return Adapter(
        sign=lambda claims: jwt.encode(claims, signing, algorithm=material.alg, headers=headers),
        verify_once=decode,
        verify_twice=twice,
        header=jwt.get_unverified_header,
    )


def pyjwt_verifying_key(material: KeyMaterial) -> Any:
    if material.secret:
        return material.secret.encode()
    return serialization.load_pem_public_key(material.public_pem.encode())


def pyjwt(material: KeyMaterial) -> Adapter:
    import jwt

    signing: Any = (
        material.secret.encode()
        if material.secret
        else serialization.load_pem_private_key(material.private_pem.encode(), password=None)
    )
    verifying = pyjwt_verifying_key(material)
    headers = {"typ": TYP, "kid": material.kid}
    decoder = jwt.PyJWT()
    options: Any = {"require": list(REQUIRED), "verify_signature": True}

    def once(token: str, key: Any = verifying) -> dict[str, Any]:
        try:
            decoded = decoder.decode_complete(
                token,
                key,
                algorithms=[material.alg],
                audience=APP_ID,
                issuer=ISSUER,
                options=options,
                leeway=0,
            )
        except jwt.PyJWTError as exc:
            raise Refused(type(exc).__name__) from None
        check_header(decoded["header"], material)
        return dict(decoded["payload"])

    def twice(token: str, key: Any = verifying) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
            check_header(header, material)
            return dict(
                jwt.decode(
                    token,
                    key,
                    algorithms=[material.alg],
                    audience=APP_ID,
                    issuer=ISSUER,
                    options=options,
                    leeway=0,
                )
            )
        except jwt.PyJWTError as exc:
            raise Refused(type(exc).__name__) from None

    return Adapter(
        sign=lambda claims: jwt.encode(claims, signing, algorithm=material.alg, headers=headers),
        verify_once=once,
        verify_twice=twice,
        header=jwt.get_unverified_header,
    )


def joserfc_verifying_key(material: KeyMaterial) -> Any:
    from joserfc.jwk import ECKey, OctKey, RSAKey

    if material.secret:
        return OctKey.import_key(material.secret)
    return (ECKey if material.alg == "ES256" else RSAKey).import_key(material.public_pem)


def joserfc(material: KeyMaterial) -> Adapter:
    from joserfc import jws, jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import ECKey, OctKey, RSAKey

    if material.secret:
        signing: Any = OctKey.import_key(material.secret)
    else:
        signing = (ECKey if material.alg == "ES256" else RSAKey).import_key(material.private_pem)
    verifying = joserfc_verifying_key(material)
    header = {"alg": material.alg, "typ": TYP, "kid": material.kid}
    algorithms = [material.alg]
    registry = jwt.JWTClaimsRegistry(
        leeway=0,
        iss={"essential": True, "value": ISSUER},
        aud={"essential": True, "value": APP_ID},
        exp={"essential": True},
        iat={"essential": True},
        sub={"essential": True},
        jti={"essential": True},
    )

    def once(token: str, key: Any = verifying) -> dict[str, Any]:
        try:
            decoded = jwt.decode(token, key, algorithms=algorithms)
            registry.validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise Refused(type(exc).__name__) from None
        check_header(decoded.header, material)
        return decoded.claims

    def header_only(token: str) -> dict[str, Any]:
        return dict(jws.extract_compact(token.encode()).protected)

    def twice(token: str, key: Any = verifying) -> dict[str, Any]:
        try:
            check_header(header_only(token), material)
        except (JoseError, ValueError) as exc:
            raise Refused(type(exc).__name__) from None
        return once(token, key)

    return Adapter(
        sign=lambda claims: jwt.encode(header, claims, signing, algorithms=algorithms),
        verify_once=once,
        verify_twice=twice,
        header=header_only,
    )


ADAPTERS: dict[str, Callable[[KeyMaterial], Adapter]] = {
    "python-jose": python_jose,
    "PyJWT": pyjwt,
    "joserfc": joserfc,
}
VERIFYING_KEYS: dict[str, Callable[[KeyMaterial], Any]] = {
    "python-jose": python_jose_verifying_key,
    "PyJWT": pyjwt_verifying_key,
    "joserfc": joserfc_verifying_key,
}


def available_libs() -> list[str]:
    found = []
    for lib in LIBS:
        try:
            importlib.metadata.version(lib)
        except importlib.metadata.PackageNotFoundError:
            continue
        found.append(lib)
    return found


def library_versions() -> dict[str, str]:
    names = (*LIBS, "cryptography", "ecdsa")
    found = {}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "-"
    found["python"] = platform.python_version()
    return found


# -- sanity: every verify really verifies, and the tokens interoperate ---------------------------


def forge(token: str) -> str:
    """The same token with one signature character changed."""
    head, _, sig = token.rpartition(".")
    return f"{head}.{'A' if sig[0] != 'A' else 'B'}{sig[1:]}"


def check_adapters(adapters: dict[tuple[str, str], Adapter]) -> None:
    """Refuse to time a verify that would accept a forged or foreign-typed token."""
    for (lib, alg), adapter in adapters.items():
        token = adapter.sign(claims_now())
        for verify in (adapter.verify_once, adapter.verify_twice):
            claims = verify(token)
            assert claims["sub"] == "alice", (lib, alg)
            try:
                verify(forge(token))
            except Refused:
                pass
            else:
                raise SystemExit(f"{lib} {alg} accepted a forged signature")
        # Interoperability: every other library verifies this library's token.
        for (other, other_alg), peer in adapters.items():
            if other_alg == alg:
                assert peer.verify_twice(token)["jti"], (lib, other, alg)


# -- what each library refuses by itself (contract §8's strict rules) ---------------------------


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_token(header: dict[str, Any], claims: dict[str, Any], secret: str) -> str:
    """A correctly signed HS256 token built by hand, so no encoder's rules interfere."""
    import hmac

    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def strictness(material: KeyMaterial, libs: list[str]) -> dict[str, dict[str, str]]:
    """Accepted or refused, per library, for tokens that §8 refuses (HS256, valid signature).

    Each library's one-parse verification as configured above; our own header check of
    ``alg``/``typ``/``kid`` runs too, but none of these cases trips it.
    """
    header = {"alg": "HS256", "typ": TYP, "kid": material.kid}
    now = int(time.time())
    cases: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
        "valid (control)": (header, claims_now()),
        "crit header naming an unknown extension": (
            {**header, "crit": ["urn:example:must-understand"], "urn:example:must-understand": 1},
            claims_now(),
        ),
        "exp as a string": (header, {**claims_now(), "exp": str(now + 900)}),
        "iat as a string": (header, {**claims_now(), "iat": str(now)}),
        "iat a year in the future": (header, {**claims_now(), "iat": now + 365 * 86400}),
        "exp as a float": (header, {**claims_now(), "exp": now + 900.5}),
        "alg none (unsigned)": ({**header, "alg": "none"}, claims_now()),
    }
    result: dict[str, dict[str, str]] = {}
    for case, (head, claims) in cases.items():
        token = hs256_token(head, claims, material.secret)
        if case.startswith("alg none"):
            token = token.rpartition(".")[0] + "."
        for lib in libs:
            adapter = ADAPTERS[lib](material)
            try:
                adapter.verify_once(token)
            except Exception:  # noqa: BLE001 - any failure is a refusal
                outcome = "refused"
            else:
                outcome = "ACCEPTED"
            result.setdefault(case, {})[lib] = outcome
    return result


# -- timing ------------------------------------------------------------------------------------


def time_batch(operation: Callable[[], Any], count: int) -> float:
    """Microseconds per call of ``operation`` over ``count`` calls."""
    start = CLOCK[0]()
    for _ in range(count):
        operation()
    return (CLOCK[0]() - start) / count / 1000


def calibrate(operation: Callable[[], Any], batch_ms: float) -> int:
    """How many calls take about ``batch_ms`` (also warms the operation up)."""
    per_call = max(time_batch(operation, 20), 0.01)
    return max(20, int(batch_ms * 1000 / per_call))


def operations(adapter: Adapter, token: str) -> dict[str, Callable[[], Any]]:
    claims = claims_now()
    return {
        "sign": lambda: adapter.sign(claims),
        "verify (one parse)": lambda: adapter.verify_once(token),
        "verify (header, then decode)": lambda: adapter.verify_twice(token),
        "header only": lambda: adapter.header(token),
    }


def measure_ops(
    adapters: dict[tuple[str, str], Adapter], rounds: int, batch_ms: float
) -> dict[str, dict[str, dict[str, float]]]:
    """Median µs per operation: result[lib][alg][op]."""
    cases = []
    for (lib, alg), adapter in adapters.items():
        token = adapter.sign(claims_now())
        for op, call in operations(adapter, token).items():
            cases.append((lib, alg, op, call, calibrate(call, batch_ms)))
    samples: dict[tuple[str, str, str], list[float]] = {c[:3]: [] for c in cases}
    for index in range(rounds):
        shift = (index * 5) % len(cases)  # rotate: nobody always runs first or after a sibling
        for lib, alg, op, call, count in cases[shift:] + cases[:shift]:
            samples[(lib, alg, op)].append(time_batch(call, count))
    result: dict[str, dict[str, dict[str, float]]] = {}
    for (lib, alg, op), values in samples.items():
        result.setdefault(lib, {}).setdefault(alg, {})[op] = statistics.median(values)
    return result


def measure_cold_in_process(
    materials: dict[str, KeyMaterial], libs: list[str], repeats: int
) -> dict[str, dict[str, dict[str, float]]]:
    """Key construction, first and second verification with a freshly built key (µs)."""
    result: dict[str, dict[str, dict[str, float]]] = {}
    for alg, material in materials.items():
        for lib in libs:
            adapter = ADAPTERS[lib](material)
            token = adapter.sign(claims_now())
            construct, first, second = [], [], []
            for _ in range(repeats):
                start = CLOCK[0]()
                key = VERIFYING_KEYS[lib](material)
                construct.append((CLOCK[0]() - start) / 1000)
                verify = adapter.verify_twice
                start = CLOCK[0]()
                verify(token, key)  # type: ignore[call-arg]
                first.append((CLOCK[0]() - start) / 1000)
                start = CLOCK[0]()
                verify(token, key)  # type: ignore[call-arg]
                second.append((CLOCK[0]() - start) / 1000)
            result.setdefault(lib, {})[alg] = {
                "construct key": statistics.median(construct),
                "first verify": statistics.median(first),
                "second verify": statistics.median(second),
            }
    return result


def cold_child() -> None:
    """In a fresh interpreter: import the library, build the key, verify twice (µs, as JSON)."""
    job = json.loads(sys.stdin.read())
    CLOCK[0] = time.thread_time_ns if job["clock"] == "cpu" else time.perf_counter_ns
    material = KeyMaterial(**job["material"])
    lib = job["lib"]
    start = CLOCK[0]()
    module = {"python-jose": "jose.jwt", "PyJWT": "jwt", "joserfc": "joserfc.jwt"}[lib]
    __import__(module)
    imported = CLOCK[0]()
    key = VERIFYING_KEYS[lib](material)
    constructed = CLOCK[0]()
    # The adapter's own construction (signing key too) stays outside the timed calls.
    verify = ADAPTERS[lib](material).verify_twice
    before = CLOCK[0]()
    verify(job["token"], key)  # type: ignore[call-arg]
    first = CLOCK[0]()
    verify(job["token"], key)  # type: ignore[call-arg]
    second = CLOCK[0]()
    print(
        json.dumps(
            {
                "import": (imported - start) / 1000,
                "construct key": (constructed - imported) / 1000,
                "first verify": (first - before) / 1000,
                "second verify": (second - first) / 1000,
            }
        )
    )


def measure_cold_fresh_process(
    materials: dict[str, KeyMaterial], libs: list[str], tokens: dict[str, str], repeats: int
) -> dict[str, dict[str, dict[str, float]]]:
    runs: dict[tuple[str, str], list[dict[str, float]]] = {}
    for _ in range(repeats):
        for alg, material in materials.items():
            for lib in libs:
                job = {
                    "lib": lib,
                    "material": material.__dict__,
                    "token": tokens[alg],
                    "clock": "cpu" if CLOCK[0] is time.thread_time_ns else "wall",
                }
                done = subprocess.run(  # noqa: S603 - our own interpreter and script
                    [sys.executable, __file__, "--cold-child"],
                    input=json.dumps(job),
                    capture_output=True,
                    text=True,
                    check=True,
                )
                runs.setdefault((lib, alg), []).append(json.loads(done.stdout))
    result: dict[str, dict[str, dict[str, float]]] = {}
    for (lib, alg), values in runs.items():
        result.setdefault(lib, {})[alg] = {
            name: statistics.median(v[name] for v in values) for name in values[0]
        }
    return result


def measure_cache(token: str, rounds: int, batch_ms: float) -> dict[str, float]:
    """What a verified-token cache hit costs: a dict lookup by the token string (µs)."""
    cache = {token: ("user", int(time.time()) + 900)}
    for i in range(1000):  # a cache with other entries in it
        cache[f"{token[:-8]}{i:08d}"] = ("other", 0)
    count = 100_000
    # A request's token is a new str object every time (parsed from the header), so its hash
    # is not cached: build fresh equal strings the way a header parse does (a slice).
    iterator: Any = iter(())

    def same_object() -> Any:
        return cache.get(token)

    def fresh_string() -> Any:
        entry = cache.get(next(iterator))
        return entry is not None and entry[1] > time.time()

    same, new = [], []
    for _ in range(rounds):
        same.append(time_batch(same_object, count))
        iterator = iter([(" " + token)[1:] for _ in range(count)])
        new.append(time_batch(fresh_string, count))
    return {
        "dict.get, same str object (hash cached)": statistics.median(same),
        "dict.get, fresh equal str + exp check": statistics.median(new),
        "token length (chars)": float(len(token)),
    }


# -- output ------------------------------------------------------------------------------------


def print_markdown(report: dict[str, Any]) -> None:
    libs = report["libs"]
    print("Versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()))
    print(
        f"{report['rounds']} interleaved rounds, ~{report['batch_ms']:g} ms per batch, "
        f"{report['clock']} clock; median µs per operation (lower is better)."
    )
    print()
    print("| alg | operation | " + " | ".join(libs) + " |")
    print("|---|---|" + "---|" * len(libs))
    for alg in ALGS:
        for op in OPS:
            cells = []
            for lib in libs:
                value = report["ops"][lib][alg][op]
                note = " (decode only)" if lib == "python-jose" and op == OPS[1] else ""
                cells.append(f"{value:.1f}{note}")
            print(f"| {alg} | {op} | " + " | ".join(cells) + " |")
    for title, key in (
        ("Cold, in this process (key built from PEM/secret, then verified)", "cold_in_process"),
        ("Cold, in a fresh process (import, key, first verification)", "cold_fresh_process"),
    ):
        data = report[key]
        names = list(next(iter(next(iter(data.values())).values())))
        print()
        print(f"{title}; median µs:")
        print()
        print("| alg | library | " + " | ".join(names) + " |")
        print("|---|---|" + "---|" * len(names))
        for alg in ALGS:
            for lib in libs:
                row = data[lib][alg]
                print(f"| {alg} | {lib} | " + " | ".join(f"{row[n]:.0f}" for n in names) + " |")
    print()
    print("What each library's decode refuses by itself (HS256, correctly signed):")
    print()
    print("| token | " + " | ".join(libs) + " |")
    print("|---|" + "---|" * len(libs))
    for case, outcomes in report["strictness"].items():
        print(f"| {case} | " + " | ".join(outcomes[lib] for lib in libs) + " |")
    print()
    print("A verified-token cache hit, for scale (µs):")
    print()
    for name, value in report["cache"].items():
        print(f"- {name}: {value:.0f}" if "length" in name else f"- {name}: {value:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (>= 3)")
    parser.add_argument("--batch-ms", type=float, default=60.0, help="length of one timed batch")
    parser.add_argument("--cold", type=int, default=5, help="repeats of the cold measurements")
    parser.add_argument(
        "--clock",
        default="cpu",
        choices=("cpu", "wall"),
        help="cpu: this thread's CPU time (default, robust on a shared machine); wall: elapsed",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    parser.add_argument("--cold-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    CLOCK[0] = time.thread_time_ns if args.clock == "cpu" else time.perf_counter_ns
    if args.cold_child:
        cold_child()
        return
    if args.rounds < 3 or args.cold < 1:
        parser.error("--rounds must be at least 3 and --cold at least 1")
    if not 1 <= args.batch_ms <= 1000:
        parser.error("--batch-ms must be 1..1000")

    libs = available_libs()
    materials = {alg: make_material(alg) for alg in ALGS}
    adapters = {(lib, alg): ADAPTERS[lib](materials[alg]) for alg in ALGS for lib in libs}
    check_adapters(adapters)
    tokens = {alg: adapters[(libs[0], alg)].sign(claims_now()) for alg in ALGS}
    report = {
        "versions": library_versions(),
        "libs": libs,
        "rounds": args.rounds,
        "batch_ms": args.batch_ms,
        "clock": args.clock,
        "ops": measure_ops(adapters, args.rounds, args.batch_ms),
        "cold_in_process": measure_cold_in_process(materials, libs, args.cold),
        "cold_fresh_process": measure_cold_fresh_process(materials, libs, tokens, args.cold),
        "cache": measure_cache(tokens["HS256"], args.rounds, args.batch_ms),
        "strictness": strictness(materials["HS256"], libs),
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_markdown(report)


if __name__ == "__main__":
    main()
