"""The ``trachea-login`` CLI, driven through Typer's ``CliRunner`` with an injected database
(in memory, or the real server of ``TRACHEA_TEST_MONGO_URI``), so that a test can run a command
and then inspect the same database."""

import asyncio
import json
import subprocess
import sys
import uuid
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from trachea_login import admin
from trachea_login.cli import build_cli
from trachea_login.store import Store

from .real_mongo import drop, end_step, step_database

SECRET = "original-app-secret-0123456789"
PUBLIC_APP_KEYS = {
    "app_id",
    "name",
    "allowed_auth_methods",
    "allowed_domains",
    "is_active",
    "created_at",
}
PUBLIC_USER_KEYS = {"id", "username", "email", "firebase_uid", "name", "is_active", "apps"}


#: The database of the running test (one ``run`` or CLI command at a time).
_current: list = []


def run(coro):
    """Run one step of a test in its own event loop, as each CLI command runs in its own."""

    async def step():
        try:
            return await coro
        finally:
            if _current:
                await end_step(_current[0])

    return asyncio.run(step())


@pytest.fixture
def database():
    database = step_database(f"trachea_cli_test_{uuid.uuid4().hex[:12]}")
    _current[:] = [database]
    yield database
    run(drop(database))
    _current.clear()


@pytest.fixture
def opened():
    """The ``(mongo_uri, db_name)`` of each database the CLI asked for."""
    return []


@pytest.fixture
def cli(database, opened):
    @asynccontextmanager
    async def factory(mongo_uri, db_name):
        opened.append((mongo_uri, db_name))
        try:
            yield database
        finally:
            await end_step(database)

    return build_cli(database_factory=factory)


