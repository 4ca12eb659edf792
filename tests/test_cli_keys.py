"""``trachea-login keys generate --alg ES256|RS256|HS256`` (contract §8): a fresh key on
standard output that a deployment can use as it is, its ``kid`` on standard error."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from typer.testing import CliRunner

from trachea_login.cli import build_cli
from trachea_login.config import load_settings
from trachea_login.tokens import AccessTokens


def generate(alg: str):
    return CliRunner().invoke(build_cli(), ["keys", "generate", "--alg", alg])


def tokens_with(alg: str, key: str) -> AccessTokens:
    setting = {"jwt_secret": key} if alg == "HS256" else {"jwt_private_key": key}
    return AccessTokens(
        load_settings(app_id="app1", app_secret="s" * 20, jwt_algorithm=alg, **setting)
    )


@pytest.mark.parametrize("alg", ["ES256", "RS256", "HS256"])
def test_a_generated_key_signs_and_verifies_and_its_kid_is_printed(alg):
    result = generate(alg)
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    tokens = tokens_with(alg, key)
    token = tokens.issue(
        sub="a", uid="u", role="member", plan="free", provider="username", session_id="s"
    )
    assert tokens.verify(token).sub == "a"
    assert result.stderr.strip() == f"kid: {tokens.kid}"
    assert key not in result.stderr


def test_es256_and_rs256_keys_are_pem_private_keys_of_the_right_kind():
    ec_key = serialization.load_pem_private_key(generate("ES256").stdout.encode(), None)
    assert isinstance(ec_key, ec.EllipticCurvePrivateKey) and ec_key.curve.name == "secp256r1"
    rsa_key = serialization.load_pem_private_key(generate("RS256").stdout.encode(), None)
    assert isinstance(rsa_key, rsa.RSAPrivateKey) and rsa_key.key_size >= 2048


def test_hs256_secrets_are_long_random_and_never_repeat():
    secrets = {generate("HS256").stdout.strip() for _ in range(5)}
    assert len(secrets) == 5
    assert all(len(secret) >= 64 for secret in secrets)


def test_an_unknown_algorithm_is_a_usage_error():
    result = generate("none")
    assert result.exit_code == 2
    assert result.stdout == ""
