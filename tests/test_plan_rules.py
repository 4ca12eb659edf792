"""The plan-change rules before any I/O (services/plans.py ``plan_change``), as a table: what a
request may ask for, in the documented order of refusals."""

from __future__ import annotations

import pytest
from bson import ObjectId

from trachea_login.errors import TracheaError
from trachea_login.records import UserRecord
from trachea_login.services.plans import PlanChange, plan_change

WITH_EMAIL = UserRecord(id=ObjectId(), email="alice@example.com")
WITHOUT_EMAIL = UserRecord(id=ObjectId())

ROWS = [
    # (case, user, plan, email in body, has policy, expected: a PlanChange or an error code)
    ("free, no policy", WITHOUT_EMAIL, "free", None, False, PlanChange("free")),
    ("paid, no policy", WITH_EMAIL, "pro", None, False, "PLAN_CHANGE_NOT_ALLOWED"),
    (
        "new email, no policy",
        WITHOUT_EMAIL,
        "free",
        "a@example.com",
        False,
        "PLAN_CHANGE_NOT_ALLOWED",
    ),
    (
        "own email again, no policy",
        WITH_EMAIL,
        "free",
        "alice@example.com",
        False,
        PlanChange("free"),
    ),
    ("paid with email on the account", WITH_EMAIL, "pro", None, True, PlanChange("pro")),
    ("paid without any email", WITHOUT_EMAIL, "enterprise", None, True, "EMAIL_REQUIRED_FOR_PAID"),
    (
        "paid with a new email",
        WITHOUT_EMAIL,
        "pro",
        "a@example.com",
        True,
        PlanChange("pro", new_email="a@example.com"),
    ),
    ("a second email", WITH_EMAIL, "pro", "other@example.com", True, "VALIDATION_ERROR"),
    (
        "paid with the account's own email",
        WITH_EMAIL,
        "pro",
        "alice@example.com",
        True,
        PlanChange("pro"),
    ),
    ("downgrade with a policy", WITH_EMAIL, "free", None, True, PlanChange("free")),
]


@pytest.mark.parametrize(
    ("case", "user", "plan", "email", "has_policy", "expected"), ROWS, ids=[r[0] for r in ROWS]
)
def test_plan_change_rules(case, user, plan, email, has_policy, expected):
    if isinstance(expected, PlanChange):
        assert plan_change(user, plan, email, has_policy=has_policy) == expected
    else:
        with pytest.raises(TracheaError) as refused:
            plan_change(user, plan, email, has_policy=has_policy)
        assert refused.value.code.value == expected
