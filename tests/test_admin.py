import base64
from datetime import datetime, timedelta, timezone

import pytest
from bson import ObjectId

from trachea_login import admin
from trachea_login.store import Store

SECRET = "s3cret-app-secret-for-tests"
ROUNDS = 4


async def register(database, app_id="app1", **overrides):
    fields = {
        "app_id": app_id,
        "app_secret": SECRET,
        "name": "App One",
        "allowed_auth_methods": ["google", "username"],
        "secret_hash_rounds": ROUNDS,
    }
    fields.update(overrides)
    return await admin.register_app(database, **fields)


async def insert_user(database, **fields):
    now = datetime.now(timezone.utc)
    fields.setdefault(
        "apps",
        [
            {"app_id": "app1", "role": "member", "plan": "free", "joined_at": now},
            {"app_id": "app2", "role": "guest", "plan": "pro", "joined_at": now},
        ],
    )
    fields.setdefault("is_active", True)
    result = await database["users"].insert_one(fields)
    return await Store(database).users.get(result.inserted_id)


async def start_session(database, user_id, app_id):
    """A live session of the user in the app, as a sign-in writes it."""
    now = datetime.now(timezone.utc)
    session_id = ObjectId().binary.hex().ljust(32, "0")
    await Store(database).sessions.insert(
        session_id,
        user_id=user_id,
        app_id=app_id,
        provider="username",
        auth_time=now,
        expires_at=now + timedelta(days=90),
        refresh_hash=f"hash-{session_id}",
        refresh_expires_at=now + timedelta(days=30),
    )
    return session_id


async def live_sessions(database, query):
    _user, sessions = await admin.user_sessions(database, query)
    return {session.session_id for session in sessions}


# -- register_app ----------------------------------------------------------------------------


async def test_register_app_stores_only_a_hash_of_the_secret(database):
    record = await register(database)
    doc = await database["apps"].find_one({"app_id": "app1"})
    assert SECRET not in repr(doc)
    assert "app_secret" not in doc
    assert doc["app_secret_hash"].startswith("$bcrypt-sha256$")
    assert record.secret_hash == doc["app_secret_hash"]
    assert await admin.verify_app_secret(record, SECRET) is True
    assert await admin.verify_app_secret(record, SECRET + "x") is False
    assert await admin.verify_app_secret(record, "") is False


async def test_register_app_stores_its_fields(database):
    record = await register(
        database,
        allowed_auth_methods=["apple", "phone", "apple"],
        allowed_domains=[" App.Example.COM ", "*.example.org", "localhost", "127.0.0.1"],
        is_active=False,
        name="  Shiny  ",
    )
    assert record.allowed_auth_methods == ("apple", "phone")
    assert record.allowed_domains == ("app.example.com", "*.example.org", "localhost", "127.0.0.1")
    assert record.is_active is False
    assert record.name == "Shiny"
    assert await admin.get_app(database, "app1") == record


async def test_register_app_refuses_a_duplicate_app_id(database):
    await register(database)
    with pytest.raises(admin.AppAlreadyExists, match="app 'app1' already exists") as info:
        await register(database, app_secret="another-secret-value-123")
    assert isinstance(info.value, ValueError)
    assert await database["apps"].count_documents({}) == 1


async def test_register_app_creates_the_unique_index_the_duplicate_check_relies_on(database):
    await register(database)
    info = await database["apps"].index_information()
    assert info["app_id_unique"]["unique"] is True


@pytest.mark.parametrize(
    "app_id", ["", "a" * 65, "has space", "slash/app", "trailing\n", "émoji", "a:b"]
)
async def test_register_app_rejects_invalid_app_ids(database, app_id):
    with pytest.raises(ValueError, match="app_id"):
        await register(database, app_id=app_id)
    assert await database["apps"].count_documents({}) == 0


