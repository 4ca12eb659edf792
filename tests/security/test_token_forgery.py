"""Forged access tokens (RFC 8725): every variant is a 401 with the right code, never a 500,
and no header field (kid, jku, jwk) can make us use a key we were not configured with."""

from __future__ import annotations

import base64
import json
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk, jwt

from ..conftest import JWT_SECRET, assert_error, assert_product_error, bearer

OTHER_SECRET = "an-attacker-chosen-secret-of-sufficient-length"


def b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims_for(tokens: dict, **changes) -> dict:
    """Valid claims for the victim's live session: each forgery differs in one way only, so a
    refusal proves that one check (not a dead session) is what stops it."""
    user = tokens["user"]
    now = int(time.time())
    claims = {
        "iss": "trachea-login",
        "aud": "app1",
        "sub": user["username"],
        "uid": user["id"],
        "app_id": "app1",
        "role": "member",
        "plan": "free",
        "provider": "username",
        "sid": jwt.get_unverified_claims(tokens["access_token"])["sid"],
        "jti": "j1",
        "iat": now,
        "exp": now + 600,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.fixture
async def victim(serve):
    served = await serve()
    tokens = await served.register_user("alice")
    return served, tokens


async def probe(served, token):
    return await served.client.get("/auth/users/me", headers=bearer(token))


@pytest.mark.parametrize("alg", ["none", "noNE", "NONE"])
async def test_unsigned_tokens_are_refused(victim, alg):
    served, tokens = victim
    token = f"{b64({'alg': alg, 'typ': 'at+jwt'})}.{b64(claims_for(tokens))}."
    assert_error(await probe(served, token), 401, "INVALID_TOKEN")


async def test_another_algorithm_is_refused(victim):
    served, tokens = victim
    token = jwt.encode(claims_for(tokens), JWT_SECRET, algorithm="HS512", headers={"typ": "at+jwt"})
    assert_error(await probe(served, token), 401, "INVALID_TOKEN")


async def test_another_key_is_refused(victim):
    served, tokens = victim
    token = jwt.encode(
        claims_for(tokens), OTHER_SECRET, algorithm="HS256", headers={"typ": "at+jwt"}
    )
    assert_error(await probe(served, token), 401, "INVALID_TOKEN")


@pytest.mark.parametrize(
    "changes,code",
    [
        ({"aud": "app2"}, "INVALID_TOKEN"),
        ({"iss": "evil"}, "INVALID_TOKEN"),
        ({"exp": None}, "INVALID_TOKEN"),
        ({"aud": None}, "INVALID_TOKEN"),
        ({"nbf": int(time.time()) + 3600}, "INVALID_TOKEN"),
        ({"exp": int(time.time()) - 10, "iat": int(time.time()) - 700}, "TOKEN_EXPIRED"),
    ],
    ids=["wrong-aud", "wrong-iss", "no-exp", "no-aud", "future-nbf", "expired"],
)
async def test_claims_are_enforced_with_the_right_code(victim, changes, code):
    served, tokens = victim
    token = jwt.encode(
        claims_for(tokens, **changes),
        JWT_SECRET,
        algorithm="HS256",
        headers={"typ": "at+jwt"},
    )
    assert_error(await probe(served, token), 401, code)


async def test_tampered_claims_break_the_signature(victim):
    served, tokens = victim
    head, body, signature = tokens["access_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["role"] = "admin"
    forged = f"{head}.{b64(claims)}.{signature}"
    assert_error(await probe(served, forged), 401, "INVALID_TOKEN")
    admin = await served.client.get("/admin", headers=bearer(forged))
    assert_product_error(admin, 401, "INVALID_TOKEN")


async def test_embedded_jwk_and_jku_headers_never_select_a_key(victim):
    served, tokens = victim
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = attacker.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_jwk = jwk.construct(
        attacker.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
        "RS256",
    ).to_dict()
    for header in (
        {"typ": "at+jwt", "jwk": public_jwk},
        {"typ": "at+jwt", "jku": "https://attacker.example/jwks.json", "kid": "k1"},
    ):
        token = jwt.encode(claims_for(tokens), private_pem, algorithm="RS256", headers=header)
        assert_error(await probe(served, token), 401, "INVALID_TOKEN")
    # A kid naming anything still verifies with the one configured key only.
    with_kid = jwt.encode(
        claims_for(tokens),
        OTHER_SECRET,
        algorithm="HS256",
        headers={"typ": "at+jwt", "kid": "../../dev/null"},
    )
    assert_error(await probe(served, with_kid), 401, "INVALID_TOKEN")


async def test_a_jwt_of_another_type_signed_with_our_key_is_not_an_access_token(victim):
    """E.g. an ID token or any other JWT minted with the same secret: typ must be at+jwt."""
    served, tokens = victim
    for typ in ("JWT", "id+jwt", None):
        headers = {"typ": typ} if typ else {}
        token = jwt.encode(claims_for(tokens), JWT_SECRET, algorithm="HS256", headers=headers)
        if typ is None:  # python-jose adds typ=JWT by default
            token = jwt.encode(claims_for(tokens), JWT_SECRET, algorithm="HS256")
        assert_error(await probe(served, token), 401, "INVALID_TOKEN")
    genuine = jwt.encode(
        claims_for(tokens), JWT_SECRET, algorithm="HS256", headers={"typ": "at+jwt"}
    )
    assert (await probe(served, genuine)).status_code == 200


@pytest.mark.parametrize("token", ["", "a", "a.b", "a.b.c.d", "....", "%C3%A9.e.e", "x" * 5000])
async def test_garbage_is_a_401_never_a_500(victim, token):
    served, _ = victim
    response = await served.client.get(
        "/auth/users/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert_error(response, 401, "INVALID_TOKEN")
