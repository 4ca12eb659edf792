"""The Postman collection covers every route and asserts something on every request.

No server here: the collection's JSON is read and compared with the routes of the router
(every method and path of ``trachea.router``) and of the demo app (its OpenAPI paths). Adding a
route without a request in ``trachea-login.postman_collection.json`` fails this test.
``scripts/newman`` runs the collection against the demo app.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trachea_login._routing import walk_routes

COLLECTION_PATH = Path(__file__).resolve().parents[1] / "trachea-login.postman_collection.json"
SCHEMA_V2_1 = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
BASE_URL = "{{baseUrl}}"
ERROR_SHAPE = 'pm.expect(Object.keys(body)).to.have.members(["error", "message", "status_code"])'
PREFIX = "/auth"


def collection() -> dict[str, Any]:
    return json.loads(COLLECTION_PATH.read_text(encoding="utf-8"))


def requests(items: list[dict[str, Any]], folder: str = "") -> Iterator[tuple[str, dict]]:
    """(``folder / name``, item) of every request, folders flattened."""
    for item in items:
        name = f"{folder} / {item['name']}" if folder else item["name"]
        if "item" in item:
            yield from requests(item["item"], name)
        else:
            yield name, item


def method_and_path(item: dict[str, Any]) -> tuple[str, str]:
    request = item["request"]
    url = request["url"]
    raw = url if isinstance(url, str) else url["raw"]
    assert raw.startswith(BASE_URL + "/"), f"{raw!r} does not start with {BASE_URL}/"
    return request["method"].upper(), raw[len(BASE_URL) :].split("?")[0]


def script(item: dict[str, Any], listen: str) -> str:
    return "\n".join(
        "\n".join(event["script"]["exec"])
        for event in item.get("event", ())
        if event["listen"] == listen
    )


def requested() -> set[tuple[str, str]]:
    return {method_and_path(item) for _, item in requests(collection()["item"])}


def missing(routes: set[tuple[str, str]]) -> list[str]:
    """The routes (method, path with ``{params}``) that no request of the collection calls."""
    calls = requested()
    absent = []
    for method, path in sorted(routes):
        pattern = re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)) + "$")
        if not any(m == method and pattern.match(p) for m, p in calls):
            absent.append(f"{method} {path}")
    return absent


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST", raising=False)
    sys.modules.pop("e2e_app", None)
    yield importlib.import_module("e2e_app")
    sys.modules.pop("e2e_app", None)


def test_collection_is_postman_v2_1_with_its_variables() -> None:
    data = collection()
    assert data["info"]["schema"] == SCHEMA_V2_1
    variables = {v["key"]: v.get("value") for v in data["variable"]}
    assert variables["baseUrl"] == "http://127.0.0.1:8000"
    assert variables["appId"] == "Trachea-Test-App"
    assert {"accessToken", "refreshToken"} <= set(variables)
    folders = [item["name"] for item in data["item"]]
    assert folders == ["health", "auth", "users", "plan", "service clients", "errors/security"]


def test_every_router_route_has_a_request(make_trachea: Any) -> None:
    trachea = make_trachea()
    routes = {
        (method, PREFIX + route.path)
        for route in walk_routes(trachea.router.routes)
        for method in getattr(route, "methods", None) or ()
        if method != "HEAD"
    }
    assert len(routes) >= 9
    assert missing(routes) == [], "routes without a request in the Postman collection"


def test_every_demo_app_route_has_a_request(demo: Any) -> None:
    paths = demo.app.openapi()["paths"]
    routes = {(method.upper(), path) for path, ops in paths.items() for method in ops}
    assert {("GET", "/"), ("GET", "/pro-only"), ("PATCH", "/auth/users/me/plan")} <= routes
    assert missing(routes) == [], "routes without a request in the Postman collection"


def test_missing_detects_an_uncovered_route() -> None:
    routes = {("PUT", "/auth/users/me"), ("GET", "/auth/apps/{app_id}"), ("GET", "/auth/users/{x}")}
    assert missing(routes) == ["GET /auth/apps/{app_id}", "PUT /auth/users/me"]


def test_every_request_asserts_something() -> None:
    names = []
    for name, item in requests(collection()["item"]):
        names.append(name)
        tests = script(item, "test")
        assert "pm.test(" in tests, f"{name}: no pm.test in its test script"
        assert "pm.expect(" in tests or "pm.response.to." in tests, f"{name}: no assertion"
    assert len(names) == len(set(names)), "request names must be unique"


def test_every_error_expected_is_checked_for_the_error_shape() -> None:
    for name, item in requests(collection()["item"]):
        tests = script(item, "test")
        statuses = [int(s) for s in re.findall(r"to\.have\.status\((\d{3})\)", tests)]
        if any(status >= 400 for status in statuses):
            assert ERROR_SHAPE in tests, f"{name}: expects an error but not its §5 shape"
