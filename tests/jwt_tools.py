"""Making and reading JWTs in tests, with PyJWT: any header, any claims, any key.

``forge`` signs exactly the header and claims given (no defaults added), so a test controls
every byte the verifier sees.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import get_default_algorithms


def b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], key: Any, alg: str | None = None) -> str:
    """A JWS of exactly ``header`` and ``claims``, signed by ``key`` with ``alg`` (default: the
    header's ``alg``). ``key``: a secret (str/bytes), a PEM, or a cryptography key object."""
    name = alg or header["alg"]
    signing_input = f"{b64(header)}.{b64(claims)}".encode()
    if isinstance(key, str):
        key = key.encode()
    if name.startswith("HS"):
        # Directly: PyJWT refuses PEM text as an HMAC secret, and the key-confusion forgery
        # (a public key used as the secret) is exactly what some tests make.
        digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
        signature = hmac.new(key, signing_input, digest[name]).digest()
    else:
        algorithm = get_default_algorithms()[name]
        signature = algorithm.sign(signing_input, algorithm.prepare_key(key))
    return f"{signing_input.decode()}.{b64(signature)}"


def claims_of(token: str) -> dict[str, Any]:
    """The claims of a token, unverified (for assertions)."""
    return jwt.decode(token, options={"verify_signature": False})


def header_of(token: str) -> dict[str, Any]:
    return jwt.get_unverified_header(token)


def pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def new_rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def new_ec() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())
