"""What presenting a refresh token must do (services/refresh.py ``judge_refresh``), as a table
over what the store holds: the session, its user, and the retired token with that hash."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from bson import ObjectId

from trachea_login.records import (
    AppRecord,
    Membership,
    RetiredTokenRecord,
    SessionRecord,
    UserRecord,
)
from trachea_login.services.refresh import Verdict, judge_refresh

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
USER_ID = ObjectId()
SID = "a" * 32
APP = AppRecord(
    app_id="app1", name="App", secret_hash="x", allowed_auth_methods=("username", "google")
)
GOOGLE_ONLY = AppRecord(
    app_id="app1", name="App", secret_hash="x", allowed_auth_methods=("google",)
)
OWNER = UserRecord(id=USER_ID, username="alice", apps=(Membership("app1"),))
LOGGED_OUT = UserRecord(
    id=USER_ID, username="alice", apps=(Membership("app1", sessions_valid_after=NOW),)
)


def session(**changes) -> SessionRecord:
    fields = {
        "session_id": SID,
        "user_id": USER_ID,
        "app_id": "app1",
        "provider": "username",
        "auth_time": NOW - timedelta(days=1),
        "expires_at": NOW + timedelta(days=89),
        "refresh_hash": "current",
        "refresh_expires_at": NOW + timedelta(days=29),
        "last_used_at": NOW - timedelta(seconds=10),
        "previous_hash": "previous",
        "rotated_at": NOW - timedelta(seconds=10),
    }
    fields.update(changes)
    return SessionRecord(**fields)


def retired(token_hash: str, *, expired: bool = False, sid: str = SID) -> RetiredTokenRecord:
    return RetiredTokenRecord(
        token_hash=token_hash,
        session_id=sid,
        user_id=USER_ID,
        app_id="app1",
        rotated_at=NOW - timedelta(days=2),
        expires_at=NOW - timedelta(seconds=1) if expired else NOW + timedelta(days=20),
    )


NO_GRACE, GRACE = timedelta(0), timedelta(seconds=30)
UNKNOWN = "no retired token looked up yet"

ROWS = [
    # (case, session, user, presented, retired (UNKNOWN: not looked up), app, grace, verdict)
    ("current token, live", session(), OWNER, "current", UNKNOWN, APP, NO_GRACE, Verdict.ROTATE),
    ("no such session", None, None, "current", UNKNOWN, APP, NO_GRACE, Verdict.INVALID),
    (
        "another app's session",
        session(app_id="app2"),
        OWNER,
        "current",
        UNKNOWN,
        APP,
        NO_GRACE,
        Verdict.INVALID,
    ),
    (
        "current token, session logged out",
        session(),
        LOGGED_OUT,
        "current",
        UNKNOWN,
        APP,
        NO_GRACE,
        Verdict.INVALID,
    ),
    (
        "current token, session ended",
        session(ended_at=NOW),
        OWNER,
        "current",
        UNKNOWN,
        APP,
        NO_GRACE,
        Verdict.INVALID,
    ),
    (
        "current token, method no longer allowed",
        session(),
        OWNER,
        "current",
        UNKNOWN,
        GOOGLE_ONLY,
        NO_GRACE,
        Verdict.METHOD_NOT_ALLOWED,
    ),
    (
        "previous token within the grace window",
        session(),
        OWNER,
        "previous",
        UNKNOWN,
        APP,
        GRACE,
        Verdict.REISSUE,
    ),
    (
        "previous token after the grace window: look it up",
        session(rotated_at=NOW - timedelta(seconds=31)),
        OWNER,
        "previous",
        UNKNOWN,
        APP,
        GRACE,
        Verdict.ASK_RETIRED,
    ),
    (
        "previous token, no grace, retired",
        session(),
        OWNER,
        "previous",
        retired("previous"),
        APP,
        NO_GRACE,
        Verdict.REUSE,
    ),
    (
        "previous token, retirement not written yet (a concurrent rotation)",
        session(),
        OWNER,
        "previous",
        None,
        APP,
        NO_GRACE,
        Verdict.REUSE,
    ),
    (
        "previous token, retired and expired",
        session(),
        OWNER,
        "previous",
        retired("previous", expired=True),
        APP,
        NO_GRACE,
        Verdict.INVALID,
    ),
    (
        "older retired token",
        session(),
        OWNER,
        "older",
        retired("older"),
        APP,
        GRACE,
        Verdict.REUSE,
    ),
    (
        "older retired token, expired",
        session(),
        OWNER,
        "older",
        retired("older", expired=True),
        APP,
        NO_GRACE,
        Verdict.INVALID,
    ),
    (
        "retired token of the session, which has ended since (logout)",
        session(),
        LOGGED_OUT,
        "older",
        retired("older"),
        APP,
        NO_GRACE,
        Verdict.REUSE,
    ),
    (
        "a retired token of another session",
        session(),
        OWNER,
        "older",
        retired("older", sid="b" * 32),
        APP,
        NO_GRACE,
        Verdict.INVALID,
    ),
    ("an unknown token", session(), OWNER, "forged", None, APP, NO_GRACE, Verdict.INVALID),
    (
        "an unknown token: look it up first",
        session(),
        OWNER,
        "forged",
        UNKNOWN,
        APP,
        GRACE,
        Verdict.ASK_RETIRED,
    ),
    (
        "previous token of a dead session is not re-issued",
        session(),
        LOGGED_OUT,
        "previous",
        UNKNOWN,
        APP,
        GRACE,
        Verdict.ASK_RETIRED,
    ),
]


@pytest.mark.parametrize(
    ("case", "one", "owner", "presented", "old", "app", "grace", "verdict"),
    ROWS,
    ids=[row[0] for row in ROWS],
)
def test_judge_refresh(case, one, owner, presented, old, app, grace, verdict):
    looked_up = {} if old == UNKNOWN else {"retired": old, "retired_known": True}
    assert (
        judge_refresh(one, owner, presented, app=app, grace=grace, now=NOW, **looked_up) == verdict
    )
