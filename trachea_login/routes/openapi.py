"""OpenAPI declarations: each route lists the §5 errors it can answer, with an example body."""

from __future__ import annotations

from typing import Any

from fastapi.openapi.models import Example
from pydantic import BaseModel

from ..errors import DEFAULT_MESSAGES, STATUS_OF, ErrorCode, error_body


class ErrorResponse(BaseModel):
    """The body of every error (contract §5)."""

    error: ErrorCode
    message: str
    status_code: int


def error_responses(*codes: ErrorCode) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: one entry per status, one example per code.

    Every route can answer 422 ``VALIDATION_ERROR``, so it is always included.
    """
    by_status: dict[int, list[ErrorCode]] = {}
    for code in (*codes, ErrorCode.VALIDATION_ERROR):
        listed = by_status.setdefault(STATUS_OF[code], [])
        if code not in listed:
            listed.append(code)
    return {
        status: {
            "model": ErrorResponse,
            "description": " / ".join(code.value for code in status_codes),
            "content": {
                "application/json": {
                    "examples": {
                        code.value: {"summary": DEFAULT_MESSAGES[code], "value": error_body(code)}
                        for code in status_codes
                    }
                }
            },
        }
        for status, status_codes in sorted(by_status.items())
    }


# -- request examples ------------------------------------------------------------------------
# Swagger UI's "Try it out" fills the body with the first example of a route, so each first
# example works unchanged, in this order, on a fresh app allowing native sign-in: register,
# login, then (Authorize with the access token) the profile and plan edits, the password
# change and the erasure. Values are
# real-looking, never "string", and no example sends ``app_id`` (the instance knows its app).
# (FastAPI drops null values from the document, so no example can show that null clears.)

EXAMPLE_PASSWORD = "correct horse battery staple"  # noqa: S105 - a documentation example
EXAMPLE_EMAIL = "alice@example.com"

REGISTER_EXAMPLES: dict[str, Example] = {
    "alice": {
        "summary": "A native account (username + password)",
        "value": {"username": "alice", "password": EXAMPLE_PASSWORD, "name": "Alice"},
    },
}

LOGIN_EXAMPLES: dict[str, Example] = {
    "username": {
        "summary": "Username and password (after the register example)",
        "value": {"username": "alice", "password": EXAMPLE_PASSWORD},
    },
    "email": {
        "summary": "Email and password (once the account has that email, e.g. from the plan "
        "example)",
        "value": {"email": EXAMPLE_EMAIL, "password": EXAMPLE_PASSWORD},
    },
    "firebase": {
        "summary": "A Firebase ID token (replace the value with one from a client SDK or the "
        "Auth emulator)",
        "value": {"firebase_token": "<a Firebase ID token>"},
    },
}

REFRESH_EXAMPLES: dict[str, Example] = {
    "refresh": {
        "summary": "Replace the value with the refresh_token of a login or refresh answer",
        "value": {"refresh_token": "<the refresh_token of a login answer>"},
    },
}

PROFILE_EXAMPLES: dict[str, Example] = {
    "profile": {
        "summary": "Edit several fields",
        "value": {
            "name": "Alice Liddell",
            "phone": "+14155550123",
            "date_of_birth": "1990-04-01",
            "address": {"city": "Pune", "state": "Maharashtra", "country": "IN"},
        },
    },
}

PLAN_EXAMPLES: dict[str, Example] = {
    "pro": {
        "summary": "A paid plan needs an email; the app's plan policy decides (the demo allows it)",
        "value": {"plan": "pro", "email": EXAMPLE_EMAIL},
    },
    "free": {"summary": "Back to the free plan", "value": {"plan": "free"}},
}

PASSWORD_EXAMPLES: dict[str, Example] = {
    "change": {
        "summary": "The current password, and a new one (every other session ends)",
        "value": {
            "current_password": EXAMPLE_PASSWORD,
            "new_password": "tangerine lighthouse on a quiet hill",
        },
    },
}

ERASE_EXAMPLES: dict[str, Example] = {
    "confirm": {
        "summary": "Erase for good (needs a sign-in within REAUTH_MAX_AGE_MINUTES)",
        "value": {"confirm": True},
    },
}
