"""The committed trachea-login 0.1.9 database (tests/legacy/) holds what the migration relies on.

The fixture was written by 0.1.x's own code; these tests load it with ``load_legacy_database`` into
a fresh database (embedded, or a real MongoDB with ``TRACHEA_TEST_MONGO_URI``) and check the facts
a migration builds on, using only ``bcrypt``, ``hashlib`` and the stored documents.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

import bcrypt
import pytest

from tests.legacy.fixtures import load_legacy_database

NOW = datetime(2027, 3, 14, 15, 9, 26, tzinfo=timezone.utc)


async def _documents(database: Any, collection: str) -> list[dict[str, Any]]:
    return [document async for document in database[collection].find({})]


def _naive(value: datetime) -> datetime:
    return value.astimezone(timezone.utc).replace(tzinfo=None)


async def test_every_native_password_verifies_with_plain_bcrypt_on_its_first_72_bytes(database):
    secrets = await load_legacy_database(database)
    checked = set()
    for user in secrets.users.values():
        if user.password is None or user.id is None:
            continue
        document = await database["users"].find_one({"_id": user.id})
        stored = document["password_hash"].encode("ascii")
        assert stored.startswith(b"$2b$12$"), user.label
        assert bcrypt.checkpw(user.password.encode("utf-8")[:72], stored), user.label
        checked.add(user.label)
    assert {"lena", "alice", "Alice", "long-larry", "amelie-nfd", "carol", "eve-long"} <= checked
    assert len(checked) == 20


async def test_long_passwords_were_hashed_from_their_first_72_bytes_only(database):
    secrets = await load_legacy_database(database)
    for label in ("long-larry", "eve-long"):
        user = secrets.user(label)
        document = await database["users"].find_one({"_id": user.id})
        stored = document["password_hash"].encode("ascii")
        typed = user.password.encode("utf-8")
        assert len(typed) > 72
        # Anything with the same first 72 bytes matched under 0.1.x.
        assert bcrypt.checkpw(typed[:72], stored)
        assert not bcrypt.checkpw(typed[:71], stored)


async def test_a_72_byte_prefix_can_end_inside_a_character(database):
    secrets = await load_legacy_database(database)
    prefix = secrets.user("eve-long").password.encode("utf-8")[:72]
    with pytest.raises(UnicodeDecodeError):
        prefix.decode("utf-8")


async def test_nfd_passwords_verify_only_as_typed_not_normalised(database):
    secrets = await load_legacy_database(database)
    for label in ("amelie-nfd", "noemi-nfd"):
        user = secrets.user(label)
        document = await database["users"].find_one({"_id": user.id})
        stored = document["password_hash"].encode("ascii")
        composed = unicodedata.normalize("NFC", user.password)
        assert composed != user.password
        assert bcrypt.checkpw(user.password.encode("utf-8")[:72], stored)
        assert not bcrypt.checkpw(composed.encode("utf-8")[:72], stored)


async def test_app_secrets_verify_with_plain_bcrypt_on_their_first_72_bytes(database):
    secrets = await load_legacy_database(database)
    apps = {app["app_id"]: app for app in await _documents(database, "apps")}
    assert set(apps) == set(secrets.apps) == {"app1", "app2", "kiosk", "retired"}
    for app_id, app in secrets.apps.items():
        stored = apps[app_id]["app_secret"].encode("ascii")
        assert stored.startswith(b"$2b$12$"), app_id
        assert bcrypt.checkpw(app.secret.encode("utf-8")[:72], stored), app_id
    assert len(secrets.apps["kiosk"].secret.encode("utf-8")) > 72
    assert apps["retired"]["is_active"] is False


async def test_each_stored_refresh_token_is_the_sha256_hex_of_a_recorded_token(database):
    secrets = await load_legacy_database(database, ttl_index=False)
    stored = {doc["token_hash"]: doc for doc in await _documents(database, "refresh_tokens")}
    recorded = {token.token_hash: token for token in secrets.refresh_tokens}
    assert set(stored) == set(recorded)
    for token_hash, token in recorded.items():
        assert hashlib.sha256(token.token.encode("ascii")).hexdigest() == token_hash
        # secrets.token_urlsafe(64): 64 random bytes in unpadded base64url.
        assert re.fullmatch(r"[A-Za-z0-9_-]{86}", token.token)
        assert stored[token_hash]["_id"] == token.id
        assert stored[token_hash]["app_id"] == token.app_id


async def test_token_states_hold_at_the_time_of_loading(database):
    secrets = await load_legacy_database(database, now=NOW, ttl_index=False)
    stored = {doc["_id"]: doc for doc in await _documents(database, "refresh_tokens")}
    loaded_at = _naive(secrets.loaded_at)
    seen = defaultdict(int)
    for token in secrets.refresh_tokens:
        document = stored[token.id]
        seen[token.state] += 1
        if token.state == "revoked":
            assert document["revoked"] is True
        else:
            assert document["revoked"] is False
            assert (document["expires_at"] > loaded_at) is (token.state == "live")
        lifetime = document["expires_at"] - document["created_at"]
        assert lifetime == timedelta(days=7 if token.app_id == "kiosk" else 30)
    assert seen["live"] >= 20 and seen["revoked"] >= 5 and seen["expired"] == 1


async def test_dates_move_so_that_generated_at_becomes_the_time_of_loading(database):
    secrets = await load_legacy_database(database, now=NOW, ttl_index=False)
    assert secrets.loaded_at == NOW
    late = secrets.token("carol-login-late")
    document = await database["refresh_tokens"].find_one({"_id": late.id})
    # Issued at 2026-05-31T20:00Z, four hours before the fixture's generated_at.
    assert document["created_at"] == _naive(NOW - timedelta(hours=4))


async def test_loaded_indexes_are_the_ones_0_1_9_creates(database):
    await load_legacy_database(database)

    def summary(info: dict[str, Any]) -> dict[str, tuple]:
        return {
            name: (
                tuple(field for field, _ in spec["key"]),
                bool(spec.get("unique")),
                bool(spec.get("sparse")),
                spec.get("expireAfterSeconds"),
            )
            for name, spec in info.items()
        }

    assert summary(await database["users"].index_information()) == {
        "_id_": (("_id",), False, False, None),
        "firebase_uid_1": (("firebase_uid",), True, True, None),
        "email_1": (("email",), True, True, None),
        "username_1": (("username",), True, True, None),
        "apps.app_id_1": (("apps.app_id",), False, False, None),
    }
    assert summary(await database["apps"].index_information()) == {
        "_id_": (("_id",), False, False, None),
        "app_id_1": (("app_id",), True, False, None),
    }
    assert summary(await database["refresh_tokens"].index_information()) == {
        "_id_": (("_id",), False, False, None),
        "token_hash_1": (("token_hash",), False, False, None),
        "expires_at_1": (("expires_at",), False, False, 0),
    }


async def test_usernames_and_emails_that_differ_only_by_case_are_separate_accounts(database):
    await load_legacy_database(database)
    users = await _documents(database, "users")

    def collisions(field: str) -> list[list[str]]:
        groups = defaultdict(list)
        for user in users:
            if user.get(field):
                key = unicodedata.normalize("NFKC", user[field]).casefold()
                groups[key].append(user[field])
        return sorted(sorted(group) for group in groups.values() if len(group) > 1)

    assert collisions("username") == [["Alice", "alice"], ["rene\u0301", "ren\u00e9"]]
    assert collisions("email") == [
        ["Carol@Example.com", "carol@example.com"],
        ["Dave@Example.com", "dave@example.com"],
    ]


async def test_accounts_signed_up_by_email_have_no_username_field(database):
    secrets = await load_legacy_database(database)
    for label in ("carol", "Carol", "eve-long", "frank", "hank-invalid-email"):
        document = await database["users"].find_one({"_id": secrets.user(label).id})
        assert "username" not in document and "firebase_uid" not in document
        assert document["provider"] == "username"
        assert document["password_hash"].startswith("$2b$")
        # Profile fields are present, null until set (0.1.x wrote them all at sign-up).
        assert {"name", "avatar", "phone", "date_of_birth", "address"} <= set(document)
    unnamed = await database["users"].find_one({"_id": secrets.user("Carol").id})
    assert unnamed["name"] is None and unnamed["avatar"] is None and unnamed["address"] is None


async def test_0_1_2_documents_hold_explicit_nulls_in_unique_fields(database):
    secrets = await load_legacy_database(database)
    lena = await database["users"].find_one({"_id": secrets.user("lena").id})
    phone = await database["users"].find_one({"_id": secrets.user("phone-user").id})
    assert lena["email"] is None and lena["firebase_uid"] is None
    assert phone["username"] is None and phone["password_hash"] is None
    assert phone["email"] == ""
    # One explicit null per unique sparse index: a real server refused a second one.
    for field in ("firebase_uid", "email", "username"):
        nulls = [u for u in await _documents(database, "users") if field in u and u[field] is None]
        assert len(nulls) == 1, field


async def test_refresh_tokens_name_users_by_firebase_uid_or_by_sign_in_identifier(database):
    secrets = await load_legacy_database(database)
    by_label = {token.label: token for token in secrets.refresh_tokens}
    # Native tokens carry the identifier typed at sign-in: a username up to 0.1.4, then the e-mail.
    assert by_label["alice-0.1.3-refreshed"].username == "alice"
    assert by_label["carol-login-late"].username == "carol@example.com"
    assert by_label["carol-login-late"].firebase_uid is None
    google = by_label["bob-google-login"]
    assert google.username is None and google.firebase_uid == secrets.user("bob").firebase_uid


async def test_a_deleted_users_refresh_token_is_still_live(database):
    secrets = await load_legacy_database(database)
    assert secrets.user("gone").id is None
    assert await database["users"].find_one({"email": "gone@example.com"}) is None
    assert secrets.token("gone-register").state == "live"


async def test_loading_into_a_database_that_has_documents_is_refused(database):
    await database["users"].insert_one({"username": "someone"})
    with pytest.raises(ValueError, match="users"):
        await load_legacy_database(database)
