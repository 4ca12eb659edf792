"""The verified-token cache (contract §8, ``TOKEN_CACHE_SIZE``): a token seen again costs no
signature work, the cache is bounded, and it never answers for a token past its ``exp``."""

from __future__ import annotations

import pytest

from trachea_login import tokens as tokens_module
from trachea_login.clock import AdjustableClock
from trachea_login.config import load_settings
from trachea_login.errors import TracheaError
from trachea_login.token_cache import VerifiedTokenCache
from trachea_login.tokens import AccessTokens

from .conftest import JWT_SECRET, bearer


def codec(clock: AdjustableClock, **extra) -> AccessTokens:
    settings = load_settings(app_id="app1", app_secret="s" * 20, jwt_secret=JWT_SECRET, **extra)
    return AccessTokens(settings, clock)


def issue(tokens: AccessTokens, sub: str = "alice") -> str:
    return tokens.issue(
        sub=sub, uid="u1", role="member", plan="free", provider="username", session_id="s1"
    )


@pytest.fixture
def verifications(monkeypatch) -> list[str]:
    """Every full verification (signature and claims) the tokens module performs."""
    seen: list[str] = []
    real = tokens_module.verify_token

    def counting(token, *args, **kwargs):
        seen.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(tokens_module, "verify_token", counting)
    return seen


def test_a_token_seen_again_is_not_verified_again(clock, verifications):
    tokens = codec(clock)
    token = issue(tokens)
    first = tokens.verify(token)
    for _ in range(5):
        assert tokens.verify(token) is first
    assert verifications == [token]


def test_a_cached_token_past_its_exp_is_expired(clock, verifications):
    tokens = codec(clock)
    token = issue(tokens)
    tokens.verify(token)
    clock.advance(minutes=15, seconds=1)
    with pytest.raises(TracheaError) as caught:
        tokens.verify(token)
    assert caught.value.code.value == "TOKEN_EXPIRED"
    assert len(tokens.cache) == 0


def test_only_the_exact_token_string_is_a_hit(clock, verifications):
    tokens = codec(clock)
    token = issue(tokens)
    tokens.verify(token)
    head, body, signature = token.split(".")
    tampered = f"{head}.{body}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    with pytest.raises(TracheaError):
        tokens.verify(tampered)
    assert verifications == [token, tampered]


def test_a_size_of_zero_turns_the_cache_off(clock, verifications):
    tokens = codec(clock, token_cache_size=0)
    token = issue(tokens)
    tokens.verify(token)
    tokens.verify(token)
    assert verifications == [token, token]
    assert len(tokens.cache) == 0


def test_the_cache_is_bounded_and_forgets_the_least_recently_used(clock, verifications):
    tokens = codec(clock, token_cache_size=3)
    first, second, third, fourth = (issue(tokens, f"user{n}") for n in range(4))
    for token in (first, second, third):
        tokens.verify(token)
    tokens.verify(first)  # used again: now the most recent
    tokens.verify(fourth)  # evicts `second`, the least recently used
    assert len(tokens.cache) == 3
    verifications.clear()
    for token in (first, third, fourth):
        tokens.verify(token)
    assert verifications == []
    tokens.verify(second)
    assert verifications == [second]


def test_the_default_size_is_ten_thousand():
    settings = load_settings(app_id="app1", app_secret="s" * 20, jwt_secret=JWT_SECRET)
    assert settings.token_cache_size == 10_000 == AccessTokens(settings).cache.size


def test_cache_entries_expire_by_the_clock_given():
    cache: VerifiedTokenCache[str] = VerifiedTokenCache(2)
    cache.put("t", "user", expires=100)
    assert cache.get("t", now=100) == "user"
    assert cache.get("t", now=101) is None
    assert len(cache) == 0
    cache.put("t", "user", expires=100)
    cache.clear()
    assert cache.get("t", now=0) is None


async def test_a_protected_route_verifies_a_token_once(serve, verifications):
    served = await serve()
    token = (await served.register_user())["access_token"]
    verifications.clear()
    for _ in range(3):
        assert (await served.client.get("/whoami", headers=bearer(token))).status_code == 200
    assert verifications == [token]


def test_expiry_is_judged_by_an_injected_clock_that_only_has_now():
    """A product's own clock need only offer ``now()`` (the Clock protocol)."""
    from datetime import datetime, timedelta, timezone

    class FrozenClock:
        def __init__(self) -> None:
            self.moment = datetime.now(timezone.utc)

        def now(self) -> datetime:
            return self.moment

    frozen = FrozenClock()
    tokens = codec(frozen)  # type: ignore[arg-type]
    token = issue(tokens)
    assert tokens.verify(token).sub == "alice"
    frozen.moment += timedelta(minutes=16)
    with pytest.raises(TracheaError) as caught:
        tokens.verify(token)
    assert caught.value.code.value == "TOKEN_EXPIRED"
