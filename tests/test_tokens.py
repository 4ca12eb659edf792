"""Access tokens: claims, strict verification, HS256/RS256/ES256 (contract §4)."""

from __future__ import annotations

import base64
import json
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwt

from trachea_login.config import load_settings
from trachea_login.errors import TracheaConfigError, TracheaError
from trachea_login.tokens import AccessTokens

from .conftest import JWT_SECRET


def pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())

KEYS = {
    "HS256": {"jwt_secret": JWT_SECRET},
    "RS256": {"jwt_private_key": pem(RSA_KEY)},
    "ES256": {"jwt_private_key": pem(EC_KEY)},
}


def codec(algorithm: str = "HS256", app_id: str = "app1", **extra) -> AccessTokens:
    settings = load_settings(
        app_id=app_id, app_secret="s" * 20, jwt_algorithm=algorithm, **KEYS[algorithm], **extra
    )
    return AccessTokens(settings)


def issue(tokens: AccessTokens, **overrides) -> str:
    fields = dict(
        sub="alice",
        uid="64b000000000000000000001",
        role="member",
        plan="free",
        provider="username",
        session_id="s1",
    )
    fields.update(overrides)
    return tokens.issue(**fields)


@pytest.fixture(params=["HS256", "RS256", "ES256"], ids=["HS256", "RS256", "ES256"])
def algorithm(request) -> str:
    return request.param


def test_issued_tokens_carry_every_contract_claim(algorithm):
    tokens = codec(algorithm)
    token = issue(tokens)
    header = jwt.get_unverified_header(token)
    assert (header["alg"], header["typ"]) == (algorithm, "at+jwt")
    claims = jwt.get_unverified_claims(token)
    for name in (
        "iss",
        "aud",
        "sub",
        "uid",
        "app_id",
        "role",
        "plan",
        "provider",
        "sid",
        "jti",
        "iat",
        "exp",
    ):
        assert name in claims, name
    assert claims["aud"] == claims["app_id"] == "app1"
    assert claims["exp"] - claims["iat"] == 15 * 60
    user = tokens.verify(token)
    assert (user.sub, user.app_id, user.session_id) == ("alice", "app1", "s1")
    assert user.claims == claims


def test_every_token_has_its_own_jti():
    tokens = codec()
    assert (
        jwt.get_unverified_claims(issue(tokens))["jti"]
        != jwt.get_unverified_claims(issue(tokens))["jti"]
    )


def test_another_apps_token_is_refused_even_with_the_same_key(algorithm):
    mine, theirs = codec(algorithm, "app1"), codec(algorithm, "app2")
    with pytest.raises(TracheaError) as caught:
        mine.verify(issue(theirs))
    assert caught.value.code.value == "INVALID_TOKEN"


def test_expired_token_is_token_expired():
    tokens = codec()
    from datetime import datetime, timedelta, timezone

    token = tokens.issue(
        sub="a",
        uid="u",
        role="member",
        plan="free",
        provider="username",
        session_id="s",
        now=datetime.now(timezone.utc) - timedelta(hours=1),
    )
    with pytest.raises(TracheaError) as caught:
        tokens.verify(token)
    assert caught.value.code.value == "TOKEN_EXPIRED"


def _forge(claims: dict, header: dict, key: str = JWT_SECRET, alg: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=alg, headers=header)


def _valid_claims() -> dict:
    now = int(time.time())
    return {
        "iss": "trachea-login",
        "aud": "app1",
        "sub": "alice",
        "uid": "u",
        "app_id": "app1",
        "role": "member",
        "plan": "free",
        "provider": "username",
        "sid": "s",
        "jti": "j",
        "iat": now,
        "exp": now + 600,
    }


