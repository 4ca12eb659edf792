"""Forged access tokens (RFC 8725): every variant is a 401 with the right code, never a 500,
and no header field (kid, jku, jwk, x5u) can make us use a key we were not configured with: a
``kid`` only chooses among the configured keys (contract §8)."""

from __future__ import annotations

import base64
import json
import time

import pytest

from trachea_login.keys import hs256_kid, public_key_jwk

from ..conftest import JWT_SECRET, assert_error, assert_product_error, bearer
from ..jwt_tools import b64, claims_of, forge, header_of, new_ec, new_rsa, pem, public_pem

OTHER_SECRET = "an-attacker-chosen-secret-of-sufficient-length"
PREVIOUS_SECRET = "the-previous-jwt-secret-also-long-enough-0123"
CURRENT_KID = hs256_kid(JWT_SECRET.encode())
PREVIOUS_KID = hs256_kid(PREVIOUS_SECRET.encode())
HEADER = {"alg": "HS256", "typ": "at+jwt", "kid": CURRENT_KID}


def sign(claims: dict, key: str = JWT_SECRET, **header) -> str:
    """An HS256 token with our header (``kid`` of the current key) changed by ``header``
    (a value of None removes the field)."""
    fields = {k: v for k, v in {**HEADER, **header}.items() if v is not None}
    return forge(fields, claims, key)


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
        "sid": claims_of(tokens["access_token"])["sid"],
        "jti": "j1",
        "iat": now,
        "exp": now + 600,
        "auth_time": now,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.fixture
async def victim(serve):
    """An HS256 app with a previous key, and a signed-in user."""
    served = await serve(jwt_previous_keys=[PREVIOUS_SECRET])
    tokens = await served.register_user("alice")
    return served, tokens


async def probe(served, token):
    return await served.client.get("/auth/users/me", headers=bearer(token))


@pytest.mark.parametrize("alg", ["none", "noNE", "NONE"])
async def test_unsigned_tokens_are_refused(victim, alg):
    served, tokens = victim
    token = f"{b64({'alg': alg, 'typ': 'at+jwt'})}.{b64(claims_for(tokens))}."
    assert_error(await probe(served, token), 401, "INVALID_TOKEN")


async def test_the_genuine_forgery_baseline_is_accepted(victim):
    """Every forgery below differs from this accepted token in one way only."""
    served, tokens = victim
    assert (await probe(served, sign(claims_for(tokens)))).status_code == 200
    assert (await probe(served, sign(claims_for(tokens), kid=None))).status_code == 200


async def test_another_algorithm_is_refused(victim):
    served, tokens = victim
    for alg in ("HS512", "HS384"):
        token = sign(claims_for(tokens), alg=alg)
        assert_error(await probe(served, token), 401, "INVALID_TOKEN")


async def test_another_key_is_refused(victim):
    served, tokens = victim
    for kid in (CURRENT_KID, PREVIOUS_KID, None):
        token = sign(claims_for(tokens), OTHER_SECRET, kid=kid)
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
    assert_error(await probe(served, sign(claims_for(tokens, **changes))), 401, code)


