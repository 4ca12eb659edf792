"""Bodies the JSON parser cannot or must not decode (contract §5): 422 ``VALIDATION_ERROR`` (413
when too large) on every route of ours, with one log line and no traceback, never a 500 that
anyone could use to fill the error log. And ``X-Content-Type-Options: nosniff`` on every
response of our routes."""

from __future__ import annotations

import base64
import json
import logging

import pytest

from trachea_login._routing import walk_routes
from trachea_login.firebase.identity import check_shape
from trachea_login.strict_json import MAX_DEPTH, JSONRefused, loads

from ..conftest import PASSWORD, assert_error, bearer, firebase_login

LOGIN = {"username": "alice", "password": PASSWORD}
LOGIN_TEXT = json.dumps(LOGIN)

HOSTILE_BODIES = {
    "bad-bytes": b'{"username": "\xff\xfe", "password": "x"}',
    "latin-1": '{"username": "élise", "password": "correct horse"}'.encode("latin-1"),
    "utf-16-with-bom": LOGIN_TEXT.encode("utf-16"),
    "utf-16-le": LOGIN_TEXT.encode("utf-16-le"),
    "utf-32": LOGIN_TEXT.encode("utf-32"),
    "utf-8-bom": b"\xef\xbb\xbf" + LOGIN_TEXT.encode(),
    "5000-digit-number": b'{"username": ' + b"9" * 5000 + b', "password": "x"}',
    "huge-float": b'{"username": "alice", "password": "x", "app_id": 1e999}',
    "nested-10000-arrays": b"[" * 10_000 + b"]" * 10_000,
    "nested-8000-objects": b'{"a": ' * 8_000 + b"1" + b"}" * 8_000,  # 56 KB, under the limit
    "nested-in-a-field": b'{"username": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "nan": b'{"username": NaN, "password": "x"}',
    "infinity": b'{"username": "alice", "password": "x", "app_id": Infinity}',
    "minus-infinity": b'{"username": "alice", "password": "x", "app_id": -Infinity}',
    "duplicate-keys": b'{"username": "alice", "username": "admin", "password": "x"}',
    "lone-surrogate": b'{"username": "\\ud800", "password": "correct horse battery"}',
    "truncated": b'{"username": "alice", "password": ',
    "not-json": b"username=alice&password=x",
}


def _takes_body(route) -> bool:
    """A body FastAPI parses, or one the route reads itself (``POST /token``: form or JSON)."""
    return route.body_field is not None or "requestBody" in (route.openapi_extra or {})


def _our_routes(served):
    """(method, path, whether it takes a body) of every route of our router."""
    return [
        (method, f"/auth{route.path}", _takes_body(route))
        for route in walk_routes(served.trachea.router.routes)
        for method in sorted(route.methods)
        if method != "HEAD"
    ]


async def test_every_route_has_been_found(serve):
    routes = _our_routes(await serve())
    with_body = {path for _, path, body in routes if body}
    assert {
        "/auth/register",
        "/auth/login",
        "/auth/refresh",
        "/auth/users/me",
        "/auth/token",
    } <= with_body
    assert len(routes) >= 9


@pytest.mark.parametrize("name", sorted(HOSTILE_BODIES))
async def test_hostile_bodies_are_422_with_one_log_line_on_every_route(serve, name, caplog):
    served = await serve()
    tokens = await served.register_user("alice")
    for method, path, takes_body in _our_routes(served):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="trachea_login"):
            response = await served.client.request(
                method,
                path,
                content=HOSTILE_BODIES[name],
                headers={"content-type": "application/json", **bearer(tokens["access_token"])},
            )
        assert response.status_code < 500, (method, path, response.text)
        assert "traceback" not in response.text.lower()
        assert all(record.exc_info is None for record in caplog.records), (method, path)
        if takes_body:
            assert_error(response, 422, "VALIDATION_ERROR")
            refusals = [r for r in caplog.records if r.getMessage().startswith("refused")]
            assert len(refusals) == 1, (method, path, [r.getMessage() for r in caplog.records])


async def test_an_oversized_body_is_413_with_one_log_line(serve, caplog):
    served = await serve()
    body = json.dumps({"username": "alice", "password": "x" * 100_000}).encode()
    for path in ("/auth/login", "/auth/register", "/auth/refresh"):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="trachea_login"):
            response = await served.client.post(
                path, content=body, headers={"content-type": "application/json"}
            )
        assert_error(response, 413, "PAYLOAD_TOO_LARGE")
        assert [r.exc_info for r in caplog.records if r.name == "trachea_login"] == [None]


async def test_well_formed_json_still_works_after_the_refusals(serve):
    served = await serve()
    await served.register_user("alice")
    unicode_ok = await served.client.post(
        "/auth/login",
        content=json.dumps({"username": "alice", "password": PASSWORD}, ensure_ascii=False),
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert unicode_ok.status_code == 200


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        ('{"a": [1, 2.5, -3e2, "x\\u00e9\\ud83d\\ude00"]}', True),  # a surrogate pair is fine
        ("[" * MAX_DEPTH + "]" * MAX_DEPTH, True),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), False),
        ('["[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["]', True),  # brackets inside a string
        ('{"a": 1, "a": 1}', False),
        ("1" * 101, False),
        ("1" * 100, True),
    ],
    ids=[
        "ordinary",
        "at-depth-limit",
        "past-depth-limit",
        "brackets-in-string",
        "dup",
        "long",
        "100-digits",
    ],
)
def test_strict_json_rules(text, accepted):
    if accepted:
        loads(text)
    else:
        with pytest.raises(JSONRefused):
            loads(text)


def _segment(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_a_deeply_nested_firebase_token_is_an_invalid_token_not_a_500():
    nested = _segment(b"[" * 3000 + b"]" * 3000)
    header = _segment(b'{"alg": "RS256"}')
    for token in (f"{nested}.{header}.sig", f"{header}.{nested}.sig"):
        with pytest.raises(Exception) as caught:
            check_shape(token)
        assert getattr(caught.value, "status_code", None) == 401, caught.value


async def test_a_deeply_nested_firebase_token_answers_401(fb):
    nested = _segment(b"[" * 2000 + b"]" * 2000)  # past Python's recursion limit, under 8 KiB
    small = _segment(b'{"alg": "RS256"}')
    for token in (f"{nested}.{small}.c2ln", f"{small}.{nested}.c2ln"):
        assert len(token) < 8192
        assert_error(await firebase_login(fb, token), 401, "INVALID_FIREBASE_TOKEN")


# -- X-Content-Type-Options: nosniff ----------------------------------------------------------


async def test_every_response_of_our_routes_says_nosniff(serve):
    served = await serve()
    tokens = await served.register_user("alice")
    for method, path, takes_body in _our_routes(served):
        for headers in ({}, bearer(tokens["access_token"])):  # errors and successes alike
            response = await served.client.request(
                method, path, json=LOGIN if takes_body else None, headers=headers
            )
            assert response.headers.get("x-content-type-options") == "nosniff", (method, path)


async def test_cors_preflights_say_nosniff(register, make_trachea):
    import httpx
    from asgi_lifespan import LifespanManager

    from trachea_login.cors import TracheaCORSMiddleware

    from ..conftest import default_app

    await register("app1", domains=("app.example.com",))
    trachea = make_trachea("app1")
    app = default_app(trachea)
    app.add_middleware(TracheaCORSMiddleware, trachea=trachea)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.options(
                "/auth/login",
                headers={
                    "origin": "https://app.example.com",
                    "access-control-request-method": "POST",
                },
            )
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
