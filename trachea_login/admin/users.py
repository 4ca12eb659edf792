"""Operator operations on users: find, set role or plan in one app, deactivate, reactivate,
list and end sessions, erase. What ``trachea-login users ...`` does, without HTTP; the account
life cycle itself is :mod:`trachea_login.services.lifecycle`, shared with the HTTP routes."""

from __future__ import annotations

from typing import Any

from ..levels import PLANS, ROLES
from ..records import SessionRecord, UserRecord
from ..services import lifecycle
from ..services.sessions import why_not_live
from ..store import Store, object_id
from .errors import AmbiguousUser, NotAMember, UserNotFound


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


async def set_user_role(database: Any, query: str, app_id: str, role: str) -> UserRecord:
    """Set the user's role in one app, leaving their other apps untouched.

    Access tokens issued before keep the old role until they expire. Raises ``ValueError``
    for an unknown role, :class:`UserNotFound` and :class:`NotAMember`.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    user = await find_user(database, query)
    return await _set_membership(database, user, app_id, "role", role)


async def set_user_plan(database: Any, query: str, app_id: str, plan: str) -> UserRecord:
    """Set the user's plan in one app, leaving their other apps untouched.

    A paid plan needs an email on the account (contract §4, as for ``PATCH /users/me/plan``).
    Raises ``ValueError`` for an unknown plan or a paid plan without email,
    :class:`UserNotFound` and :class:`NotAMember`.
    """
    if plan not in PLANS:
        raise ValueError(f"plan must be one of {', '.join(PLANS)}")
    user = await find_user(database, query)
    if plan != PLANS[0] and not user.email:
        raise ValueError(f"user {user.uid} has no email; a paid plan needs one")
    return await _set_membership(database, user, app_id, "plan", plan)


async def _set_membership(
    database: Any, user: UserRecord, app_id: str, name: str, value: str
) -> UserRecord:
    store = Store(database)
    membership = user.membership(app_id)
    updated = await store.users.set_membership_fields(user.id, app_id, {name: value})
    if updated is None:
        raise NotAMember(user.uid, app_id)
    await store.audit.record(
        f"{name}_changed",
        app_id=app_id,
        user_id=updated.id,
        old=getattr(membership, name) if membership else None,
        new=value,
        actor="cli",
    )
    return updated


async def deactivate_user(database: Any, query: str) -> tuple[UserRecord, int]:
    """Deactivate the user: no more sign-ins, and every session in every app ends (one write).

    Returns the updated user and how many live sessions ended. Raises :class:`UserNotFound`.
    """
    user = await find_user(database, query)
    store = Store(database)
    live = await _count_live_sessions(store, user)
    updated = await lifecycle.deactivate_account(store, user.id)
    if updated is None:  # removed meanwhile
        raise UserNotFound(query)
    await store.audit.record(
        "user_deactivated", app_id=None, user_id=updated.id, actor="cli", sessions_ended=live
    )
    return updated, live


async def reactivate_user(database: Any, query: str) -> UserRecord:
    """Let a deactivated user sign in again (no ended session comes back)."""
    user = await find_user(database, query)
    store = Store(database)
    updated = await lifecycle.reactivate_account(store, user.id)
    if updated is None:
        raise UserNotFound(query)
    await store.audit.record("user_reactivated", app_id=None, user_id=updated.id, actor="cli")
    return updated


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
    live = await _count_live_sessions(store, user)
    updated = await lifecycle.end_account_sessions(store, user.id)
    if updated is None:
        raise UserNotFound(query)
    await store.audit.record(
        "session_ended", app_id=None, user_id=user.id, actor="cli", reason="operator", count=live
    )
    return updated, live


async def erase_user(database: Any, query: str) -> UserRecord:
    """Erase the person's data (contract §9); returns the user as they were. The Firebase user
    is not deleted here (that needs the app's Firebase credentials: ``trachea.users.erase``
    with ``erase_firebase_user`` does it). Raises :class:`UserNotFound`."""
    user = await find_user(database, query)
    store = Store(database)
    if not await lifecycle.erase_account(store, user.id):
        raise UserNotFound(query)
    await store.audit.record("erased", app_id=None, user_id=user.id, actor="cli")
    return user


async def _count_live_sessions(store: Store, user: UserRecord) -> int:
    now = store.clock.now()
    count = 0
    for entry in user.apps:
        for session in await store.sessions.live_of(user.id, entry.app_id):
            count += why_not_live(session, user, entry.app_id, now) is None
    return count
