"""When a session is live (services/sessions.py ``why_not_live``), as a table, and the sign-in
time of a new session (``sign_in_time``)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from bson import ObjectId

from trachea_login.records import Membership, SessionRecord, UserRecord
from trachea_login.services.sessions import sign_in_time, why_not_live

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
SIGNED_IN = NOW - timedelta(hours=1)
USER_ID = ObjectId()


def session(**changes) -> SessionRecord:
    fields = {
        "session_id": "a" * 32,
        "user_id": USER_ID,
        "app_id": "app1",
        "provider": "username",
        "auth_time": SIGNED_IN,
        "expires_at": SIGNED_IN + timedelta(days=90),
        "refresh_hash": "h",
        "refresh_expires_at": NOW + timedelta(days=30),
        "last_used_at": SIGNED_IN,
    }
    fields.update(changes)
    return SessionRecord(**fields)


def user(app_cutoff=None, **changes) -> UserRecord:
    fields = {
        "id": USER_ID,
        "username": "alice",
        "apps": (Membership("app1", sessions_valid_after=app_cutoff), Membership("app2")),
    }
    fields.update(changes)
    return UserRecord(**fields)


BEFORE, AFTER = SIGNED_IN - timedelta(minutes=1), SIGNED_IN + timedelta(minutes=1)

ROWS = [
    ("live", session(), user(), None),
    ("no session", None, user(), "unknown session"),
    ("another app's session", session(app_id="app2"), user(), "unknown session"),
    ("no user", session(), None, "no such account"),
    ("another user's session", session(), user(id=ObjectId()), "no such account"),
    ("erased", session(), user(erased_at=NOW), "no such account"),
    ("deactivated", session(), user(is_active=False), "account deactivated"),
    ("ended", session(ended_at=NOW), user(), "session ended"),
    ("idle timeout", session(refresh_expires_at=NOW), user(), "session expired"),
    ("absolute lifetime", session(expires_at=NOW), user(), "session expired"),
    ("not a member", session(), user(apps=()), "not a member of this app"),
    ("logout after sign-in", session(), user(app_cutoff=AFTER), "signed out in this app"),
    ("logout at sign-in", session(), user(app_cutoff=SIGNED_IN), "signed out in this app"),
    ("logout before sign-in", session(), user(app_cutoff=BEFORE), None),
    (
        "account ended after sign-in",
        session(),
        user(sessions_valid_after=AFTER),
        "signed out of the account",
    ),
    ("account ended before sign-in", session(), user(sessions_valid_after=BEFORE), None),
    (
        "password changed by this session",
        session(),
        user(sessions_valid_after=AFTER, session_spared="a" * 32),
        None,
    ),
    (
        "password changed by another session",
        session(),
        user(sessions_valid_after=AFTER, session_spared="b" * 32),
        "signed out of the account",
    ),
    (
        "the spared session is still ended by a logout",
        session(),
        user(app_cutoff=AFTER, sessions_valid_after=BEFORE, session_spared="a" * 32),
        "signed out in this app",
    ),
]


@pytest.mark.parametrize(("case", "one", "owner", "reason"), ROWS, ids=[r[0] for r in ROWS])
def test_why_not_live(case, one, owner, reason):
    assert why_not_live(one, owner, "app1", NOW) == reason


def test_a_new_session_signs_in_after_every_cutoff_the_record_shows():
    plain = user()
    assert sign_in_time(plain, "app1", NOW) == NOW
    ended_now = user(sessions_valid_after=NOW)  # a takeover defence in this very sign-in
    started = sign_in_time(ended_now, "app1", NOW)
    assert started > NOW
    fresh = session(auth_time=started)
    assert why_not_live(fresh, ended_now, "app1", NOW + timedelta(seconds=1)) is None
    logged_out_later = user(app_cutoff=NOW + timedelta(seconds=3))  # a clock behind another's
    assert sign_in_time(logged_out_later, "app1", NOW) > NOW + timedelta(seconds=3)
