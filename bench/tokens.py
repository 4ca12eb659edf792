"""Cost of issuing and verifying one access token per algorithm (runs on the event loop).

.venv/bin/python bench/tokens.py [--count 2000]

``verify (first)`` is a token's first verification in this process (signature and every
claim: ``AccessTokens.verified_claims``, what a cache miss costs); ``verify (again)`` is
``AccessTokens.verify`` of a token it verified before (the verified-token cache).
"""

from __future__ import annotations

import argparse
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from trachea_login.config import load_settings
from trachea_login.tokens import AccessTokens


def pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    keys = {
        "HS256": {"jwt_secret": "b" * 48},
        "RS256": {
            "jwt_private_key": pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
        },
        "ES256": {"jwt_private_key": pem(ec.generate_private_key(ec.SECP256R1()))},
    }
    print("| algorithm | issue µs | verify (first) µs | verify (again) µs |")
    print("|---|---|---|---|")
    for algorithm, key in keys.items():
        settings = load_settings(
            app_id="bench", app_secret="s" * 20, jwt_algorithm=algorithm, **key
        )
        tokens = AccessTokens(settings)
        fields = dict(
            sub="alice",
            uid="64b000000000000000000001",
            role="member",
            plan="free",
            provider="username",
            session_id="s",
        )
        start = time.perf_counter()
        issued = [tokens.issue(**fields) for _ in range(args.count)]
        issue = (time.perf_counter() - start) / args.count
        start = time.perf_counter()
        for token in issued:
            tokens.verified_claims(token)
        first = (time.perf_counter() - start) / args.count
        for token in issued:
            tokens.verify(token)  # fills the cache
        start = time.perf_counter()
        for token in issued:
            tokens.verify(token)
        again = (time.perf_counter() - start) / args.count
        print(f"| {algorithm} | {issue * 1e6:.0f} | {first * 1e6:.0f} | {again * 1e6:.1f} |")


if __name__ == "__main__":
    main()
