"""GET /auth/.well-known/jwks.json (contract §8): the public keys, current first, cacheable."""

from __future__ import annotations

import pytest

from trachea_login.keys import key_from_jwk, public_key_jwk

from .conftest import JWT_SECRET
from .jwt_tools import header_of, new_ec, new_rsa, pem, public_pem

JWKS = "/auth/.well-known/jwks.json"


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
async def test_the_jwks_lists_the_public_keys_current_first(serve, algorithm):
    new = new_rsa if algorithm == "RS256" else new_ec
    current, old_private, old_public = new(), new(), new()
    served = await serve(
        jwt_algorithm=algorithm,
        jwt_private_key=pem(current),
        jwt_previous_keys=[pem(old_private), public_pem(old_public)],
    )
    response = await served.client.get(JWKS)
    assert response.status_code == 200
    keys = response.json()["keys"]
    expected = [
        public_key_jwk(key.public_key(), algorithm) for key in (current, old_private, old_public)
    ]
    assert keys == expected
    for key in keys:
        assert (key["alg"], key["use"]) == (algorithm, "sig")
        assert key["kty"] == ("RSA" if algorithm == "RS256" else "EC")
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key), "a private member was published"
        assert key_from_jwk(key).kid == key["kid"]
    tokens = await served.register_user()
    assert header_of(tokens["access_token"])["kid"] == keys[0]["kid"]


async def test_an_hs256_app_publishes_no_keys(serve):
    served = await serve(jwt_previous_keys=["another-hs256-secret-long-enough-0123456789"])
    response = await served.client.get(JWKS)
    assert response.status_code == 200
    assert response.json() == {"keys": []}
    assert JWT_SECRET not in response.text


async def test_the_jwks_is_publicly_cacheable_for_five_minutes(serve):
    served = await serve(jwt_algorithm="ES256", jwt_private_key=pem(new_ec()))
    response = await served.client.get(JWKS)
    assert response.headers["cache-control"] == "public, max-age=300"
    assert "pragma" not in response.headers
    # Every other route of ours stays no-store.
    for path in ("/auth/health", "/auth/users/me"):
        assert (await served.client.get(path)).headers["cache-control"] == "no-store", path