@pytest.mark.parametrize("app_id", ["a", "a" * 64, "Trachea-Test-App", "my.app_2"])
async def test_register_app_accepts_valid_app_ids(database, app_id):
    assert (await register(database, app_id=app_id)).app_id == app_id


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        ("fifteen-chars!!", "at least 16"),
        (" leading-space-secret", "whitespace"),
        ("trailing-space-secret ", "whitespace"),
        ("line\nbreak-in-the-secret", "control"),
        ("x" * 1025, "at most"),
    ],
)
async def test_register_app_rejects_weak_secrets_without_echoing_them(database, secret, reason):
    with pytest.raises(ValueError, match=reason) as info:
        await register(database, app_secret=secret)
    assert secret.strip() not in str(info.value)
    assert await database["apps"].count_documents({}) == 0


@pytest.mark.parametrize(
    "methods",
    [[], "google", ["Google"], ["bad method"], ["-dash"], ["a" * 65], ["google", ""], [None]],
    ids=["empty", "string", "upper", "space", "dash", "long", "blank", "none"],
)
async def test_register_app_rejects_invalid_methods(database, methods):
    with pytest.raises(ValueError, match="method"):
        await register(database, allowed_auth_methods=methods)
    assert await database["apps"].count_documents({}) == 0


@pytest.mark.parametrize("method", ["usernme", "anonymous", "github.com", "oidc.acme"])
async def test_register_app_refuses_a_method_it_does_not_know(database, method):
    with pytest.raises(ValueError, match="is unknown"):
        await register(database, allowed_auth_methods=["google", method])
    assert await database["apps"].count_documents({}) == 0


async def test_other_provider_names_are_allowed_when_asked_for_explicitly(database):
    record = await register(
        database, allowed_auth_methods=["google", "anonymous"], allow_other_methods=True
    )
    assert record.allowed_auth_methods == ("google", "anonymous")
    with pytest.raises(ValueError, match="is unknown"):
        await admin.set_auth_methods(database, "app1", ["oidc.acme"])
    changed = await admin.set_auth_methods(
        database, "app1", ["oidc.acme"], allow_other_methods=True
    )
    assert changed.allowed_auth_methods == ("oidc.acme",)


@pytest.mark.parametrize(
    "domain",
    [
        "https://app.example.com",
        "app.example.com:8080",
        "app.example.com/path",
        "*.com",
        "com",
        "-app.example.com",
        "app..example.com",
        "*",
        "exa mple.com",
        "app.example.123",
        "",
    ],
)
async def test_register_app_rejects_invalid_domains(database, domain):
    with pytest.raises(ValueError, match="domain"):
        await register(database, allowed_domains=[domain])
    assert await database["apps"].count_documents({}) == 0


async def test_register_app_rejects_a_domain_string_instead_of_a_list(database):
    with pytest.raises(ValueError, match="not a string"):
        await register(database, allowed_domains="example.com")


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "tab\there"])
async def test_register_app_rejects_invalid_names(database, name):
    with pytest.raises(ValueError, match="name"):
        await register(database, name=name)


def test_generated_secrets_have_256_random_bits_and_are_url_safe():
    first, second = admin.generate_app_secret(), admin.generate_app_secret()
    assert first != second
    assert len(base64.urlsafe_b64decode(first + "=")) >= 32
    assert set(first) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    admin.check_app_secret(first)


# -- other app operations --------------------------------------------------------------------


async def test_disable_and_enable_toggle_is_active(database):
    await register(database)
    assert (await admin.disable_app(database, "app1")).is_active is False
    assert (await admin.get_app(database, "app1")).is_active is False
    assert (await admin.enable_app(database, "app1")).is_active is True
    assert (await admin.get_app(database, "app1")).is_active is True


async def test_rotate_app_secret_generates_a_new_secret(database):
    await register(database)
    new_secret = await admin.rotate_app_secret(database, "app1", secret_hash_rounds=ROUNDS)
    record = await admin.get_app(database, "app1")
    assert new_secret != SECRET
    assert await admin.verify_app_secret(record, SECRET) is False
    assert await admin.verify_app_secret(record, new_secret) is True


