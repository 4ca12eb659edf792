"""Plan changes by the user (``PATCH /users/me/plan``), decided by the product's plan policy.

The order of the rules (docs/decisions.md, "Plan policy order"): with no policy, a paid plan
or a new email is 403 before anything else (an email is never taken on the user's word alone,
or anyone could claim any address and lock its owner out with 409); an account that already
has an email cannot add another (422); a paid plan needs an email (422); an email of another
account is 409; then the policy is asked (403 if it says no).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pymongo.errors import DuplicateKeyError

from ..errors import ErrorCode, TracheaError
from ..levels import PAID_PLANS, PLANS
from ..records import UserRecord
from ..store import Store
from ..tokens import CurrentUser
from .audit import Auditor
from .context import ClientContext
from .sessions import SessionService

PlanPolicy = Callable[[CurrentUser, str, "str | None"], "bool | Awaitable[bool]"]

_HAS_EMAIL = "Invalid request: email: the account already has an email address"


@dataclass(frozen=True)
class PlanChange:
    plan: str
    #: An address the user typed in, to store unverified with the change.
    new_email: str | None = None


def plan_change(user: UserRecord, plan: str, email: str | None, *, has_policy: bool) -> PlanChange:
    """The change a request asks for, or the ``TracheaError`` refusing it (before any I/O)."""
    paid = plan in PAID_PLANS
    adds_email = bool(email) and email != user.email
    if not has_policy and (paid or adds_email):
        # Without a policy nobody approves anything: only a bare move to free is allowed.
        raise TracheaError(ErrorCode.PLAN_CHANGE_NOT_ALLOWED)
    if adds_email:
        if user.email:
            raise TracheaError(ErrorCode.VALIDATION_ERROR, _HAS_EMAIL)
        return PlanChange(plan, new_email=email)
    if paid and not user.email:
        raise TracheaError(ErrorCode.EMAIL_REQUIRED_FOR_PAID)
    return PlanChange(plan)


class PlanService:
    def __init__(
        self,
        app_id: str,
        store: Store,
        sessions: SessionService,
        auditor: Auditor,
        policy: PlanPolicy | None,
    ) -> None:
        self.app_id = app_id
        self._store = store
        self._sessions = sessions
        self._auditor = auditor
        self.policy = policy

    async def change(
        self,
        user: CurrentUser,
        *,
        plan: str,
        email: str | None,
        proof: str | None,
        client: ClientContext,
    ) -> UserRecord:
        if plan not in PLANS:
            raise TracheaError(ErrorCode.VALIDATION_ERROR, "Invalid request: plan: unknown plan")
        record = await self._sessions.require_live(user)
        change = plan_change(record, plan, email, has_policy=self.policy is not None)
        if change.new_email is not None:
            holder = await self._store.users.find_by_email(change.new_email)
            if holder is not None and holder.id != record.id:
                raise TracheaError(ErrorCode.EMAIL_TAKEN)
        if self.policy is not None and not await _ask(self.policy, user, plan, proof):
            raise TracheaError(ErrorCode.PLAN_CHANGE_NOT_ALLOWED)
        updated = await self._write(record, change)
        if updated is None:
            if change.new_email is not None and (await self._sessions.require_live(user)).email:
                raise TracheaError(ErrorCode.VALIDATION_ERROR, _HAS_EMAIL)
            raise TracheaError(ErrorCode.INVALID_TOKEN, "This account is not a member of this app.")
        membership = record.membership(self.app_id)
        await self._auditor.record(
            "plan_changed",
            client,
            user_id=record.id,
            session_id=user.session_id,
            old=membership.plan if membership else None,
            new=plan,
            actor="user",
        )
        return updated

    async def _write(self, record: UserRecord, change: PlanChange) -> UserRecord | None:
        # An address typed in here is unproven: it never links a Firebase identity. It is added
        # only while the account still has none (a concurrent request may have added one).
        account = {"email": change.new_email, "email_verified": False} if change.new_email else {}
        try:
            return await self._store.users.set_membership_fields(
                record.id,
                self.app_id,
                {"plan": change.plan},
                account,
                only_without_email=bool(account),
            )
        except DuplicateKeyError:
            raise TracheaError(ErrorCode.EMAIL_TAKEN) from None


async def _ask(policy: PlanPolicy, user: CurrentUser, plan: str, proof: str | None) -> bool:
    result = policy(user, plan, proof)
    if inspect.isawaitable(result):
        result = await result
    return bool(result)
