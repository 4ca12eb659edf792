"""Login throttling: which budgets a password attempt or a registration draws on.

A password attempt draws on two budgets, reserved before the (slow) hash check and released
after it (the counters live in :mod:`trachea_login.store.login_failures`):

- **the account's** (``LOGIN_MAX_FAILURES`` per window): one budget per person, shared by every
  app on the database and by every spelling that names the account (username or email, in any
  case or Unicode form), as NIST SP 800-63B §5.2.2 limits failed attempts per account. An
  identifier that names no account has a budget of its own, keyed by its normalised form, that
  behaves exactly like an account's (same answers, same round trips), so throttling reveals
  nothing about which accounts exist;
- **the client IP's in this app** (``LOGIN_MAX_FAILURES_PER_IP``), against spraying many
  accounts from one address.

A registration draws on the IP's registration budget (each costs a hash). A service client's
secret draws on the IP's login budget alone (:meth:`LoginThrottle.reserve_ip_attempt`).

The API the routes' services use: :meth:`LoginThrottle.reserve_password_attempt` before checking
a password, :meth:`LoginThrottle.release_password_attempt` after (``failed=True`` counts it).
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import timedelta

from bson import ObjectId

from ..config import TracheaSettings
from ..errors import ErrorCode, TracheaError
from ..identifiers import normalise_identifier
from ..methods import NATIVE_METHOD
from ..records import UserRecord
from ..store import Admission, LoginFailures, ThrottleRule
from .audit import Auditor
from .context import ClientContext


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def account_key(user_id: ObjectId) -> str:
    """The counter of one account, in every app."""
    return f"account:{user_id}"


def identifier_key(identifier: str) -> str:
    """The counter of an identifier that names no account (hashed, in every app)."""
    return f"identifier:{_digest(normalise_identifier(identifier))}"


def ip_key(kind: str, app_id: str, ip: str | None) -> str:
    """The counter of one client IP in one app (``kind``: ``ip`` or ``register``)."""
    return f"{kind}:{app_id}:{_digest(ip or 'unknown')}"


@dataclass(frozen=True)
class PasswordAttempt:
    """A reserved password attempt: the counters it holds and its leases on them."""

    account_key: str
    ip_key: str
    account: Admission
    ip: Admission


class LoginThrottle:
    def __init__(
        self, failures: LoginFailures, settings: TracheaSettings, auditor: Auditor
    ) -> None:
        self._failures = failures
        self._app_id = settings.app_id
        self._auditor = auditor
        window = timedelta(minutes=settings.login_failure_window_minutes)
        self._account_rule = ThrottleRule(settings.login_max_failures, window)
        self._ip_rule = ThrottleRule(settings.login_max_failures_per_ip, window)

    async def reserve_password_attempt(
        self, account: UserRecord | None, identifier: str, client: ClientContext
    ) -> PasswordAttempt:
        """Reserve an attempt at ``account``'s password (``None``: ``identifier`` names no
        account) on its budget and the client IP's, or answer 429 ``TOO_MANY_ATTEMPTS``."""
        key = account_key(account.id) if account is not None else identifier_key(identifier)
        ip = ip_key("ip", self._app_id, client.ip)
        token = self._failures.new_token()
        # Both at once: one round trip of waiting instead of two. A refused reservation holds
        # nothing; an admitted one beside a refused one is released at once.
        held, by_ip = await asyncio.gather(
            self._failures.reserve(key, self._account_rule, token),
            self._failures.reserve(ip, self._ip_rule, token),
        )
        wait = max(held.wait, by_ip.wait)
        if wait:
            for counter, admission in ((key, held), (ip, by_ip)):
                if not admission.wait:  # the other one refused
                    await self._failures.release([counter], admission, failed=False)
            await self._auditor.record("login_throttled", client, method=NATIVE_METHOD)
            raise TracheaError(ErrorCode.TOO_MANY_ATTEMPTS, retry_after=wait)
        return PasswordAttempt(account_key=key, ip_key=ip, account=held, ip=by_ip)

    async def release_password_attempt(
        self, attempt: PasswordAttempt, *, failed: bool, forget_failures: bool = True
    ) -> None:
        """End a reserved attempt. ``failed``: the password was wrong, counted on both
        budgets. Otherwise the slots are freed and, with ``forget_failures`` (the person signed
        in), the account's earlier failures are forgotten."""
        keys = [attempt.account_key, attempt.ip_key]
        merged = Admission(
            wait=0, token=attempt.account.token, stale=attempt.account.stale + attempt.ip.stale
        )
        if failed or not forget_failures or attempt.account.failures == 0:
            # A lease of ours, or stale, on one counter is absent from the other: one update
            # serves both.
            await self._failures.release(keys, merged, failed=failed)
            return
        await self._failures.reset(attempt.account_key, attempt.account)
        await self._failures.release([attempt.ip_key], attempt.ip, failed=False)

    async def reserve_ip_attempt(self, client: ClientContext, method: str) -> tuple[str, Admission]:
        """Reserve an attempt on the client IP's budget alone (shared with password logins), or
        answer 429. For a service client's secret: its client id is public and its secret
        unguessable, so a budget per client would only let a stranger lock it out."""
        key = ip_key("ip", self._app_id, client.ip)
        held = await self._failures.reserve(key, self._ip_rule, self._failures.new_token())
        if held.wait:
            await self._auditor.record("login_throttled", client, method=method)
            raise TracheaError(ErrorCode.TOO_MANY_ATTEMPTS, retry_after=held.wait)
        return key, held

    async def release_ip_attempt(self, reservation: tuple[str, Admission], *, failed: bool) -> None:
        """End an attempt of :meth:`reserve_ip_attempt`; ``failed`` counts it."""
        key, held = reservation
        await self._failures.release([key], held, failed=failed)

    async def reserve_registration(self, client: ClientContext) -> tuple[str, Admission]:
        """Reserve a registration on the client IP's budget (release it with
        :meth:`release_registration`), or answer 429."""
        key = ip_key("register", self._app_id, client.ip)
        held = await self._failures.reserve(key, self._ip_rule, self._failures.new_token())
        if held.wait:
            await self._auditor.record("register_throttled", client, method=NATIVE_METHOD)
            raise TracheaError(ErrorCode.TOO_MANY_ATTEMPTS, retry_after=held.wait)
        return key, held

    async def release_registration(self, reservation: tuple[str, Admission]) -> None:
        # Every registration counts, successful or not: each costs a hash.
        key, held = reservation
        await self._failures.release([key], held, failed=True)
