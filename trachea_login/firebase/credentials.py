"""Firebase configuration: the service-account credentials and the Auth emulator switch."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from firebase_admin import credentials as firebase_credentials

from ..errors import TracheaConfigError

EMULATOR_HOST_ENV = "FIREBASE_AUTH_EMULATOR_HOST"
"""The variable ``firebase_admin`` reads to switch to the Auth emulator."""

CREDENTIALS_VAR = "TRACHEA_FIREBASE_CREDENTIALS"
PROJECT_ID_VAR = "TRACHEA_FIREBASE_PROJECT_ID"
ALLOW_EMULATOR_VAR = "TRACHEA_FIREBASE_ALLOW_EMULATOR"
CHECK_REVOKED_VAR = "TRACHEA_FIREBASE_CHECK_REVOKED"

DEMO_PROJECT_PREFIX = "demo-"

_SERVICE_ACCOUNT_FIELDS = ("private_key", "client_email", "token_uri")


def emulator_host() -> str | None:
    value = os.environ.get(EMULATOR_HOST_ENV, "").strip()
    return value or None


def load_service_account(value: str) -> dict[str, Any]:
    """Parse ``TRACHEA_FIREBASE_CREDENTIALS``: JSON text, or a path to a JSON file."""
    text = value.strip()
    source = "its value"
    if not text.startswith("{"):
        source = "the file it names"
        try:
            text = Path(text).expanduser().read_text(encoding="utf-8")
        except (OSError, ValueError) as exc:
            raise TracheaConfigError(
                f"{CREDENTIALS_VAR} is neither service-account JSON nor the path of a readable "
                f"file ({exc.__class__.__name__})"
            ) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        where = (
            f" at line {exc.lineno} column {exc.colno}"
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        raise TracheaConfigError(f"{CREDENTIALS_VAR}: {source} is not valid JSON{where}") from None
    if not isinstance(data, dict) or data.get("type") != "service_account":
        raise TracheaConfigError(
            f"{CREDENTIALS_VAR}: {source} is not a service-account key "
            '(expected a JSON object with "type": "service_account")'
        )
    missing = [key for key in _SERVICE_ACCOUNT_FIELDS if not data.get(key)]
    if missing:
        raise TracheaConfigError(
            f"{CREDENTIALS_VAR}: the service-account key lacks {', '.join(missing)}"
        )
    return data


def project_of(service_account: dict[str, Any] | None) -> str:
    if service_account is None:
        return ""
    project = service_account.get("project_id")
    return project.strip() if isinstance(project, str) else ""


def certificate(service_account: dict[str, Any]) -> firebase_credentials.Certificate:
    try:
        return firebase_credentials.Certificate(service_account)
    except ValueError:
        # firebase_admin's message may quote parts of the key: do not pass it on.
        raise TracheaConfigError(
            f"{CREDENTIALS_VAR}: the service-account key cannot be loaded (is private_key a "
            "valid PEM key?)"
        ) from None
