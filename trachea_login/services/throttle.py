"""Login throttling: which counters a password attempt or a registration draws on.

A password attempt reserves one attempt on the identifier's counter and one on the client IP's
before the (slow) hash check, and releases both after it, counting a failure when it failed
(the counters themselves live in :mod:`trachea_login.store.login_failures`). A registration
draws on the per-IP budget, since each costs a hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from ..config import TracheaSettings
from ..errors import ErrorCode, TracheaError
from ..methods import NATIVE_METHOD
from ..store import LoginFailures, ThrottleRule
from .audit import Auditor
from .context import ClientContext


def counter_key(kind: str, app_id: str, value: str) -> str:
    """A counter's id: the identifier or IP is hashed, so none is stored in clear."""
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()
    return f"{kind}:{app_id}:{digest}"


@dataclass(frozen=True)
class PasswordAttempt:
    """The counters one reserved password attempt holds."""

    identifier_key: str
    ip_key: str


class LoginThrottle:
    def __init__(
        self, failures: LoginFailures, settings: TracheaSettings, auditor: Auditor
    ) -> None:
        self._failures = failures
        self._app_id = settings.app_id
        self._auditor = auditor
        window = timedelta(minutes=settings.login_failure_window_minutes)
        self._identifier_rule = ThrottleRule(settings.login_max_failures, window)
        self._ip_rule = ThrottleRule(settings.login_max_failures_per_ip, window)

    async def reserve_password_attempt(
        self, identifier: str, client: ClientContext
    ) -> PasswordAttempt:
        """Reserve an attempt for the identifier and the client IP, or answer 429."""
        attempt = PasswordAttempt(
            identifier_key=counter_key("id", self._app_id, identifier),
            ip_key=counter_key("ip", self._app_id, client.ip or "unknown"),
        )
        wait = await self._failures.reserve(attempt.identifier_key, self._identifier_rule)
        if not wait:
            wait = await self._failures.reserve(attempt.ip_key, self._ip_rule)
            if wait:
                await self._failures.release(
                    attempt.identifier_key, self._identifier_rule, failed=False
                )
        if wait:
            await self._auditor.record("login_throttled", client, method=NATIVE_METHOD)
            raise TracheaError(ErrorCode.TOO_MANY_ATTEMPTS, retry_after=wait)
        return attempt

    async def release_password_attempt(self, attempt: PasswordAttempt, *, failed: bool) -> None:
        await self._failures.release(attempt.identifier_key, self._identifier_rule, failed=failed)
        await self._failures.release(attempt.ip_key, self._ip_rule, failed=failed)

    async def forget_failures(self, attempt: PasswordAttempt) -> None:
        """A successful sign-in clears its identifier's failures."""
        await self._failures.clear(attempt.identifier_key)

    async def reserve_registration(self, client: ClientContext) -> str:
        """Reserve a registration on the client IP's budget (release it with
        :meth:`release_registration`), or answer 429."""
        key = counter_key("register", self._app_id, client.ip or "unknown")
        wait = await self._failures.reserve(key, self._ip_rule)
        if wait:
            await self._auditor.record("register_throttled", client, method=NATIVE_METHOD)
            raise TracheaError(ErrorCode.TOO_MANY_ATTEMPTS, retry_after=wait)
        return key

    async def release_registration(self, key: str) -> None:
        # Every registration counts, successful or not: each costs a hash.
        await self._failures.release(key, self._ip_rule, failed=True)
