"""Service-client secrets are stored as a SHA-256 digest and compared in constant time
(``trachea_login/client_secrets.py``; docs/decisions.md says why no slow hash)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from trachea_login import client_secrets
from trachea_login.client_secrets import (
    client_secret_matches,
    digest_client_secret,
    generate_client_secret,
)


def test_the_stored_form_is_the_prefixed_sha256_hex_digest_never_the_secret():
    secret = generate_client_secret()
    stored = digest_client_secret(secret)
    assert stored == "sha256$" + hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in stored


def test_only_the_secret_itself_matches():
    secret = generate_client_secret()
    stored = digest_client_secret(secret)
    assert client_secret_matches(secret, stored)
    for other in (secret[:-1], secret + "x", secret.upper(), "", generate_client_secret()):
        assert not client_secret_matches(other, stored)


@pytest.mark.parametrize(
    "stored",
    [
        None,  # no such client
        "sha256$" + "0" * 64,  # the dummy an unknown client is compared with
        "$bcrypt-sha256$v=2,t=2b,r=12$abcdefghijklmnopqrstuv$0123456789012345678901234567890",
        "",
    ],
)
def test_nothing_but_a_digest_of_the_secret_ever_matches(stored):
    assert not client_secret_matches(generate_client_secret(), stored)


def test_the_comparison_is_constant_time_for_known_and_unknown_clients(monkeypatch):
    compared: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def recording(a: str, b: str) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(client_secrets.hmac, "compare_digest", recording)
    secret = generate_client_secret()
    client_secret_matches(secret, digest_client_secret(secret))
    client_secret_matches(secret, None)
    assert len(compared) == 2
    assert {len(b) for _a, b in compared} == {len("sha256$") + 64}  # same work either way


def test_secrets_are_256_random_bits_url_safe():
    drawn = {generate_client_secret() for _ in range(50)}
    assert len(drawn) == 50
    assert all(len(s) == 43 and s.replace("-", "").replace("_", "").isalnum() for s in drawn)
