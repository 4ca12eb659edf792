"""OpenAPI: routes tagged, each declaring its §5 errors with examples; the bearer scheme makes
Swagger UI's Authorize button work, and protected product routes show the lock."""

from __future__ import annotations

import pytest

from trachea_login.errors import STATUS_OF, ErrorCode

from .conftest import assert_error, bearer

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


# -- request examples: what Swagger UI's "Try it out" sends ----------------------------------

ROUTES_WITH_A_BODY = {
    ("post", "/auth/register"),
    ("post", "/auth/login"),
    ("post", "/auth/refresh"),
    ("patch", "/auth/users/me"),
    ("patch", "/auth/users/me/plan"),
    ("post", "/auth/users/me/password"),
    ("post", "/auth/users/me/erase"),
    ("post", "/auth/token"),
}


def request_examples(spec: dict) -> dict[tuple[str, str], dict]:
    """The request-body examples of every operation that takes a body, by (method, path)."""
    found = {}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody")
            if body is not None:
                found[(method, path)] = body["content"]["application/json"].get("examples", {})
    return found


def leaves(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from leaves(item)
    else:
        yield value


async def test_every_request_body_has_examples_with_real_looking_values(spec):
    examples = request_examples(spec)

    assert set(examples) == ROUTES_WITH_A_BODY
    for route, named in examples.items():
        assert named, route
        for name, example in named.items():
            assert example["summary"], (route, name)
            assert "string" not in set(leaves(example["value"])), (route, name)
            assert "app_id" not in example["value"], (route, name)


def first_example(spec: dict, method: str, path: str) -> dict:
    """The body Swagger UI fills in for "Try it out": the route's first example."""
    return next(iter(request_examples(spec)[(method, path)].values()))["value"]


async def test_each_first_example_works_unchanged_in_the_order_try_it_out_is_used(serve):
    served = await serve(plan_policy=lambda user, plan, proof: True)
    client = served.client
    spec = (await client.get("/openapi.json")).json()

    registered = await client.post(
        "/auth/register", json=first_example(spec, "post", "/auth/register")
    )
    assert registered.status_code == 200, registered.text
    login = await client.post("/auth/login", json=first_example(spec, "post", "/auth/login"))
    assert login.status_code == 200, login.text
    auth = bearer(login.json()["access_token"])  # the Authorize button
    profile = first_example(spec, "patch", "/auth/users/me")
    edited = await client.patch("/auth/users/me", json=profile, headers=auth)
    assert edited.status_code == 200, edited.text
    shown = edited.json()
    assert {key: shown[key] for key in ("name", "phone", "date_of_birth")} == {
        key: profile[key] for key in ("name", "phone", "date_of_birth")
    }
    assert shown["address"]["city"] == profile["address"]["city"]
    plan = await client.patch(
        "/auth/users/me/plan",
        json=first_example(spec, "patch", "/auth/users/me/plan"),
        headers=auth,
    )
    assert plan.status_code == 200, plan.text
    assert plan.json()["plan"] == "pro"
    by_email = request_examples(spec)[("post", "/auth/login")]["email"]["value"]
    assert (await client.post("/auth/login", json=by_email)).status_code == 200
    changed = await client.post(
        "/auth/users/me/password",
        json=first_example(spec, "post", "/auth/users/me/password"),
        headers=auth,
    )
    assert changed.status_code == 200, changed.text
    erased = await client.post(
        "/auth/users/me/erase",
        json=first_example(spec, "post", "/auth/users/me/erase"),
        headers=auth,
    )
    assert erased.status_code == 200, erased.text
    # The username is free again: the register example works once more.
    again = await client.post("/auth/register", json=first_example(spec, "post", "/auth/register"))
    assert again.status_code == 200, again.text
    # The refresh example says to paste a real token: as it stands it is a clean 401.
    refresh = await client.post("/auth/refresh", json=first_example(spec, "post", "/auth/refresh"))
    assert_error(refresh, 401, "REFRESH_TOKEN_INVALID")


async def test_the_token_examples_work_with_a_clients_credentials(serve):
    """POST /auth/token's examples, sent as Swagger UI sends them once Authorize holds the
    client's id and secret (HTTP Basic), form-encoded and as JSON."""
    from trachea_login import create_client

    served = await serve()
    spec = (await served.client.get("/openapi.json")).json()
    created = await create_client(
        served.trachea.database, app_id="app1", name="worker", scopes=["reports:read"],
    )  # fmt: skip
    auth = (created.client_id, created.client_secret)
    body = spec["paths"]["/auth/token"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/x-www-form-urlencoded", "application/json"}
    for example in request_examples(spec)[("post", "/auth/token")].values():
        form = await served.client.post("/auth/token", data=example["value"], auth=auth)
        as_json = await served.client.post("/auth/token", json=example["value"], auth=auth)
        assert form.status_code == as_json.status_code == 200, (form.text, as_json.text)
        assert form.json()["scope"] == "reports:read"
