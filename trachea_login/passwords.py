"""Password hashing and the password policy.

Hashes use passlib's ``bcrypt_sha256`` (from the maintained ``libpass`` fork): the password is
HMAC-SHA256'd before bcrypt, so every character of a long password counts and bcrypt's 72-byte
limit neither truncates nor raises. Plain ``bcrypt`` hashes (imported from elsewhere) still
verify and are upgraded on the next successful login. Hashing runs in a worker thread: a bcrypt
call takes hundreds of milliseconds and must never block the event loop.
"""

from __future__ import annotations

import asyncio
import secrets
from functools import cache
from importlib import resources

from passlib.context import CryptContext

#: Upper bound on a password's length, in characters. Anything longer is a 422, not a 500 and
#: not minutes of hashing.
PASSWORD_MAX_LENGTH = 1024


class PasswordHasher:
    """Hashes and verifies passwords off the event loop, with a constant-cost miss path."""

    def __init__(self, rounds: int = 12) -> None:
        self._context = CryptContext(
            schemes=["bcrypt_sha256", "bcrypt"],
            deprecated=["bcrypt"],
            bcrypt_sha256__rounds=rounds,
        )
        self._dummy_hash: str | None = None

    async def prepare(self) -> None:
        """Compute the dummy hash used when the user is unknown (once, at startup)."""
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash(secrets.token_urlsafe(24))

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._context.hash, password)

    async def verify(self, password: str, stored_hash: str | None) -> tuple[bool, str | None]:
        """Check ``password`` against ``stored_hash``.

        Returns ``(matches, new_hash)``: ``new_hash`` is set when the stored hash is stale
        (old scheme or other cost) and should be replaced. With no stored hash (unknown user,
        Firebase-only account) a dummy hash is checked anyway, so the miss costs what a hit
        costs and timing does not reveal which accounts exist.
        """
        if stored_hash is None:
            await self.prepare()
            await asyncio.to_thread(self._safe_verify, password, self._dummy_hash or "")
            return False, None
        return await asyncio.to_thread(self._safe_verify_and_update, password, stored_hash)

    def _safe_verify(self, password: str, stored_hash: str) -> bool:
        try:
            return bool(self._context.verify(password, stored_hash))
        except (ValueError, TypeError):
            return False

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
