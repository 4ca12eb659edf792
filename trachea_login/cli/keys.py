"""``trachea-login keys generate``: a fresh signing key, printed to standard output.

Nothing is stored and no database is needed. ES256/RS256 print an unencrypted PKCS#8 PEM
private key (for ``TRACHEA_JWT_PRIVATE_KEY``, or a file it names); HS256 prints a 64-character
random secret (384 bits, for ``TRACHEA_JWT_SECRET``). The key's ``kid`` goes to standard error,
so ``trachea-login keys generate --alg ES256 > key.pem`` writes the key alone.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from ..keys import generate_key, hs256_key, load_pem_key, public_key_jwk


class Algorithm(str, Enum):
    ES256 = "ES256"
    RS256 = "RS256"
    HS256 = "HS256"


def kid_of(key: str, algorithm: str) -> str:
    """The ``kid`` tokens signed by ``key`` will carry."""
    if algorithm == "HS256":
        return hs256_key(key, "the key").kid
    _, public = load_pem_key(key, algorithm, "the key", private_only=True)
    return public_key_jwk(public, algorithm)["kid"]


def keys_generate(
    alg: Annotated[
        Algorithm,
        typer.Option("--alg", help="ES256 (recommended), RS256 or HS256.", case_sensitive=False),
    ],
) -> None:
    """Print a fresh key: a PEM private key (ES256, RS256) or a random secret (HS256)."""
    key = generate_key(alg.value)
    typer.echo(key.rstrip("\n"))
    typer.echo(f"kid: {kid_of(key, alg.value)}", err=True)


def build_keys_cli() -> typer.Typer:
    cli = typer.Typer(help="Signing keys for access tokens (see docs/operations.md).")
    cli.command("generate")(keys_generate)
    return cli
