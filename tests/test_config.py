"""Contract §3: settings from the environment, .env and keywords; clear errors."""

from __future__ import annotations

import pytest

from trachea_login import TracheaConfigError, TracheaLogin
from trachea_login.config import load_settings

from .conftest import JWT_SECRET


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("TRACHEA_APP_ID", "env-app")
    monkeypatch.setenv("TRACHEA_APP_SECRET", "env-secret-0123456789")
    monkeypatch.setenv("TRACHEA_JWT_SECRET", JWT_SECRET)
    monkeypatch.setenv("TRACHEA_LOGIN_MAX_FAILURES", "9")
    settings = load_settings()
    assert (settings.app_id, settings.login_max_failures) == ("env-app", 9)
    assert (settings.db_name, settings.jwt_issuer, settings.access_token_expire_minutes) == (
        "trachea",
        "trachea-login",
        15,
    )


def test_settings_come_from_a_dotenv_file(tmp_path):
    (tmp_path / ".env").write_text(
        f"TRACHEA_APP_ID=dotenv-app\nTRACHEA_APP_SECRET=x-0123456789abcdef\n"
        f"TRACHEA_JWT_SECRET={JWT_SECRET}\n"
    )
    assert load_settings().app_id == "dotenv-app"


def test_keywords_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("TRACHEA_APP_ID", "env-app")
    monkeypatch.setenv("TRACHEA_APP_SECRET", "env-secret-0123456789")
    monkeypatch.setenv("TRACHEA_JWT_SECRET", JWT_SECRET)
    settings = load_settings(app_id="kw-app", login_max_failures=3)
    assert (settings.app_id, settings.login_max_failures) == ("kw-app", 3)


@pytest.mark.parametrize(
    "kwargs,variable",
    [
        ({"app_secret": "s" * 20, "jwt_secret": JWT_SECRET}, "TRACHEA_APP_ID"),
        ({"app_id": "a", "jwt_secret": JWT_SECRET}, "TRACHEA_APP_SECRET"),
        ({"app_id": "a", "app_secret": "s" * 20}, "TRACHEA_JWT_SECRET"),
        (
            {
                "app_id": "a",
                "app_secret": "s" * 20,
                "jwt_secret": "short-secret-31-bytes-long-xxxx",
            },
            "TRACHEA_JWT_SECRET",
        ),
        (
            {"app_id": "a", "app_secret": "s" * 20, "jwt_algorithm": "RS256"},
            "TRACHEA_JWT_PRIVATE_KEY",
        ),
        (
            {
                "app_id": "a",
                "app_secret": "s" * 20,
                "jwt_secret": JWT_SECRET,
                "jwt_algorithm": "none",
            },
            "TRACHEA_JWT_ALGORITHM",
        ),
        (
            {
                "app_id": "a",
                "app_secret": "s" * 20,
                "jwt_secret": JWT_SECRET,
                "access_token_expire_minutes": 0,
            },
            "TRACHEA_ACCESS_TOKEN_EXPIRE_MINUTES",
        ),
        (
            {
                "app_id": "a",
                "app_secret": "s" * 20,
                "jwt_secret": JWT_SECRET,
                "trusted_proxies": ["not-an-ip"],
            },
            "TRACHEA_TRUSTED_PROXIES",
        ),
    ],
    ids=[
        "no-app-id",
        "no-app-secret",
        "no-jwt-secret",
        "short-jwt-secret",
        "rs256-no-key",
        "bad-algorithm",
        "zero-expiry",
        "bad-proxy",
    ],
)
def test_misconfiguration_fails_at_construction_naming_the_variable(kwargs, variable):
    with pytest.raises(TracheaConfigError) as caught:
        TracheaLogin(mongo_uri="mongomock://", **kwargs)
    assert variable in str(caught.value)
    assert "short-secret" not in str(caught.value)


def test_mongo_uri_is_required_without_a_client():
    with pytest.raises(TracheaConfigError) as caught:
        TracheaLogin(app_id="a", app_secret="s" * 20, jwt_secret=JWT_SECRET)
    assert "TRACHEA_MONGO_URI" in str(caught.value)


def test_unknown_keyword_is_refused():
    with pytest.raises(TracheaConfigError) as caught:
        TracheaLogin(
            app_id="a",
            app_secret="s" * 20,
            jwt_secret=JWT_SECRET,
            mongo_uri="mongomock://",
            jwt_secrett="typo",
        )
    assert "jwt_secrett" in str(caught.value)


def test_trusted_proxies_accept_a_comma_separated_list(monkeypatch):
    monkeypatch.setenv("TRACHEA_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")
    settings = load_settings(app_id="a", app_secret="s" * 20, jwt_secret=JWT_SECRET)
    assert settings.trusted_proxies == ["10.0.0.0/8", "127.0.0.1"]


def test_env_example_lists_every_setting():
    from pathlib import Path

    from trachea_login.config import TracheaSettings

    example = (Path(__file__).resolve().parents[1] / ".env.example").read_text()
    for name in TracheaSettings.model_fields:
        assert f"TRACHEA_{name.upper()}=" in example, name


@pytest.mark.parametrize(
    "kwargs,variable",
    [
        ({"mongo_uri": "notauri"}, "TRACHEA_MONGO_URI"),
        ({"mongo_uri": "mongodb://user:hunter2@[bad"}, "TRACHEA_MONGO_URI"),
        ({"mongo_uri": "mongomock://", "db_name": "bad/name"}, "TRACHEA_DB_NAME"),
        ({"mongo_uri": "mongomock://", "db_name": "a.b"}, "TRACHEA_DB_NAME"),
    ],
    ids=["not-a-uri", "malformed-uri", "db-name-slash", "db-name-dot"],
)
def test_database_misconfiguration_names_the_variable_and_hides_the_uri(kwargs, variable):
    with pytest.raises(TracheaConfigError) as caught:
        TracheaLogin(app_id="a", app_secret="s" * 20, jwt_secret=JWT_SECRET, **kwargs)
    assert variable in str(caught.value)
    assert "hunter2" not in str(caught.value)


async def test_an_unreachable_database_fails_startup_clearly():
    trachea = TracheaLogin(
        app_id="a",
        app_secret="s" * 20,
        jwt_secret=JWT_SECRET,
        mongo_uri="mongodb://user:hunter2@127.0.0.1:1/",
        mongo_timeout_ms=100,
    )
    with pytest.raises(TracheaConfigError) as caught:
        await trachea.startup()
    message = str(caught.value)
    assert "Cannot reach MongoDB" in message and "TRACHEA_MONGO_URI" in message
    assert "hunter2" not in message
    await trachea.shutdown()


def test_misspelt_variables_are_warned_about(monkeypatch, caplog):
    monkeypatch.setenv("TRACHEA_JWT_SECRETS", "oops")
    with caplog.at_level("WARNING", logger="trachea_login"):
        load_settings(app_id="a", app_secret="s" * 20, jwt_secret=JWT_SECRET)
    warnings = [r.getMessage() for r in caplog.records]
    assert any("TRACHEA_JWT_SECRETS" in w for w in warnings)
    assert not any("oops" in w for w in warnings)
