"""Password hashing and the password policy.

Hashes use passlib's ``bcrypt_sha256`` (from the maintained ``libpass`` fork): the password is
HMAC-SHA256'd before bcrypt, so every character of a long password counts and bcrypt's 72-byte
limit neither truncates nor raises. Hashing runs in a worker thread: a bcrypt call takes hundreds
of milliseconds and must never block the event loop.

Plain ``bcrypt`` hashes (``$2b$``: every password and app secret trachea-login 0.1.x stored, see
docs/upgrading.md) still verify the way they were made: bcrypt of the first 72 bytes of the
UTF-8 text as typed, with no Unicode normalisation. bcrypt 5 raises on longer input instead of
ignoring the rest, so the bytes are cut here (a cut may fall inside a character: bytes, never
characters). A password that matches one is re-hashed with ``bcrypt_sha256`` at that sign-in.

Passwords are NFC-normalised before they are hashed and checked (NIST SP 800-63B §5.1.1.2):
``é`` typed as one code point or as ``e`` + a combining accent is one password. Hashes made
from the raw form (0.1.x's, and bcrypt_sha256 hashes made before this rule) still verify: a
password that is not in NFC is checked in both forms, the one its hash was most likely made
from first (raw for plain bcrypt, NFC otherwise), and a match is rehashed in NFC form.
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

import bcrypt
from passlib.context import CryptContext

#: Upper bound on a password's length, in characters. Anything longer is a 422, not a 500 and
#: not minutes of hashing.
PASSWORD_MAX_LENGTH = 1024

#: What bcrypt itself reads of a password: the rest was silently ignored by bcrypt < 5.
BCRYPT_MAX_BYTES = 72

#: Prefixes of plain bcrypt hashes (passlib's ``bcrypt`` scheme, ``bcrypt.hashpw``).
PLAIN_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")

T = TypeVar("T")


def normalise_password(password: str) -> str:
    """The form a password is hashed and checked in: Unicode NFC."""
    return unicodedata.normalize("NFC", password)


def is_plain_bcrypt(stored_hash: str) -> bool:
    """Whether ``stored_hash`` is a plain bcrypt hash (0.1.x's, or imported from elsewhere)."""
    return stored_hash.startswith(PLAIN_BCRYPT_PREFIXES)


def check_plain_bcrypt(password: str, stored_hash: str) -> bool:
    """Whether ``password`` matches a plain bcrypt hash as bcrypt < 5 checked it: the first
    72 bytes of its UTF-8 encoding, exactly as typed. A malformed hash or an unencodable
    password (a lone surrogate) is a mismatch."""
    try:
        secret = password.encode("utf-8")[:BCRYPT_MAX_BYTES]
        return bool(bcrypt.checkpw(secret, stored_hash.encode("ascii")))
    except (ValueError, TypeError):  # UnicodeError is a ValueError
        return False


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
        return await self._run(self._new_hash, password)

    def _new_hash(self, password: str) -> str:
        return str(self._context.hash(normalise_password(password)))

    async def verify(self, password: str, stored_hash: str | None) -> tuple[bool, str | None]:
        """Check ``password`` (as the user typed it) against ``stored_hash``.

        Returns ``(matches, new_hash)``: ``new_hash`` is set when the stored hash is stale
        (plain bcrypt, another cost, or made from a password not in NFC) and should be
        replaced. With no stored hash (unknown user, Firebase-only account) a dummy hash is
        checked anyway, the same number of times, so the miss costs what a hit costs and timing
        does not reveal which accounts exist.
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
        if is_plain_bcrypt(stored_hash):
            return check_plain_bcrypt(password, stored_hash)
        try:
            return bool(self._context.verify(password, stored_hash))
        except (ValueError, TypeError):
            return False  # a malformed stored hash: a mismatch, never a 500

    @staticmethod
    def _forms(nfc: str, raw: str | None, stored_hash: str) -> tuple[str, ...]:
        """The forms to check, the one ``stored_hash`` was most likely made from first: as
        typed for plain bcrypt (0.1.x never normalised), NFC for everything else."""
        if raw is None:
            return (nfc,)
        return (raw, nfc) if is_plain_bcrypt(stored_hash) else (nfc, raw)

    def _verify_forms(self, nfc: str, raw: str | None, stored_hash: str) -> bool:
        return any(
            self._safe_verify(form, stored_hash) for form in self._forms(nfc, raw, stored_hash)
        )

    def _verify_forms_and_update(
        self, nfc: str, raw: str | None, stored_hash: str
    ) -> tuple[bool, str | None]:
        for form in self._forms(nfc, raw, stored_hash):
            if form is nfc:
                ok, new_hash = self._safe_verify_and_update(nfc, stored_hash)
                if ok:
                    return True, new_hash
            elif self._safe_verify(form, stored_hash):
                # A hash of the form as typed (made before passwords were normalised).
                return True, self._new_hash(nfc)
        return False, None

    def _safe_verify_and_update(self, password: str, stored_hash: str) -> tuple[bool, str | None]:
        if is_plain_bcrypt(stored_hash):
            # Checked with the raw input before anything normalises it: that is how it was
            # made. The new hash is made the way every hash is from now on.
            if not check_plain_bcrypt(password, stored_hash):
                return False, None
            return True, self._new_hash(password)
        try:
            ok, new_hash = self._context.verify_and_update(password, stored_hash)
        except (ValueError, TypeError):
            return False, None  # a malformed stored hash: a mismatch, never a 500
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
