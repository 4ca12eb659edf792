"""Key rotation as docs/operations.md describes it, while users hold tokens: nobody is signed
out (contract §8). Deployments are instances on one database, up side by side as during a
rolling restart; the clock moves past the access-token lifetime before the old key goes."""

from __future__ import annotations

import pytest

from trachea_login.keys import generate_key

from .conftest import assert_error, bearer
from .jwt_tools import header_of


def deployment(algorithm: str, current: str, previous: tuple[str, ...] = ()) -> dict:
    key = "jwt_secret" if algorithm == "HS256" else "jwt_private_key"
    return {"jwt_algorithm": algorithm, key: current, "jwt_previous_keys": list(previous)}


async def works(served, token: str) -> bool:
    """The token opens a product route and our own /users/me (a live session)."""
    product = await served.client.get("/whoami", headers=bearer(token))
    ours = await served.client.get("/auth/users/me", headers=bearer(token))
    assert product.status_code == ours.status_code, (product.text, ours.text)
    return product.status_code == 200


async def refreshed(served, tokens: dict) -> dict:
    response = await served.client.post(
        "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("algorithm", ["ES256", "RS256", "HS256"])
async def test_rotating_the_signing_key_signs_nobody_out(serve, clock, algorithm):
    old, new = generate_key(algorithm), generate_key(algorithm)
    before = await serve(**deployment(algorithm, old))
    alice = await before.register_user("alice")
    bob = await before.register_user("bob")
    old_kid = before.trachea.tokens.kid

    # Step 1 (several processes): publish the new key as a previous key everywhere first.
    prepared = await serve(register_first=False, **deployment(algorithm, old, (new,)))
    assert await works(prepared, alice["access_token"])

    # Step 2: the new key becomes current, the old one moves to JWT_PREVIOUS_KEYS. The
    # processes not yet restarted (`prepared`) still run beside it.
    rotated = await serve(register_first=False, **deployment(algorithm, new, (old,)))
    new_kid = rotated.trachea.tokens.kid
    assert new_kid != old_kid
    assert await works(rotated, alice["access_token"])  # old tokens keep working
    alice = await refreshed(rotated, alice)  # a refresh gives a token of the new key
    assert header_of(alice["access_token"])["kid"] == new_kid
    assert await works(rotated, alice["access_token"])
    assert await works(prepared, alice["access_token"])  # and the other processes accept it

    # Step 3: after the access-token lifetime, remove the old key.
    clock.advance(minutes=15, seconds=1)
    final = await serve(register_first=False, **deployment(algorithm, new))
    # Bob never refreshed: his old access token is past its lifetime, refused by either
    # configuration (it would have expired anyway) ...
    assert_error(
        await rotated.client.get("/auth/users/me", headers=bearer(bob["access_token"])),
        401,
        "TOKEN_EXPIRED",
    )
    assert not await works(final, bob["access_token"])
    # ... but his refresh token, like everyone's, still works: nobody is signed out.
    bob = await refreshed(final, bob)
    alice = await refreshed(final, alice)
    for tokens in (alice, bob):
        assert header_of(tokens["access_token"])["kid"] == new_kid
        assert await works(final, tokens["access_token"])
    assert final.trachea.tokens.jwks()["keys"] == (
        [] if algorithm == "HS256" else [rotated.trachea.tokens.jwks()["keys"][0]]
    )


async def test_without_the_first_step_an_old_process_refuses_new_tokens(serve):
    """Why docs/operations.md asks for step 1 with several processes: a process that does not
    know the new key refuses its tokens until it is restarted."""
    old, new = generate_key("ES256"), generate_key("ES256")
    before = await serve(**deployment("ES256", old))
    alice = await before.register_user("alice")
    rotated = await serve(register_first=False, **deployment("ES256", new, (old,)))
    alice = await refreshed(rotated, alice)
    assert not await works(before, alice["access_token"])
