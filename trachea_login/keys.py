"""Signing and verification keys: the current key, the previous keys, their ``kid`` and the
public JWK Set (contract §8).

The current key signs; ``JWT_PREVIOUS_KEYS`` only verify. Each key has a ``kid``: the RFC 7638
thumbprint of the public key for RS256/ES256, and for HS256 an identifier derived one-way from
the secret (a truncated SHA-256 of a domain-separated string: the secret never leaves, and the
``kid`` tells an attacker nothing the token's own HMAC signature does not already let them test).
Keys are parsed once, here, at construction: parsing a PEM key per call cost 51 ms per RS256
signature.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, HMACAlgorithm, RSAAlgorithm
from jwt.exceptions import InvalidKeyError

from .config import TracheaSettings
from .errors import TracheaConfigError

ALGORITHMS = ("HS256", "RS256", "ES256")
#: Algorithms a JWK Set may carry (an HS256 secret is never published).
PUBLIC_ALGORITHMS = ("RS256", "ES256")
MIN_RSA_BITS = 2048
MIN_SECRET_BYTES = 32
#: Domain separation for HS256 key ids: the digest of the secret alone is never published.
_HS256_KID_DOMAIN = b"trachea-login/kid/HS256/v1\x00"


@dataclass(frozen=True)
class VerificationKey:
    """One key that verifies tokens: its ``kid``, its algorithm, the key object PyJWT uses
    (the secret's bytes for HS256, a ``cryptography`` public key otherwise), and its public JWK
    (``None`` for HS256)."""

    kid: str
    algorithm: str
    key: Any = field(repr=False)
    jwk: Mapping[str, str] | None = None


@dataclass(frozen=True)
class KeySet:
    """The keys that verify one app's tokens, the current one first."""

    keys: tuple[VerificationKey, ...]
    _by_kid: Mapping[str, VerificationKey] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("a key set needs at least one key")
        by_kid: dict[str, VerificationKey] = {}
        for key in self.keys:
            by_kid.setdefault(key.kid, key)  # a duplicate (same key twice) keeps the first
        object.__setattr__(self, "_by_kid", by_kid)

    @property
    def current(self) -> VerificationKey:
        return self.keys[0]

    def lookup(self, kid: str | None) -> VerificationKey | None:
        """The key a token's ``kid`` names; a token without ``kid`` (issued before key ids
        existed) is checked against the current key only."""
        if kid is None:
            return self.keys[0]
        return self._by_kid.get(kid)

    def public_jwks(self) -> dict[str, list[dict[str, str]]]:
        """The JWK Set of the public keys, current first (``{"keys": []}`` for HS256)."""
        seen: set[str] = set()
        published = []
        for key in self.keys:
            if key.jwk is not None and key.kid not in seen:
                seen.add(key.kid)
                published.append(dict(key.jwk))
        return {"keys": published}


@dataclass(frozen=True)
class LocalKeys:
    """This instance's keys: the current one's signing half, and every key that verifies."""

    algorithm: str
    signing_key: Any = field(repr=False)
    verification: KeySet


# -- key ids and JWKs --------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def hs256_kid(secret: bytes) -> str:
    """A ``kid`` for an HS256 secret: one-way (SHA-256 over a domain-separated string),
    128 bits, never the secret."""
    return b64url(hashlib.sha256(_HS256_KID_DOMAIN + secret).digest()[:16])


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """The RFC 7638 thumbprint (SHA-256) of an RSA or EC public JWK."""
    if jwk.get("kty") == "RSA":
        members = {name: jwk[name] for name in ("e", "kty", "n")}
    elif jwk.get("kty") == "EC":
        members = {name: jwk[name] for name in ("crv", "kty", "x", "y")}
    else:
        raise ValueError("only RSA and EC keys have a thumbprint here")
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


def public_key_jwk(public_key: Any, algorithm: str) -> dict[str, str]:
    """The published JWK of an RSA or EC public key: key members, ``kid``, ``alg``, ``use``."""
    codec = RSAAlgorithm if algorithm == "RS256" else ECAlgorithm
    exported: dict[str, Any] = codec.to_jwk(public_key, as_dict=True)
    # The key members only (PyJWT adds key_ops, which RFC 7517 §4.3 says not to mix with use).
    names = ("kty", "n", "e") if algorithm == "RS256" else ("kty", "crv", "x", "y")
    members = {name: str(exported[name]) for name in names}
    return {**members, "kid": jwk_thumbprint(members), "alg": algorithm, "use": "sig"}


# -- loading configured keys -------------------------------------------------------------------


def _check_asymmetric(key: Any, algorithm: str, variable: str) -> None:
    """Refuse a key of the wrong type for ``algorithm`` (the message names the variable)."""
    if algorithm == "RS256":
        if not isinstance(key, rsa.RSAPublicKey) or key.key_size < MIN_RSA_BITS:
            raise TracheaConfigError(
                f"{variable} must be an RSA key of >= {MIN_RSA_BITS} bits for JWT_ALGORITHM=RS256"
            )
    elif not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise TracheaConfigError(f"{variable} must be an EC P-256 key for JWT_ALGORITHM=ES256")


def read_pem(value: str, variable: str) -> str:
    """PEM text, given inline or as a path to a file (never echoed in errors)."""
    value = value.strip()
    if "-----BEGIN" in value:
        return value
    try:
        return Path(value).expanduser().read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise TracheaConfigError(
            f"{variable} is neither a PEM key nor a readable file path ({type(exc).__name__})"
        ) from None


def load_pem_key(pem: str, algorithm: str, variable: str, *, private_only: bool) -> tuple[Any, Any]:
    """(private key or ``None``, public key) from PEM text, checked against ``algorithm``."""
    data = pem.encode("utf-8")
    private: Any = None
    try:
        private = serialization.load_pem_private_key(data, password=None)
        public = private.public_key()
    except (ValueError, TypeError):
        if private_only:
            raise TracheaConfigError(
                f"{variable} is not a readable, unencrypted PEM private key"
            ) from None
        try:
            public = serialization.load_pem_public_key(data)
        except (ValueError, TypeError):
            raise TracheaConfigError(
                f"{variable} is not a readable PEM key (private, unencrypted, or public)"
            ) from None
    _check_asymmetric(public, algorithm, variable)
    return private, public


def hs256_key(secret: str, variable: str) -> VerificationKey:
    raw = secret.encode("utf-8")
    if len(raw) < MIN_SECRET_BYTES:
        raise TracheaConfigError(f"{variable} must be at least {MIN_SECRET_BYTES} bytes long")
    try:
        # PyJWT refuses secrets that look like public keys (algorithm confusion): say so now,
        # not at the first request.
        HMACAlgorithm(HMACAlgorithm.SHA256).prepare_key(raw)
    except InvalidKeyError:
        raise TracheaConfigError(f"{variable} looks like a PEM/SSH key, not a secret") from None
    return VerificationKey(kid=hs256_kid(raw), algorithm="HS256", key=raw)


def asymmetric_key(public_key: Any, algorithm: str) -> VerificationKey:
    jwk = public_key_jwk(public_key, algorithm)
    return VerificationKey(kid=jwk["kid"], algorithm=algorithm, key=public_key, jwk=jwk)


def _previous_keys(algorithm: str, values: Iterable[str]) -> list[VerificationKey]:
    found = []
    for number, value in enumerate(values, start=1):
        variable = f"TRACHEA_JWT_PREVIOUS_KEYS (entry {number})"
        if algorithm == "HS256":
            found.append(hs256_key(value, variable))
        else:
            pem = read_pem(value, variable)
            _, public = load_pem_key(pem, algorithm, variable, private_only=False)
            found.append(asymmetric_key(public, algorithm))
    return found


def load_local_keys(settings: TracheaSettings) -> LocalKeys:
    """The configured keys, parsed once; ``TracheaConfigError`` naming the variable on any
    unreadable key, key of the wrong type, or short secret."""
    algorithm = settings.jwt_algorithm
    previous = [secret.get_secret_value() for secret in settings.jwt_previous_keys]
    signing: Any
    if algorithm == "HS256":
        assert settings.jwt_secret is not None  # checked by the settings
        current = hs256_key(settings.jwt_secret.get_secret_value(), "TRACHEA_JWT_SECRET")
        signing = current.key
    else:
        pem = settings.private_key_pem()
        signing, public = load_pem_key(pem, algorithm, "TRACHEA_JWT_PRIVATE_KEY", private_only=True)
        current = asymmetric_key(public, algorithm)
    verification = KeySet((current, *_previous_keys(algorithm, previous)))
    return LocalKeys(algorithm=algorithm, signing_key=signing, verification=verification)


# -- keys from a JWK Set (RemoteVerifier) ------------------------------------------------------


def key_from_jwk(jwk: Mapping[str, Any]) -> VerificationKey:
    """A verification key from one published JWK; ``ValueError`` when it is not a signing key
    of RS256 (>= 2048 bits) or ES256 (P-256) with a ``kid``."""
    algorithm = jwk.get("alg")
    kid = jwk.get("kid")
    if algorithm not in PUBLIC_ALGORITHMS or not isinstance(kid, str) or not kid:
        raise ValueError("a JWK needs alg RS256 or ES256 and a kid")
    if jwk.get("use", "sig") != "sig":
        raise ValueError("not a signature key")
    expected_kty = "RSA" if algorithm == "RS256" else "EC"
    if jwk.get("kty") != expected_kty or "d" in jwk:
        raise ValueError(f"alg {algorithm} needs a public {expected_kty} key")
    codec = RSAAlgorithm if algorithm == "RS256" else ECAlgorithm
    try:
        public = codec.from_jwk(dict(jwk))
    except (InvalidKeyError, ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"unreadable JWK ({type(exc).__name__})") from None
    try:
        _check_asymmetric(public, algorithm, "the JWK")
    except TracheaConfigError as exc:
        raise ValueError(str(exc)) from None
    members = {name: str(value) for name, value in jwk.items()}
    return VerificationKey(kid=kid, algorithm=algorithm, key=public, jwk=members)


# -- new keys (trachea-login keys generate) ----------------------------------------------------


def generate_key(algorithm: str) -> str:
    """A fresh key for ``JWT_PRIVATE_KEY`` (PKCS#8 PEM) or ``JWT_SECRET`` (64 URL-safe
    characters, 384 random bits)."""
    if algorithm == "HS256":
        return secrets.token_urlsafe(48)
    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    if algorithm == "RS256":
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif algorithm == "ES256":
        private = ec.generate_private_key(ec.SECP256R1())
    else:
        raise ValueError(
            f"unknown algorithm {algorithm!r}; expected one of {', '.join(ALGORITHMS)}"
        )
    return private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


__all__ = [
    "KeySet",
    "LocalKeys",
    "VerificationKey",
    "generate_key",
    "hs256_kid",
    "jwk_thumbprint",
    "key_from_jwk",
    "load_local_keys",
    "public_key_jwk",
]
