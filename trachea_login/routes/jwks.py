"""GET /.well-known/jwks.json: the public keys that verify this app's access tokens (§8).

The current key first, then ``JWT_PREVIOUS_KEYS``, each with ``kid``, ``alg`` and
``use: "sig"``; ``{"keys": []}`` with HS256 (a shared secret is never published). Public and
cacheable (``Cache-Control: public, max-age=300``): the one route without ``no-store``.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from .parts import RouterParts

JWKS_CACHE_CONTROL = "public, max-age=300"


class JWKSet(BaseModel):
    """A JWK Set (RFC 7517 §5)."""

    keys: list[dict[str, str]] = Field(
        description="Public keys, current first: kty, n/e (RSA) or crv/x/y (EC), kid, alg, use."
    )


def build_jwks_router(parts: RouterParts) -> APIRouter:
    router = parts.router(cache_control=JWKS_CACHE_CONTROL)
    jwks = parts.service.jwks()  # the keys are configuration: fixed for the instance's life

    @router.get(
        "/.well-known/jwks.json",
        name=parts.name("jwks"),
        response_model=JWKSet,
        tags=["keys"],
        summary="The public keys that verify this app's access tokens (empty with HS256)",
    )
    async def jwks_document() -> dict[str, list[dict[str, str]]]:
        return jwks

    return router
