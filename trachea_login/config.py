"""Settings: ``TRACHEA_*`` environment variables, a ``.env`` file, or keywords (contract §3).

Keywords given to ``TracheaLogin(...)`` win over the environment. Every check that can be made
without the database is made here, at construction, with a message naming the variable.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from .errors import TracheaConfigError
from .methods import KNOWN_AUTH_METHODS

logger = logging.getLogger("trachea_login")

ENV_PREFIX = "TRACHEA_"
EMBEDDED_URI_SCHEME = "mongomock://"
MONGO_URI_SCHEMES = ("mongodb://", "mongodb+srv://", EMBEDDED_URI_SCHEME)


#: Where settings come from: ``TRACHEA_*`` variables, then a ``.env`` file in the working
#: directory. Shared by the service's and the CLI's settings.
SETTINGS_SOURCES = SettingsConfigDict(
    env_prefix=ENV_PREFIX,
    env_file=".env",
    env_file_encoding="utf-8",
    extra="ignore",
    case_sensitive=False,
)


class TracheaSettings(BaseSettings):
    """All settings of one ``TracheaLogin`` instance."""

    model_config = SETTINGS_SOURCES

    app_id: str = Field(min_length=1)
    app_secret: SecretStr
    mongo_uri: str | None = None
    db_name: str = "trachea"
    #: Upper bound on any one database operation; past it the request answers 503.
    mongo_timeout_ms: int = Field(default=10_000, ge=1, le=600_000)

    jwt_secret: SecretStr | None = None
    jwt_algorithm: Literal["HS256", "RS256", "ES256"] = "HS256"
    jwt_private_key: SecretStr | None = None
    #: Keys that still verify but never sign (§8): HS256 secrets, or PEM keys / paths.
    # NoDecode: an empty variable means none (a JSON list otherwise, never echoed on errors).
    jwt_previous_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list, max_length=16
    )
    jwt_issuer: str = "trachea-login"
    access_token_expire_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_expire_days: int = Field(default=30, ge=1, le=3650)
    #: Verified access tokens remembered per instance (§8); 0 turns the cache off.
    token_cache_size: int = Field(default=10_000, ge=0, le=10_000_000)
    #: A rotated refresh token presented again this soon gets a new successor (contract §9).
    refresh_reuse_grace_seconds: int = Field(default=0, ge=0, le=300)
    #: Absolute lifetime of a session; rotation never extends it (contract §9).
    session_max_days: int = Field(default=90, ge=1, le=3650)
    #: How recent the sign-in must be for sensitive actions (erasure) (contract §9).
    reauth_max_age_minutes: int = Field(default=5, ge=1, le=1440)
    #: Erasure also deletes the person's Firebase user (needs Firebase credentials).
    erase_firebase_user: bool = False

    password_min_length: int = Field(default=8, ge=1, le=128)
    password_hash_rounds: int = Field(default=12, ge=4, le=20)
    #: Hashes running at once per instance (default: cores - 1, at least 1); more queue.
    password_hash_threads: int | None = Field(default=None, ge=1, le=64)

    login_max_failures: int = Field(default=5, ge=1)
    login_max_failures_per_ip: int = Field(default=100, ge=1)
    login_failure_window_minutes: int = Field(default=15, ge=1)
    # NoDecode: a comma-separated list in the environment, not only JSON.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)

    #: On the embedded database only: the methods the instance registers its app with (§7).
    #: ``None``: ``username``, plus every Firebase method when Firebase is configured.
    embedded_auth_methods: Annotated[list[str], NoDecode] | None = None

    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    audit_retention_days: int = Field(default=90, ge=1)
    #: At shutdown, how long queued events may take to reach ``on_event`` (contract §11).
    event_shutdown_seconds: float = Field(default=5.0, ge=0, le=300)

    firebase_credentials: SecretStr | None = None
    firebase_project_id: str | None = None
    firebase_check_revoked: bool = True
    firebase_allow_emulator: bool = False
    firebase_http_timeout: float = Field(default=10.0, gt=0, le=120)

    @field_validator("mongo_uri")
    @classmethod
    def _check_uri(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(MONGO_URI_SCHEMES):
            # Never echo the value: a URI may hold a password.
            raise ValueError("must start with mongodb://, mongodb+srv:// or mongomock://")
        return value

    @field_validator("db_name")
    @classmethod
    def _check_db_name(cls, value: str) -> str:
        # MongoDB's own rules for database names.
        if not value or len(value) > 63 or any(ch in value for ch in '/\\. "$*<>:|?\0'):
            raise ValueError('must be 1-63 characters without / \\ . space " $ * < > : | ?')
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("embedded_auth_methods", mode="before")
    @classmethod
    def _split_methods(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if not text:  # a blank line copied from .env.example: the default
                return None
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("embedded_auth_methods")
    @classmethod
    def _check_methods(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        known = ", ".join(KNOWN_AUTH_METHODS)
        if not value:
            raise ValueError(f"must name at least one sign-in method ({known})")
        unknown = [method for method in value if method not in KNOWN_AUTH_METHODS]
        if unknown:
            # Method names are not secrets: showing them points at the typo.
            shown = ", ".join(repr(method[:40]) for method in unknown[:3])
            raise ValueError(f"{shown}: not a known sign-in method (the known ones: {known})")
        return list(dict.fromkeys(value))

    @field_validator("jwt_previous_keys", mode="before")
    @classmethod
    def _decode_previous_keys(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if not value.strip():
            return []
        try:
            decoded = json.loads(value)
        except ValueError:
            decoded = None
        if not isinstance(decoded, list):
            # Never the value or the parser's message: it may quote a secret.
            raise ValueError("must be a JSON list of secrets, PEM keys or paths")
        return decoded

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        for entry in value:
            ipaddress.ip_network(entry, strict=False)  # raises ValueError on garbage
        return value

    @model_validator(mode="after")
    def _check_keys(self) -> TracheaSettings:
        if self.jwt_algorithm == "HS256":
            if self.jwt_secret is None:
                raise ValueError("TRACHEA_JWT_SECRET is required with JWT_ALGORITHM=HS256")
            if len(self.jwt_secret.get_secret_value().encode()) < 32:
                raise ValueError("TRACHEA_JWT_SECRET must be at least 32 bytes long")
        elif self.jwt_private_key is None:
            raise ValueError(
                f"TRACHEA_JWT_PRIVATE_KEY is required with JWT_ALGORITHM={self.jwt_algorithm}"
            )
        return self

    @property
    def uses_embedded_database(self) -> bool:
        return bool(self.mongo_uri) and str(self.mongo_uri).startswith(EMBEDDED_URI_SCHEME)

    def private_key_pem(self) -> str:
        """The PEM text of ``JWT_PRIVATE_KEY``, read from a file when a path is given."""
        if self.jwt_private_key is None:
            raise TracheaConfigError("TRACHEA_JWT_PRIVATE_KEY is not set")
        value = self.jwt_private_key.get_secret_value().strip()
        if "-----BEGIN" in value:
            return value
        path = Path(value).expanduser()
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TracheaConfigError(
                "TRACHEA_JWT_PRIVATE_KEY is neither a PEM key nor a readable file path "
                f"({exc.__class__.__name__})"
            ) from None


def load_settings(**overrides: Any) -> TracheaSettings:
    """Build settings from keywords over the environment, turning errors into one clear message.

    ``None`` keywords are ignored so ``TracheaLogin(app_id=None)`` means "from the environment".
    """
    given = {key: value for key, value in overrides.items() if value is not None}
    unknown = sorted(set(given) - set(TracheaSettings.model_fields))
    if unknown:
        raise TracheaConfigError(f"Unknown setting keyword(s): {', '.join(unknown)}")
    warn_unknown_variables()
    try:
        return TracheaSettings(**given)
    except ValidationError as exc:
        raise TracheaConfigError(_describe(exc)) from None
    except SettingsError as exc:
        # e.g. an environment value that does not parse; the message names the field only.
        field = str(exc).split('"')[1] if '"' in str(exc) else "settings"
        raise TracheaConfigError(
            f"Invalid trachea-login configuration: {ENV_PREFIX}{field.upper()} cannot be parsed"
        ) from None


#: TRACHEA_* variables that are not settings of the service but are used elsewhere.
OTHER_VARIABLES = frozenset({"TRACHEA_TEST_MONGO_URI"})


def warn_unknown_variables() -> None:
    """Log a warning for each ``TRACHEA_*`` environment variable that is no setting: a typo
    (``TRACHEA_JWT_SECRETS``) would otherwise be silently ignored."""
    known = {f"{ENV_PREFIX}{name.upper()}" for name in TracheaSettings.model_fields}
    for name in sorted(os.environ):
        upper = name.upper()
        if upper.startswith(ENV_PREFIX) and upper not in known and upper not in OTHER_VARIABLES:
            logger.warning("ignoring unknown environment variable %s (a misspelt setting?)", name)


def _describe(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else ""
        name = f"{ENV_PREFIX}{field.upper()}" if field else "settings"
        if err["type"] == "missing":
            lines.append(f"{name} is required (set the environment variable or pass {field}=)")
        else:
            # pydantic's message for our model validator already names the variable; for field
            # errors it describes the rule. Never include err["input"]: it may be a secret.
            msg = str(err["msg"]).removeprefix("Value error, ")
            lines.append(msg if not field else f"{name}: {msg}")
    return "Invalid trachea-login configuration: " + "; ".join(lines)
