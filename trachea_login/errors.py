"""Error codes, the error exception, and the one error body shape every route answers with.

Every error from a trachea-login route is ``{"error": CODE, "message": text, "status_code": int}``
(contract §5). Domain code raises :class:`TracheaError`; the router's route class and the exported
:func:`trachea_exception_handler` turn it into that body.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from enum import Enum
from typing import Any

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

logger = logging.getLogger("trachea_login")


class ErrorCode(str, Enum):
    """Stable, machine-readable error codes. Clients switch on these, never on messages."""

    APP_NOT_FOUND = "APP_NOT_FOUND"
    APP_INACTIVE = "APP_INACTIVE"
    APP_MISMATCH = "APP_MISMATCH"
    AUTH_METHOD_NOT_ALLOWED = "AUTH_METHOD_NOT_ALLOWED"
    INVALID_FIREBASE_TOKEN = "INVALID_FIREBASE_TOKEN"  # noqa: S105 - a code, not a secret
    AUTH_PROVIDER_UNAVAILABLE = "AUTH_PROVIDER_UNAVAILABLE"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    USERNAME_TAKEN = "USERNAME_TAKEN"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    INVALID_TOKEN = "INVALID_TOKEN"  # noqa: S105
    TOKEN_EXPIRED = "TOKEN_EXPIRED"  # noqa: S105
    REFRESH_TOKEN_INVALID = "REFRESH_TOKEN_INVALID"  # noqa: S105
    REFRESH_TOKEN_REUSE = "REFRESH_TOKEN_REUSE"  # noqa: S105
    INSUFFICIENT_ROLE = "INSUFFICIENT_ROLE"
    INSUFFICIENT_PLAN = "INSUFFICIENT_PLAN"
    EMAIL_REQUIRED_FOR_PAID = "EMAIL_REQUIRED_FOR_PAID"
    PLAN_CHANGE_NOT_ALLOWED = "PLAN_CHANGE_NOT_ALLOWED"
    USER_INACTIVE = "USER_INACTIVE"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    ORIGIN_NOT_ALLOWED = "ORIGIN_NOT_ALLOWED"
    SESSION_NOT_FOUND = "SESSION_NOT_FOUND"
    REAUTHENTICATION_REQUIRED = "REAUTHENTICATION_REQUIRED"
    INVALID_CLIENT = "INVALID_CLIENT"
    INSUFFICIENT_SCOPE = "INSUFFICIENT_SCOPE"
    # Beyond contract §5 (see docs/decisions.md): failures that are ours, not the client's.
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    INTERNAL_ERROR = "INTERNAL_ERROR"


STATUS_OF: dict[ErrorCode, int] = {
    ErrorCode.APP_NOT_FOUND: 404,
    ErrorCode.APP_INACTIVE: 403,
    ErrorCode.APP_MISMATCH: 403,
    ErrorCode.AUTH_METHOD_NOT_ALLOWED: 403,
    ErrorCode.INVALID_FIREBASE_TOKEN: 401,
    ErrorCode.AUTH_PROVIDER_UNAVAILABLE: 503,
    ErrorCode.INVALID_CREDENTIALS: 401,
    ErrorCode.USERNAME_TAKEN: 409,
    ErrorCode.EMAIL_TAKEN: 409,
    ErrorCode.INVALID_TOKEN: 401,
    ErrorCode.TOKEN_EXPIRED: 401,
    ErrorCode.REFRESH_TOKEN_INVALID: 401,
    ErrorCode.REFRESH_TOKEN_REUSE: 401,
    ErrorCode.INSUFFICIENT_ROLE: 403,
    ErrorCode.INSUFFICIENT_PLAN: 403,
    ErrorCode.EMAIL_REQUIRED_FOR_PAID: 422,
    ErrorCode.PLAN_CHANGE_NOT_ALLOWED: 403,
    ErrorCode.USER_INACTIVE: 403,
    ErrorCode.VALIDATION_ERROR: 422,
    ErrorCode.TOO_MANY_ATTEMPTS: 429,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.ORIGIN_NOT_ALLOWED: 403,
    ErrorCode.SESSION_NOT_FOUND: 404,
    ErrorCode.REAUTHENTICATION_REQUIRED: 401,
    ErrorCode.INVALID_CLIENT: 401,
    ErrorCode.INSUFFICIENT_SCOPE: 403,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
    ErrorCode.INTERNAL_ERROR: 500,
}

DEFAULT_MESSAGES: dict[ErrorCode, str] = {
    ErrorCode.APP_NOT_FOUND: "No registered app has this app_id.",
    ErrorCode.APP_INACTIVE: "This app is disabled.",
    ErrorCode.APP_MISMATCH: "The app_id sent does not belong to this service.",
    ErrorCode.AUTH_METHOD_NOT_ALLOWED: "This sign-in method is not enabled for this app.",
    ErrorCode.INVALID_FIREBASE_TOKEN: "The Firebase ID token is invalid, expired or revoked.",
    ErrorCode.AUTH_PROVIDER_UNAVAILABLE: "The sign-in provider cannot be reached; retry later.",
    ErrorCode.INVALID_CREDENTIALS: "Invalid username or password.",
    ErrorCode.USERNAME_TAKEN: "This username is already taken.",
    ErrorCode.EMAIL_TAKEN: "This email address is already used by another account.",
    ErrorCode.INVALID_TOKEN: "The access token is missing or invalid.",
    ErrorCode.TOKEN_EXPIRED: "The access token has expired; refresh it.",
    ErrorCode.REFRESH_TOKEN_INVALID: "The refresh token is invalid, expired or revoked.",
    ErrorCode.REFRESH_TOKEN_REUSE: (
        "This refresh token was already used; every session of this account in this app has "
        "been signed out."
    ),
    ErrorCode.INSUFFICIENT_ROLE: "Your role in this app does not allow this.",
    ErrorCode.INSUFFICIENT_PLAN: "Your plan in this app does not include this.",
    ErrorCode.EMAIL_REQUIRED_FOR_PAID: "A paid plan needs an email address on the account.",
    ErrorCode.PLAN_CHANGE_NOT_ALLOWED: "This plan change is not allowed.",
    ErrorCode.USER_INACTIVE: "This account is deactivated.",
    ErrorCode.VALIDATION_ERROR: "The request is not valid.",
    ErrorCode.TOO_MANY_ATTEMPTS: "Too many failed attempts; retry later.",
    ErrorCode.PAYLOAD_TOO_LARGE: "The request body is too large.",
    ErrorCode.ORIGIN_NOT_ALLOWED: "Requests from this origin are not allowed for this app.",
    ErrorCode.SESSION_NOT_FOUND: "No such live session of yours in this app.",
    ErrorCode.REAUTHENTICATION_REQUIRED: (
        "This needs a recent sign-in: sign in again, then retry."
    ),
    ErrorCode.INVALID_CLIENT: "Client authentication failed: unknown client or wrong secret.",
    ErrorCode.INSUFFICIENT_SCOPE: "The token's scopes do not allow this.",
    ErrorCode.SERVICE_UNAVAILABLE: "The service is temporarily unavailable; retry later.",
    ErrorCode.INTERNAL_ERROR: "An internal error occurred.",
}


def error_body(code: ErrorCode, message: str | None = None) -> dict[str, Any]:
    """The §5 body: exactly ``error``, ``message`` and ``status_code``."""
    return {
        "error": code.value,
        "message": message or DEFAULT_MESSAGES[code],
        "status_code": STATUS_OF[code],
    }


#: The challenge of a failed client authentication at ``POST /token`` (RFC 6749 §5.2 with
#: RFC 7617, whose Basic scheme requires a realm).
CLIENT_CHALLENGE = 'Basic realm="trachea-login"'


def default_headers(code: ErrorCode, retry_after: int | None = None) -> dict[str, str]:
    """Headers §5 requires: ``WWW-Authenticate`` on 401 (``Basic`` for ``INVALID_CLIENT``,
    else ``Bearer``), ``Retry-After`` on 429 and 503."""
    status = STATUS_OF[code]
    headers: dict[str, str] = {}
    if status == 401:
        client = code is ErrorCode.INVALID_CLIENT
        headers["WWW-Authenticate"] = CLIENT_CHALLENGE if client else "Bearer"
    if status in (429, 503):
        headers["Retry-After"] = str(max(1, int(retry_after if retry_after is not None else 30)))
    return headers


class TracheaError(HTTPException):
    """A client-facing error with a stable code.

    It is an ``HTTPException``, so inside a product app's own routes (from our dependencies) it
    keeps its status and headers even without our handler; FastAPI then answers
    ``{"detail": <§5 body>}``. With :func:`trachea_exception_handler` installed the body is the
    §5 shape itself.
    """

    def __init__(
        self,
        code: ErrorCode,
        message: str | None = None,
        *,
        retry_after: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.code = code
        self.body = error_body(code, message)
        merged = default_headers(code, retry_after)
        merged.update(headers or {})
        super().__init__(status_code=STATUS_OF[code], detail=self.body, headers=merged)

    @property
    def message(self) -> str:
        return str(self.body["message"])

    def __str__(self) -> str:
        return f"{self.code.value}: {self.message}"


class TracheaConfigError(RuntimeError):
    """Raised at construction or startup when configuration is wrong.

    The message names the setting or the state that is wrong and how to fix it; it never contains
    a secret.
    """


def error_response(error: TracheaError) -> JSONResponse:
    return JSONResponse(
        status_code=error.status_code,
        content=error.body,
        headers=dict(error.headers or {}),
    )


_SAFE_NAME = re.compile(r"^[A-Za-z0-9_]{1,40}$")


def _shown_location(part: object) -> str:
    """A location part as shown in a message. Field names of unknown fields come from the
    client, so anything but a short plain name is not repeated."""
    text = str(part)
    return text if isinstance(part, int) or _SAFE_NAME.match(text) else "(unknown field)"


def describe_validation_error(exc: RequestValidationError) -> str:
    """A human message for a 422 that names the fields but never echoes their values."""
    parts: list[str] = []
    for err in exc.errors()[:5]:
        loc = ".".join(_shown_location(p) for p in err.get("loc", ()) if p not in ("body",))
        kind = err.get("type", "")
        if kind == "extra_forbidden":
            text = "is not an accepted field"
        elif kind == "missing":
            text = "is required"
        elif kind == "json_invalid":
            text = "the body is not valid JSON"
            loc = ""
        else:
            # pydantic's messages describe the rule ("String should have at least 3
            # characters"), not the input; ctx may hold input-derived text so it is not used.
            text = str(err.get("msg", "is not valid")).removeprefix("Value error, ")
        parts.append(f"{loc}: {text}" if loc else text)
    return (
        "Invalid request: " + "; ".join(parts)
        if parts
        else DEFAULT_MESSAGES[ErrorCode.VALIDATION_ERROR]
    )


def validation_error_response(exc: RequestValidationError) -> JSONResponse:
    return error_response(TracheaError(ErrorCode.VALIDATION_ERROR, describe_validation_error(exc)))


async def trachea_exception_handler(request: Request, exc: Exception) -> JSONResponse:
    """Exception handler for a product app: renders :class:`TracheaError` as the §5 body.

    Add it with ``app.add_exception_handler(TracheaError, trachea_exception_handler)`` (or use
    ``trachea.install(app)``) so errors raised by our dependencies in your routes look exactly
    like errors from our own routes.
    """
    if isinstance(exc, TracheaError):
        return error_response(exc)
    raise exc  # pragma: no cover - only registered for TracheaError
