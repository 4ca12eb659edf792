"""Profile fields are typed strictly (contract §4): no Unix timestamps for dates, no trailing
newline smuggled past a ``$`` anchor, no number where a string belongs. Each refused value is a
422 ``VALIDATION_ERROR`` that changes nothing."""

from __future__ import annotations

import pytest

from ..conftest import assert_error, bearer, raw_user


@pytest.mark.parametrize(
    "change",
    [
        {"date_of_birth": 631152000},  # a Unix timestamp (1990-01-01)
        {"date_of_birth": 631152000.5},
        {"date_of_birth": "631152000"},  # the same, as a string
        {"date_of_birth": "1990-01-01T00:00:00"},  # a datetime at midnight
        {"date_of_birth": "1990-01-01\n"},
        {"date_of_birth": "19900101"},
        {"date_of_birth": "1990-02-30"},
        {"phone": "+14155550123\n"},
        {"phone": 14155550123},
        {"avatar": "https://example.com/a.png\n"},
        {"avatar": "https://example.com/a b.png"},
        {"name": 42},
        {"name": ["Alice"]},
        {"address": {"city": 75001}},
        {"address": {"zip": 75001}},
        {"address": "1 rue de Rivoli, Paris"},
    ],
    ids=[
        "dob-unix-timestamp",
        "dob-float-timestamp",
        "dob-timestamp-string",
        "dob-datetime",
        "dob-trailing-newline",
        "dob-basic-format",
        "dob-no-such-day",
        "phone-trailing-newline",
        "phone-number",
        "avatar-trailing-newline",
        "avatar-space",
        "name-number",
        "name-list",
        "city-number",
        "zip-number",
        "address-string",
    ],
)
async def test_loosely_typed_profile_values_are_422_and_change_nothing(serve, change):
    served = await serve()
    tokens = await served.register_user("alice")
    before = await raw_user(served, username="alice")
    response = await served.client.patch(
        "/auth/users/me", json=change, headers=bearer(tokens["access_token"])
    )
    assert_error(response, 422, "VALIDATION_ERROR")
    assert await raw_user(served, username="alice") == before


async def test_an_iso_date_in_the_past_is_accepted(serve):
    served = await serve()
    tokens = await served.register_user("alice")
    response = await served.client.patch(
        "/auth/users/me",
        json={"date_of_birth": "1990-01-01", "phone": "+14155550123"},
        headers=bearer(tokens["access_token"]),
    )
    assert response.status_code == 200
    assert response.json()["date_of_birth"] == "1990-01-01"
