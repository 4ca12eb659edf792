"""Operator operations on users: find, set role or plan in one app, deactivate, reactivate,
list and end sessions, erase. What ``trachea-login users ...`` does, without HTTP; the account
life cycle itself is :mod:`trachea_login.services.lifecycle`, shared with the HTTP routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ..firebase import FirebaseVerifier
from ..levels import PLANS, ROLES
from ..records import SessionRecord, UserRecord
from ..services import lifecycle
from ..services.sessions import why_not_live
from ..store import Store, object_id
from .errors import AmbiguousUser, EmailRequiredForPaidPlan, NotAMember, UserNotFound


async def find_user(database: Any, query: str) -> UserRecord:
    """The user whose id, username, email or Firebase uid is ``query``.

    Each key is looked up on its own (each has its unique index) rather than with one ``$or``,
    so a query that names two different users raises :class:`AmbiguousUser` instead of
    changing whichever comes first. Raises :class:`UserNotFound`.
    """
    if not isinstance(query, str) or not query.strip():
        raise ValueError("the user query must not be empty")
    query = query.strip()
    users = Store(database).users
    candidates: list[UserRecord | None] = []
    if len(query) == 24 and object_id(query) is not None:
        candidates.append(await users.get(query))
    candidates.append(await users.find_by_username(query))
    candidates.append(await users.find_by_email(query))
    candidates.append(await users.find_by_firebase_uid(query))
    found = {user.id: user for user in candidates if user is not None}
    if not found:
        raise UserNotFound(query)
    if len(found) > 1:
        raise AmbiguousUser(query, [str(user_id) for user_id in found])
    return next(iter(found.values()))


def user_public_view(user: UserRecord) -> dict[str, Any]:
    """What operators see of a user: never a password hash or anything else."""
    return {
        "id": user.uid,
        "username": user.username,
        "email": user.email,
        "firebase_uid": user.firebase_uid,
        "name": user.name,
        "is_active": user.is_active,
        "apps": [
            {
                "app_id": entry.app_id,
                "role": entry.role,
                "plan": entry.plan,
                "joined_at": entry.joined_at.isoformat() if entry.joined_at else None,
            }
            for entry in user.apps
        ],
    }


#: Records one event of an operation: ``(event, *, app_id, user_id, **details)``. The CLI's
#: is the audit log's ``record`` (stored at once); ``trachea.users``' is the instance's
#: auditor (which also feeds ``on_event``).
Recorder = Callable[..., Awaitable[None]]


async def set_user_role(database: Any, query: str, app_id: str, role: str) -> UserRecord:
    """Set the user's role in one app, leaving their other apps untouched.

    Access tokens issued before keep the old role until they expire. Raises ``ValueError``
    for an unknown role, :class:`UserNotFound` and :class:`NotAMember`.
    """
    check_role(role)
    user = await find_user(database, query)
    store = Store(database)
    return await change_role(store, user, app_id, role, recorder=store.audit.record, actor="cli")


async def set_user_plan(database: Any, query: str, app_id: str, plan: str) -> UserRecord:
    """Set the user's plan in one app, leaving their other apps untouched.

    A paid plan needs an email on the account (contract §4, as for ``PATCH /users/me/plan``).
    Raises ``ValueError`` for an unknown plan, :class:`EmailRequiredForPaidPlan`,
    :class:`UserNotFound` and :class:`NotAMember`.
    """
    check_plan(plan)
    user = await find_user(database, query)
    store = Store(database)
    return await change_plan(store, user, app_id, plan, recorder=store.audit.record, actor="cli")


async def deactivate_user(database: Any, query: str) -> tuple[UserRecord, int]:
    """Deactivate the user: no more sign-ins, and every session in every app ends (one write).

    Returns the updated user and how many live sessions ended. Raises :class:`UserNotFound`.
    """
    user = await find_user(database, query)
    store = Store(database)
    return await deactivate(store, user, recorder=store.audit.record, app_id=None, actor="cli")


async def reactivate_user(database: Any, query: str) -> UserRecord:
    """Let a deactivated user sign in again (no ended session comes back)."""
    user = await find_user(database, query)
    store = Store(database)
    return await reactivate(store, user, recorder=store.audit.record, app_id=None, actor="cli")


async def user_sessions(
    database: Any, query: str, app_id: str | None = None
) -> tuple[UserRecord, list[SessionRecord]]:
    """The user's live sessions, in one app or (``app_id=None``) in every app, newest first.
    Raises :class:`UserNotFound`."""
    user = await find_user(database, query)
    store = Store(database)
    apps = [app_id] if app_id else [entry.app_id for entry in user.apps]
    now = store.clock.now()
    found: list[SessionRecord] = []
    for one_app in apps:
        for session in await store.sessions.live_of(user.id, one_app):
            if why_not_live(session, user, one_app, now) is None:
                found.append(session)
    found.sort(key=lambda session: session.auth_time, reverse=True)
    return user, found


async def end_user_sessions(database: Any, query: str) -> tuple[UserRecord, int]:
    """End every session of the user in every app (one write); how many were live.
    Raises :class:`UserNotFound`."""
    user = await find_user(database, query)
    store = Store(database)
    return await end_sessions(store, user, recorder=store.audit.record, app_id=None, actor="cli")


async def erase_user(database: Any, query: str) -> UserRecord:
    """Erase the person's data (contract §9); returns the user as they were. The Firebase user
    is not deleted here (that needs the app's Firebase credentials: ``trachea.users.erase``
    with ``erase_firebase_user`` does it). Raises :class:`UserNotFound`."""
    user = await find_user(database, query)
    store = Store(database)
    await erase(store, user, recorder=store.audit.record, app_id=None, actor="cli")
    return user


# -- the operations themselves, on a user already found: the CLI's and trachea.users' ------------


def check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")


def check_plan(plan: str) -> None:
    if plan not in PLANS:
        raise ValueError(f"plan must be one of {', '.join(PLANS)}")


async def change_role(
    store: Store, user: UserRecord, app_id: str, role: str, *, recorder: Recorder, actor: str
) -> UserRecord:
    """The user's role in ``app_id`` (one positional update); :class:`NotAMember`."""
    check_role(role)
    return await _set_membership(store, user, app_id, "role", role, recorder, actor)


