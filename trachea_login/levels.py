"""Roles and plans: the two ordered levels a user holds in each app (contract §2).

A user's entry in ``apps[]`` holds one role and one plan. ``require_role(role=..., plan=...)``
asks for a minimum level, so both are ordered from least to most.
"""

from __future__ import annotations

#: Roles, from least to most privileged.
ROLES: tuple[str, ...] = ("guest", "member", "admin")

#: Plans, from least to most.
PLANS: tuple[str, ...] = ("free", "pro", "enterprise")

#: Plans that need an email on the account (contract §4).
PAID_PLANS: tuple[str, ...] = ("pro", "enterprise")


def _at_least(levels: tuple[str, ...], kind: str, actual: object, required: str) -> bool:
    if required not in levels:
        # A typo in a product app's ``require_role(...)`` must fail loudly, not deny everyone.
        raise ValueError(f"unknown {kind} {required!r}; expected one of {', '.join(levels)}")
    if not isinstance(actual, str) or actual not in levels:
        return False
    return levels.index(actual) >= levels.index(required)


def role_at_least(actual: object, required: str) -> bool:
    """Whether ``actual`` is ``required`` or a higher role; an unknown ``actual`` is ``False``.

    Raises ``ValueError`` when ``required`` is not one of :data:`ROLES`.
    """
    return _at_least(ROLES, "role", actual, required)


def plan_at_least(actual: object, required: str) -> bool:
    """Whether ``actual`` is ``required`` or a higher plan; an unknown ``actual`` is ``False``.

    Raises ``ValueError`` when ``required`` is not one of :data:`PLANS`.
    """
    return _at_least(PLANS, "plan", actual, required)
