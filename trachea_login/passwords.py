"""Password hashing and the password policy.

Hashes use passlib's ``bcrypt_sha256`` (from the maintained ``libpass`` fork): the password is
HMAC-SHA256'd before bcrypt, so every character of a long password counts and bcrypt's 72-byte
limit neither truncates nor raises. Plain ``bcrypt`` hashes (imported from elsewhere) still
verify and are upgraded on the next successful login. Hashing runs in a worker thread: a bcrypt
call takes hundreds of milliseconds and must never block the event loop.

Passwords are NFC-normalised before hashing and checking (NIST SP 800-63B §5.1.1.2): ``é``
typed as one code point or as ``e`` + a combining accent is one password. Hashes made from the
raw form (trachea-login 0.1.x, and before this rule) still verify: a password that is not in
NFC is also tried as typed, once, and a match is rehashed in NFC form.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from importlib import resources
from typing import TypeVar

from passlib.context import CryptContext

#: Upper bound on a password's length, in characters. Anything longer is a 422, not a 500 and
#: not minutes of hashing.
PASSWORD_MAX_LENGTH = 1024

T = TypeVar("T")


def normalise_password(password: str) -> str:
    """The form a password is hashed and checked in: Unicode NFC."""
    return unicodedata.normalize("NFC", password)


def default_hash_threads() -> int:
    """Leave one core to the event loop: bcrypt saturates a core per running hash."""
    return max(1, (os.cpu_count() or 2) - 1)


class PasswordHasher:
    """Hashes and verifies passwords off the event loop, with a constant-cost miss path."""

    def __init__(self, rounds: int = 12, *, max_threads: int | None = None) -> None:
        """``max_threads`` bounds how many hashes run at once in this hasher's own thread pool
        (extra requests queue); ``None`` uses the event loop's default executor."""
        self._context = CryptContext(
            schemes=["bcrypt_sha256", "bcrypt"],
            deprecated=["bcrypt"],
            bcrypt_sha256__rounds=rounds,
        )
        self._dummy_hash: str | None = None
        self._max_threads = max_threads
        self._executor: ThreadPoolExecutor | None = None

    async def _run(self, function: Callable[..., T], *args: str | None) -> T:
        if self._max_threads is None:
            return await asyncio.to_thread(function, *args)
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self._max_threads, thread_name_prefix="trachea-hash"
            )
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    def close(self) -> None:
        """Stop this hasher's threads (if it has its own pool)."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def prepare(self) -> None:
        """Compute the dummy hash used when the user is unknown (once, at startup)."""
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash(secrets.token_urlsafe(24))

    async def hash(self, password: str) -> str:
        return await self._run(self._context.hash, normalise_password(password))

    async def verify(self, password: str, stored_hash: str | None) -> tuple[bool, str | None]:
        """Check ``password`` against ``stored_hash``.

        Returns ``(matches, new_hash)``: ``new_hash`` is set when the stored hash is stale
        (old scheme or other cost, or made from a password not in NFC) and should be replaced.
        With no stored hash (unknown user, Firebase-only account) a dummy hash is checked
        anyway, the same number of times, so the miss costs what a hit costs and timing does
        not reveal which accounts exist.
        """
        nfc = normalise_password(password)
        raw = password if nfc != password else None
        if stored_hash is None:
            await self.prepare()
            await self._run(self._verify_forms, nfc, raw, self._dummy_hash or "")
            return False, None
        return await self._run(self._verify_forms_and_update, nfc, raw, stored_hash)

    async def check(self, password: str, stored_hash: str) -> bool:
        """Only whether ``password`` matches (no upgrade hash is computed): for app secrets."""
        return await self._run(self._safe_verify, password, stored_hash)

    def _safe_verify(self, password: str, stored_hash: str) -> bool:
        try:
            return bool(self._context.verify(password, stored_hash))
        except (ValueError, TypeError):
            return False

    def _verify_forms(self, nfc: str, raw: str | None, stored_hash: str) -> bool:
        """The NFC form, then (when it differs) the form as typed."""
        if self._safe_verify(nfc, stored_hash):
            return True
        return raw is not None and self._safe_verify(raw, stored_hash)

    def _verify_forms_and_update(
        self, nfc: str, raw: str | None, stored_hash: str
    ) -> tuple[bool, str | None]:
        ok, new_hash = self._safe_verify_and_update(nfc, stored_hash)
        if ok or raw is None:
            return ok, new_hash
        if self._safe_verify(raw, stored_hash):
            # A hash of the raw form (made before passwords were normalised): store NFC's.
            return True, str(self._context.hash(nfc))
        return False, None

    def _safe_verify_and_update(self, password: str, stored_hash: str) -> tuple[bool, str | None]:
        try:
            ok, new_hash = self._context.verify_and_update(password, stored_hash)
        except (ValueError, TypeError):
            # A malformed stored hash, or a >72-byte password against a legacy plain-bcrypt
            # hash (bcrypt 5 raises): a mismatch, never a 500.
            return False, None
        return bool(ok), new_hash


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of most common passwords, lower-cased."""
    text = (
        resources.files("trachea_login")
        .joinpath("data/common_passwords.txt")
        .read_text(encoding="utf-8")
    )
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line[0] == "#"
    )


def password_problem(password: str, *, min_length: int, username: str | None) -> str | None:
    """Why ``password`` is refused for a new account, or ``None`` when it is acceptable.

    NIST SP 800-63B: a minimum length, a generous maximum, any Unicode, no composition rules,
    and a check against commonly used passwords and the account's own name. The message
    never repeats the password.
    """
    password = normalise_password(password)
    if len(password) < min_length:
        return f"password: must be at least {min_length} characters"
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"password: must be at most {PASSWORD_MAX_LENGTH} characters"
    lowered = password.lower()
    if username and username.lower() in lowered:
        return "password: must not contain the username"
    if lowered in common_passwords():
        return "password: is too common; choose a less guessable one"
    return None
