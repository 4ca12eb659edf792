"""The service on a database migrated from trachea-login 0.1.x (tests/legacy/), over our HTTP
routes: every user signs in with the password they have (their hash upgraded at that sign-in),
live 0.1.x refresh tokens refresh exactly once and then continue as sessions, apps start with
their 0.1.x secrets, and an un-migrated database is refused at startup naming the command.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from tests.conftest import assert_error, bearer
from tests.legacy.fixtures import load_legacy_database
from tests.migration_helpers import FailingDatabase, InjectedFailure
from trachea_login import TracheaConfigError
from trachea_login.migrate import from_0_1

#: How each native user of the fixture signs in after the migration: (field, identifier).
#: Accounts in a conflict are tested on their own below.
SIGN_INS = {
    "lena": ("username", "lena"),
    "alice": ("username", "alice"),
    "long-larry": ("username", "long_larry"),
    "amelie-nfd": ("username", "amelie"),
    "mary-ann": ("username", "Mary Ann"),
    "olga-username-email": ("username", "olga@example.com"),
    "carol": ("email", "carol@example.com"),
    "bob": ("email", "bob@example.com"),
    "eve-long": ("email", "eve.long@example.com"),
    "noemi-nfd": ("email", "noemi@example.com"),
    "frank": ("email", "frank@example.com"),
    "kim-kiosk": ("email", "kim@kiosk.example.com"),
}
APP_OF = {"kim-kiosk": "kiosk"}
FIREBASE = {"firebase_project_id": "demo-trachea"}


@pytest.fixture
async def legacy(database):
    """The 0.1.9 fixture, its expired-but-not-yet-reaped token kept (no TTL index)."""
    return await load_legacy_database(database, ttl_index=False)


@pytest.fixture
async def migrated(database, legacy):
    report = await from_0_1(database, dry_run=False)
    assert not report.blocked
    return legacy


@pytest.fixture
def start(serve, legacy):
    """``await start("app1")``: the app served on the fixture's database with its 0.1.x
    secret (registered by 0.1.x, so nothing is registered here)."""

    async def _start(app_id: str = "app1", **settings: Any) -> Any:
        return await serve(
            app_id,
            register_first=False,
            app_secret=legacy.apps[app_id].secret,
            **FIREBASE,
            **settings,
        )

    return _start


async def sign_in(served: Any, field: str, identifier: str, password: str) -> Any:
    return await served.client.post("/auth/login", json={field: identifier, "password": password})


async def refresh(served: Any, token: str) -> Any:
    return await served.client.post("/auth/refresh", json={"refresh_token": token})


async def test_every_native_user_signs_in_with_their_old_password_and_it_is_upgraded(
    migrated, start, database
):
    apps = {app_id: await start(app_id) for app_id in ("app1", "kiosk")}
    for label, (field, identifier) in SIGN_INS.items():
        user = migrated.user(label)
        served = apps[APP_OF.get(label, "app1")]
        before = await database["users"].find_one({"_id": user.id})
        assert before["password_hash"].startswith("$2b$12$"), label
        response = await sign_in(served, field, identifier, user.password)
        assert response.status_code == 200, (label, response.text)
        assert response.json()["user"]["id"] == str(user.id)
        after = await database["users"].find_one({"_id": user.id})
        assert after["password_hash"].startswith("$bcrypt-sha256$"), label
        again = await sign_in(served, field, identifier, user.password)
        assert again.status_code == 200, label


async def test_long_and_nfd_passwords_count_as_0_1_x_counted_them_until_the_upgrade(
    migrated, start
):
    served = await start()
    eve = migrated.user("eve-long")
    typed = eve.password.encode()
    # 0.1.x used the first 72 bytes (the cut falls inside '€'); anything sharing them matched.
    assert len(typed) > 72
    amelie = migrated.user("amelie-nfd")
    composed = unicodedata.normalize("NFC", amelie.password)
    assert composed != amelie.password
    wrong = await sign_in(served, "username", "amelie", composed)
    assert_error(wrong, 401, "INVALID_CREDENTIALS")  # hashed as typed: NFD only
    assert (await sign_in(served, "username", "amelie", amelie.password)).status_code == 200
    assert (await sign_in(served, "email", "eve.long@example.com", eve.password)).status_code == 200
    # Upgraded: from now on every character counts.
    shorter = typed[:72] + b"-and-then-some"
    truncated = await sign_in(
        served, "email", "eve.long@example.com", shorter.decode(errors="replace")
    )
    assert_error(truncated, 401, "INVALID_CREDENTIALS")


async def test_identifiers_sign_in_whatever_their_case(migrated, start):
    served = await start()
    larry = migrated.user("long-larry")
    assert (await sign_in(served, "username", "LONG_LARRY", larry.password)).status_code == 200
    frank = migrated.user("frank")
    assert (await sign_in(served, "email", "Frank@Example.COM", frank.password)).status_code == 200
    mary = migrated.user("mary-ann")
    assert (await sign_in(served, "username", "mary ann", mary.password)).status_code == 200


async def test_an_email_account_without_username_has_its_email_as_sub(migrated, start):
    served = await start()
    carol = migrated.user("carol")
    body = (await sign_in(served, "email", "carol@example.com", carol.password)).json()
    assert body["user"]["username"] is None and body["user"]["email"] == "carol@example.com"
    assert body["user"]["date_of_birth"] is None  # 0.1.x's "1990-02-30" was set aside
    me = await served.client.get("/whoami", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["sub"] == "carol@example.com"
    assert me.json()["uid"] == str(carol.id)


async def test_deactivated_users_learn_they_are_inactive_with_the_right_password(migrated, start):
    served = await start()
    dan = migrated.user("dan")
    assert_error(await sign_in(served, "username", "dan", dan.password), 403, "USER_INACTIVE")
    mallory = migrated.user("mallory")
    response = await sign_in(served, "email", "mallory@example.com", mallory.password)
    assert_error(response, 403, "USER_INACTIVE")


async def test_accounts_in_a_conflict_are_not_guessed_until_the_operator_settles_it(
    migrated, start, database
):
    served = await start()
    alice, upper = migrated.user("alice"), migrated.user("Alice")
    # "Alice" is alice's name to this version: it never reaches the other account.
    assert_error(
        await sign_in(served, "username", "Alice", upper.password), 401, "INVALID_CREDENTIALS"
    )
    dave = migrated.user("dave-native")
    response = await sign_in(served, "email", "Dave@Example.com", dave.password)
    assert_error(response, 401, "INVALID_CREDENTIALS")
    # The operator settles both (docs/upgrading.md): a new name for Alice; Dave's two
    # documents are one person, so the Google one goes and the native one takes its uid.
    await database["users"].update_one({"_id": upper.id}, {"$set": {"username": "alice2"}})
    google = migrated.user("dave-google")
    await database["users"].delete_one({"_id": google.id})
    await database["users"].update_one(
        {"_id": dave.id}, {"$set": {"firebase_uid": google.firebase_uid}}
    )
    report = await from_0_1(database, dry_run=False)
    kinds = {conflict.kind for conflict in report.conflicts}
    assert {c for c in report.conflicts if set(c.ids) & {str(alice.id), str(dave.id)}} == set()
    assert "username_collision" in kinds  # rené NFC/NFD is still there
    assert (await sign_in(served, "username", "alice2", upper.password)).status_code == 200
    assert (await sign_in(served, "username", "alice", alice.password)).status_code == 200
    response = await sign_in(served, "email", "Dave@Example.com", dave.password)
    assert response.status_code == 200 and response.json()["user"]["email"] == "dave@example.com"


async def test_live_0_1_x_refresh_tokens_refresh_once_then_continue_as_sessions(migrated, start):
    apps = {app_id: await start(app_id) for app_id in ("app1", "app2", "kiosk")}
    carried = [
        token
        for token in migrated.tokens("live")
        if token.delivered
        and token.label not in {"gone-register", "dan-0.1.3-register"}
        and token.label != "mallory-refreshed-while-inactive"
    ]
    assert len(carried) == 26  # 27 sessions; the 27th token 0.1.9 never delivered
    for token in carried:
        served = apps[token.app_id]
        first = await refresh(served, token.token)
        assert first.status_code == 200, (token.label, first.text)
        ours = first.json()["refresh_token"]
        assert "." in ours and ours != token.token
        me = await served.client.get("/whoami", headers=bearer(first.json()["access_token"]))
        assert me.status_code == 200 and me.json()["session_id"] == ours.partition(".")[0]
        second = await refresh(served, ours)
        assert second.status_code == 200, token.label


async def test_a_used_0_1_x_refresh_token_presented_again_is_reuse(migrated, start, database):
    served = await start()
    token = migrated.token("carol-login-late")
    successor = (await refresh(served, token.token)).json()["refresh_token"]
    session = await database["sessions"].find_one({"_id": successor.partition(".")[0]})
    assert "legacy_hash" not in session  # forgotten in the rotating write
    assert_error(await refresh(served, token.token), 401, "REFRESH_TOKEN_REUSE")
    # Reuse ends the user's sessions in the app, the carried-over one included.
    assert_error(await refresh(served, successor), 401, "REFRESH_TOKEN_INVALID")


async def test_0_1_x_refresh_tokens_that_were_dead_stay_dead(migrated, start):
    legacy = migrated
    apps = {app_id: await start(app_id) for app_id in ("app1", "app2", "kiosk")}
    dead = [*legacy.tokens("revoked"), *legacy.tokens("expired")]
    dead += [legacy.token(label) for label in ("gone-register", "dan-0.1.3-register")]
    dead.append(legacy.token("mallory-refreshed-while-inactive"))
    for token in dead:
        response = await refresh(apps[token.app_id], token.token)
        assert_error(response, 401, "REFRESH_TOKEN_INVALID")
    # A live token presented to another app is not that app's.
    assert_error(
        await refresh(apps["app2"], legacy.token("frank-app1-login").token),
        401,
        "REFRESH_TOKEN_INVALID",
    )


async def test_firebase_sessions_continue_with_the_uid_as_sub(migrated, start):
    served = await start()
    token = migrated.token("ivan-login")
    body = (await refresh(served, token.token)).json()
    me = (await served.client.get("/whoami", headers=bearer(body["access_token"]))).json()
    assert me["sub"] == migrated.user("ivan-firebase-password").firebase_uid
    assert me["provider"] == "password"


async def test_every_app_starts_with_its_0_1_x_secret(migrated, make_trachea):
    for app_id in ("app1", "app2", "kiosk"):
        trachea = make_trachea(app_id, app_secret=migrated.apps[app_id].secret, **FIREBASE)
        await trachea.startup()
        assert trachea.started
        await trachea.shutdown()
    assert len(migrated.apps["kiosk"].secret.encode()) > 72
    wrong = make_trachea("kiosk", app_secret="not-the-kiosk-secret-0123456789abcdef", **FIREBASE)
    with pytest.raises(TracheaConfigError, match="does not match"):
        await wrong.startup()


async def test_the_service_refuses_an_un_migrated_database_naming_the_command(legacy, make_trachea):
    trachea = make_trachea("app1", app_secret=legacy.apps["app1"].secret, **FIREBASE)
    with pytest.raises(TracheaConfigError, match="trachea-login db migrate") as raised:
        await trachea.startup()
    assert "0.1.x" in str(raised.value) and legacy.apps["app1"].secret not in str(raised.value)


async def test_without_0_1_x_indexes_the_apps_still_mark_an_un_migrated_database(
    legacy, database, make_trachea
):
    # 0.1.x's startup() was optional: a deployment that never ran it has no indexes.
    for collection in ("users", "apps", "refresh_tokens"):
        await database[collection].drop_indexes()
    trachea = make_trachea("app1", app_secret=legacy.apps["app1"].secret, **FIREBASE)
    with pytest.raises(TracheaConfigError, match="trachea-login db migrate"):
        await trachea.startup()


async def test_a_half_migrated_database_is_refused_until_a_rerun_finishes(
    legacy, database, make_trachea
):
    with pytest.raises(InjectedFailure):
        await from_0_1(FailingDatabase(database, fail_at=80), dry_run=False)
    trachea = make_trachea("app1", app_secret=legacy.apps["app1"].secret, **FIREBASE)
    with pytest.raises(TracheaConfigError, match="trachea-login db migrate"):
        await trachea.startup()
    await from_0_1(database, dry_run=False)
    await trachea.startup()
    assert trachea.started
    await trachea.shutdown()