async def change_plan(
    store: Store, user: UserRecord, app_id: str, plan: str, *, recorder: Recorder, actor: str
) -> UserRecord:
    """The user's plan in ``app_id``; a paid plan needs an email on the account (§4)."""
    check_plan(plan)
    if plan != PLANS[0] and not user.email:
        raise EmailRequiredForPaidPlan(user.uid)
    return await _set_membership(store, user, app_id, "plan", plan, recorder, actor)


async def _set_membership(
    store: Store,
    user: UserRecord,
    app_id: str,
    name: str,
    value: str,
    recorder: Recorder,
    actor: str,
) -> UserRecord:
    membership = user.membership(app_id)
    updated = await store.users.set_membership_fields(user.id, app_id, {name: value})
    if updated is None:
        raise NotAMember(user.uid, app_id)
    await recorder(
        f"{name}_changed",
        app_id=app_id,
        user_id=updated.id,
        old=getattr(membership, name) if membership else None,
        new=value,
        actor=actor,
    )
    return updated


async def deactivate(
    store: Store, user: UserRecord, *, recorder: Recorder, app_id: str | None, actor: str
) -> tuple[UserRecord, int]:
    """Deactivate the account (its sessions end in the same write); the user and how many
    live sessions ended. ``app_id``: the app recording it (``None``: an operator, account-wide)."""
    live = await _count_live_sessions(store, user)
    updated = await lifecycle.deactivate_account(store, user.id)
    if updated is None:  # removed meanwhile
        raise UserNotFound(user.uid)
    await recorder(
        "deactivated", app_id=app_id, user_id=updated.id, actor=actor, sessions_ended=live
    )
    return updated, live


async def reactivate(
    store: Store, user: UserRecord, *, recorder: Recorder, app_id: str | None, actor: str
) -> UserRecord:
    updated = await lifecycle.reactivate_account(store, user.id)
    if updated is None:
        raise UserNotFound(user.uid)
    await recorder("reactivated", app_id=app_id, user_id=updated.id, actor=actor)
    return updated


async def end_sessions(
    store: Store, user: UserRecord, *, recorder: Recorder, app_id: str | None, actor: str
) -> tuple[UserRecord, int]:
    live = await _count_live_sessions(store, user)
    updated = await lifecycle.end_account_sessions(store, user.id)
    if updated is None:
        raise UserNotFound(user.uid)
    await recorder(
        "session_ended",
        app_id=app_id,
        user_id=user.id,
        actor=actor,
        reason="all_sessions",
        count=live,
    )
    return updated, live


async def erase(
    store: Store,
    user: UserRecord,
    *,
    recorder: Recorder,
    app_id: str | None,
    actor: str,
    firebase: FirebaseVerifier | None = None,
    flush_audit: lifecycle.AuditFlush | None = None,
) -> None:
    """Erase the person's data; ``firebase`` (when given) also deletes their Firebase user.
    ``flush_audit``: the instance's audit queue, stored before the scrub (``trachea.users``;
    the CLI's process has none)."""
    if not await lifecycle.erase_account(
        store, user.id, firebase=firebase, flush_audit=flush_audit
    ):
        raise UserNotFound(user.uid)
    await recorder("erased", app_id=app_id, user_id=user.id, actor=actor)


async def _count_live_sessions(store: Store, user: UserRecord) -> int:
    now = store.clock.now()
    count = 0
    for entry in user.apps:
        for session in await store.sessions.live_of(user.id, entry.app_id):
            count += why_not_live(session, user, entry.app_id, now) is None
    return count
