"""The migration's decisions as tables: identifiers and their conflicts, what one user document
needs, and the fate of each 0.1.x refresh token (``trachea_login/migrate/``)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from bson import ObjectId

from trachea_login.identifiers import normalise_identifier
from trachea_login.migrate.identifiers import (
    comparison_key,
    document_changes,
    plan_identifiers,
    readable_date,
)
from trachea_login.migrate.legacy import LegacyToken, Person
from trachea_login.migrate.tokens import (
    Directory,
    TokenFate,
    carried_session,
    judge_legacy_token,
    legacy_session_id,
)

NOW = datetime(2027, 1, 1, tzinfo=timezone.utc)
DAY = timedelta(days=1)


def person(
    username=None, email=None, firebase_uid=None, *, provider=None, password=True, active=True
):
    return Person(
        id=ObjectId(),
        username=username,
        email=email,
        firebase_uid=firebase_uid,
        provider=provider or ("username" if password else "google"),
        is_active=active,
        has_password=password,
        plans=(("app1", "free"),),
    )


def token(identifier=None, firebase_uid=None, *, revoked=False, age=1, life=30, app_id="app1"):
    created = NOW - age * DAY
    return LegacyToken(
        id=ObjectId(),
        token_hash="ab" * 32,
        app_id=app_id,
        firebase_uid=firebase_uid,
        identifier=identifier,
        revoked=revoked,
        created_at=created,
        expires_at=created + life * DAY,
    )


@pytest.mark.parametrize(
    ("values", "collide"),
    [
        (("alice", "Alice"), True),
        (("ren\u00e9", "rene\u0301"), True),  # NFC and NFD
        (("\uff41lice", "alice"), True),  # fullwidth a: NFKC
        (("straße", "STRASSE"), True),  # case folding, not lower()
        (("alice", "alicia"), False),
    ],
)
def test_usernames_collide_when_they_are_one_identifier(values, collide):
    people = [person(username=value) for value in values]
    plan = plan_identifiers(people)
    kinds = [conflict.kind for conflict in plan.conflicts]
    assert (kinds == ["username_collision"]) is collide
    if collide:
        assert plan.usernames == {} and not plan.blocking  # nobody changed, nothing guessed
    assert (comparison_key(values[0]) == comparison_key(values[1])) is collide


def test_identifiers_that_collide_with_nothing_are_stored_as_this_version_stores_them():
    mary, heidi = person(username="Mary Ann"), person(email="Heidi.FB@Example.com", password=False)
    plan = plan_identifiers([mary, heidi])
    assert plan.usernames == {mary.id: "mary ann"} and plan.emails == {
        heidi.id: "heidi.fb@example.com"
    }
    assert [(c.old, c.new) for c in plan.sub_changes] == [("Mary Ann", "mary ann")]
    assert [notice.kind for notice in plan.notices] == ["username_not_registrable"]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Straße", "strasse"),  # case folding, not lower()
        ("\uff21lice", "alice"),  # fullwidth A: NFKC
        ("Rene\u0301", "ren\u00e9"),  # NFD: composed
    ],
)
def test_a_lone_identifier_is_stored_in_the_form_the_routes_look_it_up(typed, stored):
    """Migrated names must be found by what a user types: the login normalises it with
    ``normalise_identifier``, so the migration stores exactly that form."""
    user, member = person(username=typed), person(email=f"{typed}@example.com")
    plan = plan_identifiers([user, member])
    assert plan.usernames == {user.id: stored} == {user.id: normalise_identifier(typed.upper())}
    assert plan.emails == {member.id: f"{stored}@example.com"}


def test_a_native_and_a_firebase_account_with_one_email_in_two_cases_collide():
    native = person(email="Dave@Example.com")
    google = person(email="dave@example.com", firebase_uid="g-dave", password=False)
    plan = plan_identifiers([native, google])
    assert [(c.kind, set(c.ids)) for c in plan.conflicts] == [
        ("email_collision", {str(native.id), str(google.id)})
    ]
    assert plan.emails == {}


def test_exact_duplicates_block_the_whole_migration():
    plan = plan_identifiers([person(username="bob"), person(username="bob")])
    assert plan.blocking and plan.conflicts[0].kind == "username_collision"
    uids = plan_identifiers([person(firebase_uid="u1"), person(firebase_uid="u1")])
    assert uids.blocking and uids.conflicts[0].kind == "firebase_uid_collision"


@pytest.mark.parametrize(
    ("account", "kind"),
    [
        (dict(email="hank_at_example"), "conflict"),  # its only sign-in name
        (dict(email="hank_at_example", username="hank"), "notice"),
        (dict(email="not an email", firebase_uid="x", password=False), "notice"),
    ],
)
def test_an_invalid_email_is_a_conflict_only_where_it_is_the_only_way_in(account, kind):
    plan = plan_identifiers([person(**account)])
    found = [c.kind for c in plan.conflicts] + [
        n.kind for n in plan.notices if n.kind == "invalid_email"
    ]
    assert found == ["invalid_email"]
    assert bool(plan.conflicts) is (kind == "conflict")
    assert plan.emails == {}


def test_a_username_that_is_another_accounts_email_shares_its_sub():
    olga = person(username="olga@example.com")
    other = person(email="Olga@Example.com")
    plan = plan_identifiers([olga, other])
    assert [c.kind for c in plan.conflicts] == ["sub_collision"]


def test_a_user_document_loses_nulls_and_empties_and_keeps_the_rest():
    doc = {
        "_id": 1,
        "username": "lena",
        "email": None,
        "firebase_uid": "",
        "name": "Lena",
        "avatar": None,
        "date_of_birth": "1990-02-30",
    }
    plan = plan_identifiers([])
    changes = document_changes(doc, plan)
    assert changes is not None
    assert set(changes.unset) == {"email", "avatar", "firebase_uid", "date_of_birth"}
    assert changes.set == {"legacy_date_of_birth": "1990-02-30"}
    assert changes.guard == {
        "email": None,
        "avatar": None,
        "firebase_uid": "",
        "date_of_birth": "1990-02-30",
    }
    migrated = {"_id": 1, "username": "lena", "name": "Lena", "date_of_birth": "1990-02-03"}
    assert document_changes(migrated, plan) is None


@pytest.mark.parametrize(
    ("value", "readable"),
    [
        ("1990-02-03", True),
        ("1990-02-30", False),
        ("03/02/1990", False),
        ("", False),
        (None, False),
    ],
)
def test_only_iso_dates_are_readable_as_dates_of_birth(value, readable):
    assert readable_date(value) is readable


ACTIVE = person(username="alice")


@pytest.mark.parametrize(
    ("presented", "owners", "fate"),
    [
        (token("alice"), [ACTIVE], TokenFate.SESSION),
        (token("alice", revoked=True), [ACTIVE], TokenFate.REVOKED),
        (token("alice", age=31), [ACTIVE], TokenFate.EXPIRED),
        (token("alice", age=8, life=7), [ACTIVE], TokenFate.EXPIRED),  # kiosk: 7-day tokens
        (token("alice", app_id="nope"), [ACTIVE], TokenFate.UNKNOWN_APP),
        (token("gone"), [], TokenFate.NO_USER),
        (token("dan"), [person(username="dan", active=False)], TokenFate.INACTIVE_USER),
        (token("x"), [ACTIVE, person(email="x@y.z")], TokenFate.AMBIGUOUS),
    ],
)
def test_the_fate_of_a_0_1_x_refresh_token(presented, owners, fate):
    judged = judge_legacy_token(
        presented, owners, app_ids=frozenset({"app1"}), now=NOW, max_lifetime=90 * DAY
    )
    assert judged is fate


def test_a_session_never_outlives_its_absolute_lifetime_from_the_tokens_issue():
    old = token("alice", age=20)
    assert (
        judge_legacy_token(
            old, [ACTIVE], app_ids=frozenset({"app1"}), now=NOW, max_lifetime=10 * DAY
        )
        is TokenFate.EXPIRED
    )
    session = carried_session(token("alice", age=5), ACTIVE, 10 * DAY)
    assert session.expires_at == session.auth_time + 10 * DAY
    assert session.refresh_expires_at == session.expires_at  # the earlier of the two ends


def test_tokens_find_their_owner_exactly_first_then_as_an_identifier():
    nfc, nfd = person(username="ren\u00e9"), person(username="rene\u0301")
    larry = person(username="long_larry")
    carol = person(email="carol@example.com")
    google = person(firebase_uid="g-1", password=False, provider="google")
    directory = Directory.of([nfc, nfd, larry, carol, google])
    assert directory.owners_of(token("ren\u00e9")) == [nfc]  # exact wins over the collision
    assert directory.owners_of(token("rene\u0301")) == [nfd]
    assert directory.owners_of(token("Long_Larry")) == [larry]  # a rerun after normalising
    assert directory.owners_of(token("carol@example.com")) == [carol]
    assert directory.owners_of(token(firebase_uid="g-1")) == [google]
    assert directory.owners_of(token(firebase_uid="g-2")) == []
    assert len(directory.owners_of(token("RENÉ"))) == 2  # no exact match: ambiguous


def test_a_carried_session_keeps_the_method_0_1_x_recorded():
    bob = person(email="bob@example.com", firebase_uid="g-bob")  # native, linked by Google
    assert carried_session(token(firebase_uid="g-bob"), bob, DAY * 90).provider == "username"
    grace = person(firebase_uid="g-grace", password=False, provider="google")
    assert carried_session(token(firebase_uid="g-grace"), grace, DAY * 90).provider == "google"
    app2 = carried_session(token("bob@example.com", app_id="app2"), bob, DAY * 90)
    assert app2.provider == "username" and app2.joins_app  # 0.1.x never recorded app2


def test_a_carried_session_id_derives_from_its_token_and_looks_like_ours():
    first, second = legacy_session_id("ab" * 32), legacy_session_id("cd" * 32)
    assert first == legacy_session_id("ab" * 32) != second
    assert len(first) == 32 and int(first, 16) >= 0