async def test_rotate_app_secret_takes_a_given_secret(database):
    await register(database)
    given = "operator-chosen-secret-1234"
    assert (
        await admin.rotate_app_secret(database, "app1", given, secret_hash_rounds=ROUNDS) == given
    )
    assert await admin.verify_app_secret(await admin.get_app(database, "app1"), given)


async def test_rotate_app_secret_refuses_a_weak_secret_and_keeps_the_old_one(database):
    await register(database)
    with pytest.raises(ValueError, match="at least 16"):
        await admin.rotate_app_secret(database, "app1", "short")
    assert await admin.verify_app_secret(await admin.get_app(database, "app1"), SECRET)


async def test_set_auth_methods_and_domains_replace_the_lists(database):
    await register(database, allowed_domains=["a.example.com"])
    record = await admin.set_auth_methods(database, "app1", ["password", "apple"])
    assert record.allowed_auth_methods == ("password", "apple")
    record = await admin.set_domains(database, "app1", ["B.example.com"])
    assert record.allowed_domains == ("b.example.com",)
    assert (await admin.set_domains(database, "app1", [])).allowed_domains == ()


async def test_set_auth_methods_refuses_an_empty_list(database):
    await register(database)
    with pytest.raises(ValueError, match="at least one"):
        await admin.set_auth_methods(database, "app1", [])
    assert (await admin.get_app(database, "app1")).allowed_auth_methods == ("google", "username")


@pytest.mark.parametrize(
    "operation",
    [
        lambda db: admin.get_app(db, "nope"),
        lambda db: admin.enable_app(db, "nope"),
        lambda db: admin.disable_app(db, "nope"),
        lambda db: admin.rotate_app_secret(db, "nope", secret_hash_rounds=ROUNDS),
        lambda db: admin.set_auth_methods(db, "nope", ["google"]),
        lambda db: admin.set_domains(db, "nope", []),
    ],
    ids=["get", "enable", "disable", "rotate", "methods", "domains"],
)
async def test_operations_on_an_unknown_app_raise_app_not_found(database, operation):
    with pytest.raises(admin.AppNotFound, match="app 'nope' not found"):
        await operation(database)
    assert await database["apps"].count_documents({}) == 0


async def test_list_apps_is_sorted_and_public_view_hides_the_hash(database):
    await register(database, app_id="zeta")
    await register(database, app_id="alpha")
    records = await admin.list_apps(database)
    assert [record.app_id for record in records] == ["alpha", "zeta"]
    view = records[0].public_view()
    assert "secret_hash" not in view and "app_secret_hash" not in view


# -- users -----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["id", "username", "USERNAME", "email", "firebase_uid"])
async def test_find_user_by_each_key(database, key):
    user = await insert_user(
        database, username="alice", email="alice@example.com", firebase_uid="fb-uid-alice"
    )
    await insert_user(database, username="bob")
    query = {
        "id": str(user.id),
        "username": "alice",
        "USERNAME": "ALICE",
        "email": "Alice@Example.com",
        "firebase_uid": "fb-uid-alice",
    }[key]
    assert (await admin.find_user(database, query)).id == user.id


async def test_find_user_raises_for_an_unknown_user(database):
    await insert_user(database, username="alice")
    with pytest.raises(admin.UserNotFound, match="user 'nobody' not found"):
        await admin.find_user(database, "nobody")
    with pytest.raises(admin.UserNotFound):
        await admin.find_user(database, str(ObjectId()))


async def test_find_user_refuses_a_query_matching_two_users(database):
    alice = await insert_user(database, username="alice", firebase_uid="shared-name")
    other = await insert_user(database, username="shared-name")
    with pytest.raises(admin.AmbiguousUser, match="matches 2 users") as info:
        await admin.find_user(database, "shared-name")
    assert set(info.value.user_ids) == {str(alice.id), str(other.id)}


async def test_find_user_refuses_an_empty_query(database):
    with pytest.raises(ValueError, match="empty"):
        await admin.find_user(database, "  ")


