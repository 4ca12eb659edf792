import pytest

from trachea_login.levels import PLANS, ROLES, plan_at_least, role_at_least


def test_roles_and_plans_are_ordered_from_least_to_most():
    assert ROLES == ("guest", "member", "admin")
    assert PLANS == ("free", "pro", "enterprise")


@pytest.mark.parametrize(
    ("actual", "required", "expected"),
    [
        ("guest", "guest", True),
        ("guest", "member", False),
        ("member", "member", True),
        ("member", "admin", False),
        ("admin", "member", True),
        ("admin", "guest", True),
    ],
)
def test_role_at_least_follows_the_order(actual, required, expected):
    assert role_at_least(actual, required) is expected


@pytest.mark.parametrize(
    ("actual", "required", "expected"),
    [
        ("free", "free", True),
        ("free", "pro", False),
        ("pro", "pro", True),
        ("pro", "enterprise", False),
        ("enterprise", "pro", True),
    ],
)
def test_plan_at_least_follows_the_order(actual, required, expected):
    assert plan_at_least(actual, required) is expected


@pytest.mark.parametrize("actual", [None, "", "Admin", "superuser", 3, ["admin"]])
def test_unknown_actual_role_is_never_enough(actual):
    assert role_at_least(actual, "guest") is False


@pytest.mark.parametrize("actual", [None, "Enterprise", "platinum"])
def test_unknown_actual_plan_is_never_enough(actual):
    assert plan_at_least(actual, "free") is False


def test_unknown_required_level_raises():
    with pytest.raises(ValueError, match="unknown role"):
        role_at_least("admin", "owner")
    with pytest.raises(ValueError, match="unknown plan"):
        plan_at_least("enterprise", "gold")
