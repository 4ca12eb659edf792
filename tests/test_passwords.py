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


async def test_a_plain_bcrypt_hash_verifies_on_the_first_72_bytes_as_typed_and_is_upgraded():
    import bcrypt

    hasher = PasswordHasher(4)
    typed = "e" * 70 + "€-and-then-some"  # byte 72 falls inside the euro sign
    # How trachea-login 0.1.x hashed: bcrypt < 5 silently used the first 72 bytes.
    legacy = bcrypt.hashpw(typed.encode()[:72], bcrypt.gensalt(4)).decode()
    ok, upgraded = await hasher.verify(typed, legacy)
    assert ok is True and upgraded is not None and upgraded.startswith("$bcrypt-sha256$")
    # The upgrade counts every character from now on.
    assert (await hasher.verify(typed, upgraded))[0] is True
    assert (await hasher.verify(typed[:-1], upgraded))[0] is False
    # What 0.1.x accepted (the same 72 bytes) still passes the old hash, nothing shorter.
    assert (await hasher.verify(typed + "more", legacy))[0] is True
    assert await hasher.verify(typed[:70], legacy) == (False, None)


async def test_a_plain_bcrypt_hash_is_checked_without_unicode_normalisation():
    import unicodedata

    import bcrypt

    hasher = PasswordHasher(4)
    typed = unicodedata.normalize("NFD", "Noëmi-pässwort")
    legacy = bcrypt.hashpw(typed.encode(), bcrypt.gensalt(4)).decode()
    assert (await hasher.verify(typed, legacy))[0] is True
    assert await hasher.verify(unicodedata.normalize("NFC", typed), legacy) == (False, None)


async def test_an_app_secret_longer_than_72_bytes_checks_against_its_plain_bcrypt_hash():
    import bcrypt

    hasher = PasswordHasher(4)
    secret = "kiosk-" + "s" * 96
    legacy = bcrypt.hashpw(secret.encode()[:72], bcrypt.gensalt(4)).decode()
    assert await hasher.check(secret, legacy) is True
    assert await hasher.check("kiosk-" + "t" * 96, legacy) is False
    assert await hasher.check("\ud800 lone surrogate", legacy) is False