async def test_user_public_view_has_no_hash_or_internal_fields(database):
    user = await insert_user(
        database, username="alice", email="alice@example.com", password_hash="$bcrypt-sha256$x"
    )
    view = admin.user_public_view(user)
    assert set(view) == {"id", "username", "email", "firebase_uid", "name", "is_active", "apps"}
    assert "bcrypt" not in repr(view)
    assert view["apps"][0]["app_id"] == "app1"
    assert set(view["apps"][0]) == {"app_id", "role", "plan", "joined_at"}


@pytest.mark.parametrize(
    ("app_id", "expected"),
    [
        ("app1", [("app1", "admin", "free"), ("app2", "guest", "pro")]),
        ("app2", [("app1", "member", "free"), ("app2", "admin", "pro")]),
    ],
)
async def test_set_user_role_changes_only_that_apps_entry(database, app_id, expected):
    user = await insert_user(database, username="alice")
    updated = await admin.set_user_role(database, "alice", app_id, "admin")
    stored = await Store(database).users.get(user.id)
    assert stored == updated
    assert [(e.app_id, e.role, e.plan) for e in stored.apps] == expected
    untouched = 1 if app_id == "app1" else 0
    assert stored.apps[untouched] == user.apps[untouched]


@pytest.mark.parametrize(
    ("app_id", "expected"),
    [
        ("app1", [("app1", "member", "enterprise"), ("app2", "guest", "pro")]),
        ("app2", [("app1", "member", "free"), ("app2", "guest", "enterprise")]),
    ],
)
async def test_set_user_plan_changes_only_that_apps_entry(database, app_id, expected):
    user = await insert_user(database, username="alice", email="alice@example.com")
    await admin.set_user_plan(database, "alice", app_id, "enterprise")
    stored = await Store(database).users.get(user.id)
    assert [(e.app_id, e.role, e.plan) for e in stored.apps] == expected


async def test_set_user_plan_to_paid_needs_an_email(database):
    await insert_user(database, username="alice")
    with pytest.raises(ValueError, match="no email"):
        await admin.set_user_plan(database, "alice", "app1", "pro")
    assert (await admin.set_user_plan(database, "alice", "app2", "free")).apps[1].plan == "free"


@pytest.mark.parametrize(
    "operation",
    [
        lambda db: admin.set_user_role(db, "alice", "app1", "owner"),
        lambda db: admin.set_user_role(db, "alice", "app1", "Admin"),
        lambda db: admin.set_user_plan(db, "alice", "app1", "gold"),
    ],
    ids=["role", "role-case", "plan"],
)
async def test_unknown_role_or_plan_is_refused(database, operation):
    user = await insert_user(database, username="alice", email="alice@example.com")
    with pytest.raises(ValueError, match="must be one of"):
        await operation(database)
    assert (await Store(database).users.get(user.id)).apps == user.apps


async def test_role_for_an_app_the_user_never_joined_is_not_a_member(database):
    user = await insert_user(database, username="alice")
    with pytest.raises(admin.NotAMember, match="no entry for app 'app3'"):
        await admin.set_user_role(database, "alice", "app3", "admin")
    assert (await Store(database).users.get(user.id)).apps == user.apps


async def test_role_for_an_unknown_user_raises_user_not_found(database):
    with pytest.raises(admin.UserNotFound):
        await admin.set_user_role(database, "ghost", "app1", "admin")


async def test_deactivate_user_ends_sessions_of_every_app(database):
    user = await insert_user(database, username="alice")
    other = await insert_user(database, username="bob")
    await start_session(database, user.id, "app1")
    await start_session(database, user.id, "app2")
    bobs = await start_session(database, other.id, "app1")

    updated, ended = await admin.deactivate_user(database, "alice")

    assert updated.is_active is False
    assert ended == 2
    assert await live_sessions(database, "alice") == set()
    assert await live_sessions(database, "bob") == {bobs}
    assert (await Store(database).users.get(other.id)).is_active is True


async def test_reactivate_user_sets_is_active_and_revives_no_session(database):
    user = await insert_user(database, username="alice")
    await start_session(database, user.id, "app1")
    await admin.deactivate_user(database, "alice")
    updated = await admin.reactivate_user(database, str(user.id))
    assert updated.is_active is True
    assert await live_sessions(database, "alice") == set()


