"""``trachea_login.migrate.from_0_1`` on databases written by trachea-login 0.1.x's own code
(tests/legacy/): what it changes, what it reports, and that it is idempotent, writes nothing in
a dry run, and is finished by a rerun after an interruption anywhere.

Runs on the embedded database, and on a real MongoDB with ``TRACHEA_TEST_MONGO_URI`` (which also
checks that our indexes can be created once 0.1.x's are gone: mongomock does not compare them).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from bson import ObjectId

from tests.legacy.fixtures import load_legacy_database
from tests.migration_helpers import (
    NOW,
    FailingDatabase,
    FixedClock,
    InjectedFailure,
    snapshot,
)
from trachea_login.migrate import from_0_1, legacy_signs
from trachea_login.migrate.apps import expected_indexes
from trachea_login.migrate.tokens import legacy_session_id
from trachea_login.store import Store

LEGACY_INDEX_NAMES = {
    "username_1",
    "email_1",
    "firebase_uid_1",
    "apps.app_id_1",
    "app_id_1",
    "token_hash_1",
    "expires_at_1",
}


async def migrate(database: Any, *, dry_run: bool = False) -> Any:
    return await from_0_1(database, dry_run=dry_run, clock=FixedClock())


@pytest.fixture
async def legacy(database):
    """The 0.1.9 fixture as of NOW, its expired token kept (no TTL index)."""
    return await load_legacy_database(database, now=NOW, ttl_index=False)


@pytest.fixture
async def other_database(mongo_client):
    """A second empty database on the same server, dropped afterwards."""
    names = []

    def make() -> Any:
        names.append(f"trachea_test_{uuid.uuid4().hex[:12]}")
        return mongo_client[names[-1]]

    yield make
    for name in names:
        await mongo_client.drop_database(name)


def _conflict(report: Any, kind: str) -> list[set[str]]:
    return [set(conflict.ids) for conflict in report.conflicts if conflict.kind == kind]


def _ids(legacy: Any, *labels: str) -> set[str]:
    return {str(legacy.user(label).id) for label in labels}


async def test_the_report_counts_each_change_of_the_fixture(database, legacy):
    report = await migrate(database)
    assert not report.dry_run and not report.blocked
    changes = report.to_dict()["changes"]
    live = [t for t in legacy.tokens("live") if t.label != "gone-register"]
    inactive = {"dan-0.1.3-register", "mallory-refreshed-while-inactive"}
    carried = [t for t in live if t.label not in inactive]
    assert changes["sessions_created"] == len(carried) == changes["tokens_converted"]
    assert changes["tokens_removed_revoked"] == len(legacy.tokens("revoked"))
    assert changes["tokens_removed_expired"] == len(legacy.tokens("expired")) == 1
    assert changes["tokens_removed_no_user"] == 1  # gone was deleted by DELETE /users/me
    assert changes["tokens_removed_inactive_user"] == 2
    assert changes["apps_converted"] == 4
    assert changes["indexes_dropped"] == len(LEGACY_INDEX_NAMES) - 1  # loaded without the TTL
    assert changes["null_fields_removed"] == 26  # every 0.1.x document had null profile fields
    assert changes["empty_identifiers_removed"] == 1  # phone-user's email ""
    assert changes["usernames_normalised"] == 1  # Mary Ann
    assert changes["emails_normalised"] == 1  # Heidi.FB@Example.com
    assert changes["dates_of_birth_set_aside"] == 1  # carol's 1990-02-30
    assert report.scanned == {"users": 26, "apps": 4, "refresh_tokens": 39}


async def test_collisions_and_unusable_identifiers_are_reported_with_the_ids(database, legacy):
    report = await migrate(database)
    assert _conflict(report, "username_collision") == [
        _ids(legacy, "alice", "Alice"),
        _ids(legacy, "rene-nfc", "rene-nfd"),
    ]
    assert _conflict(report, "email_collision") == [
        _ids(legacy, "carol", "Carol"),
        _ids(legacy, "dave-native", "dave-google"),
    ]
    assert _conflict(report, "invalid_email") == [_ids(legacy, "hank-invalid-email")]
    assert len(report.conflicts) == 5
    kinds = {notice.kind for notice in report.notices}
    assert {"username_not_registrable", "phone_method", "app_secret_plain_bcrypt"} <= kinds
    assert {"paid_plans_review", "linked_accounts", "emails_unproven"} <= kinds


async def test_documents_in_a_conflict_are_left_exactly_as_they_were(database, legacy):
    involved = _ids(legacy, "alice", "Alice", "carol", "Carol", "dave-native", "dave-google")
    involved |= _ids(legacy, "rene-nfc", "rene-nfd", "hank-invalid-email")
    before = {str(d["_id"]): d async for d in database["users"].find({})}
    await migrate(database)
    after = {str(d["_id"]): d async for d in database["users"].find({})}
    for user_id in involved:
        for field in ("username", "email", "password_hash", "apps"):
            assert after[user_id].get(field) == before[user_id].get(field), (user_id, field)


async def test_migrated_users_hold_no_nulls_and_identifiers_as_this_version_stores_them(
    database, legacy
):
    await migrate(database)
    users = [doc async for doc in database["users"].find({})]
    assert all(value is not None for doc in users for value in doc.values())
    assert all(doc.get("email") != "" for doc in users)
    mary = await database["users"].find_one({"_id": legacy.user("mary-ann").id})
    assert mary["username"] == "mary ann"
    carol = await database["users"].find_one({"_id": legacy.user("carol").id})
    assert "date_of_birth" not in carol and carol["legacy_date_of_birth"] == "1990-02-30"


async def test_live_tokens_become_sessions_holding_their_hash_and_0_1_x_tokens_are_gone(
    database, legacy
):
    await migrate(database)
    assert await database["refresh_tokens"].count_documents({}) == 0
    token = legacy.token("carol-login-late")
    session = await database["sessions"].find_one({"_id": legacy_session_id(token.token_hash)})
    assert session["user_id"] == legacy.user("carol").id
    assert session["refresh_hash"] == session["legacy_hash"] == token.token_hash
    assert session["provider"] == "username" and session["app_id"] == "app1"
    assert token.token not in str(session)
    grace = await database["sessions"].find_one(
        {"_id": legacy_session_id(legacy.token("grace-app2-login").token_hash)}
    )
    assert grace["provider"] == "google" and grace["app_id"] == "app2"


async def test_0_1_x_indexes_are_replaced_by_ours(database, legacy):
    assert await legacy_signs(database)
    await migrate(database)
    expected = await expected_indexes()
    for collection in ("users", "apps", "refresh_tokens", "sessions"):
        names = set(await database[collection].index_information())
        assert not names & LEGACY_INDEX_NAMES, collection
        assert expected[collection] <= names, collection
    assert await legacy_signs(database) == []


async def test_expected_indexes_are_the_ones_the_store_creates(database):
    await Store(database).ensure_indexes()
    for collection, names in (await expected_indexes()).items():
        assert set(await database[collection].index_information()) == names | {"_id_"}


async def test_a_second_run_changes_nothing(database, legacy):
    first = await migrate(database)
    state = await snapshot(database)
    second = await migrate(database)
    assert second.changed == 0
    assert await snapshot(database) == state
    assert second.conflicts == first.conflicts  # still there: left for the operator


async def test_a_dry_run_writes_nothing_and_reports_what_the_run_then_does(database, legacy):
    state = await snapshot(database)
    dry = await migrate(database, dry_run=True)
    assert dry.dry_run and dry.changed > 0
    assert await snapshot(database) == state
    real = await migrate(database)
    assert dry.to_dict()["changes"] == real.to_dict()["changes"]
    assert dry.conflicts == real.conflicts


async def test_a_run_interrupted_at_any_write_is_finished_by_a_rerun(database, other_database):
    await load_legacy_database(database, now=NOW, ttl_index=False)
    await migrate(database)
    finished = await snapshot(database)

    counter_db = other_database()
    await load_legacy_database(counter_db, now=NOW, ttl_index=False)
    counter = FailingDatabase(counter_db, fail_at=None)
    await migrate(counter)
    total = counter.writes  # 26 users, 27 sessions + 39 tokens, 6 + 14 indexes, 4 apps
    assert total == 26 + 27 + 39 + 6 + 14 + 4
    for fail_at in sorted({1, 2, total // 4, total // 2, 3 * total // 4, total - 1, total}):
        interrupted = other_database()
        await load_legacy_database(interrupted, now=NOW, ttl_index=False)
        with pytest.raises(InjectedFailure):
            await migrate(FailingDatabase(interrupted, fail_at=fail_at))
        # The service must not start on a half-migrated database: the apps go last.
        assert await legacy_signs(interrupted), fail_at
        await migrate(interrupted)
        assert await snapshot(interrupted) == finished, fail_at
        assert (await migrate(interrupted)).changed == 0, fail_at


async def test_exact_duplicates_block_the_migration_before_anything_is_written(database):
    # A 0.1.x deployment that never ran startup() has no unique index: exact duplicates exist.
    await database["apps"].insert_one({"app_id": "app1", "app_secret": "$2b$12$" + "x" * 53})
    first, second = ObjectId(), ObjectId()
    for user_id in (first, second):
        await database["users"].insert_one(
            {"_id": user_id, "username": "bob", "password_hash": "$2b$12$" + "y" * 53}
        )
    state = await snapshot(database)
    report = await migrate(database)
    assert report.blocked and report.changed == 0
    assert _conflict(report, "username_collision") == [{str(first), str(second)}]
    assert await snapshot(database) == state
    assert await legacy_signs(database)  # still refused at startup


async def test_a_database_of_this_version_is_left_alone(database):
    await Store(database).ensure_indexes()
    await database["users"].insert_one({"username": "zoe", "apps": []})
    state = await snapshot(database)
    report = await migrate(database)
    assert report.changed == 0 and report.conflicts == []
    assert await snapshot(database) == state
