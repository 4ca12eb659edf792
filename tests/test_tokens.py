"""Access tokens: claims, keys and kid, strict verification, HS256/RS256/ES256 (§4, §8)."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import datetime, timedelta, timezone

import pytest

from trachea_login.config import load_settings
from trachea_login.errors import TracheaConfigError, TracheaError
from trachea_login.keys import hs256_kid, jwk_thumbprint, public_key_jwk
from trachea_login.tokens import AccessTokens

from .conftest import JWT_SECRET
from .jwt_tools import b64, claims_of, forge, header_of, new_ec, new_rsa, pem, public_pem

RSA_KEY = new_rsa()
EC_KEY = new_ec()
OLD_SECRET = "the-previous-jwt-secret-also-long-enough-0123"
OLD_RSA, OLD_EC = new_rsa(), new_ec()

KEYS = {
    "HS256": {"jwt_secret": JWT_SECRET},
    "RS256": {"jwt_private_key": pem(RSA_KEY)},
    "ES256": {"jwt_private_key": pem(EC_KEY)},
}
SIGNING = {"HS256": JWT_SECRET, "RS256": RSA_KEY, "ES256": EC_KEY}
PREVIOUS = {"HS256": OLD_SECRET, "RS256": pem(OLD_RSA), "ES256": public_pem(OLD_EC)}
PREVIOUS_SIGNING = {"HS256": OLD_SECRET, "RS256": OLD_RSA, "ES256": OLD_EC}


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


def code_of(tokens: AccessTokens, token: str) -> str:
    with pytest.raises(TracheaError) as caught:
        tokens.verify(token)
    return caught.value.code.value


@pytest.fixture(params=["HS256", "RS256", "ES256"], ids=["HS256", "RS256", "ES256"])
def algorithm(request) -> str:
    return request.param


def test_issued_tokens_carry_every_contract_claim(algorithm):
    tokens = codec(algorithm)
    token = issue(tokens)
    header = header_of(token)
    assert (header["alg"], header["typ"], header["kid"]) == (algorithm, "at+jwt", tokens.kid)
    claims = claims_of(token)
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
        "auth_time",
    ):
        assert name in claims, name
    assert claims["aud"] == claims["app_id"] == "app1"
    assert claims["exp"] - claims["iat"] == 15 * 60
    user = tokens.verify(token)
    assert (user.sub, user.app_id, user.session_id) == ("alice", "app1", "s1")
    assert user.claims == claims
    assert user.auth_time == claims["auth_time"] == claims["iat"]


def test_auth_time_is_the_sign_in_time_given():
    tokens = codec()
    signed_in = datetime.now(timezone.utc) - timedelta(hours=3)
    user = tokens.verify(issue(tokens, auth_time=signed_in))
    assert user.auth_time == int(signed_in.timestamp())


def test_the_verified_claims_are_read_only():
    """A verified user is shared by every request presenting the token (the cache)."""
    tokens = codec()
    token = issue(tokens)
    user = tokens.verify(token)
    for change in (
        lambda claims: claims.__setitem__("role", "admin"),
        lambda claims: claims.update(role="admin"),
        lambda claims: claims.pop("role"),
    ):
        with pytest.raises(TypeError):
            change(user.claims)
    assert tokens.verify(token).claims["role"] == "member"
    # Still a dict: JSON-serialisable and copyable, as product routes use it.
    assert json.loads(json.dumps(user.claims)) == dict(user.claims) == claims_of(token)


def test_every_token_has_its_own_jti():
    tokens = codec()
    assert claims_of(issue(tokens))["jti"] != claims_of(issue(tokens))["jti"]


# -- kid ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_the_kid_of_an_asymmetric_key_is_its_rfc_7638_thumbprint(algorithm):
    tokens = codec(algorithm)
    public = SIGNING[algorithm].public_key()
    jwk = public_key_jwk(public, algorithm)
    assert tokens.kid == jwk["kid"] == jwk_thumbprint(jwk)


def test_the_thumbprint_matches_the_rfc_7638_example():
    """RFC 7638 §3.1: the example RSA key and its thumbprint."""
    jwk = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6"
        "tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65"
        "YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdk"
        "t-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDK"
        "gw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_the_hs256_kid_is_derived_one_way_and_never_shows_the_secret():
    tokens = codec("HS256")
    kid = tokens.kid
    assert kid == hs256_kid(JWT_SECRET.encode())
    assert JWT_SECRET not in kid and JWT_SECRET[:8] not in kid
    # Not the plain digest of the secret (domain-separated), and 128 bits long.
    plain = hashlib.sha256(JWT_SECRET.encode()).digest()
    assert kid != b64(plain)[:22] and len(kid) == 22
    assert hs256_kid(OLD_SECRET.encode()) != kid
    assert header_of(issue(tokens))["kid"] == kid


# -- previous keys -------------------------------------------------------------------------------


def test_a_token_of_a_previous_key_still_verifies(algorithm):
    old = codec(algorithm)
    old_token = issue(old)
    # The old key moves to JWT_PREVIOUS_KEYS; a new key becomes current.
    new_key = {
        "HS256": {"jwt_secret": "a-brand-new-jwt-secret-that-is-long-enough-42"},
        "RS256": {"jwt_private_key": pem(new_rsa())},
        "ES256": {"jwt_private_key": pem(new_ec())},
    }[algorithm]
    previous = {"HS256": JWT_SECRET, "RS256": pem(RSA_KEY), "ES256": pem(EC_KEY)}[algorithm]
    settings = load_settings(
        app_id="app1",
        app_secret="s" * 20,
        jwt_algorithm=algorithm,
        jwt_previous_keys=[previous],
        **new_key,
    )
    rotated = AccessTokens(settings)
    assert rotated.kid != old.kid
    assert rotated.verify(old_token).sub == "alice"
    assert header_of(issue(rotated))["kid"] == rotated.kid
    assert old.verify(issue(old)).sub == "alice"
    # The old deployment, without the new key, does not know the new kid.
    assert code_of(old, issue(rotated)) == "INVALID_TOKEN"


def test_previous_keys_verify_but_never_sign(algorithm):
    tokens = codec(algorithm, jwt_previous_keys=[PREVIOUS[algorithm]])
    assert [key.kid for key in tokens.keys.keys][0] == tokens.kid
    assert len(tokens.keys.keys) == 2
    for _ in range(3):
        assert header_of(issue(tokens))["kid"] == tokens.kid


def _claims(**changes) -> dict:
    now = int(time.time())
    claims = {
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
        "auth_time": now,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def test_a_token_without_kid_is_checked_against_the_current_key_only(algorithm):
    tokens = codec(algorithm, jwt_previous_keys=[PREVIOUS[algorithm]])
    header = {"alg": algorithm, "typ": "at+jwt"}
    assert tokens.verify(forge(header, _claims(), SIGNING[algorithm])).sub == "alice"
    old_signed = forge(header, _claims(), PREVIOUS_SIGNING[algorithm])
    assert code_of(tokens, old_signed) == "INVALID_TOKEN"


def test_the_kid_chooses_the_key_and_a_wrong_pairing_is_refused(algorithm):
    tokens = codec(algorithm, jwt_previous_keys=[PREVIOUS[algorithm]])
    old_kid = tokens.keys.keys[1].kid
    header = {"alg": algorithm, "typ": "at+jwt"}
    good_old = forge({**header, "kid": old_kid}, _claims(), PREVIOUS_SIGNING[algorithm])
    assert tokens.verify(good_old).sub == "alice"
    # The previous key's kid on a token signed by the current key, and the other way round.
    assert code_of(tokens, forge({**header, "kid": old_kid}, _claims(), SIGNING[algorithm])) == (
        "INVALID_TOKEN"
    )
    swapped = forge({**header, "kid": tokens.kid}, _claims(), PREVIOUS_SIGNING[algorithm])
    assert code_of(tokens, swapped) == "INVALID_TOKEN"


@pytest.mark.parametrize("kid", ["unknown", "", "../../etc/passwd", 7, None, ["a"]])
def test_an_unknown_or_malformed_kid_is_invalid(kid):
    tokens = codec()
    token = forge({"alg": "HS256", "typ": "at+jwt", "kid": kid}, _claims(), JWT_SECRET)
    assert code_of(tokens, token) == "INVALID_TOKEN"


@pytest.mark.parametrize(
    "entry,algorithm",
    [
        ("too-short-secret", "HS256"),
        ("/no/such/key.pem", "ES256"),
        ("-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----", "RS256"),
        (pem(RSA_KEY), "ES256"),
        (public_pem(EC_KEY), "RS256"),
    ],
    ids=["short-hs256-secret", "missing-file", "garbage-pem", "rsa-for-es256", "ec-for-rs256"],
)
def test_bad_previous_keys_fail_at_construction_naming_the_variable(entry, algorithm):
    with pytest.raises(TracheaConfigError) as caught:
        codec(
            algorithm,
            jwt_previous_keys=["x" * 40 if algorithm == "HS256" else PREVIOUS[algorithm], entry],
        )
    message = str(caught.value)
    assert "TRACHEA_JWT_PREVIOUS_KEYS (entry 2)" in message
    assert entry[:12] not in message and "not a key" not in message


def test_previous_keys_come_from_the_environment_as_a_json_list(monkeypatch, tmp_path):
    path = tmp_path / "old.pem"
    path.write_text(pem(OLD_EC))
    monkeypatch.setenv("TRACHEA_JWT_PREVIOUS_KEYS", json.dumps([str(path)]))
    tokens = codec("ES256")
    old_kid = public_key_jwk(OLD_EC.public_key(), "ES256")["kid"]
    assert [key.kid for key in tokens.keys.keys] == [tokens.kid, old_kid]


def test_an_empty_previous_keys_variable_means_none(monkeypatch):
    monkeypatch.setenv("TRACHEA_JWT_PREVIOUS_KEYS", "")
    assert len(codec().keys.keys) == 1


def test_previous_keys_that_are_not_a_json_list_name_the_variable(monkeypatch):
    monkeypatch.setenv("TRACHEA_JWT_PREVIOUS_KEYS", "secret-not-json-" + "x" * 30)
    with pytest.raises(TracheaConfigError) as caught:
        codec()
    assert "TRACHEA_JWT_PREVIOUS_KEYS" in str(caught.value)
    assert "secret-not-json" not in str(caught.value)


# -- claims and header rules --------------------------------------------------------------------


def test_another_apps_token_is_refused_even_with_the_same_key(algorithm):
    mine, theirs = codec(algorithm, "app1"), codec(algorithm, "app2")
    assert code_of(mine, issue(theirs)) == "INVALID_TOKEN"


def test_expired_token_is_token_expired():
    tokens = codec()
    token = issue(tokens, now=datetime.now(timezone.utc) - timedelta(hours=1))
    assert code_of(tokens, token) == "TOKEN_EXPIRED"


def _hs(claims: dict, header: dict | None = None) -> str:
    return forge(header or {"alg": "HS256", "typ": "at+jwt"}, claims, JWT_SECRET)


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": None},
        {"aud": None},
        {"iss": None},
        {"iat": None},
        {"sub": None},
        {"uid": None},
        {"jti": None},
        {"aud": "app2"},
        {"aud": ["app1"]},
        {"iss": "someone-else"},
        {"app_id": "app2"},
        {"nbf": int(time.time()) + 3600},
    ],
    ids=[
        "no-exp",
        "no-aud",
        "no-iss",
        "no-iat",
        "no-sub",
        "no-uid",
        "no-jti",
        "wrong-aud",
        "aud-list",
        "wrong-iss",
        "wrong-app_id",
        "future-nbf",
    ],
)
def test_tokens_missing_or_mismatching_claims_are_invalid(changes):
    assert code_of(codec(), _hs(_claims(**changes))) == "INVALID_TOKEN"


@pytest.mark.parametrize("name", ["exp", "iat", "auth_time"])
@pytest.mark.parametrize("kind", ["string", "float", "bool", "null", "list"], ids=lambda kind: kind)
def test_numeric_dates_must_be_integers(name, kind):
    good = _claims()[name]
    value = {
        "string": str(good),
        "float": float(good),
        "bool": True,
        "null": None,
        "list": [good],
    }[kind]
    claims = _claims()
    claims[name] = value
    assert code_of(codec(), _hs(claims)) == "INVALID_TOKEN"


def test_an_iat_in_the_future_is_refused_beyond_five_seconds_of_clock_skew():
    now = int(time.time())
    tokens = codec()
    assert tokens.verify(_hs(_claims(iat=now + 3))).sub == "alice"
    for ahead in (30, 365 * 24 * 3600):
        assert code_of(tokens, _hs(_claims(iat=now + ahead))) == "INVALID_TOKEN"
    assert code_of(tokens, _hs(_claims(auth_time=now + 3600))) == "INVALID_TOKEN"


def test_an_expired_token_of_another_app_is_invalid_not_expired():
    """Expiry is judged last: a token that is not ours is never told to refresh."""
    past = int(time.time()) - 3600
    token = _hs(_claims(app_id="app2", aud="app2", iat=past, exp=past + 600))
    assert code_of(codec(), token) == "INVALID_TOKEN"


def test_a_crit_header_is_refused():
    for crit in (["exp"], ["b64"], [], "x"):
        header = {"alg": "HS256", "typ": "at+jwt", "crit": crit, "exp": 1}
        assert code_of(codec(), _hs(_claims(), header)) == "INVALID_TOKEN"


def test_a_correctly_signed_token_without_the_at_jwt_type_is_refused():
    tokens = codec()
    for header in ({"alg": "HS256", "typ": "JWT"}, {"alg": "HS256"}):
        assert code_of(tokens, _hs(_claims(), header)) == "INVALID_TOKEN"
    assert tokens.verify(_hs(_claims())).sub == "alice"


def test_alg_none_and_tampered_tokens_are_refused():
    tokens = codec()
    good = issue(tokens)
    head, body, sig = good.split(".")
    claims = claims_of(good)
    claims["role"] = "admin"
    none_head = b64({"alg": "none", "typ": "at+jwt"})
    for forged in (f"{head}.{b64(claims)}.{sig}", f"{none_head}.{body}.", "garbage", "a.b.c", ""):
        assert code_of(tokens, forged) == "INVALID_TOKEN"


def test_rs256_verifier_refuses_an_hs256_token_signed_with_its_public_key():
    tokens = codec("RS256")
    header = {"alg": "HS256", "typ": "at+jwt", "kid": tokens.kid}
    signing_input = f"{b64(header)}.{b64(_claims())}".encode()
    import hmac

    signature = hmac.new(public_pem(RSA_KEY).encode(), signing_input, hashlib.sha256).digest()
    assert code_of(tokens, f"{signing_input.decode()}.{b64(signature)}") == "INVALID_TOKEN"


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
        ("ES256", public_pem(EC_KEY)),
    ],
    ids=["rs256-with-ec", "es256-with-rsa", "missing-file", "garbage-pem", "public-key-only"],
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
    assert header_of(tokens["access_token"])["alg"] == algorithm
    me = await served.client.get(
        "/whoami", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.status_code == 200
