"""OpenAPI declarations: each route lists the §5 errors it can answer, with an example body."""

from __future__ import annotations

from typing import Any

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