async def test_end_user_sessions_ends_every_app_and_keeps_the_account(database):
    user = await insert_user(database, username="alice")
    await start_session(database, user.id, "app1")
    await start_session(database, user.id, "app2")
    updated, ended = await admin.end_user_sessions(database, "alice")
    assert ended == 2 and updated.is_active is True
    assert await live_sessions(database, "alice") == set()
    fresh = await start_session(database, user.id, "app1")  # a later sign-in is live
    assert await live_sessions(database, "alice") == {fresh}


async def test_user_sessions_lists_live_sessions_per_app(database):
    user = await insert_user(database, username="alice")
    one = await start_session(database, user.id, "app1")
    two = await start_session(database, user.id, "app2")
    _user, app1_only = await admin.user_sessions(database, "alice", "app1")
    assert [session.session_id for session in app1_only] == [one]
    assert await live_sessions(database, "alice") == {one, two}


async def test_erase_user_leaves_nothing_personal_and_frees_the_username(database):
    user = await insert_user(
        database, username="alice", email="alice@example.com", password_hash="$bcrypt-sha256$x"
    )
    await start_session(database, user.id, "app1")
    await database["audit_events"].insert_one(
        {"event": "login", "user_id": user.id, "ip": "203.0.113.9", "user_agent": "UA/1"}
    )
    erased = await admin.erase_user(database, "alice")
    assert erased.id == user.id
    stored = await database["users"].find_one({"_id": user.id})
    assert set(stored) == {"_id", "erased_at"}
    assert await database["sessions"].count_documents({"user_id": user.id}) == 0
    events = [e async for e in database["audit_events"].find({"user_id": user.id})]
    assert events and all("ip" not in e and "user_agent" not in e for e in events)
    assert {e["event"] for e in events} >= {"login", "erased"}
    with pytest.raises(admin.UserNotFound):
        await admin.find_user(database, "alice")
    await insert_user(database, username="alice", email="alice@example.com")  # free again


@pytest.mark.parametrize(
    "operation",
    [
        admin.deactivate_user,
        admin.reactivate_user,
        admin.end_user_sessions,
        admin.erase_user,
        admin.user_sessions,
    ],
)
async def test_status_changes_of_an_unknown_user_raise(database, operation):
    with pytest.raises(admin.UserNotFound):
        await operation(database, "ghost")


async def test_operator_actions_are_audited(database):
    from trachea_login import admin

    await admin.register_app(
        database,
        app_id="audited",
        app_secret="s" * 24,
        name="Audited",
        allowed_auth_methods=["username"],
        secret_hash_rounds=4,
    )
    await admin.disable_app(database, "audited")
    await admin.enable_app(database, "audited")
    await admin.set_auth_methods(database, "audited", ["username", "google"])
    await admin.set_domains(database, "audited", ["app.example.com"])
    new_secret = await admin.rotate_app_secret(database, "audited", secret_hash_rounds=4)
    user = await Store(database).users.insert({"username": "carol"})
    await admin.deactivate_user(database, "carol")
    await admin.reactivate_user(database, "carol")
    events = [e async for e in database["audit_events"].find({}).sort("at", 1)]
    kinds = [e["event"] for e in events]
    assert kinds == [
        "app_registered",
        "app_disabled",
        "app_enabled",
        "app_methods_changed",
        "app_domains_changed",
        "app_secret_rotated",
        "deactivated",
        "reactivated",
    ]
    assert all(e.get("actor") == "cli" for e in events[1:])
    assert events[3]["methods"] == ["username", "google"]
    assert events[6]["user_id"] == user.id and "app_id" not in events[6]
    assert new_secret not in repr(events) and "s" * 24 not in repr(events)


def test_a_user_without_is_active_shows_as_active():
    from trachea_login.admin import user_public_view
    from trachea_login.records import UserRecord

    assert user_public_view(UserRecord(id=ObjectId()))["is_active"] is True