async def test_tampered_claims_break_the_signature(victim):
    served, tokens = victim
    head, body, signature = tokens["access_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["role"] = "admin"
    forged = f"{head}.{b64(claims)}.{signature}"
    assert_error(await probe(served, forged), 401, "INVALID_TOKEN")
    admin = await served.client.get("/admin", headers=bearer(forged))
    assert_product_error(admin, 401, "INVALID_TOKEN")


async def test_embedded_jwk_jku_and_x5u_headers_never_select_a_key(victim):
    served, tokens = victim
    attacker = new_rsa()
    attacker_jwk = public_key_jwk(attacker.public_key(), "RS256")
    for extra in (
        {"jwk": attacker_jwk},
        {"jku": "https://attacker.example/jwks.json", "kid": attacker_jwk["kid"]},
        {"x5u": "https://attacker.example/cert.pem"},
        {"jwk": attacker_jwk, "kid": CURRENT_KID},
    ):
        header = {"alg": "RS256", "typ": "at+jwt", **extra}
        token = forge(header, claims_for(tokens), attacker)
        assert_error(await probe(served, token), 401, "INVALID_TOKEN")
    # Those headers on a genuine token change nothing: they are never read.
    for extra in ({"jku": "https://attacker.example/jwks.json"}, {"x5u": "https://a.example/c"}):
        assert (await probe(served, sign(claims_for(tokens), **extra))).status_code == 200


async def test_a_kid_naming_no_configured_key_is_refused(victim):
    served, tokens = victim
    for kid in ("unknown", "../../dev/null", CURRENT_KID.lower(), "", 0, ["x"]):
        assert_error(await probe(served, sign(claims_for(tokens), kid=kid)), 401, "INVALID_TOKEN")


async def test_a_previous_key_is_accepted_under_its_own_kid_only(victim):
    served, tokens = victim
    claims = claims_for(tokens)
    assert (await probe(served, sign(claims, PREVIOUS_SECRET, kid=PREVIOUS_KID))).status_code == 200
    # The previous key's kid on a token signed by another key (ours or the attacker's).
    for key in (JWT_SECRET, OTHER_SECRET):
        assert_error(await probe(served, sign(claims, key, kid=PREVIOUS_KID)), 401, "INVALID_TOKEN")
    # Signed by the previous key but naming the current one, or naming none (current only).
    for kid in (CURRENT_KID, None):
        token = sign(claims, PREVIOUS_SECRET, kid=kid)
        assert_error(await probe(served, token), 401, "INVALID_TOKEN")


async def test_a_kid_of_an_hs256_key_does_not_make_an_rs256_token_pass(serve):
    """An RS256 app whose previous key is RSA: a token claiming HS256 (signed with the public
    key as the HMAC secret) or RS256 under an HS256-style kid is refused."""
    current, previous = new_rsa(), new_rsa()
    served = await serve(
        jwt_algorithm="RS256", jwt_private_key=pem(current), jwt_previous_keys=[pem(previous)]
    )
    tokens = await served.register_user("alice")
    claims = claims_for(tokens)
    previous_kid = public_key_jwk(previous.public_key(), "RS256")["kid"]
    for kid in (previous_kid, header_of(tokens["access_token"])["kid"]):
        header = {"alg": "HS256", "typ": "at+jwt", "kid": kid}
        for secret in (public_pem(previous), public_pem(current)):
            assert_error(await probe(served, forge(header, claims, secret)), 401, "INVALID_TOKEN")
    attacker = new_rsa()
    for kid in (CURRENT_KID, hs256_kid(public_pem(current).encode())):
        header = {"alg": "RS256", "typ": "at+jwt", "kid": kid}
        assert_error(await probe(served, forge(header, claims, attacker)), 401, "INVALID_TOKEN")
    genuine = forge({"alg": "RS256", "typ": "at+jwt", "kid": previous_kid}, claims, previous)
    assert (await probe(served, genuine)).status_code == 200


async def test_an_es256_token_under_an_rs256_apps_kid_is_refused(serve):
    current = new_rsa()
    served = await serve(jwt_algorithm="RS256", jwt_private_key=pem(current))
    tokens = await served.register_user("alice")
    kid = header_of(tokens["access_token"])["kid"]
    token = forge({"alg": "ES256", "typ": "at+jwt", "kid": kid}, claims_for(tokens), new_ec())
    assert_error(await probe(served, token), 401, "INVALID_TOKEN")


async def test_a_crit_header_is_refused(victim):
    served, tokens = victim
    for crit in (["exp"], ["b64"], ["unknown-extension"]):
        token = sign(claims_for(tokens), crit=crit, exp=1, **{"unknown-extension": 1})
        assert_error(await probe(served, token), 401, "INVALID_TOKEN")


@pytest.mark.parametrize("name", ["exp", "iat", "auth_time"])
@pytest.mark.parametrize("kind", ["string", "float", "bool"])
async def test_numeric_dates_must_be_integers(victim, name, kind):
    served, tokens = victim
    claims = claims_for(tokens)
    value = claims[name]
    claims[name] = {"string": str(value), "float": value + 0.5, "bool": True}[kind]
    assert_error(await probe(served, sign(claims)), 401, "INVALID_TOKEN")


async def test_an_iat_far_in_the_future_is_refused(victim):
    served, tokens = victim
    year = 365 * 24 * 3600
    now = int(time.time())
    token = sign(claims_for(tokens, iat=now + year, exp=now + year + 600))
    assert_error(await probe(served, token), 401, "INVALID_TOKEN")
    assert_error(await probe(served, sign(claims_for(tokens, iat=now + 60))), 401, "INVALID_TOKEN")


async def test_a_jwt_of_another_type_signed_with_our_key_is_not_an_access_token(victim):
    """E.g. an ID token or any other JWT minted with the same secret: typ must be at+jwt."""
    served, tokens = victim
    for typ in ("JWT", "id+jwt", "AT+JWT", None):
        token = sign(claims_for(tokens), typ=typ)
        assert_error(await probe(served, token), 401, "INVALID_TOKEN")
    assert (await probe(served, sign(claims_for(tokens)))).status_code == 200


@pytest.mark.parametrize("token", ["", "a", "a.b", "a.b.c.d", "....", "%C3%A9.e.e", "x" * 5000])
async def test_garbage_is_a_401_never_a_500(victim, token):
    served, _ = victim
    response = await served.client.get(
        "/auth/users/me", headers={"Authorization": f"Bearer {token}"}
    )
    assert_error(response, 401, "INVALID_TOKEN")


async def test_an_unencoded_payload_header_is_refused(victim):
    """RFC 7797 ``b64: false`` would change what the signature covers: refused, never honoured."""
    served, tokens = victim
    for extra in ({"b64": False}, {"b64": False, "crit": ["b64"]}):
        assert_error(await probe(served, sign(claims_for(tokens), **extra)), 401, "INVALID_TOKEN")
