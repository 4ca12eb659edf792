"""Password hashing runs off the event loop, in a bounded pool, and upgrades stale hashes."""

from __future__ import annotations

import asyncio
import threading

from trachea_login.passwords import PasswordHasher, default_hash_threads, password_problem


async def test_hashing_and_verification_run_in_worker_threads(monkeypatch):
    hasher = PasswordHasher(4, max_threads=1)
    seen = []
    original = hasher._context.hash

    def spy(password):
        seen.append(threading.current_thread().name)
        return original(password)

    monkeypatch.setattr(hasher._context, "hash", spy)
    stored = await hasher.hash("a fine passphrase")
    assert seen and all(name.startswith("trachea-hash") for name in seen)
    assert threading.current_thread() is threading.main_thread()
    assert (await hasher.verify("a fine passphrase", stored))[0] is True
    hasher.close()


async def test_the_pool_bounds_concurrent_hashes(monkeypatch):
    hasher = PasswordHasher(4, max_threads=2)
    running = 0
    peak = 0
    lock = threading.Lock()
    original = hasher._context.hash

    def slow(password):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            return original(password)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(hasher._context, "hash", slow)
    await asyncio.gather(*(hasher.hash(f"password number {i}") for i in range(8)))
    assert peak == 2
    hasher.close()


def test_default_pool_leaves_a_core_to_the_event_loop(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert default_hash_threads() == 7
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert default_hash_threads() == 1


async def test_a_malformed_stored_hash_is_a_mismatch_not_an_error():
    import bcrypt

    hasher = PasswordHasher(4)
    assert await hasher.verify("anything", "not-a-hash") == (False, None)
    # A >72-byte password against a legacy plain-bcrypt hash: bcrypt 5 raises; we answer no.
    legacy = bcrypt.hashpw(b"short one", bcrypt.gensalt(4)).decode()
    assert await hasher.verify("x" * 100, legacy) == (False, None)


def test_policy_messages_never_contain_the_password():
    for password in ("short", "alice-rocks-123", "password123", "p" * 2000):
        problem = password_problem(password, min_length=8, username="alice")
        assert problem is not None and password not in problem