@pytest.mark.parametrize(
    "mutate",
    [
        lambda c: c.pop("exp"),
        lambda c: c.pop("aud"),
        lambda c: c.pop("iss"),
        lambda c: c.pop("iat"),
        lambda c: c.pop("sub"),
        lambda c: c.pop("uid"),
        lambda c: c.update(aud="app2"),
        lambda c: c.update(iss="someone-else"),
        lambda c: c.update(app_id="app2"),
        lambda c: c.update(nbf=int(time.time()) + 3600),
    ],
    ids=[
        "no-exp",
        "no-aud",
        "no-iss",
        "no-iat",
        "no-sub",
        "no-uid",
        "wrong-aud",
        "wrong-iss",
        "wrong-app_id",
        "future-nbf",
    ],
)
def test_tokens_missing_or_mismatching_claims_are_invalid(mutate):
    claims = _valid_claims()
    mutate(claims)
    token = _forge(claims, {"typ": "at+jwt"})
    with pytest.raises(TracheaError) as caught:
        codec().verify(token)
    assert caught.value.code.value == "INVALID_TOKEN"


def test_a_correctly_signed_token_without_the_at_jwt_type_is_refused():
    token = _forge(_valid_claims(), {"typ": "JWT"})
    with pytest.raises(TracheaError):
        codec().verify(token)
    assert codec().verify(_forge(_valid_claims(), {"typ": "at+jwt"})).sub == "alice"


def test_alg_none_and_tampered_tokens_are_refused():
    tokens = codec()
    good = issue(tokens)
    head, body, sig = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["role"] = "admin"
    forged_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    none_head = base64.urlsafe_b64encode(b'{"alg":"none","typ":"at+jwt"}').rstrip(b"=").decode()
    for forged in (f"{head}.{forged_body}.{sig}", f"{none_head}.{body}.", "garbage", "a.b.c", ""):
        with pytest.raises(TracheaError) as caught:
            tokens.verify(forged)
        assert caught.value.code.value == "INVALID_TOKEN"


def test_rs256_verifier_refuses_an_hs256_token_signed_with_its_public_key():
    tokens = codec("RS256")
    public_pem = (
        RSA_KEY.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    import hashlib
    import hmac

    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"at+jwt"}').rstrip(b"=")
    body = base64.urlsafe_b64encode(json.dumps(_valid_claims()).encode()).rstrip(b"=")
    signature = base64.urlsafe_b64encode(
        hmac.new(public_pem.encode(), header + b"." + body, hashlib.sha256).digest()
    ).rstrip(b"=")
    with pytest.raises(TracheaError):
        tokens.verify(b".".join([header, body, signature]).decode())


def test_private_key_may_be_a_path(tmp_path):
    path = tmp_path / "key.pem"
    path.write_text(pem(RSA_KEY))
    settings = load_settings(
        app_id="a", app_secret="s" * 20, jwt_algorithm="RS256", jwt_private_key=str(path)
    )
    assert AccessTokens(settings).verify(issue(AccessTokens(settings))).sub == "alice"


@pytest.mark.parametrize(
    "algorithm,key",
    [
        ("RS256", pem(EC_KEY)),
        ("ES256", pem(RSA_KEY)),
        ("RS256", "/no/such/file.pem"),
        ("ES256", "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----"),
    ],
    ids=["rs256-with-ec", "es256-with-rsa", "missing-file", "garbage-pem"],
)
def test_wrong_or_unreadable_keys_fail_at_construction(algorithm, key):
    settings = load_settings(
        app_id="a", app_secret="s" * 20, jwt_algorithm=algorithm, jwt_private_key=key
    )
    with pytest.raises(TracheaConfigError) as caught:
        AccessTokens(settings)
    assert "TRACHEA_JWT_PRIVATE_KEY" in str(caught.value)
    assert "not a key" not in str(caught.value)


async def test_full_flow_with_asymmetric_keys(serve, algorithm):
    served = await serve(jwt_algorithm=algorithm, **KEYS[algorithm])
    tokens = await served.register_user()
    assert jwt.get_unverified_header(tokens["access_token"])["alg"] == algorithm
    me = await served.client.get(
        "/whoami", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.status_code == 200
