"""OpenAPI: routes tagged, each declaring its §5 errors with examples; the bearer scheme makes
Swagger UI's Authorize button work, and protected product routes show the lock."""

from __future__ import annotations

import pytest

from trachea_login.errors import STATUS_OF, ErrorCode

EXPECTED = {
    ("post", "/auth/register"): {
        "USERNAME_TAKEN",
        "AUTH_METHOD_NOT_ALLOWED",
        "APP_INACTIVE",
        "VALIDATION_ERROR",
        "PAYLOAD_TOO_LARGE",
        "ORIGIN_NOT_ALLOWED",
        "TOO_MANY_ATTEMPTS",
    },
    ("post", "/auth/login"): {
        "INVALID_CREDENTIALS",
        "INVALID_FIREBASE_TOKEN",
        "USER_INACTIVE",
        "TOO_MANY_ATTEMPTS",
        "AUTH_PROVIDER_UNAVAILABLE",
        "AUTH_METHOD_NOT_ALLOWED",
        "APP_NOT_FOUND",
        "APP_MISMATCH",
    },
    ("post", "/auth/refresh"): {
        "REFRESH_TOKEN_INVALID",
        "REFRESH_TOKEN_REUSE",
        "AUTH_METHOD_NOT_ALLOWED",
    },
    ("post", "/auth/logout"): {"INVALID_TOKEN", "TOKEN_EXPIRED"},
    ("get", "/auth/users/me"): {"INVALID_TOKEN", "TOKEN_EXPIRED", "APP_INACTIVE"},
    ("patch", "/auth/users/me"): {"INVALID_TOKEN", "VALIDATION_ERROR"},
    ("delete", "/auth/users/me"): {"INVALID_TOKEN"},
    ("patch", "/auth/users/me/plan"): {
        "EMAIL_REQUIRED_FOR_PAID",
        "EMAIL_TAKEN",
        "PLAN_CHANGE_NOT_ALLOWED",
        "INVALID_TOKEN",
    },
    ("get", "/auth/health"): {"SERVICE_UNAVAILABLE"},
    ("get", "/auth/config"): {"APP_NOT_FOUND", "APP_MISMATCH", "APP_INACTIVE"},
}
PROTECTED = {
    ("post", "/auth/logout"),
    ("get", "/auth/users/me"),
    ("patch", "/auth/users/me"),
    ("delete", "/auth/users/me"),
    ("patch", "/auth/users/me/plan"),
}


@pytest.fixture
async def spec(serve):
    served = await serve()
    response = await served.client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def declared_codes(operation: dict) -> set[str]:
    codes = set()
    for status, response in operation["responses"].items():
        if status.startswith(("4", "5")):
            examples = response["content"]["application/json"]["examples"]
            for name, example in examples.items():
                assert example["value"]["error"] == name
                assert example["value"]["status_code"] == int(status)
                assert STATUS_OF[ErrorCode(name)] == int(status)
                codes.add(name)
    return codes


async def test_every_route_declares_its_error_codes_with_examples(spec):
    for (method, path), expected in EXPECTED.items():
        operation = spec["paths"][path][method]
        assert expected <= declared_codes(operation), (method, path)
        assert operation["tags"] in (["auth"], ["users"], ["health"])


async def test_error_schema_is_the_section_5_shape(spec):
    schema = spec["components"]["schemas"]["ErrorResponse"]
    assert set(schema["properties"]) == {"error", "message", "status_code"}
    assert set(schema["required"]) == {"error", "message", "status_code"}


async def test_bearer_scheme_and_locks(spec):
    scheme = spec["components"]["securitySchemes"]["TracheaBearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for method, path in PROTECTED:
        assert {"TracheaBearer": []} in spec["paths"][path][method]["security"], (method, path)
    # Product routes using our dependencies show the lock too.
    for path in ("/whoami", "/pro", "/admin", "/maybe"):
        assert {"TracheaBearer": []} in spec["paths"][path]["get"]["security"], path
    for path in ("/auth/register", "/auth/login", "/auth/refresh"):
        assert "security" not in spec["paths"][path]["post"]