@pytest.fixture
def runner(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("TRACHEA_MONGO_URI", "TRACHEA_DB_NAME", "TRACHEA_PASSWORD_HASH_ROUNDS"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner(env={"TRACHEA_PASSWORD_HASH_ROUNDS": "4"})


@pytest.fixture
def invoke(runner, cli):
    def invoke(*args, input=None):
        return runner.invoke(cli, list(args), input=input)

    return invoke


@pytest.fixture
def app1(database):
    return run(
        admin.register_app(
            database,
            app_id="app1",
            app_secret=SECRET,
            name="App One",
            allowed_auth_methods=["google", "username"],
            secret_hash_rounds=4,
        )
    )


def insert_user(database, **fields):
    now = datetime.now(timezone.utc)
    fields.setdefault(
        "apps",
        [
            {"app_id": "app1", "role": "member", "plan": "free", "joined_at": now},
            {"app_id": "app2", "role": "guest", "plan": "pro", "joined_at": now},
        ],
    )
    fields.setdefault("is_active", True)
    result = run(database["users"].insert_one(fields))
    return run(database["users"].find_one({"_id": result.inserted_id}))  # as stored


@pytest.fixture
def alice(database):
    return insert_user(
        database,
        username="alice",
        email="alice@example.com",
        firebase_uid="fb-alice-uid",
        name="Alice",
        password_hash="$bcrypt-sha256$v=2,t=2b,r=4$fakehashvalue",
    )


def stored_app(database, app_id="app1"):
    return run(database["apps"].find_one({"app_id": app_id}))


def stored_user(database, user):
    return run(database["users"].find_one({"_id": user["_id"]}))


def entries(user):
    return [(entry["app_id"], entry["role"], entry["plan"]) for entry in user["apps"]]


def verify(database, secret, app_id="app1"):
    return run(admin.verify_app_secret(run(admin.get_app(database, app_id)), secret))


def assert_one_line_error(result, exit_code, text):
    assert result.exit_code == exit_code, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n")
    assert text in result.stderr


def printed_secret(stdout):
    lines = stdout.splitlines()
    for index, line in enumerate(lines):
        if "shown only this once" in line:
            return lines[index + 1].strip()
    raise AssertionError(f"no secret in output:\n{stdout}")


# -- apps register ---------------------------------------------------------------------------


def test_register_prints_the_secret_once_and_stores_only_its_hash(invoke, database):
    result = invoke("apps", "register", "app1", "--name", "App One", "--methods", "google,apple")

    assert result.exit_code == 0, result.output
    secret = printed_secret(result.stdout)
    assert len(secret) >= 43
    assert result.stdout.count(secret) == 1
    assert "TRACHEA_APP_SECRET" in result.stdout
    doc = stored_app(database)
    assert secret not in repr(doc)
    assert doc["app_secret_hash"] not in result.output
    assert doc["app_secret_hash"].startswith("$bcrypt-sha256$v=2,t=2b,r=4$")  # rounds from env
    assert doc["allowed_auth_methods"] == ["google", "apple"]
    assert doc["is_active"] is True
    assert verify(database, secret)


def test_register_json_returns_the_app_and_the_secret(invoke, database):
    result = invoke(
        "apps", "register", "app1", "--name", "One", "--methods", "google", "--domains",
        "App.Example.com, *.example.org", "--json",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"app", "app_secret"}
    assert set(data["app"]) == PUBLIC_APP_KEYS
    assert data["app"]["allowed_domains"] == ["app.example.com", "*.example.org"]
    assert "hash" not in result.stdout
    assert verify(database, data["app_secret"])


def test_register_with_secret_stdin_stores_that_secret_and_prints_none(invoke, database):
    secret = "operator-chosen-secret-value"
    result = invoke(
        "apps", "register", "app1", "--name", "One", "--methods", "username", "--secret-stdin",
        input=secret + "\n",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert secret not in result.output
    assert "shown only this once" not in result.stdout
    assert secret not in repr(stored_app(database))
    assert verify(database, secret)


def test_register_with_secret_stdin_json_has_no_secret(invoke):
    result = invoke(
        "--json", "apps", "register", "app1", "--name", "One", "--methods", "google",
        "--secret-stdin", input="operator-chosen-secret-value\n",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert set(json.loads(result.stdout)) == {"app"}


def test_register_refuses_a_weak_stdin_secret_without_echoing_it(invoke, database):
    result = invoke(
        "apps", "register", "app1", "--name", "One", "--methods", "google", "--secret-stdin",
        input="tooshort9\n",
    )  # fmt: skip

    assert_one_line_error(result, 2, "at least 16 characters")
    assert "tooshort9" not in result.stderr
    assert stored_app(database) is None


def test_register_refuses_empty_stdin(invoke, database):
    result = invoke(
        "apps", "register", "app1", "--name", "One", "--methods", "google", "--secret-stdin",
        input="",
    )  # fmt: skip

    assert_one_line_error(result, 2, "no secret on standard input")
    assert stored_app(database) is None


def test_register_inactive(invoke, database):
    result = invoke(
        "apps", "register", "app1", "--name", "One", "--methods", "google", "--inactive"
    )

    assert result.exit_code == 0, result.output
    assert "(inactive)" in result.stdout
    assert stored_app(database)["is_active"] is False


def test_register_a_duplicate_app_fails_and_keeps_the_first(invoke, database, app1):
    result = invoke("apps", "register", "app1", "--name", "Again", "--methods", "google")

    assert_one_line_error(result, 3, "app 'app1' already exists")
    assert stored_app(database)["name"] == "App One"
    assert verify(database, SECRET)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bad app", "--name", "x", "--methods", "google"], "app_id"),
        (["app1", "--name", "x", "--methods", "google,Bad Method"], "auth method"),
        (["app1", "--name", "x", "--methods", "GOOGLE"], "auth method"),
        (["app1", "--name", "x", "--methods", " , "], "at least one"),
        (["app1", "--name", "x", "--methods", "google", "--domains", "https://a.com"], "domain"),
        (["app1", "--name", "x", "--methods", "google", "--domains", "a.com:80"], "domain"),
        (["app1", "--name", " ", "--methods", "google"], "name"),
    ],
    ids=["app-id", "method-space", "method-upper", "no-methods", "scheme", "port", "name"],
)
def test_register_with_invalid_input_fails_and_stores_nothing(invoke, database, args, message):
    result = invoke("apps", "register", *args)

    assert_one_line_error(result, 2, message)
    assert run(database["apps"].count_documents({})) == 0


@pytest.mark.parametrize(
    ("command", "hint"),
    [
        (["apps", "register", "app9", "--name", "Nine", "--methods", "google,usernme"], "username"),
        (["apps", "set-methods", "app1", "google,fcebook"], "facebook"),
    ],
    ids=["register", "set-methods"],
)
def test_an_unknown_method_is_an_error_naming_the_known_ones(invoke, database, app1, command, hint):
    result = invoke(*command)

    assert_one_line_error(result, 2, "is unknown")
    assert f"did you mean {hint!r}" in result.stderr
    assert "google, facebook, apple, password, phone, username" in result.stderr
    assert "--allow-other-methods" in result.stderr
    apps = run(database["apps"].find({}).to_list(None))
    assert [(app["app_id"], app["allowed_auth_methods"]) for app in apps] == [
        ("app1", ["google", "username"])
    ]


def test_other_firebase_provider_names_are_allowed_by_an_explicit_flag(invoke, database):
    result = invoke(
        "apps", "register", "app1", "--name", "One", "--methods", "google,anonymous",
        "--allow-other-methods",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert stored_app(database)["allowed_auth_methods"] == ["google", "anonymous"]
    changed = invoke("apps", "set-methods", "app1", "oidc.acme,phone", "--allow-other-methods")
    assert changed.exit_code == 0, changed.output
    assert stored_app(database)["allowed_auth_methods"] == ["oidc.acme", "phone"]


def test_phone_is_a_known_method(invoke, database):
    result = invoke("apps", "register", "app1", "--name", "One", "--methods", "phone,username")

    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert stored_app(database)["allowed_auth_methods"] == ["phone", "username"]


def test_register_without_required_options_is_a_usage_error(invoke, database):
    result = invoke("apps", "register", "app1", "--methods", "google")

    assert result.exit_code == 2
    assert "--name" in result.stderr
    assert stored_app(database) is None


# -- apps list / show ------------------------------------------------------------------------


def test_list_json_shows_every_app_without_hash(invoke, database, app1):
    run(
        admin.register_app(
            database,
            app_id="aaa",
            app_secret=SECRET,
            name="First",
            allowed_auth_methods=["apple"],
            secret_hash_rounds=4,
        )
    )
    result = invoke("apps", "list", "--json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [app["app_id"] for app in data] == ["aaa", "app1"]
    assert all(set(app) == PUBLIC_APP_KEYS for app in data)
    assert "hash" not in result.stdout and "$bcrypt" not in result.stdout


def test_list_human(invoke, app1):
    result = invoke("apps", "list")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["app1  active  App One  methods=google,username"]


def test_list_with_no_apps(invoke):
    result = invoke("apps", "list")
    assert result.exit_code == 0
    assert result.stdout == "No apps registered.\n"
    assert json.loads(invoke("apps", "list", "--json").stdout) == []


def test_show_json_and_human(invoke, app1):
    result = invoke("apps", "show", "app1", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == app1.public_view()

    result = invoke("apps", "show", "app1")
    assert result.exit_code == 0, result.output
    assert "methods:  google, username" in result.stdout
    assert "$bcrypt" not in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["show", "nope"],
        ["enable", "nope"],
        ["disable", "nope"],
        ["rotate-secret", "nope"],
        ["set-methods", "nope", "google"],
        ["set-domains", "nope", ""],
    ],
    ids=lambda args: args[0],
)
def test_app_commands_on_an_unknown_app_exit_1(invoke, database, args):
    result = invoke("apps", *args)

    assert_one_line_error(result, 1, "error: app 'nope' not found")
    assert run(database["apps"].count_documents({})) == 0


# -- apps enable / disable / rotate-secret / set-methods / set-domains -----------------------


def test_disable_then_enable_toggles_is_active(invoke, database, app1):
    result = invoke("apps", "disable", "app1")
    assert result.exit_code == 0, result.output
    assert result.stdout == "App 'app1' is now inactive.\n"
    assert stored_app(database)["is_active"] is False

    result = invoke("apps", "enable", "app1", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["is_active"] is True
    assert stored_app(database)["is_active"] is True


def test_rotate_secret_prints_a_new_secret_and_retires_the_old(invoke, database, app1):
    result = invoke("apps", "rotate-secret", "app1")

    assert result.exit_code == 0, result.output
    new_secret = printed_secret(result.stdout)
    assert new_secret != SECRET
    assert "TRACHEA_APP_SECRET" in result.stdout
    assert verify(database, SECRET) is False
    assert verify(database, new_secret) is True
    assert new_secret not in repr(stored_app(database))


def test_rotate_secret_json(invoke, database, app1):
    result = invoke("apps", "rotate-secret", "app1", "--json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["app_id"] == "app1"
    assert verify(database, data["app_secret"]) and not verify(database, SECRET)


def test_rotate_secret_from_stdin(invoke, database, app1):
    given = "replacement-secret-from-stdin"
    result = invoke("apps", "rotate-secret", "app1", "--secret-stdin", input=given + "\n")

    assert result.exit_code == 0, result.output
    assert given not in result.stdout
    assert verify(database, given) and not verify(database, SECRET)


def test_rotate_secret_refuses_a_weak_secret_and_keeps_the_old(invoke, database, app1):
    result = invoke("apps", "rotate-secret", "app1", "--secret-stdin", input="weak\n")

    assert_one_line_error(result, 2, "at least 16")
    assert verify(database, SECRET)


def test_set_methods(invoke, database, app1):
    result = invoke("apps", "set-methods", "app1", "apple, password")

    assert result.exit_code == 0, result.output
    assert result.stdout == "Sign-in methods of app 'app1': apple, password\n"
    assert stored_app(database)["allowed_auth_methods"] == ["apple", "password"]


@pytest.mark.parametrize("methods", ["", "google,Not-Valid!"], ids=["empty", "invalid"])
def test_set_methods_refuses_invalid_lists(invoke, database, app1, methods):
    result = invoke("apps", "set-methods", "app1", methods)

    assert_one_line_error(result, 2, "method")
    assert stored_app(database)["allowed_auth_methods"] == ["google", "username"]


def test_set_domains_then_clear_them(invoke, database, app1):
    result = invoke("apps", "set-domains", "app1", "Shop.Example.com,*.example.net,localhost")
    assert result.exit_code == 0, result.output
    assert stored_app(database)["allowed_domains"] == [
        "shop.example.com",
        "*.example.net",
        "localhost",
    ]

    result = invoke("apps", "set-domains", "app1", "", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["allowed_domains"] == []
    assert stored_app(database)["allowed_domains"] == []


def test_set_domains_refuses_an_invalid_domain(invoke, database, app1):
    run(admin.set_domains(database, "app1", ["keep.example.com"]))
    result = invoke("apps", "set-domains", "app1", "ok.example.com,not a domain")

    assert_one_line_error(result, 2, "domain 'not a domain' is invalid")
    assert stored_app(database)["allowed_domains"] == ["keep.example.com"]


# -- users -----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["id", "username", "email", "firebase_uid"])
def test_users_find_by_each_kind_of_key(invoke, alice, key):
    query = str(alice["_id"]) if key == "id" else alice[key]
    result = invoke("users", "find", query, "--json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == PUBLIC_USER_KEYS
    assert data["id"] == str(alice["_id"])
    assert data["username"] == "alice"
    assert [entry["app_id"] for entry in data["apps"]] == ["app1", "app2"]
    assert "hash" not in result.stdout


def test_users_find_human_shows_no_password_hash(invoke, alice):
    result = invoke("users", "find", "ALICE@example.com")

    assert result.exit_code == 0, result.output
    assert f"id:           {alice['_id']}" in result.stdout
    assert "  app2  role=guest  plan=pro" in result.stdout
    assert "bcrypt" not in result.stdout and "fakehash" not in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["find", "ghost"],
        ["set-role", "ghost", "admin", "--app", "app1"],
        ["set-plan", "ghost", "free", "--app", "app1"],
        ["deactivate", "ghost"],
        ["reactivate", "ghost"],
    ],
    ids=lambda args: args[0],
)
def test_user_commands_on_an_unknown_user_exit_1(invoke, alice, args):
    result = invoke("users", *args)
    assert_one_line_error(result, 1, "error: user 'ghost' not found")


def test_users_find_refuses_an_ambiguous_query(invoke, database, alice):
    insert_user(database, username="fb-alice-uid")

    result = invoke("users", "find", "fb-alice-uid")

    assert_one_line_error(result, 2, "matches 2 users")


@pytest.mark.parametrize(
    ("app_id", "expected"),
    [
        ("app1", [("app1", "admin", "free"), ("app2", "guest", "pro")]),
        ("app2", [("app1", "member", "free"), ("app2", "admin", "pro")]),
    ],
)
def test_set_role_changes_only_that_apps_entry(invoke, database, alice, app_id, expected):
    result = invoke("users", "set-role", "alice", "admin", "--app", app_id)

    assert result.exit_code == 0, result.output
    stored = stored_user(database, alice)
    assert entries(stored) == expected
    other = 1 if app_id == "app1" else 0
    assert stored["apps"][other] == alice["apps"][other]


@pytest.mark.parametrize(
    ("app_id", "expected"),
    [
        ("app1", [("app1", "member", "enterprise"), ("app2", "guest", "pro")]),
        ("app2", [("app1", "member", "free"), ("app2", "guest", "enterprise")]),
    ],
)
def test_set_plan_changes_only_that_apps_entry(invoke, database, alice, app_id, expected):
    result = invoke("users", "set-plan", str(alice["_id"]), "enterprise", "--app", app_id, "--json")

    assert result.exit_code == 0, result.output
    assert entries(stored_user(database, alice)) == expected
    assert [(e["app_id"], e["role"], e["plan"]) for e in json.loads(result.stdout)["apps"]] == (
        expected
    )


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["set-role", "alice", "owner", "--app", "app1"], 2, "role must be one of"),
        (["set-plan", "alice", "gold", "--app", "app1"], 2, "plan must be one of"),
        (["set-role", "alice", "admin", "--app", "app3"], 1, "no entry for app 'app3'"),
        (["set-plan", "alice", "pro", "--app", "app3"], 1, "no entry for app 'app3'"),
    ],
    ids=["bad-role", "bad-plan", "role-not-member", "plan-not-member"],
)
def test_set_role_or_plan_errors_change_nothing(invoke, database, alice, args, code, message):
    result = invoke("users", *args)

    assert_one_line_error(result, code, message)
    assert stored_user(database, alice)["apps"] == alice["apps"]


def test_set_plan_to_paid_needs_an_email(invoke, database):
    bob = insert_user(database, username="bob")

    result = invoke("users", "set-plan", "bob", "pro", "--app", "app1")

    assert_one_line_error(result, 2, "no email")
    assert stored_user(database, bob)["apps"] == bob["apps"]


def test_set_role_without_app_is_a_usage_error(invoke, database, alice):
    result = invoke("users", "set-role", "alice", "admin")

    assert result.exit_code == 2
    assert "--app" in result.stderr
    assert stored_user(database, alice)["apps"] == alice["apps"]


def start_session(database, user, app_id):
    now = datetime.now(timezone.utc)
    session_id = uuid.uuid4().hex
    run(
        Store(database).sessions.insert(
            session_id,
            user_id=user["_id"],
            app_id=app_id,
            provider="username",
            auth_time=now,
            expires_at=now + timedelta(days=90),
            refresh_hash=f"hash-{session_id}",
            refresh_expires_at=now + timedelta(days=30),
        )
    )
    return session_id


def session_ids(invoke, query):
    result = invoke("users", "sessions", query, "--json")
    assert result.exit_code == 0, result.output
    return {view["session_id"] for view in json.loads(result.stdout)["sessions"]}


def test_deactivate_ends_sessions_then_reactivate(invoke, database, alice):
    bob = insert_user(database, username="bob")
    start_session(database, alice, "app1")
    start_session(database, alice, "app2")
    bobs = start_session(database, bob, "app1")

    result = invoke("users", "deactivate", "alice", "--json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["sessions_ended"] == 2
    assert data["user"]["is_active"] is False
    assert stored_user(database, alice)["is_active"] is False
    assert session_ids(invoke, "alice") == set()
    assert session_ids(invoke, "bob") == {bobs}
    assert stored_user(database, bob)["is_active"] is True

    result = invoke("users", "reactivate", "fb-alice-uid")

    assert result.exit_code == 0, result.output
    assert result.stdout == f"User {alice['_id']} reactivated.\n"
    assert stored_user(database, alice)["is_active"] is True
    assert session_ids(invoke, "alice") == set()  # no ended session comes back


def test_sessions_lists_and_end_sessions_ends_them(invoke, database, alice):
    one = start_session(database, alice, "app1")
    two = start_session(database, alice, "app2")
    assert session_ids(invoke, "alice") == {one, two}
    only = invoke("users", "sessions", "alice", "--app", "app2", "--json")
    assert [v["session_id"] for v in json.loads(only.stdout)["sessions"]] == [two]
    human = invoke("users", "sessions", "alice")
    assert one in human.stdout and "app=app2" in human.stdout
    result = invoke("users", "end-sessions", "alice")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"User {alice['_id']}: 2 live session(s) ended.\n"
    assert session_ids(invoke, "alice") == set()
    assert invoke("users", "sessions", "alice").stdout.endswith("has no live session.\n")


def test_erase_asks_for_confirmation_and_erases(invoke, database, alice):
    start_session(database, alice, "app1")
    refused = invoke("users", "erase", "alice", input="n\n")
    assert refused.exit_code == 2
    assert stored_user(database, alice)["username"] == "alice"
    result = invoke("users", "erase", "alice", input="y\n")
    assert result.exit_code == 0, result.output
    assert set(stored_user(database, alice)) == {"_id", "erased_at"}
    again = invoke("users", "erase", "alice", "--yes")
    assert again.exit_code == 1  # nobody is called alice any more
    # By id, erasing again finishes an interrupted erasure (idempotent) and changes nothing.
    by_id = invoke("users", "erase", str(alice["_id"]), "--yes", "--json")
    assert by_id.exit_code == 0, by_id.output
    assert json.loads(by_id.stdout) == {"erased": str(alice["_id"])}
    assert set(stored_user(database, alice)) == {"_id", "erased_at"}


def test_deactivate_human_output(invoke, alice):
    result = invoke("users", "deactivate", "alice@example.com")

    assert result.exit_code == 0, result.output
    assert result.stdout == f"User {alice['_id']} deactivated; 0 live session(s) ended.\n"


# -- --json on every command -----------------------------------------------------------------

EVERY_COMMAND = [
    ["apps", "register", "app2", "--name", "Two", "--methods", "google"],
    ["apps", "list"],
    ["apps", "show", "app1"],
    ["apps", "enable", "app1"],
    ["apps", "disable", "app1"],
    ["apps", "rotate-secret", "app1"],
    ["apps", "set-methods", "app1", "apple"],
    ["apps", "set-domains", "app1", "a.example.com"],
    ["users", "find", "alice"],
    ["users", "set-role", "alice", "admin", "--app", "app1"],
    ["users", "set-plan", "alice", "pro", "--app", "app1"],
    ["users", "deactivate", "alice"],
    ["users", "reactivate", "alice"],
]


@pytest.mark.parametrize("placement", ["global", "command"])
@pytest.mark.parametrize("args", EVERY_COMMAND, ids=lambda args: "-".join(args[:2]))
def test_json_output_of_every_command_parses(invoke, app1, alice, args, placement):
    full = ["--json", *args] if placement == "global" else [*args, "--json"]

    result = invoke(*full)

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, (dict, list)) and data
    assert "$bcrypt" not in result.stdout and "hash" not in result.stdout


@pytest.mark.parametrize("args", EVERY_COMMAND[1:], ids=lambda args: "-".join(args[:2]))
def test_human_output_of_every_command_is_not_json(invoke, app1, alice, args):
    result = invoke(*args)

    assert result.exit_code == 0, result.output
    with pytest.raises(json.JSONDecodeError):
        json.loads(result.stdout)


# -- settings and the database ---------------------------------------------------------------


def test_database_settings_come_from_the_environment(runner, cli, opened):
    result = runner.invoke(
        cli,
        ["apps", "list"],
        env={"TRACHEA_MONGO_URI": "mongodb://env-host/", "TRACHEA_DB_NAME": "envdb"},
    )

    assert result.exit_code == 0, result.output
    assert opened == [("mongodb://env-host/", "envdb")]


def test_database_settings_come_from_dotenv_in_the_current_directory(runner, cli, opened, tmp_path):
    (tmp_path / ".env").write_text(
        "TRACHEA_MONGO_URI=mongodb://dotenv-host/\nTRACHEA_DB_NAME=dotenvdb\n"
        "TRACHEA_APP_ID=ignored\n",
        encoding="utf-8",
    )

    result = runner.invoke(cli, ["apps", "list"])

    assert result.exit_code == 0, result.output
    assert opened == [("mongodb://dotenv-host/", "dotenvdb")]


def test_options_override_the_environment(runner, cli, opened):
    result = runner.invoke(
        cli,
        ["--mongo-uri", "mongodb://option-host/", "--db-name", "optdb", "apps", "list"],
        env={"TRACHEA_MONGO_URI": "mongodb://env-host/", "TRACHEA_DB_NAME": "envdb"},
    )

    assert result.exit_code == 0, result.output
    assert opened == [("mongodb://option-host/", "optdb")]


def test_db_name_defaults_to_trachea(invoke, opened):
    assert invoke("apps", "list").exit_code == 0
    assert opened == [(None, "trachea")]


def test_missing_mongo_uri_is_one_line(runner):
    result = runner.invoke(build_cli(), ["apps", "list"])

    assert_one_line_error(result, 2, "TRACHEA_MONGO_URI is not set")


def test_unreachable_database_is_one_line_without_the_password(runner):
    uri = "mongodb://operator:hunter2-password@127.0.0.1:1/?serverSelectionTimeoutMS=200"

    result = runner.invoke(build_cli(), ["--mongo-uri", uri, "users", "find", "alice"])

    assert_one_line_error(result, 4, "cannot reach MongoDB")
    assert "hunter2" not in result.output


def test_invalid_mongo_uri_is_one_line(runner):
    result = runner.invoke(
        build_cli(), ["--mongo-uri", "postgres://x:secretpw@h/db", "apps", "list"]
    )

    assert_one_line_error(result, 2, "invalid database settings")
    assert "secretpw" not in result.output


@pytest.mark.parametrize(
    "command",
    [
        ["apps", "register", "app1", "--name", "One", "--methods", "username"],
        ["apps", "list"],
        ["users", "find", "alice"],
    ],
    ids=["register", "list", "users-find"],
)
@pytest.mark.parametrize("source", ["option", "environment"])
def test_the_embedded_database_is_refused_saying_why_and_what_to_do(
    runner, monkeypatch, command, source
):
    if source == "option":
        args = ["--mongo-uri", "mongomock://", *command]
    else:
        monkeypatch.setenv("TRACHEA_MONGO_URI", "mongomock://")
        args = command

    result = runner.invoke(build_cli(), args)

    assert_one_line_error(result, 2, "mongomock:// is an in-memory database inside one process")
    assert "registers itself at startup" in result.stderr
    assert "MongoDB server" in result.stderr
    assert "App secret" not in result.output  # no secret printed for an app nobody can use


def test_python_dash_m_runs_the_cli():
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "trachea_login", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "apps" in result.stdout and "users" in result.stdout


@pytest.mark.parametrize("args", [["--version"], ["--version", "apps", "list"]], ids=str)
def test_version_prints_this_packages_version_and_touches_no_database(runner, opened, cli, args):
    from trachea_login import __version__

    result = runner.invoke(cli, args)

    assert result.exit_code == 0, result.output
    assert result.stdout == f"trachea-login {__version__}\n"
    assert opened == []


def test_this_package_is_newer_than_every_0_1_release_on_pypi():
    """pip must prefer this package to trachea-login 0.1.x (on PyPI up to 0.1.9), a different
    code base, once both are on an index."""
    from trachea_login import __version__

    assert tuple(int(part) for part in __version__.split(".")[:2]) >= (0, 2)
